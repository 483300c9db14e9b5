// Reductions (sum, mean, max, amax, amin over given dims with and without keepdim, and over everything;
// argmax; sum_to): closed-form values and shapes, gradcheck in float64, and the messages for bad dims and shapes.

#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// ---- sum ----

TEST(Reduction, SumValues) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(sum(x), {}, {21});
  expect_values(sum(x, {0}), {3}, {5, 7, 9});
  expect_values(sum(x, {1}), {2}, {6, 15});
  expect_values(sum(x, {-1}, true), {2, 1}, {6, 15});
  expect_values(sum(x, {0, 1}, true), {1, 1}, {21});
  expect_values(x.sum({0}, true), {1, 3}, {5, 7, 9});
  expect_values(x.sum(), {}, {21});
}

TEST(Reduction, SumOverInnerAndOuterDimsOf3d) {
  // x[i, j, k] = 12 i + 4 j + k
  expect_values(sum(arange24(), {1}), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57});
  expect_values(sum(arange24(), {0, 2}), {3}, {60, 92, 124});
  expect_values(sum(arange24(), {0, 2}, true), {1, 3, 1}, {60, 92, 124});
}

TEST(Reduction, SumOfZeroDimTensor) { expect_values(sum(f64({2.5}, {})), {}, {2.5}); }

TEST(Reduction, SumFloat32) {
  const Tensor s = sum(tensor({0.1, 0.2, 0.3, 0.4}, {2, 2}), {1});
  EXPECT_EQ(s.dtype(), kFloat32);
  expect_values(s, {2}, {0.1F + 0.2F, 0.3F + 0.4F}, 1e-7);
}

TEST(Reduction, GradcheckSum) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return sum(x, dims, keepdim); };
  expect_reduction_gradchecks(reduce, random_leaf({2, 3}, 1), random_leaf({2, 3, 2}, 2));
  SCOPED_TRACE("0-d input");
  expect_gradcheck([](const Inputs& in) { return sum(in[0]); }, {leaf({0.7}, {})});
}

// ---- mean ----

TEST(Reduction, MeanValues) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(mean(x), {}, {3.5});
  expect_values(mean(x, {0}), {3}, {2.5, 3.5, 4.5});
  expect_values(mean(x, {1}, true), {2, 1}, {2, 5});
  expect_values(x.mean({-1}), {2}, {2, 5});
  expect_values(x.mean(), {}, {3.5});
  expect_values(mean(arange24(), {0, 2}), {3}, {7.5, 11.5, 15.5});
}

TEST(Reduction, MeanGradientIsOneOverCount) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  mean(x, {1}).sum().backward();
  expect_values(x.grad(), {2, 3}, std::vector<double>(6, 1.0 / 3.0));
}

TEST(Reduction, GradcheckMean) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return mean(x, dims, keepdim); };
  expect_reduction_gradchecks(reduce, random_leaf({2, 3}, 3), random_leaf({2, 3, 2}, 4));
}

// ---- max ----

TEST(Reduction, MaxValues) {
  const Tensor x = f64({1, 5, 3, 4, 2, 6}, {2, 3});
  expect_values(max(x), {}, {6});
  expect_values(max(x, {0}), {3}, {4, 5, 6});
  expect_values(max(x, {1}), {2}, {5, 6});
  expect_values(max(x, {1}, true), {2, 1}, {5, 6});
  expect_values(x.max({0}, true), {1, 3}, {4, 5, 6});
  expect_values(max(arange24(), {1}), {2, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
  expect_values(max(f64({-3, -1, -2}, {3})), {}, {-1});
}

// PyTorch's rule for max(x) since 1.7, and amax's: tied maxima share the gradient evenly. (max(x, 1),
// with an int dim, sends it to the returned index instead: see test_ops_extrema.cpp.)
TEST(Reduction, MaxGradientIsSharedByTiedMaxima) {
  const Tensor x = leaf({3, 1, 3, 2, 7, 7}, {2, 3});
  max(x, {1}).sum().backward();
  expect_values(x.grad(), {2, 3}, {0.5, 0, 0.5, 0, 0.5, 0.5});
}

TEST(Reduction, MaxFloat32) { expect_values(max(tensor({0.5, -2.25, 1.75}, {3})), {}, {1.75}); }

TEST(Reduction, GradcheckMax) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return max(x, dims, keepdim); };
  expect_reduction_gradchecks(reduce, distinct23(), distinct232());
}

TEST(Reduction, MaxRejectsAnEmptyTensor) {
  expect_throws<std::invalid_argument>([] { return max(zeros({0})); },
                                       "max: cannot reduce an empty tensor of shape [0]");
}

