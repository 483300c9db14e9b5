// Recurrent ops: the scans of tapegrad/recurrent.hpp, each a forward loop and its backpropagation through
// time side by side, and the cells built on them (a cell is a scan of one step). The loops run on raw
// buffers: per step one product with w_hh (gemm) and one pass of gate arithmetic. The composed forms a
// recorded sweep takes are in recurrent_composed.cpp.

#include "tapegrad/recurrent.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "activation_kernels.hpp"
#include "blas.hpp"
#include "kernels.hpp"
#include "recurrent_composed.hpp"
#include "thin_gemm.hpp"
#include "tapegrad/detail/tape.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::gemm;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::sigmoid_of;
using detail::tanh_of;

namespace {

// "[G H, H]" with the numbers: how the messages name an expected shape.
std::string expected(std::int64_t a, std::int64_t b) { return Shape{a, b}.str(); }

// Checks a scan's operands and returns its sizes: gates_x [T, N, G H], h0 (and c0) [N, H], w_hh [G H, H],
// b_hh [G H] when given; one floating dtype. Every message names the op, the operand and both shapes.
detail::ScanSizes check_scan(const char* op, std::int64_t gates, const Tensor& gates_x, const Tensor& h0,
                             const Tensor* c0, const Tensor& w_hh, const Tensor* b_hh, bool reverse) {
  for (const Tensor* t : {&gates_x, &h0, &w_hh}) detail::check_float_input(*t, op);
  const std::string name = op;
  if (w_hh.dim() != 2 || w_hh.size(0) != gates * w_hh.size(1))
    throw std::invalid_argument(name + ": w_hh must be [" + std::to_string(gates) + " H, H], got " +
                                w_hh.shape().str());
  const std::int64_t h = w_hh.size(1);
  if (gates_x.dim() != 3 || gates_x.size(2) != gates * h)
    throw std::invalid_argument(name + ": gates_x must be [T, N, " + std::to_string(gates * h) + "] for w_hh " +
                                w_hh.shape().str() + ", got " + gates_x.shape().str());
  if (gates_x.size(0) == 0)
    throw std::invalid_argument(name + ": the sequence is empty (gates_x " + gates_x.shape().str() + ")");
  const std::int64_t n = gates_x.size(1);
  const auto check_state = [&](const Tensor& s, const char* what) {
    detail::check_float_input(s, op);
    if (s.shape() != Shape{n, h})
      throw std::invalid_argument(name + ": " + what + " must be " + expected(n, h) + " for gates_x " +
                                  gates_x.shape().str() + " and w_hh " + w_hh.shape().str() + ", got " +
                                  s.shape().str());
    detail::check_same_dtype(gates_x, s, op);
  };
  check_state(h0, "h0");
  if (c0 != nullptr) check_state(*c0, "c0");
  detail::check_same_dtype(gates_x, w_hh, op);
  if (b_hh != nullptr && b_hh->defined()) {
    detail::check_same_dtype(gates_x, *b_hh, op);
    if (b_hh->shape() != Shape{gates * h})
      throw std::invalid_argument(name + ": b_hh must be [" + std::to_string(gates * h) + "], got " +
                                  b_hh->shape().str());
  }
  return {gates_x.size(0), n, h, reverse};
}

// dw_hh [G H, H] = sum_t dG_t^T @ h_{t-1}, dG [T, N, G H] the gates' gradients, hs [T, N, H] the outputs: two
// products, one for the step that starts from h0 and one for every other step (whose h_{t-1} are the rows
// of hs shifted by one step, so that the sum over t is the product's own sum over rows).
template <class T>
void hidden_weight_grad(const detail::ScanSizes& s, std::int64_t gh, const T* dg, const T* hs, const T* h0, T* dw) {
  const std::int64_t nh = s.batch * s.hidden;
  const std::int64_t ng = s.batch * gh;
  gemm<T>(true, false, gh, s.hidden, s.batch, dg + s.at(0) * ng, h0, T(0), dw);
  if (s.steps > 1)
    gemm<T>(true, false, gh, s.hidden, (s.steps - 1) * s.batch, s.reverse ? dg : dg + ng, s.reverse ? hs + nh : hs,
            T(1), dw);
}

// h_{t-1} for step `step`: h0 at the first step, else the output of the step before.
template <class T>
const T* previous(const detail::ScanSizes& s, std::int64_t step, const T* hs, const T* h0) {
  return step == 0 ? h0 : hs + s.at(step - 1) * s.batch * s.hidden;
}

// The per-step products with w_hh [G H, H]: forward h_{t-1} W^T [N, G H], backward dG W [N, H] (into or onto
// `out`). float32 takes thin_gemm where it has a kernel (the forward on a [H, G H] transpose of W made once
// per scan, the backward on W itself), everything else gemm.
template <class T>
class HiddenProduct {
 public:
  HiddenProduct(const T* w, std::int64_t gh, std::int64_t h, bool forward) : w_(w), gh_(gh), h_(h) {
    if constexpr (std::is_same_v<T, float>)
      if (forward && detail::thin_gemm_fits(gh)) {
        wt_.resize(static_cast<std::size_t>(gh * h));
        for (std::int64_t i = 0; i < gh; ++i)
          for (std::int64_t j = 0; j < h; ++j) wt_[static_cast<std::size_t>(j * gh + i)] = w[i * h + j];
      }
  }
  void forward(std::int64_t n, const T* h_prev, T* out, bool accumulate) const {
    if constexpr (std::is_same_v<T, float>)
      if (!wt_.empty() && detail::thin_gemm(n, gh_, h_, h_prev, wt_.data(), out, accumulate)) return;
    gemm<T>(false, true, n, gh_, h_, h_prev, w_, accumulate ? T(1) : T(0), out);
  }
  void backward(std::int64_t n, const T* dg, T* out, bool accumulate) const {
    if constexpr (std::is_same_v<T, float>)
      if (detail::thin_gemm(n, h_, gh_, dg, w_, out, accumulate)) return;
    gemm<T>(false, false, n, h_, gh_, dg, w_, accumulate ? T(1) : T(0), out);
  }

