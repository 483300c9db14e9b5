// Recurrent ops (tapegrad/recurrent.hpp): closed-form steps derived by hand, float64 gradcheck of every
// scan and cell across directions, lengths and batch sizes, gradgradcheck (the composed backward a recorded
// sweep takes) and its first derivatives against the raw loop's, float32 against float64, one record per
// scan, and the shape messages. The modules on top and PyTorch's values are in test_recurrent_modules.cpp.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using testing::expect_gradcheck;
using testing::expect_gradgradcheck;
using testing::expect_throws;
using testing::expect_values;
using testing::Fn;
using testing::Inputs;
using testing::random_leaf;

double sigmoid_of(double u) { return 1.0 / (1.0 + std::exp(-u)); }

// A scan's operands: gates_x [T, N, G H], h0 and c0 [N, H], w_hh [G H, H] (entries within +-0.6, so that no
// gate saturates), b_hh [G H], all float64 leaves from fixed seeds.
struct Operands {
  Tensor gx, h0, c0, w, b;
};
Operands operands(std::int64_t t, std::int64_t n, std::int64_t h, std::int64_t gates, std::uint64_t seed) {
  return {random_leaf({t, n, gates * h}, seed), random_leaf({n, h}, seed + 1), random_leaf({n, h}, seed + 2),
          random_leaf({gates * h, h}, seed + 3, -0.6, 0.6), random_leaf({gates * h}, seed + 4)};
}

struct ScanCase {
  std::int64_t steps, batch;
  bool reverse;
};
const ScanCase kCases[] = {{1, 1, false}, {3, 2, false}, {3, 2, true}, {4, 1, true}};

std::string describe(const ScanCase& c) {
  return "T " + std::to_string(c.steps) + ", N " + std::to_string(c.batch) + (c.reverse ? ", reverse" : "");
}

// The four scans, each with the operands it takes (of gx, h0, c0, w, b) in its own order.
struct NamedScan {
  const char* name;
  std::int64_t gates;
  std::function<Inputs(const Operands&)> pick;
  std::function<Tensor(const Inputs&, bool)> run;
};
std::vector<NamedScan> scans() {
  const auto gx_h0_w = [](const Operands& o) { return Inputs{o.gx, o.h0, o.w}; };
  return {{"rnn_tanh_scan", 1, gx_h0_w, [](const Inputs& in, bool r) { return rnn_tanh_scan(in[0], in[1], in[2], r); }},
          {"rnn_relu_scan", 1, gx_h0_w, [](const Inputs& in, bool r) { return rnn_relu_scan(in[0], in[1], in[2], r); }},
          {"lstm_scan", 4, [](const Operands& o) { return Inputs{o.gx, o.h0, o.c0, o.w}; },
           [](const Inputs& in, bool r) { return lstm_scan(in[0], in[1], in[2], in[3], r); }},
          {"gru_scan", 3, [](const Operands& o) { return Inputs{o.gx, o.h0, o.w, o.b}; },
           [](const Inputs& in, bool r) { return gru_scan(in[0], in[1], in[2], in[3], r); }}};
}

TEST(RecurrentScan, ElmanStepsByHand) {
  // H = N = 1: h1 = tanh(g1 + w h0), h2 = tanh(g2 + w h1); reversed, h2 = tanh(g2 + w h0) comes first.
  const Tensor gx = tensor({0.5, -0.25}, {2, 1, 1}, kFloat64);
  const Tensor h0 = tensor({0.75}, {1, 1}, kFloat64);
  const Tensor w = tensor({-0.5}, {1, 1}, kFloat64);
  const double h1 = std::tanh(0.5 - 0.5 * 0.75);
  expect_values(rnn_tanh_scan(gx, h0, w), {2, 1, 1}, {h1, std::tanh(-0.25 - 0.5 * h1)});
  const double r2 = std::tanh(-0.25 - 0.5 * 0.75);
  expect_values(rnn_tanh_scan(gx, h0, w, true), {2, 1, 1}, {std::tanh(0.5 - 0.5 * r2), r2});
  expect_values(rnn_relu_scan(gx, h0, w), {2, 1, 1}, {0.125, 0.0});  // relu(0.5 - 0.375), relu(-0.25 - 0.0625)
}

