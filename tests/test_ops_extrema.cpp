// Extrema (max and min with and without indices, argmax, argmin): closed-form values and indices for
// each dim and keepdim, ties, NaN, signed zeros, 0-d, int64 and bool inputs; which overload max(x, 1)
// and max(x, {1}) pick; the gradient rules (to the index for max(x, dim), shared among ties otherwise);
// float64 gradchecks with fan-out; messages for bad dims and empty inputs. Expected values are
// PyTorch 1.13's (checked by hand against torch.max/min/argmax/argmin).

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

Tensor x23() { return f64({1, 5, 3, 4, 2, 6}, {2, 3}); }

// ---- which overload ----

// max(x, 1) is torch.max(x, 1): (values, indices). A braced list or a span of dims is the values-only
// form (the initializer_list overload wins over int for {1}: a list-initialisation to
// std::initializer_list ranks above one to a scalar).
TEST(Extrema, AnIntDimPicksTheIndexForm) {
  const Tensor x = x23();
  const std::vector<int> dims = {1};
  static_assert(std::is_same_v<decltype(max(x, 1)), ValuesIndices>);
  static_assert(std::is_same_v<decltype(max(x, -1, true)), ValuesIndices>);
  static_assert(std::is_same_v<decltype(max(x, {1})), Tensor>);
  static_assert(std::is_same_v<decltype(max(x, {1}, true)), Tensor>);
  static_assert(std::is_same_v<decltype(max(x, {})), Tensor>);
  static_assert(std::is_same_v<decltype(max(x, {0, 1})), Tensor>);
  static_assert(std::is_same_v<decltype(max(x, dims)), Tensor>);
  static_assert(std::is_same_v<decltype(max(x, std::span<const int>(dims))), Tensor>);
  static_assert(std::is_same_v<decltype(max(x)), Tensor>);
  static_assert(std::is_same_v<decltype(min(x, 1)), ValuesIndices>);
  static_assert(std::is_same_v<decltype(min(x, {1})), Tensor>);
  static_assert(std::is_same_v<decltype(min(x, dims, true)), Tensor>);
  static_assert(std::is_same_v<decltype(min(x)), Tensor>);
  expect_values(max(x, {1}), {2}, {5, 6});
  expect_values(max(x, 1).values, {2}, {5, 6});
}

// The two forms agree on values and differ in the gradient of ties, as torch.max(x, 1) and torch.amax do.
TEST(Extrema, TheTwoFormsShareTiesDifferently) {
  Tensor x = leaf({3, 1, 3}, {1, 3});
  max(x, {1}).sum().backward();
  expect_values(x.grad(), {1, 3}, {0.5, 0, 0.5});
  x.zero_grad();
  max(x, 1).values.sum().backward();
  expect_values(x.grad(), {1, 3}, {1, 0, 0});
}

TEST(Extrema, ResultsBindToNames) {
  const auto [values, indices] = max(x23(), 1);
  expect_values(values, {2}, {5, 6});
  expect_values(indices, {2}, {1, 2});
}

// ---- values and indices ----

TEST(Extrema, MaxAlongDim) {
  const Tensor x = x23();
  expect_selected(max(x, 1), {2}, {5, 6}, {1, 2});
  expect_selected(max(x, -1), {2}, {5, 6}, {1, 2});
  expect_selected(max(x, 1, true), {2, 1}, {5, 6}, {1, 2});
  expect_selected(max(x, 0), {3}, {4, 5, 6}, {1, 0, 1});
  expect_selected(max(x, -2, true), {1, 3}, {4, 5, 6}, {1, 0, 1});
  // the middle dim of [2, 3, 2], whose slices are strided
  expect_selected(max(distinct232(), 1), {2, 2}, {1.1, 0.7, 0.5, 1.4}, {1, 1, 0, 0});
}