 private:
  const T* w_;
  std::int64_t gh_, h_;
  std::vector<T> wt_;
};

// ---- Elman RNN: h_t = act(gx_t + h_{t-1} W^T), gx [T, N, H], W [H, H].

template <class T>
void rnn_forward(const detail::ScanSizes& s, bool relu, const T* gx, const T* h0, const T* w, T* hs) {
  const std::int64_t nh = s.batch * s.hidden;
  const HiddenProduct<T> product(w, s.hidden, s.hidden, true);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    T* y = hs + s.at(step) * nh;
    std::copy(gx + s.at(step) * nh, gx + s.at(step) * nh + nh, y);
    product.forward(s.batch, previous(s, step, hs, h0), y, true);  // y = gx_t + h_{t-1} W^T
    for (std::int64_t i = 0; i < nh; ++i) y[i] = relu ? std::max(y[i], T(0)) : tanh_of(y[i]);
  }
}

// Backward, last step first: g = dy_t + dh (the carry), da = g act'(a) (tanh: 1 - h^2; relu: h > 0), dgx_t = da,
// dh = da W for the step before; dh0 is the last carry.
template <class T>
void rnn_backward(const detail::ScanSizes& s, bool relu, const T* dy, const T* hs, const T* w, T* dgx, T* dh0) {
  const std::int64_t nh = s.batch * s.hidden;
  std::fill(dh0, dh0 + nh, T(0));
  const HiddenProduct<T> product(w, s.hidden, s.hidden, false);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t off = s.at(step) * nh;
    for (std::int64_t i = 0; i < nh; ++i) {
      const T g = dy[off + i] + dh0[i];
      const T h = hs[off + i];
      dgx[off + i] = relu ? (h > 0 ? g : T(0)) : g * (T(1) - h * h);
    }
    product.backward(s.batch, dgx + off, dh0, false);
  }
}

