// Statistics (var, std, var_mean, std_mean, norm, logsumexp): closed-form values, the NaN and inf cases
// as PyTorch gives them, closed-form gradients at the subgradient points, float64 gradcheck over several
// dims and keepdim choices with fan-out, and the messages for bad dims, corrections and p.

#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

Tensor x4() { return f64({1, 2, 3, 4}, {4}); }
Tensor x23() { return f64({1, 2, 3, 4, 6, 8}, {2, 3}); }

// The gradient of sum(op(x)) at (a fresh leaf copy of) x.
Tensor grad_of(const UnaryOp& op, const Tensor& x) {
  Tensor t = x.clone();
  t.requires_grad_();
  sum(op(t)).backward();
  return t.grad();
}

// Every slice that reduction_cases() reduces has a spread of at least 0.7, so that std's higher derivatives
// (which grow as std^-4) keep the stencil's O(h^4) error far below 1e-10.
Tensor spread23() { return leaf({-1.2, 0.4, 1.5, 0.9, -1.4, -0.2}, {2, 3}); }
Tensor spread232() { return leaf({-1.3, 0.8, 0.2, -0.9, 1.4, 0.1, 0.6, -1.1, -0.4, 1.2, 1.0, -0.6}, {2, 3, 2}); }

// ---- var, std ----

TEST(Statistics, VarValues) {
  expect_values(var(x4()), {}, {5.0 / 3});
  expect_values(var(x4(), {}, 0), {}, {1.25});
  expect_values(var(x4(), {0}, 0.5), {}, {5.0 / 3.5});  // a fractional correction, as PyTorch 2 allows
  expect_values(var(x23(), {1}), {2}, {1, 4});
  expect_values(var(x23(), {1}, 1, true), {2, 1}, {1, 4});
  expect_values(var(x23(), {0}), {3}, {4.5, 8, 12.5});
  // all six: mean 4, squared deviations 9 4 1 0 4 16 sum to 34
  expect_values(var(x23()), {}, {34.0 / 5});
  expect_values(var(x23(), {0, 1}, 0), {}, {34.0 / 6});
  expect_values(var(x23(), {-1, 0}, 2.5, true), {1, 1}, {34.0 / 3.5});
  // x[i, j, k] = 12 i + 4 j + k over i and k: 0..3 and 12..15 shifted by 4 j, squared deviations sum to 298
  expect_values(var(arange(24, kFloat64).reshape({2, 3, 4}), {0, 2}), {3}, {298.0 / 7, 298.0 / 7, 298.0 / 7});
}

TEST(Statistics, StdValues) {
  expect_values(std(x4()), {}, {std::sqrt(5.0 / 3)});
  expect_values(std(x4(), {0}, 0), {}, {std::sqrt(1.25)});
  expect_values(std(x23(), {1}, 1, true), {2, 1}, {1, 2});
  expect_values(std(x23(), {0}, 0), {3}, {1.5, 2, 2.5});
}

TEST(Statistics, VarMeanAndStdMean) {
  const auto [v, m] = var_mean(x23(), {1});
  expect_values(v, {2}, {1, 4});
  expect_values(m, {2}, {2, 6});
  const auto [vk, mk] = var_mean(x23(), {0}, 0, true);
  expect_values(vk, {1, 3}, {2.25, 4, 6.25});
  expect_values(mk, {1, 3}, {2.5, 4, 5.5});
  const auto [s, m4] = std_mean(x4());
  expect_values(s, {}, {std::sqrt(5.0 / 3)});
  expect_values(m4, {}, {2.5});
  const auto [s0, m0] = std_mean(x4(), {}, 0);
  expect_values(s0, {}, {std::sqrt(1.25)});
  expect_values(m0, {}, {2.5});
}