TEST(Extrema, MinAlongDim) {
  const Tensor x = x23();
  expect_selected(min(x, 1), {2}, {1, 2}, {0, 1});
  expect_selected(min(x, 0, true), {1, 3}, {1, 2, 3}, {0, 1, 0});
  expect_selected(min(distinct232(), 1, true), {2, 1, 2}, {-0.9, -0.5, -1.2, 0.6}, {2, 0, 2, 2});
}

TEST(Extrema, MinOverEverythingAndOverDims) {
  const Tensor x = x23();
  expect_values(min(x), {}, {1});
  expect_values(min(x, {0}), {3}, {1, 2, 3});
  expect_values(min(x, {1}, true), {2, 1}, {1, 2});
  expect_values(min(x, {0, 1}), {}, {1});
  expect_values(min(distinct232(), {0, 2}), {3}, {-0.5, -0.1, -1.2});
  expect_values(min(tensor({0.5, -2.25, 1.75}, {3})), {}, {-2.25});  // float32
}

TEST(Extrema, TiesGiveTheFirstIndex) {
  expect_selected(max(f64({3, 1, 3, 2, 7, 7}, {2, 3}), 1), {2}, {3, 7}, {0, 1});
  expect_selected(min(f64({2, 1, 1, 5, 5, 9}, {2, 3}), 1), {2}, {1, 5}, {1, 0});
  expect_values(argmin(f64({2, 1, 1}, {3}), 0), {}, {1});
  // -0 and 0 are equal: the first wins, with its sign
  const ValuesIndices signed_zeros = max(f64({-0.0, 0.0}, {2}), 0);
  EXPECT_EQ(signed_zeros.indices.item<std::int64_t>(), 0);
  EXPECT_TRUE(std::signbit(signed_zeros.values.item()));
}

// NaN beats every number both ways (PyTorch propagates it through max and min alike).
TEST(Extrema, NaNWinsBothWays) {
  const Tensor x = f64({1, kNaN, 3, 4, 5, 6}, {2, 3});
  expect_selected(max(x, 1), {2}, {kNaN, 6}, {1, 2});
  expect_selected(min(x, 1), {2}, {kNaN, 4}, {1, 0});
  expect_selected(min(x, 0), {3}, {1, kNaN, 3}, {0, 0, 0});
  expect_values_or_nan(min(x), {}, {kNaN});
  expect_values_or_nan(min(x, {0}), {3}, {1, kNaN, 3});
  expect_values(argmin(x, 1), {2}, {1, 0});
  const Tensor two = f64({kNaN, 2, kNaN}, {3});
  expect_selected(max(two, 0), {}, {kNaN}, {0});
  expect_selected(min(two, 0), {}, {kNaN}, {0});
  expect_values(argmin(tensor({1, kNaN, kNaN}, {3}), 0), {}, {1});
}

TEST(Extrema, ArgmaxAndArgminOfTheFlattenedTensor) {
  expect_values(argmax(x23()), {}, {5});
  expect_values(argmin(x23()), {}, {0});
  expect_values(argmax(f64({1, kNaN, kNaN, 2}, {2, 2})), {}, {1});
  expect_values(argmin(f64({3, 1, 1, 3}, {2, 2})), {}, {1});
  EXPECT_EQ(argmax(x23()).dtype(), kInt64);
  EXPECT_EQ(argmin(distinct232()).item<std::int64_t>(), 10);
}

TEST(Extrema, ArgminAlongDim) {
  const Tensor x = x23();
  expect_values(argmin(x, 1), {2}, {0, 1});
  expect_values(argmin(x, 0, true), {1, 3}, {0, 1, 0});
  expect_values(argmin(distinct232(), -2), {2, 2}, {2, 0, 2, 2});
  EXPECT_EQ(argmin(x, 1).dtype(), kInt64);
  EXPECT_FALSE(argmin(distinct23(), 1).requires_grad());
}