Tensor rnn_scan(const char* op, bool relu, const Tensor& gx, const Tensor& h0, const Tensor& w, bool reverse) {
  const detail::ScanSizes s = check_scan(op, 1, gx, h0, nullptr, w, nullptr, reverse);
  Tensor y = empty(gx.shape(), gx.dtype());
  visit_dtype(gx.dtype(),
              [&]<class T>() { rnn_forward(s, relu, gx.data<T>(), h0.data<T>(), w.data<T>(), y.data<T>()); });
  if (needs_grad(gx, h0, w))
    record(op, y, saves(gx, h0, w).and_output(), [gx, h0, w, relu, s](const Tensor& dy, const Tensor& y) {
      if (is_grad_enabled())
        return detail::send(detail::rnn_backward_composed(s, relu, dy, gx, h0, w), gx, h0, {}, w, {});
      Tensor dgx = empty(gx.shape(), gx.dtype());
      Tensor dh0 = empty(h0.shape(), h0.dtype());
      Tensor dw = w.requires_grad() ? empty(w.shape(), w.dtype()) : Tensor();
      visit_dtype(gx.dtype(), [&]<class T>() {
        rnn_backward(s, relu, dy.data<T>(), y.data<T>(), w.data<T>(), dgx.data<T>(), dh0.data<T>());
        if (dw.defined()) hidden_weight_grad(s, s.hidden, dgx.data<T>(), y.data<T>(), h0.data<T>(), dw.data<T>());
      });
      detail::send({dgx, dh0, {}, dw, {}}, gx, h0, {}, w, {});
    });
  return y;
}

// ---- LSTM: G_t = gx_t + h_{t-1} W^T split as i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
// `act` [T, N, 4H] keeps the activated gates (sigmoid i, f, o and tanh g) for the backward.

// One row of one step: the gates a = gx + hW (the product is already in a), activated in place; c and h out.
// Restrict pointers and inlined activations let GCC vectorise it (the gates are four runs of H).
template <class T>
void lstm_gates(std::int64_t h, const T* __restrict x, T* __restrict a, const T* __restrict c_prev,
                T* __restrict c, T* __restrict out) {
  for (std::int64_t j = 0; j < h; ++j) {
    const T i = sigmoid_of(a[j] + x[j]), f = sigmoid_of(a[h + j] + x[h + j]);
    const T g = tanh_of(a[2 * h + j] + x[2 * h + j]), o = sigmoid_of(a[3 * h + j] + x[3 * h + j]);
    const T cj = f * c_prev[j] + i * g;
    a[j] = i, a[h + j] = f, a[2 * h + j] = g, a[3 * h + j] = o;
    c[j] = cj;
    out[j] = o * tanh_of(cj);
  }
}

template <class T>
void lstm_forward(const detail::ScanSizes& s, const T* gx, const T* h0, const T* c0, const T* w, T* hs, T* act) {
  const std::int64_t nh = s.batch * s.hidden;
  const std::int64_t h4 = 4 * s.hidden;
  T* cs = hs + s.steps * nh;
  const HiddenProduct<T> product(w, h4, s.hidden, true);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const std::int64_t t = s.at(step);
    T* gates = act + t * s.batch * h4;
    product.forward(s.batch, previous(s, step, hs, h0), gates, false);  // h_{t-1} W^T
    const T* c_prev = previous(s, step, cs, c0);
    for (std::int64_t n = 0; n < s.batch; ++n)
      lstm_gates(s.hidden, gx + (t * s.batch + n) * h4, gates + n * h4, c_prev + n * s.hidden,
                 cs + t * nh + n * s.hidden, hs + t * nh + n * s.hidden);
  }
}

// One row of one step backward, with carries dh and dc (in place): gh = dy_h + dh, gc = dy_c + dc +
// gh o (1 - tanh(c)^2); then di = gc g, df = gc c_{t-1}, dg = gc i, do = gh tanh(c), each times its
// activation's derivative, into d; dc = gc f for the step before.
template <class T>
void lstm_gates_backward(std::int64_t h, const T* __restrict dy_h, const T* __restrict dy_c, const T* __restrict a,
                         const T* __restrict c, const T* __restrict c_prev, const T* __restrict dh, T* __restrict dc,
                         T* __restrict d) {
  for (std::int64_t j = 0; j < h; ++j) {
    const T i = a[j], f = a[h + j], g = a[2 * h + j], o = a[3 * h + j];
    const T tc = tanh_of(c[j]);
    const T gh = dy_h[j] + dh[j];
    const T gc = dy_c[j] + dc[j] + gh * o * (T(1) - tc * tc);
    d[j] = gc * g * i * (T(1) - i);
    d[h + j] = gc * c_prev[j] * f * (T(1) - f);
    d[2 * h + j] = gc * i * (T(1) - g * g);
    d[3 * h + j] = gh * tc * o * (T(1) - o);
    dc[j] = gc * f;
  }
}

