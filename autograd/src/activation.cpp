// Activations. Forward passes are single loops; backwards are written with tapegrad's ops on the
// recorded output y (and input x), so that they can be differentiated again.

#include "tapegrad/activation.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <cmath>
#include <limits>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;

namespace {

// 1 where x > 0, `below` elsewhere: the slope of the piecewise-linear activations.
Tensor slope(const Tensor& x, double below) {
  return detail::map(x, [below](auto u) { return static_cast<decltype(u)>(u > 0 ? 1.0 : below); });
}

// e^x for float32 without branches, so that the loops calling it vectorise (glibc's expf does not):
// Cody-Waite reduction x = n ln2 + r, then Cephes' degree-6 polynomial for e^r; within 2 ulp of expf on
// [-87, 88] (tests/test_activation_f32.cpp). Inputs are clamped to that range: callers only need e^x
// there. Measured: the digits training step spent a third of its time in sigmoid's scalar expf.
// Always inlined: with two callers GCC 12 made it a call, which stopped sigmoid's loop from vectorising
// (the digits step went from 110 to 175 us).
[[gnu::always_inline]] inline float exp_f32(float x) {
  x = std::min(88.0F, std::max(-87.0F, x));
  const float n = std::floor(x * 1.44269504088896341F + 0.5F);
  float r = std::fma(n, -0.693359375F, x);
  r = std::fma(n, 2.12194440e-4F, r);
  float p = 1.9875691500e-4F;
  p = std::fma(p, r, 1.3981999507e-3F);
  p = std::fma(p, r, 8.3334519073e-3F);
  p = std::fma(p, r, 4.1665795894e-2F);
  p = std::fma(p, r, 1.6666665459e-1F);
  p = std::fma(p, r, 5.0000001201e-1F);
  p = std::fma(p, r * r, r) + 1.0F;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

template <class T>
T sigmoid_of(T u) {
  if constexpr (std::is_same_v<T, float>) {
    // e = e^-|u| as the square of e^(-|u|/2), so that it stays in exp_f32's range down to u = -174 and
    // underflows to 0 past it; then 1/(1+e) for u >= 0 and e/(1+e) below, as in the float64 branch.
    const float h = exp_f32(-0.5F * std::abs(u));
    const float e = h * h;
    const float s = (u >= 0 ? 1.0F : e) / (1.0F + e);
    return u != u ? u : s;  // the clamp inside exp_f32 would turn NaN into a number
  } else {
    // Split by sign so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    if (u >= 0) return T(1) / (T(1) + std::exp(-u));
    const T e = std::exp(u);
    return e / (T(1) + e);
  }
}

// tanh for float32 without branches, for the same reason as exp_f32: glibc's tanhf does not vectorise,
// and on tiny tensors its call made the recorded tanh the one op over 100 ns (bench ops/record_backward).
// Below |u| = 0.625 the Taylor series to u^17 (the first term left out is under 2^-24 of u there); above,
// (1 - e)/(1 + e) with e = e^-2|u| <= 0.29, so that no digits cancel. Every positive float checked
// exhaustively against tanh in float64 rounded to float: at most 2 ulp apart (tests/test_activation_f32.cpp
// samples the same).
[[gnu::always_inline]] inline float tanh_f32(float u) {
  const float a = std::abs(u);  // tanh is odd: work on |u|, then give the result u's sign (-0 stays -0)
  const float s = a * a;
  float q = 5.90027440945586e-4F;  // 6404582/10854718875, the u^17 coefficient; then u^15 ... u^3
  q = std::fma(q, s, -1.4558343870513183e-3F);
  q = std::fma(q, s, 3.592128036572481e-3F);
  q = std::fma(q, s, -8.863235529902197e-3F);
  q = std::fma(q, s, 2.1869488536155203e-2F);
  q = std::fma(q, s, -5.396825396825397e-2F);
  q = std::fma(q, s, 1.3333333333333333e-1F);
  q = std::fma(q, s, -3.333333333333333e-1F);
  const float series = std::fma(a * s, q, a);
  const float e = exp_f32(-2.0F * a);
  const float t = std::copysign(a < 0.625F ? series : (1.0F - e) / (1.0F + e), u);
  return u != u ? u : t;
}

}  // namespace

Tensor sigmoid(const Tensor& x) {
  detail::check_defined(x, "sigmoid");
  Tensor y = detail::map(x, [](auto u) { return sigmoid_of(u); });
  if (needs_grad(x))
    record("sigmoid", y, [x](const Tensor& dy, const Tensor& y) {
      // dx = dy * y * (1 - y). When the sweep itself is not recorded (always, until double backward is
      // switched on) one fused pass replaces three ops and their temporaries: measured on digits.
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip(dy, y, [](auto g, auto s) { return g * s * (decltype(s)(1) - s); }));
      else
        accumulate_grad(x, dy * y * (1.0 - y));
    });
  return y;
}