// A 0-d tensor takes dim 0 or -1, as in PyTorch, and gives 0-d results with or without keepdim.
TEST(Extrema, ZeroDimInputs) {
  const Tensor s = leaf({2.5}, {});
  expect_selected(max(s, 0), {}, {2.5}, {0});
  expect_selected(min(s, -1, true), {}, {2.5}, {0});
  expect_values(argmax(s, 0), {}, {0});
  expect_values(argmin(s), {}, {0});
  max(s, 0).values.backward();
  expect_values(s.grad(), {}, {1});
}

TEST(Extrema, Int64Inputs) {
  const std::int64_t big = std::int64_t{1} << 60;  // past 2^53: exact only if nothing goes through double
  const std::vector<std::int64_t> values = {big + 1, big, big + 3, 7, -2, 7};
  const Tensor x = tensor(values, Shape{2, 3});
  const ValuesIndices mx = max(x, 1);
  EXPECT_EQ(mx.values.dtype(), kInt64);
  EXPECT_EQ(mx.values.data<std::int64_t>()[0], big + 3);
  expect_values(mx.indices, {2}, {2, 0});
  const ValuesIndices mn = min(x, 1);
  EXPECT_EQ(mn.values.data<std::int64_t>()[0], big);
  expect_values(mn.indices, {2}, {1, 1});
  EXPECT_EQ(max(x).item<std::int64_t>(), big + 3);
  EXPECT_EQ(min(x).item<std::int64_t>(), -2);
  EXPECT_EQ(max(x, {0}).data<std::int64_t>()[2], big + 3);
  EXPECT_EQ(argmin(x).item<std::int64_t>(), 4);
  // The extremes of int64 itself: the fold starts from them, and must not lose them.
  constexpr std::int64_t kLowest = std::numeric_limits<std::int64_t>::lowest();
  constexpr std::int64_t kHighest = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::int64_t> lowest = {kLowest, kLowest};
  const std::vector<std::int64_t> highest = {kHighest, kHighest};
  EXPECT_EQ(max(tensor(lowest, Shape{2})).item<std::int64_t>(), kLowest);
  EXPECT_EQ(min(tensor(highest, Shape{2})).item<std::int64_t>(), kHighest);
}

TEST(Extrema, BoolInputs) {
  const Tensor b = tensor({1, 0, 1, 0, 0, 0}, {2, 3}, kBool);
  const ValuesIndices mx = max(b, 1);
  EXPECT_EQ(mx.values.dtype(), kBool);
  expect_selected(mx, {2}, {1, 0}, {0, 0});
  expect_selected(min(b, 1), {2}, {0, 0}, {1, 0});
  EXPECT_TRUE(max(b).item<bool>());
  EXPECT_FALSE(min(b).item<bool>());
  expect_values(max(b, {0}), {3}, {1, 0, 1});
  expect_values(argmin(b, 1), {2}, {1, 0});
}

// ---- gradients ----

// PyTorch's value_selecting_reduction_backward: dy lands on the element at the index, ties or not.
TEST(Extrema, AlongDimGradientGoesToTheIndex) {
  const Tensor x = leaf({3, 1, 3, 2, 7, 7}, {2, 3});
  max(x, 1).values.sum().backward();
  expect_values(x.grad(), {2, 3}, {1, 0, 0, 0, 1, 0});
  const Tensor y = leaf({1, 5, 3, 4, 2, 6}, {2, 3});
  (max(y, 0).values * f64({2, 3, 4}, {3})).sum().backward();
  expect_values(y.grad(), {2, 3}, {0, 3, 0, 2, 0, 4});
  const Tensor z = leaf({3, 1, 1, 2, 7, 2}, {2, 3});
  (min(z, 1, true).values * f64({5, 7}, {2, 1})).sum().backward();
  expect_values(z.grad(), {2, 3}, {0, 5, 0, 7, 0, 0});
  const Tensor n = leaf({1, kNaN, 3}, {3});
  min(n, 0).values.backward();
  expect_values(n.grad(), {3}, {0, 1, 0});
}