// Backward, last step first; dh = dG W carries to the step before, dh0 and dc0 are the last carries.
template <class T>
void lstm_backward(const detail::ScanSizes& s, const T* dy, const T* hs, const T* act, const T* c0, const T* w,
                   T* dgx, T* dh0, T* dc0) {
  const std::int64_t nh = s.batch * s.hidden;
  const std::int64_t h4 = 4 * s.hidden;
  const T* cs = hs + s.steps * nh;
  std::fill(dh0, dh0 + nh, T(0));
  std::fill(dc0, dc0 + nh, T(0));
  const HiddenProduct<T> product(w, h4, s.hidden, false);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t t = s.at(step);
    const T* c_prev = previous(s, step, cs, c0);
    for (std::int64_t n = 0; n < s.batch; ++n) {
      const std::int64_t k = n * s.hidden;
      lstm_gates_backward(s.hidden, dy + t * nh + k, dy + (s.steps + t) * nh + k, act + (t * s.batch + n) * h4,
                          cs + t * nh + k, c_prev + k, dh0 + k, dc0 + k, dgx + (t * s.batch + n) * h4);
    }
    product.backward(s.batch, dgx + t * s.batch * h4, dh0, false);
  }
}

// ---- GRU: r = sigmoid(gx_r + hh_r), z = sigmoid(gx_z + hh_z), n = tanh(gx_n + r hh_n), h_t = n + z (h_{t-1} - n),
// hh = h_{t-1} W^T + b. `act` [T, N, 4H] keeps r, z, n and hh_n for the backward.

template <class T>
void gru_forward(const detail::ScanSizes& s, const T* gx, const T* h0, const T* w, const T* b, T* hs, T* act,
                 T* hh) {
  const std::int64_t nh = s.batch * s.hidden;
  const std::int64_t h3 = 3 * s.hidden;
  const HiddenProduct<T> product(w, h3, s.hidden, true);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const std::int64_t t = s.at(step);
    for (std::int64_t n = 0; n < s.batch; ++n)
      for (std::int64_t j = 0; j < h3; ++j) hh[n * h3 + j] = b != nullptr ? b[j] : T(0);
    const T* h_prev = previous(s, step, hs, h0);
    product.forward(s.batch, h_prev, hh, true);
    for (std::int64_t n = 0; n < s.batch; ++n) {
      const T* x = gx + (t * s.batch + n) * h3;
      const T* u = hh + n * h3;
      T* a = act + (t * s.batch + n) * 4 * s.hidden;
      for (std::int64_t j = 0; j < s.hidden; ++j) {
        const T r = sigmoid_of(x[j] + u[j]), z = sigmoid_of(x[s.hidden + j] + u[s.hidden + j]);
        const T nn = tanh_of(x[2 * s.hidden + j] + r * u[2 * s.hidden + j]);
        a[j] = r, a[s.hidden + j] = z, a[2 * s.hidden + j] = nn, a[3 * s.hidden + j] = u[2 * s.hidden + j];
        hs[t * nh + n * s.hidden + j] = nn + z * (h_prev[n * s.hidden + j] - nn);
      }
    }
  }
}

// Backward, last step first: gh = dy + dh; dz = gh (h_{t-1} - n), dn = gh (1 - z), and through the activations
// da_n = dn (1 - n^2), da_r = da_n hh_n r (1 - r), da_z = dz z (1 - z). The input's share gets (da_r, da_z, da_n),
// the hidden product's dhh = (da_r, da_z, da_n r); dh = gh z + dhh W for the step before.
template <class T>
void gru_backward(const detail::ScanSizes& s, const T* dy, const T* hs, const T* act, const T* h0, const T* w,
                  T* dgx, T* dhh, T* dh0) {
  const std::int64_t nh = s.batch * s.hidden;
  const std::int64_t h3 = 3 * s.hidden;
  std::fill(dh0, dh0 + nh, T(0));
  const HiddenProduct<T> product(w, h3, s.hidden, false);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t t = s.at(step);
    const T* h_prev = previous(s, step, hs, h0);
    for (std::int64_t n = 0; n < s.batch; ++n) {
      const T* a = act + (t * s.batch + n) * 4 * s.hidden;
      T* dx = dgx + (t * s.batch + n) * h3;
      T* du = dhh + (t * s.batch + n) * h3;
      for (std::int64_t j = 0; j < s.hidden; ++j) {
        const std::int64_t k = n * s.hidden + j;
        const T r = a[j], z = a[s.hidden + j], nn = a[2 * s.hidden + j], un = a[3 * s.hidden + j];
        const T gh = dy[t * nh + k] + dh0[k];
        const T dan = gh * (T(1) - z) * (T(1) - nn * nn);
        const T dar = dan * un * r * (T(1) - r);
        const T daz = gh * (h_prev[k] - nn) * z * (T(1) - z);
        dx[j] = du[j] = dar;
        dx[s.hidden + j] = du[s.hidden + j] = daz;
        dx[2 * s.hidden + j] = dan;
        du[2 * s.hidden + j] = dan * r;
        dh0[k] = gh * z;
      }
    }
    product.backward(s.batch, dhh + t * s.batch * h3, dh0, true);
  }
}