TEST(Statistics, VarFloat32) {
  const Tensor v = var(tensor({1, 2, 3, 4}));
  EXPECT_EQ(v.dtype(), kFloat32);
  expect_values(v, {}, {5.0 / 3}, 1e-6);  // float32 rounding of a handful of sums
}

// PyTorch divides by max(0, N - correction): inf where that is 0 or less, NaN where the squared deviations
// are 0 too (one element, a constant slice, an empty tensor).
TEST(Statistics, VarWithCorrectionAtLeastTheCountIsInfOrNaN) {
  expect_values_or_nan(var(x4(), {}, 4), {}, {kInf});
  expect_values_or_nan(var(x4(), {0}, 5), {}, {kInf});
  expect_values_or_nan(std(x4(), {}, 4), {}, {kInf});
  expect_values_or_nan(var(f64({2, 2}, {2}), {0}, 2), {}, {kNaN});
  expect_values_or_nan(var(f64({3}, {1})), {}, {kNaN});
  expect_values_or_nan(std(f64({3}, {1})), {}, {kNaN});
  expect_values_or_nan(var(zeros({0}, kFloat64)), {}, {kNaN});
  expect_values_or_nan(var(f64({1, 5, 2, 2}, {2, 2}), {1}), {2}, {8, 0});
  expect_values_or_nan(var(f64({1, 5, 2, 2}, {2, 2}), {1}, 2), {2}, {kInf, kNaN});
}

TEST(Statistics, VarAndStdGradients) {
  // var = sum((x - m)^2) / (N - c): dx = 2 (x - m) / (N - c), with x - m = -1.5 -0.5 0.5 1.5
  expect_values(grad_of([](const Tensor& x) { return var(x); }, x4()), {4}, {-1, -1.0 / 3, 1.0 / 3, 1});
  expect_values(grad_of([](const Tensor& x) { return var(x, {0}, 0); }, x4()), {4}, {-0.75, -0.25, 0.25, 0.75});
  // std: dx = (x - m) / ((N - c) std)
  const double s = std::sqrt(5.0 / 3);
  expect_values(grad_of([](const Tensor& x) { return std(x); }, x4()), {4}, {-0.5 / s, -0.5 / (3 * s), 0.5 / (3 * s), 0.5 / s});
  // var_mean: d(var + 2 mean) = the var gradient + 2 / N
  const UnaryOp var_plus_mean = [](const Tensor& x) {
    const auto [v, m] = var_mean(x);
    return v + 2.0 * m;
  };
  expect_values(grad_of(var_plus_mean, x4()), {4}, {-0.5, 1.0 / 6, 5.0 / 6, 1.5});
}

// PyTorch's std_backward masks the slices whose std is 0: their gradient is 0, not inf * 0 = NaN.
TEST(Statistics, StdGradientOfAConstantSliceIsZero) {
  // the second row has std 1: dx = (x - m) / ((N - 1) std) = (x - 2) / 2
  expect_values(grad_of([](const Tensor& x) { return std(x, {1}); }, f64({2, 2, 2, 1, 2, 3}, {2, 3})), {2, 3},
                {0, 0, 0, -0.5, 0, 0.5});
  expect_values(grad_of([](const Tensor& x) { return std_mean(x).first; }, f64({5, 5}, {2})), {2}, {0, 0});
  expect_values(grad_of([](const Tensor& x) { return var(x); }, f64({5, 5}, {2})), {2}, {0, 0});
}

// N <= correction: PyTorch's 2 / (N - c) dy (x - m) is inf times x - m, NaN where that is 0.
TEST(Statistics, VarGradientWithCorrectionAtLeastTheCountIsNotFinite) {
  Tensor x = leaf({1, 2, 5, 5}, {2, 2});
  var(x, {1}, 2).sum().backward();
  expect_values_or_nan(x.grad(), {2, 2}, {-kInf, kInf, kNaN, kNaN});
  x.zero_grad();
  // over all of x too (x - m = -2.25 -1.25 1.75 1.75), where PyTorch drops the sign of x - m: dy * inf
  (var(x, {}, 4) * -1.0).backward();
  expect_values_or_nan(x.grad(), {2, 2}, {kInf, kInf, -kInf, -kInf});
}