// NaN is above every number, as in PyTorch: it is the maximum of any slice holding one.
TEST(Reduction, MaxOfASliceHoldingNaNIsNaN) {
  const Tensor x = f64({1, kNaN, 3, 4, 5, 6}, {2, 3});
  expect_values_or_nan(max(x), {}, {kNaN});
  expect_values_or_nan(max(x, {1}), {2}, {kNaN, 6});
  expect_values_or_nan(max(x, {1}, true), {2, 1}, {kNaN, 6});
  expect_values_or_nan(max(x, {0}), {3}, {4, kNaN, 6});
  expect_values_or_nan(max(x, {0}, true), {1, 3}, {4, kNaN, 6});
  expect_values_or_nan(max(tensor({kNaN, 2, 1}, {3})), {}, {kNaN});
}

// PyTorch routes max's gradient to the NaN that is the maximum (shared evenly when there are several);
// it used to reach no element at all.
TEST(Reduction, MaxGradientGoesToTheNaN) {
  Tensor x = leaf({1, kNaN, 3, 4, 5, 6}, {2, 3});
  (max(x, {1}) * f64({2, 3}, {2})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 2, 0, 0, 0, 3});
  x.zero_grad();
  max(x, {0}, true).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 1, 0, 1, 0, 1});
  x.zero_grad();
  max(x).backward();
  expect_values(x.grad(), {2, 3}, {0, 1, 0, 0, 0, 0});
  const Tensor two_nans = leaf({kNaN, 2, kNaN}, {3});
  max(two_nans).backward();
  expect_values(two_nans.grad(), {3}, {0.5, 0, 0.5});  // NaN ties NaN: shared, as tied maxima share it
}

// ---- amax, amin ----

TEST(Reduction, AmaxAminValues) {
  const Tensor x = f64({1, 5, 3, 4, 2, 6}, {2, 3});
  expect_values(amax(x), {}, {6});
  expect_values(amax(x, {1}), {2}, {5, 6});
  expect_values(amax(x, {0}, true), {1, 3}, {4, 5, 6});
  expect_values(amin(x), {}, {1});
  expect_values(amin(x, {-1}), {2}, {1, 2});
  expect_values(amin(x, {0, 1}, true), {1, 1}, {1});
  expect_values(amax(arange24(), {0, 2}), {3}, {15, 19, 23});
  expect_values(amin(arange24(), {1}), {2, 4}, {0, 1, 2, 3, 12, 13, 14, 15});
  expect_values(amin(tensor({0.5, -2.25, 1.75}, {3})), {}, {-2.25});  // float32
  expect_values(amax(zeros({0, 3}), {1}), {0}, {});  // nothing to reduce over a non-empty dim of an empty tensor
}

TEST(Reduction, AmaxAminPropagateNaN) {
  const Tensor x = f64({1, kNaN, 3, 4, 5, 6}, {2, 3});
  expect_values_or_nan(amax(x, {1}), {2}, {kNaN, 6});
  expect_values_or_nan(amin(x, {1}), {2}, {kNaN, 4});
  expect_values_or_nan(amin(x, {0}), {3}, {1, kNaN, 3});
  expect_values_or_nan(amin(x), {}, {kNaN});
}

// Unlike max, PyTorch's amax and amin share the gradient evenly among tied extremes.
TEST(Reduction, AmaxAminSplitTheGradientAmongTies) {
  Tensor x = leaf({1, 3, 3, 2, 2, 1}, {2, 3});
  amax(x).backward();
  expect_values(x.grad(), {2, 3}, {0, 0.5, 0.5, 0, 0, 0});
  x.zero_grad();
  (amax(x, {1}) * f64({2, 4}, {2})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 1, 1, 2, 2, 0});
  x.zero_grad();
  amin(x).backward();
  expect_values(x.grad(), {2, 3}, {0.5, 0, 0, 0, 0, 0.5});
  x.zero_grad();
  amin(x, {0}, true).sum().backward();
  expect_values(x.grad(), {2, 3}, {1, 0, 0, 0, 1, 1});
  const Tensor all_tied = leaf({7, 7, 7, 7}, {4});
  amin(all_tied).backward();
  expect_values(all_tied.grad(), {4}, {0.25, 0.25, 0.25, 0.25});
}