// x [N, I] or [I] -> [1, N, G H]: x W_ih^T + b_ih (+ b_hh), a cell's input share as a one-step scan takes it.
Tensor cell_gates(const char* op, const Tensor& x, const Tensor& w_ih, const Tensor& b_ih, const Tensor& b_hh) {
  detail::check_float_input(x, op);
  detail::check_float_input(w_ih, op);
  if (x.dim() != 1 && x.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": input must be [N, I] or [I], got " + x.shape().str());
  if (w_ih.dim() != 2 || w_ih.size(1) != x.size(-1))
    throw std::invalid_argument(std::string(op) + ": input has " + std::to_string(x.size(-1)) +
                                " features but w_ih is " + w_ih.shape().str());
  Tensor g = matmul(x.dim() == 1 ? unsqueeze(x, 0) : x, w_ih, false, true);
  if (b_ih.defined()) g = g + b_ih;
  if (b_hh.defined()) g = g + b_hh;
  return unsqueeze(g, 0);
}

// hx as the scan's [N, H] state: unbatched cells take [H] with an [I] input.
Tensor cell_state(const char* op, const Tensor& input, const Tensor& hx, const char* what) {
  detail::check_float_input(hx, op);
  if (hx.dim() != input.dim())
    throw std::invalid_argument(std::string(op) + ": " + what + " must have the input's batch rank: input " +
                                input.shape().str() + ", " + what + " " + hx.shape().str());
  return hx.dim() == 1 ? unsqueeze(hx, 0) : hx;
}

// A one-step scan's [1, N, H] (or [2, 1, N, H]) output at the input's batch rank.
Tensor cell_output(const Tensor& y, const Tensor& input) {
  const std::int64_t h = y.size(-1);
  return input.dim() == 1 ? reshape(y, {h}) : reshape(y, {y.size(-2), h});
}

}  // namespace

Tensor rnn_tanh_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, bool reverse) {
  return rnn_scan("rnn_tanh_scan", false, gates_x, h0, w_hh, reverse);
}

Tensor rnn_relu_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, bool reverse) {
  return rnn_scan("rnn_relu_scan", true, gates_x, h0, w_hh, reverse);
}

Tensor lstm_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh, bool reverse) {
  const detail::ScanSizes s = check_scan("lstm_scan", 4, gates_x, h0, &c0, w_hh, nullptr, reverse);
  Tensor y = empty({2, s.steps, s.batch, s.hidden}, gates_x.dtype());
  Tensor act = empty(gates_x.shape(), gates_x.dtype());
  visit_dtype(gates_x.dtype(), [&]<class T>() {
    lstm_forward(s, gates_x.data<T>(), h0.data<T>(), c0.data<T>(), w_hh.data<T>(), y.data<T>(), act.data<T>());
  });
  if (needs_grad(gates_x, h0, c0, w_hh))
    record("lstm_scan", y, saves(gates_x, h0, c0, w_hh).and_output(),
           [gx = gates_x, h0, c0, w = w_hh, act, s](const Tensor& dy, const Tensor& y) {
             if (is_grad_enabled())
               return detail::send(detail::lstm_backward_composed(s, dy, gx, h0, c0, w), gx, h0, c0, w, {});
             Tensor dgx = empty(gx.shape(), gx.dtype());
             Tensor dh0 = empty(h0.shape(), h0.dtype());
             Tensor dc0 = empty(c0.shape(), c0.dtype());
             Tensor dw = w.requires_grad() ? empty(w.shape(), w.dtype()) : Tensor();
             visit_dtype(gx.dtype(), [&]<class T>() {
               lstm_backward(s, dy.data<T>(), y.data<T>(), act.data<T>(), c0.data<T>(), w.data<T>(), dgx.data<T>(),
                             dh0.data<T>(), dc0.data<T>());
               if (dw.defined())
                 hidden_weight_grad(s, 4 * s.hidden, dgx.data<T>(), y.data<T>(), h0.data<T>(), dw.data<T>());
             });
             detail::send({dgx, dh0, dc0, dw, {}}, gx, h0, c0, w, {});
           });
  return y;
}