TEST(Statistics, GradcheckVarAndStd) {
  for (const double c : {1.0, 0.0, 0.5}) {
    SCOPED_TRACE("correction " + std::to_string(c));
    {
      SCOPED_TRACE("var");
      expect_reduction_gradchecks([c](const Tensor& x, std::span<const int> dims, bool k) { return var(x, dims, c, k); },
                                  random_leaf({2, 3}, 11), random_leaf({2, 3, 2}, 12));
    }
    SCOPED_TRACE("std");
    expect_reduction_gradchecks([c](const Tensor& x, std::span<const int> dims, bool k) { return std(x, dims, c, k); },
                                spread23(), spread232());
  }
  SCOPED_TRACE("fan-out inside: var(x * x) and std(x * x, {1})");
  expect_gradcheck([](const Inputs& in) { return var(in[0] * in[0]); }, {random_leaf({2, 3}, 15)});
  expect_gradcheck([](const Inputs& in) { return std(in[0] * in[0], {1}); }, {spread23()});
}

TEST(Statistics, GradcheckVarMeanAndStdMean) {
  expect_reduction_gradchecks(
      [](const Tensor& x, std::span<const int> dims, bool k) {
        const auto [v, m] = var_mean(x, dims, 1, k);
        return v * m;  // both outputs, coupled
      },
      random_leaf({2, 3}, 17), random_leaf({2, 3, 2}, 18));
  expect_reduction_gradchecks(
      [](const Tensor& x, std::span<const int> dims, bool k) {
        const auto [s, m] = std_mean(x, dims, 0, k);
        return s - 3.0 * m;
      },
      spread23(), spread232());
}

TEST(Statistics, VarRejectsBadDimsAndCorrections) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return var(x, {2}); }, "var: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return std(x, {1, -1}); }, "std: dimension -1 is listed twice");
  expect_throws<std::invalid_argument>([&] { return var(x, {0}, -1); },
                                       "var: correction must be a non-negative number, got -1");
  expect_throws<std::invalid_argument>([&] { return std(x, {}, -0.5); },
                                       "std: correction must be a non-negative number, got -0.5");
  expect_throws<std::invalid_argument>([&] { return var_mean(x, {0}, kNaN).first; },
                                       "var_mean: correction must be a non-negative number, got nan");
  expect_throws<std::invalid_argument>([&] { return std_mean(x, {-3}).first; },
                                       "std_mean: dimension -3 is out of range for a 2-d tensor");
}

// ---- norm ----

TEST(Statistics, NormValues) {
  const Tensor x = f64({3, -4, 0, 0}, {2, 2});
  expect_values(norm(x), {}, {5});
  expect_values(norm(x, 2, {1}), {2}, {5, 0});
  expect_values(norm(x, 2, {0}, true), {1, 2}, {3, 4});
  expect_values(norm(x, 1, {1}), {2}, {7, 0});
  expect_values(norm(x, kInf, {1}), {2}, {4, 0});
  expect_values(norm(x, -kInf, {-1}), {2}, {3, 0});
  expect_values(norm(x, 0, {1}), {2}, {2, 0});  // the count of nonzeros
  expect_values(norm(x, 3, {1}), {2}, {std::cbrt(91.0), 0});
  expect_values(norm(x, 0.5, {1}), {2}, {7 + 4 * std::sqrt(3.0), 0});  // (sqrt 3 + 2)^2
  expect_values(norm(x, -1, {1}), {2}, {12.0 / 7, 0});               // 1 / (1/3 + 1/4); a zero gives 0
  expect_values(norm(x, 1), {}, {7});
  expect_values(norm(x, "fro"), {}, {5});
  expect_values(norm(x, "fro", {0, 1}, true), {1, 1}, {5});
  expect_values(norm(x, "fro", {1}), {2}, {5, 0});
  expect_values(norm(arange(8, kFloat64).reshape({2, 2, 2}), "fro"), {}, {std::sqrt(140.0)});
  expect_values(norm(tensor({3, 4})), {}, {5}, 1e-7);  // float32
}

