// The scans' backpropagation through time in tapegrad's ops (see recurrent_composed.hpp). Each recomputes
// its forward from the operands, so that every saved activation has history, then runs the same loop as
// recurrent.cpp's raw backward, recorded when the sweep records. Slow (dozens of records per step) and
// only for gradients of gradients; the formulas are the raw loops', line for line.

#include "recurrent_composed.hpp"

#include <cstddef>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/activation.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::detail {

namespace {

// Per-time-step values of a recomputed forward, indexed by t.
using Steps = std::vector<Tensor>;

Steps per_step(const ScanSizes& s) { return Steps(static_cast<std::size_t>(s.steps)); }
Tensor& at(Steps& v, std::int64_t t) { return v[static_cast<std::size_t>(t)]; }

// Columns k H .. (k + 1) H of a [N, G H] gate block: gate k.
Tensor gate(const Tensor& g, std::int64_t k, std::int64_t h) { return slice(g, 1, k * h, (k + 1) * h); }

// h_{t-1} of step `step`: h0 first, else the (recomputed) output of the step before.
const Tensor& previous(const ScanSizes& s, std::int64_t step, Steps& hs, const Tensor& h0) {
  return step == 0 ? h0 : at(hs, s.at(step - 1));
}

// dw += dg^T @ h_prev, starting from the first term.
void add_weight_grad(Tensor& dw, const Tensor& dg, const Tensor& h_prev) {
  const Tensor term = matmul(dg, h_prev, true, false);
  dw = dw.defined() ? dw + term : term;
}

}  // namespace

void send(const ScanGrads& g, const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
          const Tensor& b_hh) {
  const auto give = [](const Tensor& x, const Tensor& dx) {
    if (x.defined() && dx.defined()) accumulate_grad(x, dx);
  };
  give(gates_x, g.gates_x);
  give(h0, g.h0);
  give(c0, g.c0);
  give(w_hh, g.w_hh);
  give(b_hh, g.b_hh);
}

ScanGrads rnn_backward_composed(const ScanSizes& s, bool relu, const Tensor& dy, const Tensor& gates_x,
                                const Tensor& h0, const Tensor& w_hh) {
  Steps hs = per_step(s);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const Tensor a = select(gates_x, 0, s.at(step)) + matmul(previous(s, step, hs, h0), w_hh, false, true);
    at(hs, s.at(step)) = relu ? tg::relu(a) : tg::tanh(a);
  }
  Tensor dh = zeros_like(h0);
  Tensor dw;
  Steps dgx = per_step(s);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t t = s.at(step);
    const Tensor g = select(dy, 0, t) + dh;
    const Tensor& h = at(hs, t);
    // relu's slope is a constant mask: its derivative is 0 away from the kink
    const Tensor da = relu ? g * map(h, [](auto u) { return static_cast<decltype(u)>(u > 0 ? 1 : 0); })
                           : g * (1.0 - h * h);
    at(dgx, t) = da;
    dh = matmul(da, w_hh);
    add_weight_grad(dw, da, previous(s, step, hs, h0));
  }
  return {stack(dgx, 0), dh, {}, dw, {}};
}

ScanGrads lstm_backward_composed(const ScanSizes& s, const Tensor& dy, const Tensor& gates_x, const Tensor& h0,
                                 const Tensor& c0, const Tensor& w_hh) {
  const std::int64_t n = s.hidden;
  Steps i = per_step(s), f = per_step(s), g = per_step(s), o = per_step(s), cs = per_step(s), tc = per_step(s);
  Steps hs = per_step(s);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const std::int64_t t = s.at(step);
    const Tensor a = select(gates_x, 0, t) + matmul(previous(s, step, hs, h0), w_hh, false, true);
    at(i, t) = sigmoid(gate(a, 0, n));
    at(f, t) = sigmoid(gate(a, 1, n));
    at(g, t) = tanh(gate(a, 2, n));
    at(o, t) = sigmoid(gate(a, 3, n));
    at(cs, t) = at(f, t) * previous(s, step, cs, c0) + at(i, t) * at(g, t);
    at(tc, t) = tanh(at(cs, t));
    at(hs, t) = at(o, t) * at(tc, t);
  }
  Tensor dh = zeros_like(h0);
  Tensor dc = zeros_like(c0);
  Tensor dw;
  Steps dgx = per_step(s);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t t = s.at(step);
    const Tensor &it = at(i, t), &ft = at(f, t), &gt = at(g, t), &ot = at(o, t), &tct = at(tc, t);
    const Tensor gh = select(select(dy, 0, 0), 0, t) + dh;
    const Tensor gc = select(select(dy, 0, 1), 0, t) + dc + gh * ot * (1.0 - tct * tct);
    const Tensor dg = cat({gc * gt * it * (1.0 - it), gc * previous(s, step, cs, c0) * ft * (1.0 - ft),
                           gc * it * (1.0 - gt * gt), gh * tct * ot * (1.0 - ot)},
                          1);
    at(dgx, t) = dg;
    dc = gc * ft;
    dh = matmul(dg, w_hh);
    add_weight_grad(dw, dg, previous(s, step, hs, h0));
  }
  return {stack(dgx, 0), dh, dc, dw, {}};
}

ScanGrads gru_backward_composed(const ScanSizes& s, const Tensor& dy, const Tensor& gates_x, const Tensor& h0,
                                const Tensor& w_hh, const Tensor& b_hh) {
  const std::int64_t n = s.hidden;
  Steps r = per_step(s), z = per_step(s), nn = per_step(s), un = per_step(s), hs = per_step(s);
  for (std::int64_t step = 0; step < s.steps; ++step) {
    const std::int64_t t = s.at(step);
    const Tensor& h_prev = previous(s, step, hs, h0);
    const Tensor x = select(gates_x, 0, t);
    Tensor u = matmul(h_prev, w_hh, false, true);
    if (b_hh.defined()) u = u + b_hh;
    at(r, t) = sigmoid(gate(x, 0, n) + gate(u, 0, n));
    at(z, t) = sigmoid(gate(x, 1, n) + gate(u, 1, n));
    at(un, t) = gate(u, 2, n);
    at(nn, t) = tanh(gate(x, 2, n) + at(r, t) * at(un, t));
    at(hs, t) = at(nn, t) + at(z, t) * (h_prev - at(nn, t));
  }
  Tensor dh = zeros_like(h0);
  Tensor dw;
  Tensor db;
  Steps dgx = per_step(s);
  for (std::int64_t step = s.steps - 1; step >= 0; --step) {
    const std::int64_t t = s.at(step);
    const Tensor &rt = at(r, t), &zt = at(z, t), &nt = at(nn, t), &ut = at(un, t);
    const Tensor& h_prev = previous(s, step, hs, h0);
    const Tensor gh = select(dy, 0, t) + dh;
    const Tensor dan = gh * (1.0 - zt) * (1.0 - nt * nt);
    const Tensor dar = dan * ut * rt * (1.0 - rt);
    const Tensor daz = gh * (h_prev - nt) * zt * (1.0 - zt);
    at(dgx, t) = cat({dar, daz, dan}, 1);
    const Tensor du = cat({dar, daz, dan * rt}, 1);
    dh = gh * zt + matmul(du, w_hh);
    add_weight_grad(dw, du, h_prev);
    if (b_hh.defined()) db = db.defined() ? db + sum(du, {0}) : sum(du, {0});
  }
  return {stack(dgx, 0), dh, {}, dw, db};
}

}  // namespace tg::detail