// PyTorch 1.7+'s evenly_distribute_backward for max(x) and min(x): every element equal to the result
// gets dy / count (NaN counts as equal to NaN, -0 as equal to 0).
TEST(Extrema, WholeTensorGradientIsSharedByTies) {
  const Tensor x = leaf({3, 1, 3, 2}, {2, 2});
  (max(x) * 3.0).backward();
  expect_values(x.grad(), {2, 2}, {1.5, 0, 1.5, 0});
  const Tensor three = leaf({2, 2, 2}, {3});
  max(three).backward();
  expect_values(three.grad(), {3}, {1.0 / 3, 1.0 / 3, 1.0 / 3});
  const Tensor y = leaf({1, 4, 1, 1}, {4});
  min(y).backward();
  expect_values(y.grad(), {4}, {1.0 / 3, 0, 1.0 / 3, 1.0 / 3});
  const Tensor nans = leaf({kNaN, 2, kNaN}, {3});
  min(nans).backward();
  expect_values(nans.grad(), {3}, {0.5, 0, 0.5});
  const Tensor signed_zeros = leaf({0.0, -0.0}, {2});
  max(signed_zeros).backward();
  expect_values(signed_zeros.grad(), {2}, {0.5, 0.5});
}

TEST(Extrema, DimsGradientIsSharedByTiesOfEachSlice) {
  Tensor x = leaf({1, 1, 0, 5, 2, 5}, {2, 3});
  (min(x, {1}) * f64({6, 10}, {2})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 0, 6, 0, 10, 0});
  x.zero_grad();
  max(x, {1}, true).sum().backward();
  expect_values(x.grad(), {2, 3}, {0.5, 0.5, 0, 0.5, 0, 0.5});
}

TEST(Extrema, IndicesCarryNoGradient) {
  const ValuesIndices r = max(distinct23(), 1);
  EXPECT_TRUE(r.values.requires_grad());
  EXPECT_FALSE(r.indices.requires_grad());
  const NoGradGuard no_grad;
  EXPECT_FALSE(min(distinct23(), 0).values.requires_grad());
}

using Pick = std::function<Tensor(const Tensor&, int, bool)>;
Tensor max_values(const Tensor& x, int dim, bool keepdim) { return max(x, dim, keepdim).values; }
Tensor min_values(const Tensor& x, int dim, bool keepdim) { return min(x, dim, keepdim).values; }

// check (expect_gradcheck or expect_gradgradcheck) of pick(x, dim, keepdim) for each dim and keepdim, and
// fanned out. Away from ties the index is a constant: distinct23's elements are more than 0.01 apart and
// the stencil moves them by 2e-3 at most.
void expect_pick_checks(const std::function<void(const Fn&, const Inputs&)>& check, const Pick& pick) {
  for (const int dim : {0, 1, -1})
    for (const bool keepdim : {false, true}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (keepdim ? ", keepdim" : ""));
      check([&](const Inputs& in) { return pick(in[0], dim, keepdim); }, {distinct23()});
      check([&](const Inputs& in) { return pick(in[0], dim, keepdim); }, {distinct232()});
    }
  SCOPED_TRACE("fan-out: pick(x * x, 1), and pick(x, 1, keepdim) * x broadcast against x");
  check([&](const Inputs& in) { return pick(in[0] * in[0], 1, false); }, {distinct23()});
  check([&](const Inputs& in) { return pick(in[0], 1, true) * in[0]; }, {distinct23()});
}

TEST(Extrema, GradcheckAlongDim) {
  for (const bool largest : {true, false}) {
    SCOPED_TRACE(largest ? "max" : "min");
    expect_pick_checks(expect_gradcheck, largest ? max_values : min_values);
  }
}