TEST(Statistics, NormOfEmptyAndNaN) {
  expect_values(norm(zeros({0}, kFloat64)), {}, {0});
  expect_values(norm(zeros({0}, kFloat64), 1), {}, {0});
  expect_values(norm(zeros({2, 0}, kFloat64), 3, {1}), {2}, {0, 0});
  expect_values_or_nan(norm(f64({3, kNaN}, {2}), kInf), {}, {kNaN});
  expect_values_or_nan(norm(f64({3, kNaN}, {2})), {}, {kNaN});
}

TEST(Statistics, NormGradientsAreTorchsSubgradients) {
  const auto grad_at = [](double p, Tensor x) { return grad_of([p](const Tensor& t) { return norm(t, p, {1}); }, x); };
  // p = 2: x / ||x||, and 0 for the zero row (not 0 / 0)
  expect_values(grad_at(2, f64({3, -4, 0, 0}, {2, 2})), {2, 2}, {0.6, -0.8, 0, 0});
  expect_values(grad_at(1, f64({3, 0, -1}, {1, 3})), {1, 3}, {1, 0, -1});
  expect_values(grad_at(0, f64({3, 0, -1}, {1, 3})), {1, 3}, {0, 0, 0});
  // +-inf: split evenly among the tied extremes of |x|, signed; 0 for a zero row
  const Tensor ties = f64({3, -3, 1, 0, 0, 0}, {2, 3});
  expect_values(grad_at(kInf, ties), {2, 3}, {0.5, -0.5, 0, 0, 0, 0});
  expect_values(grad_at(-kInf, ties), {2, 3}, {0, 0, 1, 0, 0, 0});
  // a NaN is the inf-norm and takes the gradient, times sign(NaN) = 0: zeros, as in PyTorch
  expect_values(grad_at(kInf, f64({3, -3, 1, kNaN, kNaN, 1}, {2, 3})), {2, 3}, {0.5, -0.5, 0, 0, 0, 0});
  // other p: sign(x) |x|^(p-1) / y^(p-1), 0 where x = 0 and for the zero row
  const Tensor x = f64({3, 0, -1, 0, 0, 0}, {2, 3});
  const double r3 = std::cbrt(3 * std::sqrt(3.0) + 1);  // y^(1/2) for p = 1.5
  expect_values(grad_at(1.5, x), {2, 3}, {std::sqrt(3.0) / r3, 0, -1 / r3, 0, 0, 0}, 1e-14);
  const double c3 = std::cbrt(28.0 * 28.0);  // y^2 for p = 3
  expect_values(grad_at(3, x), {2, 3}, {9 / c3, 0, -1 / c3, 0, 0, 0}, 1e-14);
  expect_values(grad_at(0.5, x), {2, 3}, {1 + 1 / std::sqrt(3.0), 0, -(std::sqrt(3.0) + 1), 0, 0, 0}, 1e-14);
  // p = -1: sign(x) |x|^-2 y^2, y = 12/7
  expect_values(grad_at(-1, f64({3, -4}, {1, 2})), {1, 2}, {16.0 / 49, -9.0 / 49}, 1e-14);
}

// Distinct |x| (no ties for +-inf) between 0.6 and 1.45 (away from the kinks at 0, where p < 1 is steep).
Tensor norm_data23() { return leaf({0.6, -0.75, 1.1, 0.9, -1.3, 0.65}, {2, 3}); }
Tensor norm_data232() {
  return leaf({0.6, -0.75, 1.1, 0.9, -1.3, 0.65, 0.8, 1.4, -0.7, 1.2, -1.45, 0.95}, {2, 3, 2});
}