TEST(RecurrentScan, LstmStepByHand) {
  // H = 1, one step: gates i, f, g, o = gx + w h0; c = s(f) c0 + s(i) tanh(g), h = s(o) tanh(c).
  const Tensor gx = tensor({0.5, -1.0, 0.25, 2.0}, {1, 1, 4}, kFloat64);
  const Tensor h0 = tensor({0.5}, {1, 1}, kFloat64);
  const Tensor c0 = tensor({-0.75}, {1, 1}, kFloat64);
  const Tensor w = tensor({0.5, 0.25, -1.0, 0.0}, {4, 1}, kFloat64);
  const double i = sigmoid_of(0.75), f = sigmoid_of(-0.875), g = std::tanh(-0.25), o = sigmoid_of(2.0);
  const double c = f * -0.75 + i * g;
  expect_values(lstm_scan(gx, h0, c0, w), {2, 1, 1, 1}, {o * std::tanh(c), c});
}

TEST(RecurrentScan, GruStepByHand) {
  // H = 1, one step: r = s(x_r + w_r h0 + b_r), z = s(x_z + w_z h0 + b_z), n = tanh(x_n + r (w_n h0 + b_n)),
  // h = n + z (h0 - n): b_hn sits inside the reset product.
  const Tensor gx = tensor({0.5, -0.5, 0.25}, {1, 1, 3}, kFloat64);
  const Tensor h0 = tensor({-0.5}, {1, 1}, kFloat64);
  const Tensor w = tensor({1.0, 0.5, -2.0}, {3, 1}, kFloat64);
  const Tensor b = tensor({0.25, 0.0, 0.75}, {3}, kFloat64);
  const double r = sigmoid_of(0.5 - 0.5 + 0.25), z = sigmoid_of(-0.5 - 0.25);
  const double n = std::tanh(0.25 + r * (1.0 + 0.75));
  expect_values(gru_scan(gx, h0, w, b), {1, 1, 1}, {n + z * (-0.5 - n)});
}

TEST(RecurrentScan, GradcheckAcrossDirectionsLengthsAndBatches) {
  for (const NamedScan& scan : scans())
    for (const ScanCase& c : kCases) {
      SCOPED_TRACE(std::string(scan.name) + ", " + describe(c));
      const Operands o = operands(c.steps, c.batch, 2, scan.gates, 11 + c.steps);
      expect_gradcheck([&](const Inputs& in) { return scan.run(in, c.reverse); }, scan.pick(o));
    }
}

TEST(RecurrentScan, GradgradcheckOfTheComposedBackward) {
  for (const NamedScan& scan : scans())
    for (const bool reverse : {false, true}) {
      SCOPED_TRACE(std::string(scan.name) + (reverse ? ", reverse" : ""));
      const Operands o = operands(2, 2, 2, scan.gates, 5);
      expect_gradgradcheck([&](const Inputs& in) { return scan.run(in, reverse); }, scan.pick(o));
    }
}

TEST(RecurrentScan, ComposedFirstDerivativesEqualTheRawLoops) {
  // The same gradients twice: the raw loop (a plain sweep) and the composed form (a recording sweep). Both
  // evaluate the same formulas in float64 in a different order, so they agree to a few ulps of values near 1.
  for (const NamedScan& scan : scans()) {
    SCOPED_TRACE(scan.name);
    const Operands o = operands(5, 3, 4, scan.gates, 23);
    const Inputs in = scan.pick(o);
    const Tensor y = scan.run(in, true);
    const Tensor v = random_leaf(y.shape(), 99).detach();
    const std::vector<Tensor> raw = autograd::grad({y}, in, {v}, true, false, true);
    const std::vector<Tensor> composed = autograd::grad({y}, in, {v}, true, true, true);
    for (std::size_t k = 0; k < in.size(); ++k) {
      SCOPED_TRACE("operand " + std::to_string(k));
      ASSERT_EQ(raw[k].defined(), composed[k].defined());
      if (raw[k].defined()) expect_values(raw[k], composed[k].shape(), composed[k].to_vector(), 1e-14);
    }
  }
}