// A NaN result equals none of its slice: PyTorch's dy / count * mask is dy / 0 * 0, NaN over the slice.
TEST(Reduction, AmaxAminGradientOfANaNSliceIsNaN) {
  Tensor x = leaf({1, 3, 3, 2, kNaN, 1}, {2, 3});
  amax(x, {1}).sum().backward();
  expect_values_or_nan(x.grad(), {2, 3}, {0, 0.5, 0.5, kNaN, kNaN, kNaN});
  x.zero_grad();
  amin(x, {1}).sum().backward();
  expect_values_or_nan(x.grad(), {2, 3}, {1, 0, 0, kNaN, kNaN, kNaN});
}

TEST(Reduction, GradcheckAmaxAmin) {
  expect_reduction_gradchecks([](const Tensor& x, std::span<const int> dims, bool k) { return amax(x, dims, k); },
                              distinct23(), distinct232());
  expect_reduction_gradchecks([](const Tensor& x, std::span<const int> dims, bool k) { return amin(x, dims, k); },
                              distinct23(), distinct232());
}

TEST(Reduction, AmaxAminRejectEmptyDimensions) {
  expect_throws<std::invalid_argument>([] { return amax(zeros({0})); },
                                       "amax: cannot reduce over an empty dimension of a tensor of shape [0]");
  expect_throws<std::invalid_argument>([] { return amin(zeros({2, 0}), {1}); },
                                       "amin: cannot reduce over an empty dimension of a tensor of shape [2, 0]");
}

// ---- argmax ----

TEST(Reduction, ArgmaxIsTheFirstNaN) {
  expect_values(argmax(f64({1, kNaN, 3}, {3}), 0), {}, {1});
  expect_values(argmax(f64({kNaN, 5, kNaN}, {3}), 0), {}, {0});
  expect_values(argmax(tensor({1, 2, kNaN}, {3}), 0), {}, {2});
  const Tensor x = f64({1, kNaN, 3, kNaN, 5, 6}, {2, 3});
  expect_values(argmax(x, 1), {2}, {1, 0});
  expect_values(argmax(x, 0, true), {1, 3}, {1, 0, 1});
}

TEST(Reduction, ArgmaxValues) {
  const Tensor x = f64({1, 5, 3, 4, 2, 6}, {2, 3});
  expect_values(argmax(x, 1), {2}, {1, 2});
  expect_values(argmax(x, 0, true), {1, 3}, {1, 0, 1});
  expect_values(argmax(f64({2, 7, 7}, {3}), 0), {}, {1});  // the first of equal maxima
  EXPECT_FALSE(argmax(distinct23(), 1).requires_grad());
}

// ---- sum_to ----

TEST(Reduction, SumToValues) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(sum_to(x, {3}), {3}, {5, 7, 9});
  expect_values(sum_to(x, {1, 3}), {1, 3}, {5, 7, 9});
  expect_values(sum_to(x, {2, 1}), {2, 1}, {6, 15});
  expect_values(sum_to(x, {}), {}, {21});
  EXPECT_EQ(sum_to(x, {2, 3}).impl(), x.impl());  // already the shape: the same handle
}

TEST(Reduction, SumToInvertsBroadcastTo) {
  const Tensor x = f64({1, 2}, {2, 1});
  expect_values(sum_to(broadcast_to(x, {4, 2, 3}), {2, 1}), {2, 1}, {12, 24});
}

TEST(Reduction, GradcheckSumTo) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3}, {3}}, {{2, 3}, {1, 3}}, {{2, 3}, {2, 1}}, {{2, 3}, {}}, {{2, 3, 4}, {3, 1}}};
  for (const auto& [from, to] : cases) {
    SCOPED_TRACE(from.str() + " to " + to.str());
    expect_gradcheck([to = to](const Inputs& in) { return sum_to(in[0], to); }, {random_leaf(from, 5)});
  }
  SCOPED_TRACE("fan-out: sum_to(x, [3]) * x");
  expect_gradcheck([](const Inputs& in) { return sum_to(in[0], {3}) * in[0]; }, {random_leaf({2, 3}, 6)});
}

// ---- second derivatives ----

TEST(Reduction, GradGradSum) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return sum(x, dims, keepdim); };
  expect_reduction_gradgradchecks(reduce, random_leaf({2, 3}, 51), random_leaf({2, 3, 2}, 52));
  SCOPED_TRACE("fan-out inside: sum(x * x, {0})");
  expect_gradgradcheck([](const Inputs& in) { return sum(in[0] * in[0], {0}); }, {random_leaf({2, 3}, 53)});
}

TEST(Reduction, GradGradMean) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return mean(x, dims, keepdim); };
  expect_reduction_gradgradchecks(reduce, random_leaf({2, 3}, 54), random_leaf({2, 3, 2}, 55));
}