TEST(Statistics, GradcheckNorm) {
  for (const double p : {2.0, 1.0, 3.0, 1.5, 0.5, -1.0, kInf, -kInf}) {
    SCOPED_TRACE("p = " + std::to_string(p));
    expect_reduction_gradchecks([p](const Tensor& x, std::span<const int> dims, bool k) { return norm(x, p, dims, k); },
                                norm_data23(), norm_data232());
  }
  SCOPED_TRACE("fan-out inside: norm(x * x) and norm(x, \"fro\") * x");
  expect_gradcheck([](const Inputs& in) { return norm(in[0] * in[0]); }, {norm_data23()});
  expect_gradcheck([](const Inputs& in) { return norm(in[0], "fro") * in[0]; }, {norm_data23()});
}

TEST(Statistics, NormRejectsBadPAndDims) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return norm(x, kNaN); }, "norm: p must be a number or +-inf, got nan");
  expect_throws<std::invalid_argument>(
      [&] { return norm(x, "nuc"); },
      "norm: p must be a number or \"fro\", got \"nuc\" (tapegrad has no nuclear or other matrix norms)");
  expect_throws<std::invalid_argument>([] { return norm(zeros({2, 2, 2}), "fro", {0, 1, 2}); },
                                       "norm: \"fro\" takes at most 2 dimensions, got 3");
  expect_throws<std::invalid_argument>([&] { return norm(x, 2, {2}); }, "norm: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return norm(x, "fro", {0, -2}); }, "norm: dimension -2 is listed twice");
  expect_throws<std::invalid_argument>([] { return norm(zeros({0}), kInf); },
                                       "norm: the inf-norm of an empty slice is undefined (x has shape [0])");
  expect_throws<std::invalid_argument>([] { return norm(zeros({2, 0}), -kInf, {1}); },
                                       "norm: the -inf-norm of an empty slice is undefined (x has shape [2, 0])");
}

// ---- logsumexp ----

TEST(Statistics, LogsumexpValues) {
  expect_values(logsumexp(f64({0, std::log(3.0)}, {2}), {0}), {}, {std::log(4.0)});
  const Tensor x = f64({0, std::log(3.0), std::numbers::ln2, std::numbers::ln2}, {2, 2});
  expect_values(logsumexp(x, {1}), {2}, {std::log(4.0), std::log(4.0)});
  expect_values(logsumexp(x, {}, true), {1, 1}, {std::log(8.0)});
  expect_values(logsumexp(x, {0, 1}), {}, {std::log(8.0)});
  // x[i, j, k] = 12 i + 4 j + k over i and k: 4 j + log((1 + e^12)(1 + e + e^2 + e^3))
  const double c = std::log1p(std::exp(12.0)) + std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  expect_values(logsumexp(arange(24, kFloat64).reshape({2, 3, 4}), {0, 2}), {3}, {c, 4 + c, 8 + c});
}

// The maximum is subtracted first: e^1000 overflows, the result does not.
TEST(Statistics, LogsumexpIsStable) {
  expect_values(logsumexp(f64({1000, 1000, -1000, -1000}, {2, 2}), {1}), {2},
                {1000 + std::numbers::ln2, -1000 + std::numbers::ln2});
  expect_values(logsumexp(tensor({100, 100}), {0}), {}, {100 + std::numbers::ln2}, 1e-7);  // e^100 overflows float32
  // y = 1000 + ln 2 is rounded to the 1.1e-13 spacing of doubles near 1000, so x - y and exp(x - y) = 0.5 are
  // off by up to 6e-14 and 3e-14
  expect_values(grad_of([](const Tensor& t) { return logsumexp(t, {0}); }, f64({1000, 1000}, {2})), {2}, {0.5, 0.5},
                1e-13);
}