TEST(RecurrentScan, OneRecordWhateverTheLength) {
  testing::settle_tape();
  const Operands o = operands(16, 2, 3, 4, 3);
  const std::size_t before = tape_size();
  const Tensor y = lstm_scan(o.gx, o.h0, o.c0, o.w);
  EXPECT_EQ(tape_size(), before + 1);
}

// Expects float32 `actual` within tol * max |expected| of float64 `expected`, element by element: a
// norm-wise bound, as float32's errors scale with the magnitude of the sums that make each element.
void expect_close_normwise(const Tensor& actual, const Tensor& expected, double tol) {
  ASSERT_EQ(actual.shape().str(), expected.shape().str());
  const std::vector<double> a = actual.to(kFloat64).to_vector(), e = expected.to_vector();
  double scale = 0;
  for (const double v : e) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], tol * scale) << "element " << i;
}

TEST(RecurrentScan, Float32AgreesWithFloat64) {
  // float32 rounding (u = 6e-8) through 6 steps: each element is a sum of up to T N = 222 products of sums
  // of H = 32 terms (the weight gradient's), whose rounding grows about as sqrt(terms) u: measured 1.4e-6 of
  // the largest element at worst (under the Cooperlake and Haswell kernels alike), bounded here by 1e-5. A
  // wrong kernel is off by O(1). H = 4 takes gemm for the per-step products; H = 32 takes thin_gemm both ways
  // where the build has AVX-512 (its row blocks of 16, 8, 4 and 1 with batches 20 and 37), H = 8 the
  // LSTM's forward only.
  for (const NamedScan& scan : scans())
    for (const auto& [hidden, batch] : {std::pair{4, 2}, std::pair{8, 20}, std::pair{32, 20}, std::pair{32, 37}}) {
      SCOPED_TRACE(std::string(scan.name) + ", H " + std::to_string(hidden) + ", N " + std::to_string(batch));
      const Inputs in64 = scan.pick(operands(6, batch, hidden, scan.gates, 31));
      const Tensor y64 = scan.run(in64, false);
      const Tensor v = random_leaf(y64.shape(), 7).detach();
      const std::vector<Tensor> g64 = autograd::grad({y64}, in64, {v});
      Inputs in32;
      for (const Tensor& t : in64) {
        in32.push_back(t.detach().to(kFloat32));
        in32.back().requires_grad_();
      }
      const Tensor y32 = scan.run(in32, false);
      const std::vector<Tensor> g32 = autograd::grad({y32}, in32, {v.to(kFloat32)});
      expect_close_normwise(y32, y64, 1e-5);
      for (std::size_t k = 0; k < g64.size(); ++k) expect_close_normwise(g32[k], g64[k], 1e-5);
    }
}

TEST(RecurrentCell, GradcheckOfEveryCell) {
  const Tensor x = random_leaf({2, 3}, 41), h = random_leaf({2, 2}, 42), c = random_leaf({2, 2}, 43);
  const auto weights = [](std::int64_t gates, std::uint64_t seed) {
    return Inputs{random_leaf({gates * 2, 3}, seed, -0.6, 0.6), random_leaf({gates * 2, 2}, seed + 1, -0.6, 0.6),
                  random_leaf({gates * 2}, seed + 2), random_leaf({gates * 2}, seed + 3)};
  };
  const Inputs r = weights(1, 50), l = weights(4, 60), g = weights(3, 70);
  expect_gradcheck([](const Inputs& in) { return rnn_tanh_cell(in[0], in[1], in[2], in[3], in[4], in[5]); },
                   {x, h, r[0], r[1], r[2], r[3]});
  expect_gradcheck([](const Inputs& in) { return rnn_relu_cell(in[0], in[1], in[2], in[3], in[4], in[5]); },
                   {x, h, r[0], r[1], r[2], r[3]});
  expect_gradcheck([](const Inputs& in) { return gru_cell(in[0], in[1], in[2], in[3], in[4], in[5]); },
                   {x, h, g[0], g[1], g[2], g[3]});
  expect_gradcheck(
      [](const Inputs& in) {
        const auto [h1, c1] = lstm_cell(in[0], {in[1], in[2]}, in[3], in[4], in[5], in[6]);
        return cat({h1, 2.0 * c1}, 1);  // both outputs, weighted apart
      },
      {x, h, c, l[0], l[1], l[2], l[3]});
}