// Away from ties (distinct23's elements are more than 0.01 apart, the stencil moves them by 2e-3 at most)
// the shared-among-ties mask is a constant, and so is its count.
TEST(Reduction, GradGradMax) {
  const Reduce reduce = [](const Tensor& x, std::span<const int> dims, bool keepdim) { return max(x, dims, keepdim); };
  expect_reduction_gradgradchecks(reduce, distinct23(), distinct232());
}

TEST(Reduction, GradGradAmax) {
  expect_reduction_gradgradchecks([](const Tensor& x, std::span<const int> dims, bool k) { return amax(x, dims, k); },
                                  distinct23(), distinct232());
}

TEST(Reduction, GradGradAmin) {
  expect_reduction_gradgradchecks([](const Tensor& x, std::span<const int> dims, bool k) { return amin(x, dims, k); },
                                  distinct23(), distinct232());
}

// f = max(x)^2: df/dx = 2 max(x) at the maximum, so H = 2 there and 0 elsewhere; H v = (0, 0, 2 v_2, 0, ...).
TEST(Reduction, MaxSquaredSecondDerivative) {
  const UnaryOp f = [](const Tensor& x) { return square(max(x)); };
  expect_values(hessian_times(f, distinct23(), f64({1, 2, 3, 4, 5, 6}, {2, 3})), {2, 3}, {0, 0, 6, 0, 0, 0});
}

TEST(Reduction, GradGradSumTo) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3}, {3}}, {{2, 3}, {1, 3}}, {{2, 3}, {2, 1}}, {{2, 3}, {}}, {{2, 3, 4}, {3, 1}}};
  for (const auto& [from, to] : cases) {
    SCOPED_TRACE(from.str() + " to " + to.str());
    expect_gradgradcheck([to = to](const Inputs& in) { return sum_to(in[0], to); }, {random_leaf(from, 56)});
  }
  SCOPED_TRACE("fan-out and broadcast: sum_to(x, [3]) * x");
  expect_gradgradcheck([](const Inputs& in) { return sum_to(in[0], {3}) * in[0]; }, {random_leaf({2, 3}, 57)});
}

TEST(Reduction, SumToRejectsShapesThatDoNotBroadcastToX) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return sum_to(x, {2, 3, 1}); },
                                       "sum_to: shape [2, 3] is not a broadcast of [2, 3, 1]");
  expect_throws<std::invalid_argument>([] { return sum_to(zeros({2, 1}), {3}); },
                                       "sum_to: shape [2, 1] is not a broadcast of [3]");
  expect_throws<std::invalid_argument>([&] { return sum_to(x, {4}); },
                                       "sum_to: shapes cannot be broadcast: [4] and [2, 3]");
}

// ---- bad dims ----

TEST(Reduction, DimsOutOfRangeOrRepeatedAreRejected) {
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&, std::initializer_list<int>)>>> ops = {
      {"sum", [](const Tensor& x, std::initializer_list<int> dims) { return sum(x, dims); }},
      {"mean", [](const Tensor& x, std::initializer_list<int> dims) { return mean(x, dims); }},
      {"max", [](const Tensor& x, std::initializer_list<int> dims) { return max(x, dims); }},
      {"amax", [](const Tensor& x, std::initializer_list<int> dims) { return amax(x, dims); }},
      {"amin", [](const Tensor& x, std::initializer_list<int> dims) { return amin(x, dims); }}};
  const Tensor x = zeros({2, 3});
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    expect_throws<std::invalid_argument>([&, op = op] { return op(x, {2}); },
                                         name + ": dimension 2 is out of range for a 2-d tensor");
    expect_throws<std::invalid_argument>([&, op = op] { return op(x, {-3}); },
                                         name + ": dimension -3 is out of range for a 2-d tensor");
    expect_throws<std::invalid_argument>([&, op = op] { return op(x, {1, -1}); }, name + ": dimension -1 is listed twice");
  }
  expect_throws<std::invalid_argument>([&] { return argmax(x, 2); },
                                       "argmax: dimension 2 is out of range for a 2-d tensor");
}

TEST(Reduction, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {
      {"sum", [](const Tensor& x) { return sum(x); }},         {"mean", [](const Tensor& x) { return mean(x); }},
      {"max", [](const Tensor& x) { return max(x); }},         {"argmax", [](const Tensor& x) { return argmax(x, 0); }},
      {"sum_to", [](const Tensor& x) { return sum_to(x, {1}); }}, {"amax", [](const Tensor& x) { return amax(x); }},
      {"amin", [](const Tensor& x) { return amin(x); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