// As PyTorch: a slice of -inf (or an empty one) gives -inf, not NaN; +inf gives inf; NaN propagates.
TEST(Statistics, LogsumexpOfInfiniteAndEmptySlices) {
  expect_values_or_nan(logsumexp(f64({-kInf, -kInf, 1, 2}, {2, 2}), {1}), {2}, {-kInf, 2 + std::log1p(std::exp(-1.0))},
                       1e-15);
  expect_values_or_nan(logsumexp(f64({kInf, 1, kNaN, 2}, {2, 2}), {1}), {2}, {kInf, kNaN});
  expect_values_or_nan(logsumexp(zeros({2, 0}, kFloat64), {1}), {2}, {-kInf, -kInf});
}

TEST(Statistics, LogsumexpGradientIsSoftmax) {
  expect_values(grad_of([](const Tensor& t) { return logsumexp(t, {0}); }, f64({0, std::log(3.0)}, {2})), {2}, {0.25, 0.75});
  // a slice of -inf: exp(-inf - -inf) is NaN, as PyTorch's logsumexp_backward gives
  const double e = std::exp(1.0);
  expect_values_or_nan(grad_of([](const Tensor& t) { return logsumexp(t, {1}); }, f64({-kInf, -kInf, 1, 2}, {2, 2})),
                       {2, 2}, {kNaN, kNaN, 1 / (1 + e), e / (1 + e)}, 1e-15);
}

TEST(Statistics, GradcheckLogsumexp) {
  expect_reduction_gradchecks([](const Tensor& x, std::span<const int> dims, bool k) { return logsumexp(x, dims, k); },
                              random_leaf({2, 3}, 21), random_leaf({2, 3, 2}, 22));
  SCOPED_TRACE("fan-out inside: logsumexp(x * x, {0})");
  expect_gradcheck([](const Inputs& in) { return logsumexp(in[0] * in[0], {0}); }, {random_leaf({2, 3}, 23)});
}

// ---- second derivatives ----

TEST(Statistics, GradGradVar) {
  for (const double c : {1.0, 0.0, 0.5}) {
    SCOPED_TRACE("correction " + std::to_string(c));
    expect_reduction_gradgradchecks(
        [c](const Tensor& x, std::span<const int> dims, bool k) { return var(x, dims, c, k); },
        random_leaf({2, 3}, 31), random_leaf({2, 3, 2}, 32));
  }
  SCOPED_TRACE("fan-out inside: var(x * x)");
  expect_gradgradcheck([](const Inputs& in) { return var(in[0] * in[0]); }, {random_leaf({2, 3}, 33)});
}

TEST(Statistics, GradGradStd) {
  for (const double c : {1.0, 0.0}) {
    SCOPED_TRACE("correction " + std::to_string(c));
    expect_reduction_gradgradchecks(
        [c](const Tensor& x, std::span<const int> dims, bool k) { return std(x, dims, c, k); }, spread23(),
        spread232());
  }
  SCOPED_TRACE("fan-out inside: std(x * x, {1})");
  expect_gradgradcheck([](const Inputs& in) { return std(in[0] * in[0], {1}); }, {spread23()});
}

TEST(Statistics, GradGradVarMean) {
  expect_reduction_gradgradchecks(
      [](const Tensor& x, std::span<const int> dims, bool k) {
        const auto [v, m] = var_mean(x, dims, 1, k);
        return v * m;  // both outputs, coupled
      },
      random_leaf({2, 3}, 34), random_leaf({2, 3, 2}, 35));
}

TEST(Statistics, GradGradStdMean) {
  expect_reduction_gradgradchecks(
      [](const Tensor& x, std::span<const int> dims, bool k) {
        const auto [s, m] = std_mean(x, dims, 0, k);
        return s * m;
      },
      spread23(), spread232());
}