Tensor tanh(const Tensor& x) {
  detail::check_defined(x, "tanh");
  Tensor y = detail::map(x, [](auto u) {
    if constexpr (std::is_same_v<decltype(u), float>)
      return tanh_f32(u);
    else
      return std::tanh(u);
  });
  if (needs_grad(x))  // dx = dy * (1 - y^2), fused as sigmoid's when the sweep is not recorded
    record("tanh", y, [x](const Tensor& dy, const Tensor& y) {
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip(dy, y, [](auto g, auto t) { return g * (decltype(t)(1) - t * t); }));
      else
        accumulate_grad(x, dy * (1.0 - y * y));
    });
  return y;
}

Tensor relu(const Tensor& x) {
  detail::check_defined(x, "relu");
  Tensor y = detail::map(x, [](auto u) { return u > 0 ? u : decltype(u)(0); });
  if (needs_grad(x))  // dx = dy where x > 0 (the gradient at 0 is 0, as in PyTorch); fused as sigmoid's
    record("relu", y, [x](const Tensor& dy, const Tensor&) {
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip(dy, x, [](auto g, auto u) { return u > 0 ? g : decltype(g)(0); }));
      else
        accumulate_grad(x, dy * slope(x, 0.0));
    });
  return y;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  detail::check_defined(x, "leaky_relu");
  Tensor y = detail::map(x, [negative_slope](auto u) { return u > 0 ? u : u * static_cast<decltype(u)>(negative_slope); });
  if (needs_grad(x))  // dx = dy where x > 0, dy * negative_slope elsewhere
    record("leaky_relu", y, [x, negative_slope](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy * slope(x, negative_slope));
    });
  return y;
}

Tensor elu(const Tensor& x, double alpha) {
  detail::check_defined(x, "elu");
  Tensor y = detail::map(x, [alpha](auto u) {
    using T = decltype(u);
    return u > 0 ? u : static_cast<T>(alpha) * std::expm1(u);
  });
  if (needs_grad(x))  // dx = dy where x > 0, dy * (y + alpha) = dy * alpha * e^x elsewhere
    record("elu", y, [x, alpha](const Tensor& dy, const Tensor& y) {
      const Tensor positive = slope(x, 0.0);
      accumulate_grad(x, dy * (positive + (1.0 - positive) * (y + alpha)));
    });
  return y;
}

Tensor softplus(const Tensor& x) {
  detail::check_defined(x, "softplus");
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no lost digits for very negative x.
  Tensor y = detail::map(x, [](auto u) { return std::max(u, decltype(u)(0)) + std::log1p(std::exp(-std::abs(u))); });
  if (needs_grad(x))  // dx = dy * sigmoid(x)
    record("softplus", y, [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * sigmoid(x)); });
  return y;
}

namespace {

// Softmax or log-softmax along dimension d, viewing x as (outer, extent, inner); the row maximum is
// subtracted first so that exp never overflows.
Tensor softmax_forward(const Tensor& x, int d, bool log) {
  const detail::Around a = detail::around(x.shape(), d);
  Tensor y = empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const std::int64_t base = o * a.extent * a.inner + i;
        T m = -std::numeric_limits<T>::infinity();
        for (std::int64_t k = 0; k < a.extent; ++k) m = std::max(m, px[base + k * a.inner]);
        if (!std::isfinite(m)) m = 0;  // all -inf (or +inf) rows: leave the arithmetic to produce nan/0
        T total = 0;
        for (std::int64_t k = 0; k < a.extent; ++k) {
          const T e = std::exp(px[base + k * a.inner] - m);
          py[base + k * a.inner] = e;
          total += e;
        }
        const T log_total = std::log(total);
        for (std::int64_t k = 0; k < a.extent; ++k) {
          T& v = py[base + k * a.inner];
          v = log ? px[base + k * a.inner] - m - log_total : v / total;
        }
      }
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int dim) {
  detail::check_defined(x, "softmax");
  const int d = detail::normalize_dim(dim, x.dim(), "softmax");
  Tensor y = softmax_forward(x, d, false);
  if (needs_grad(x))  // dx = y * (dy - sum(dy * y, d))
    record("softmax", y, [x, d](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, y * (dy - sum(dy * y, {d}, true)));
    });
  return y;
}

Tensor log_softmax(const Tensor& x, int dim) {
  detail::check_defined(x, "log_softmax");
  const int d = detail::normalize_dim(dim, x.dim(), "log_softmax");
  Tensor y = softmax_forward(x, d, true);
  if (needs_grad(x))  // dx = dy - exp(y) * sum(dy, d)
    record("log_softmax", y, [x, d](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, dy - exp(y) * sum(dy, {d}, true));
    });
  return y;
}

}  // namespace tg