TEST(RecurrentCell, UnbatchedCellsTakeAndGiveVectors) {
  const Tensor x = random_leaf({3}, 1), h = random_leaf({2}, 2);
  const Tensor w_ih = random_leaf({6, 3}, 3), w_hh = random_leaf({6, 2}, 4);
  const Tensor y = gru_cell(x, h, w_ih, w_hh);
  const Tensor batched = gru_cell(unsqueeze(x, 0), unsqueeze(h, 0), w_ih, w_hh);
  expect_values(y, {2}, batched.to_vector());
  expect_gradgradcheck([](const Inputs& in) { return gru_cell(in[0], in[1], in[2], in[3]); }, {x, h, w_ih, w_hh});
}

TEST(RecurrentScan, ShapeErrorsNameTheOperandAndBothShapes) {
  const Operands o = operands(3, 2, 4, 4, 1);
  expect_throws<std::invalid_argument>([&] { return lstm_scan(o.gx, o.h0, o.c0, o.w.detach().reshape({8, 8})); },
                                       "lstm_scan: w_hh must be [4 H, H], got [8, 8]");
  expect_throws<std::invalid_argument>([&] { return lstm_scan(slice(o.gx, 2, 0, 12), o.h0, o.c0, o.w); },
                                       "lstm_scan: gates_x must be [T, N, 16] for w_hh [16, 4], got [3, 2, 12]");
  expect_throws<std::invalid_argument>(
      [&] { return lstm_scan(o.gx, o.h0, slice(o.c0, 0, 0, 1), o.w); },
      "lstm_scan: c0 must be [2, 4] for gates_x [3, 2, 16] and w_hh [16, 4], got [1, 4]");
  expect_throws<std::invalid_argument>([&] { return rnn_tanh_scan(slice(o.gx, 0, 0, 0), o.h0, o.w); },
                                       "rnn_tanh_scan: w_hh must be [1 H, H], got [16, 4]");
  expect_throws<std::invalid_argument>([&] { return gru_scan(slice(slice(o.gx, 2, 0, 12), 0, 0, 0), o.h0,
                                                             slice(o.w, 0, 0, 12), Tensor()); },
                                       "gru_scan: the sequence is empty (gates_x [0, 2, 12])");
  expect_throws<std::invalid_argument>([&] { return gru_scan(slice(o.gx, 2, 0, 12), o.h0, slice(o.w, 0, 0, 12),
                                                             o.b); },
                                       "gru_scan: b_hh must be [12], got [16]");
  expect_throws<std::invalid_argument>([&] { return lstm_scan(o.gx, o.h0.detach().to(kFloat32), o.c0, o.w); },
                                       "lstm_scan");
  expect_throws<std::invalid_argument>(
      [&] { return gru_cell(random_leaf({2, 5}, 1), o.h0, random_leaf({12, 3}, 2), slice(o.w, 0, 0, 12)); },
      "gru_cell: input has 5 features but w_ih is [12, 3]");
  expect_throws<std::invalid_argument>(
      [&] { return gru_cell(random_leaf({3}, 1), o.h0, random_leaf({12, 3}, 2), slice(o.w, 0, 0, 12)); },
      "gru_cell: hx must have the input's batch rank: input [3], hx [2, 4]");
}

}  // namespace
}  // namespace tg