TEST(Statistics, GradGradNorm) {
  for (const double p : {2.0, 1.0, 3.0, 1.5, 0.5, -1.0, kInf, -kInf}) {
    SCOPED_TRACE("p = " + std::to_string(p));
    expect_reduction_gradgradchecks(
        [p](const Tensor& x, std::span<const int> dims, bool k) { return norm(x, p, dims, k); }, norm_data23(),
        norm_data232());
  }
  SCOPED_TRACE("fan-out inside: norm(x * x) and norm(x, \"fro\") * x");
  expect_gradgradcheck([](const Inputs& in) { return norm(in[0] * in[0]); }, {norm_data23()});
  expect_gradgradcheck([](const Inputs& in) { return norm(in[0], "fro") * in[0]; }, {norm_data23()});
}

TEST(Statistics, GradGradLogsumexp) {
  expect_reduction_gradgradchecks(
      [](const Tensor& x, std::span<const int> dims, bool k) { return logsumexp(x, dims, k); },
      random_leaf({2, 3}, 36), random_leaf({2, 3, 2}, 37));
  SCOPED_TRACE("fan-out inside: logsumexp(x * x, {0})");
  expect_gradgradcheck([](const Inputs& in) { return logsumexp(in[0] * in[0], {0}); }, {random_leaf({2, 3}, 38)});
}

// var(x) with correction c over n elements: H = 2 / (n - c) (I - 1 1^T / n), so H v = 2 (v - mean(v)) / (n - c);
// for v = (1, 2, 3, 4): (v - 2.5) / 2 with c = 0, 2 (v - 2.5) / 3 with c = 1.
TEST(Statistics, VarSecondDerivative) {
  const Tensor v = f64({1, 2, 3, 4}, {4});
  expect_values(hessian_times([](const Tensor& x) { return var(x, {}, 0); }, leaf({1, 2, 3, 4}, {4}), v), {4},
                {-0.75, -0.25, 0.25, 0.75});
  expect_values(hessian_times([](const Tensor& x) { return var(x); }, leaf({1, 2, 3, 4}, {4}), v), {4},
                {-1, -1.0 / 3, 1.0 / 3, 1});
}

// ||x||_2 at (3, 4): H = (I - u u^T) / 5 with u = (0.6, 0.8); H (1, 0) = (0.64, -0.48) / 5.
TEST(Statistics, NormSecondDerivative) {
  expect_values(hessian_times([](const Tensor& x) { return norm(x); }, leaf({3, 4}, {2}), f64({1, 0}, {2})), {2},
                {0.128, -0.096});
}

// logsumexp at (0, log 2, log 3): s = softmax = (1, 2, 3) / 6 and H = diag(s) - s s^T; H (1, 0, 0) =
// (1/6 - 1/36, -2/36, -3/36).
TEST(Statistics, LogsumexpSecondDerivative) {
  const Tensor x = leaf({0, std::log(2.0), std::log(3.0)}, {3});
  expect_values(hessian_times([](const Tensor& t) { return logsumexp(t, {0}); }, x, f64({1, 0, 0}, {3})), {3},
                {5.0 / 36, -2.0 / 36, -3.0 / 36});
}

TEST(Statistics, LogsumexpRejectsBadDims) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return logsumexp(x, {2}); },
                                       "logsumexp: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return logsumexp(x, {0, 0}); }, "logsumexp: dimension 0 is listed twice");
}

TEST(Statistics, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"var", [](const Tensor& x) { return var(x); }},
                             {"std", [](const Tensor& x) { return std(x); }},
                             {"var_mean", [](const Tensor& x) { return var_mean(x).first; }},
                             {"std_mean", [](const Tensor& x) { return std_mean(x).first; }},
                             {"norm", [](const Tensor& x) { return norm(x); }},
                             {"norm", [](const Tensor& x) { return norm(x, "fro"); }},
                             {"logsumexp", [](const Tensor& x) { return logsumexp(x, {0}); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