TEST(Extrema, GradcheckMinOverEverythingAndOverDims) {
  expect_unary_gradcheck([](const Tensor& x) { return min(x); }, distinct23());
  expect_gradcheck([](const Inputs& in) { return min(in[0], {0, 2}); }, {distinct232()});
  expect_gradcheck([](const Inputs& in) { return min(in[0], {-1}, true) * in[0]; }, {distinct23()});
  expect_gradcheck([](const Inputs& in) { return min(in[0] * in[0], {0}); }, {distinct23()});
  expect_unary_gradcheck([](const Tensor& x) { return max(x); }, distinct232());
}

// ---- second derivatives ----

TEST(Extrema, GradGradMaxAlongDim) { expect_pick_checks(expect_gradgradcheck_default, max_values); }

TEST(Extrema, GradGradMinAlongDim) { expect_pick_checks(expect_gradgradcheck_default, min_values); }

// max(x) and max over dims: Reduction.GradGradMax.
TEST(Extrema, GradGradMin) {
  expect_gradgradcheck([](const Inputs& in) { return min(in[0]); }, {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return min(in[0]) * in[0]; }, {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return min(in[0], {0, 2}); }, {distinct232()});
  expect_gradgradcheck([](const Inputs& in) { return min(in[0], {-1}, true) * in[0]; }, {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return min(in[0] * in[0], {0}); }, {distinct23()});
}

// f = sum(max(x, 1).values^3): H = 6 max at each row's maximum (1.1 at 2, 0.7 at 3), 0 elsewhere.
TEST(Extrema, MaxAlongDimCubedSecondDerivative) {
  const UnaryOp f = [](const Tensor& x) { return sum(max(x, 1).values.pow(3)); };
  expect_values(hessian_times(f, distinct23(), f64({1, 2, 3, 4, 5, 6}, {2, 3})), {2, 3},
                {0, 0, 6 * 1.1 * 3, 6 * 0.7 * 4, 0, 0}, 1e-14);
}

// ---- bad input ----

TEST(Extrema, DimsOutOfRangeAreRejected) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return max(x, 2).values; },
                                       "max: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return min(x, -3).values; },
                                       "min: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return argmin(x, 2); }, "argmin: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return min(x, {1, -1}); }, "min: dimension -1 is listed twice");
  expect_throws<std::invalid_argument>([] { return max(scalar_tensor(1), 1).values; },
                                       "max: dimension 1 is out of range for a 0-d tensor (which takes only 0 or -1)");
}

TEST(Extrema, EmptyInputsAreRejected) {
  expect_throws<std::invalid_argument>([] { return max(zeros({2, 0}), 1).values; },
                                       "max: dimension 1 of a tensor of shape [2, 0] is empty");
  expect_throws<std::invalid_argument>([] { return argmin(zeros({2, 0}), -1); },
                                       "argmin: dimension -1 of a tensor of shape [2, 0] is empty");
  expect_throws<std::invalid_argument>([] { return min(zeros({0})); }, "min: cannot reduce an empty tensor of shape [0]");
  expect_throws<std::invalid_argument>([] { return argmax(zeros({2, 0})); },
                                       "argmax: cannot reduce an empty tensor of shape [2, 0]");
  // Along a non-empty dim of an empty tensor there is nothing to reduce and nothing wrong, as in PyTorch.
  expect_selected(max(zeros({0, 3}), 1), {0}, {}, {});
}

TEST(Extrema, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"max", [](const Tensor& x) { return max(x, 0).values; }},
                             {"min", [](const Tensor& x) { return min(x); }},
                             {"min", [](const Tensor& x) { return min(x, 0).values; }},
                             {"min", [](const Tensor& x) { return min(x, {0}); }},
                             {"argmin", [](const Tensor& x) { return argmin(x, 0); }},
                             {"argmax", [](const Tensor& x) { return argmax(x); }},
                             {"argmin", [](const Tensor& x) { return argmin(x); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