Tensor gru_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, const Tensor& b_hh, bool reverse) {
  const detail::ScanSizes s = check_scan("gru_scan", 3, gates_x, h0, nullptr, w_hh, &b_hh, reverse);
  Tensor y = empty({s.steps, s.batch, s.hidden}, gates_x.dtype());
  Tensor act = empty({s.steps, s.batch, 4 * s.hidden}, gates_x.dtype());
  visit_dtype(gates_x.dtype(), [&]<class T>() {
    std::vector<T> hh(static_cast<std::size_t>(s.batch * 3 * s.hidden));
    gru_forward(s, gates_x.data<T>(), h0.data<T>(), w_hh.data<T>(), b_hh.defined() ? b_hh.data<T>() : nullptr,
                y.data<T>(), act.data<T>(), hh.data());
  });
  if (needs_grad(gates_x, h0, w_hh, b_hh))
    record("gru_scan", y, saves(gates_x, h0, w_hh, b_hh).and_output(),
           [gx = gates_x, h0, w = w_hh, b = b_hh, act, s](const Tensor& dy, const Tensor& y) {
             if (is_grad_enabled())
               return detail::send(detail::gru_backward_composed(s, dy, gx, h0, w, b), gx, h0, {}, w, b);
             Tensor dgx = empty(gx.shape(), gx.dtype());
             Tensor dhh = empty(gx.shape(), gx.dtype());
             Tensor dh0 = empty(h0.shape(), h0.dtype());
             Tensor dw = w.requires_grad() ? empty(w.shape(), w.dtype()) : Tensor();
             visit_dtype(gx.dtype(), [&]<class T>() {
               gru_backward(s, dy.data<T>(), y.data<T>(), act.data<T>(), h0.data<T>(), w.data<T>(), dgx.data<T>(),
                            dhh.data<T>(), dh0.data<T>());
               if (dw.defined())
                 hidden_weight_grad(s, 3 * s.hidden, dhh.data<T>(), y.data<T>(), h0.data<T>(), dw.data<T>());
             });
             // db_hh = dhh summed over every step and batch row
             const Tensor db = b.requires_grad() ? sum(reshape(dhh, {s.steps * s.batch, 3 * s.hidden}), {0}) : Tensor();
             detail::send({dgx, dh0, {}, dw, db}, gx, h0, {}, w, b);
           });
  return y;
}

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  const Tensor gates = cell_gates("rnn_tanh_cell", input, w_ih, b_ih, b_hh);
  return cell_output(rnn_tanh_scan(gates, cell_state("rnn_tanh_cell", input, hx, "hx"), w_hh), input);
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  const Tensor gates = cell_gates("rnn_relu_cell", input, w_ih, b_ih, b_hh);
  return cell_output(rnn_relu_scan(gates, cell_state("rnn_relu_cell", input, hx, "hx"), w_hh), input);
}

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const std::tuple<Tensor, Tensor>& hx, const Tensor& w_ih,
                                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const Tensor gates = cell_gates("lstm_cell", input, w_ih, b_ih, b_hh);
  const Tensor y = lstm_scan(gates, cell_state("lstm_cell", input, std::get<0>(hx), "h"),
                             cell_state("lstm_cell", input, std::get<1>(hx), "c"), w_hh);
  return {cell_output(select(y, 0, 0), input), cell_output(select(y, 0, 1), input)};
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  const Tensor gates = cell_gates("gru_cell", input, w_ih, b_ih, Tensor());
  return cell_output(gru_scan(gates, cell_state("gru_cell", input, hx, "hx"), w_hh, b_hh), input);
}

}  // namespace tg
