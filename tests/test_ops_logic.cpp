// Logic ops (logic.hpp): comparisons and their operators, where, masked_fill, clamp with tensor bounds,
// isnan/isinf/isfinite, any/all, the logical ops and the bool operators ~ & | ^. Closed-form values
// (broadcast, NaN, inf, int64 and bool inputs), float64 gradchecks for the differentiable ones (broadcast
// and fan-out cases), PyTorch's gradient conventions at clamp's kinks, and the messages for bad input.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Expects t to be a bool tensor of `shape` holding `expected` (1 for true), and not to require grad.
void expect_bools(const Tensor& t, const Shape& shape, const std::vector<double>& expected) {
  ASSERT_TRUE(t.defined());
  EXPECT_EQ(t.dtype(), kBool);
  EXPECT_FALSE(t.requires_grad());
  ASSERT_EQ(t.shape().str(), shape.str());
  EXPECT_EQ(t.to_vector(), expected);
}

Tensor bools(std::initializer_list<double> values, const Shape& shape) { return tensor(values, shape, kBool); }

// ---- comparisons ----

TEST(Compare, ValuesWithNaNInfAndSignedZero) {
  const Tensor a = f64({1, 2, kNaN, kInf, -kInf, 0, kNaN}, {7});
  const Tensor b = f64({1, 3, kNaN, kInf, 0, -0.0, 1}, {7});
  // IEEE: NaN is unordered (every comparison false but !=), inf equals inf, 0 equals -0.
  expect_bools(eq(a, b), {7}, {1, 0, 0, 1, 0, 1, 0});
  expect_bools(ne(a, b), {7}, {0, 1, 1, 0, 1, 0, 1});
  expect_bools(lt(a, b), {7}, {0, 1, 0, 0, 1, 0, 0});
  expect_bools(le(a, b), {7}, {1, 1, 0, 1, 1, 1, 0});
  expect_bools(gt(a, b), {7}, {0, 0, 0, 0, 0, 0, 0});
  expect_bools(ge(a, b), {7}, {1, 0, 0, 1, 0, 1, 0});
  // The operators are the same ops.
  expect_bools(a == b, {7}, {1, 0, 0, 1, 0, 1, 0});
  expect_bools(a != b, {7}, {0, 1, 1, 0, 1, 0, 1});
  expect_bools(a < b, {7}, {0, 1, 0, 0, 1, 0, 0});
  expect_bools(a <= b, {7}, {1, 1, 0, 1, 1, 1, 0});
  expect_bools(a > b, {7}, {0, 0, 0, 0, 0, 0, 0});
  expect_bools(a >= b, {7}, {1, 0, 0, 1, 0, 1, 0});
  expect_bools(b > a, {7}, {0, 1, 0, 0, 1, 0, 0});
  // operator== compares elements, not handles: a NaN is unequal to itself.
  expect_bools(a == a, {7}, {1, 1, 0, 1, 1, 1, 0});
}

TEST(Compare, Broadcasts) {
  const Tensor a = tensor({1, 3}, {2, 1});
  const Tensor b = tensor({0, 1, 2}, {3});
  expect_bools(a < b, {2, 3}, {0, 0, 1, 0, 0, 0});
  expect_bools(a >= b, {2, 3}, {1, 1, 0, 1, 1, 1});
  expect_bools(b == a, {2, 3}, {0, 1, 0, 0, 0, 0});
  // The odometer path (neither side is the output's shape nor a single element) and 0-d operands.
  const Tensor c = tensor({0, 1, 2, 3, 4, 5}, {2, 1, 3});
  const Tensor d = tensor({2, 4}, {2, 1});
  expect_bools(c > d, {2, 2, 3}, {0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1});
  expect_bools(scalar_tensor(2) <= b, {3}, {0, 0, 1});
  expect_bools(eq(scalar_tensor(2), scalar_tensor(2)), {}, {1});
  expect_bools(lt(zeros({0, 3}), zeros({3})), {0, 3}, {});
}

TEST(Compare, Int64AndBoolInputs) {
  const Tensor a = tensor({3, -2, 7}, kInt64);
  const Tensor b = tensor({3, 5, 1}, kInt64);
  expect_bools(eq(a, b), {3}, {1, 0, 0});
  expect_bools(lt(a, b), {3}, {0, 1, 0});
  expect_bools(ge(a, b), {3}, {1, 0, 1});
  // int64 compares exactly beyond 2^53, where these two would be the same double.
  const std::int64_t big = std::int64_t{1} << 60;
  const std::vector<std::int64_t> u = {big + 1};
  const std::vector<std::int64_t> v = {big};
  expect_bools(tensor(u, Shape{1}) > tensor(v, Shape{1}), {1}, {1});
  expect_bools(tensor(u, Shape{1}) == tensor(v, Shape{1}), {1}, {0});
  // bool: false < true, as in C++ and PyTorch.
  const Tensor p = bools({1, 0, 1, 0}, {4});
  const Tensor q = bools({1, 1, 0, 0}, {4});
  expect_bools(lt(p, q), {4}, {0, 1, 0, 0});
  expect_bools(eq(p, q), {4}, {1, 0, 0, 1});
  expect_bools(p > q, {4}, {0, 0, 1, 0});
}

TEST(Compare, WithAScalar) {
  // A float tensor's scalar takes its dtype (as PyTorch): float32(0.1) == 0.1 although the doubles differ.
  const Tensor x32 = tensor({0.1, 0.2, -1.5});
  expect_bools(x32 == 0.1, {3}, {1, 0, 0});
  expect_bools(x32 < 0.15, {3}, {1, 0, 1});
  const Tensor x = f64({-1, 0, 2.5, kNaN, kInf}, {5});
  expect_bools(eq(x, 2.5), {5}, {0, 0, 1, 0, 0});
  expect_bools(ne(x, 0.0), {5}, {1, 0, 1, 1, 1});
  expect_bools(lt(x, 0.0), {5}, {1, 0, 0, 0, 0});
  expect_bools(le(x, 0.0), {5}, {1, 1, 0, 0, 0});
  expect_bools(gt(x, 0.0), {5}, {0, 0, 1, 0, 1});
  expect_bools(ge(x, kInf), {5}, {0, 0, 0, 0, 1});
  expect_bools(x == kNaN, {5}, {0, 0, 0, 0, 0});
  expect_bools(x != kNaN, {5}, {1, 1, 1, 1, 1});
  // The scalar on the left mirrors the comparison.
  expect_bools(0.0 < x, {5}, {0, 0, 1, 0, 1});
  expect_bools(0.0 >= x, {5}, {1, 1, 0, 0, 0});
  expect_bools(2.5 == x, {5}, {0, 0, 1, 0, 0});
  expect_bools(2.5 != x, {5}, {1, 1, 0, 1, 1});
  expect_bools(0.0 > x, {5}, {1, 0, 0, 0, 0});
  expect_bools(0.0 <= x, {5}, {0, 1, 1, 0, 1});
  // int64 and bool compare with the scalar as numbers: 2 < 2.5 (not 2 < 2), true == 1.
  const Tensor n = tensor({2, 3, -4}, kInt64);
  expect_bools(n < 2.5, {3}, {1, 0, 1});
  expect_bools(n == 3.0, {3}, {0, 1, 0});
  expect_bools(2.5 > n, {3}, {1, 0, 1});
  expect_bools(n != kNaN, {3}, {1, 1, 1});
  const Tensor p = bools({1, 0}, {2});
  expect_bools(p == 1.0, {2}, {1, 0});
  expect_bools(p < 0.5, {2}, {0, 1});
}

TEST(Compare, ResultsNeverRequireGradAndRecordNothing) {
  settle_tape();
  const Tensor x = random_leaf({2, 3}, 1);
  const Tensor y = random_leaf({3}, 2);
  for (const Tensor& r : {x < y, x == y, x != 0.0, 1.0 > x, isnan(x), any(x), logical_not(x)}) {
    EXPECT_FALSE(r.requires_grad());
    EXPECT_TRUE(r.is_leaf());
  }
  EXPECT_EQ(tape_size(), 0U);
}

TEST(Compare, Methods) {
  const Tensor x = f64({1, 2, 3}, {3});
  const Tensor y = f64({3, 2, 1}, {3});
  expect_bools(x.eq(y), {3}, {0, 1, 0});
  expect_bools(x.ne(y), {3}, {1, 0, 1});
  expect_bools(x.lt(y), {3}, {1, 0, 0});
  expect_bools(x.le(y), {3}, {1, 1, 0});
  expect_bools(x.gt(y), {3}, {0, 0, 1});
  expect_bools(x.ge(y), {3}, {0, 1, 1});
  expect_bools(x.eq(2.0), {3}, {0, 1, 0});
  expect_bools(x.ne(2.0), {3}, {1, 0, 1});
  expect_bools(x.lt(2.0), {3}, {1, 0, 0});
  expect_bools(x.le(2.0), {3}, {1, 1, 0});
  expect_bools(x.gt(2.0), {3}, {0, 0, 1});
  expect_bools(x.ge(2.0), {3}, {0, 1, 1});
}

TEST(Compare, BadInputsAreRejected) {
  expect_throws<std::invalid_argument>([] { return eq(zeros({2, 3}), zeros({4})); },
                                       "eq: shapes cannot be broadcast: [2, 3] and [4]");
  expect_throws<std::invalid_argument>([] { return zeros({2, 3}) < zeros({3, 2}); },
                                       "lt: shapes cannot be broadcast: [2, 3] and [3, 2]");
  expect_throws<std::invalid_argument>([] { return zeros({2}) >= zeros({2}, kInt64); },
                                       "ge: dtypes differ: float32 and int64; convert one with .to()");
  expect_throws<std::invalid_argument>([] { return ne(zeros({2}, kBool), zeros({2}, kFloat64)); },
                                       "ne: dtypes differ: bool and float64");
  expect_throws<std::invalid_argument>([] { return Tensor() == zeros({2}); },
                                       "eq: an input tensor is undefined (default-constructed)");
  expect_throws<std::invalid_argument>([] { return 1.0 < Tensor(); }, "gt: an input tensor is undefined");
}

// ---- where ----

TEST(Where, Values) {
  const Tensor c = bools({1, 0, 1}, {3});
  expect_values_or_nan(where(c, f64({1, 2, 3}, {3}), f64({10, 20, 30}, {3})), {3}, {1, 20, 3});
  // A NaN or inf in the branch not taken does not leak into the result.
  expect_values_or_nan(where(c, f64({1, kNaN, 3}, {3}), f64({kInf, 20, kNaN}, {3})), {3}, {1, 20, 3});
  // All three broadcast together: [2, 1], [3] and 0-d give [2, 3].
  const Tensor rows = bools({1, 0}, {2, 1});
  const Tensor y = where(rows, tensor({1, 2, 3}), scalar_tensor(-1));
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_values_or_nan(y, {2, 3}, {1, 2, 3, -1, -1, -1});
  // The odometer path with three different shapes.
  // out[i, j, k] = cond[i] ? a[k] : b[j], of shape [2, 2, 2].
  expect_values_or_nan(where(bools({1, 0}, {2, 1, 1}), f64({1, 2}, {1, 2}), f64({7, 8}, {2, 1})), {2, 2, 2},
               {1, 2, 1, 2, 7, 7, 8, 8});
}

TEST(Where, Int64AndBoolValues) {
  const Tensor c = bools({0, 1, 1}, {3});
  const Tensor y = where(c, tensor({1, 2, 3}, kInt64), tensor({-1, -2, -3}, kInt64));
  EXPECT_EQ(y.dtype(), kInt64);
  expect_values_or_nan(y, {3}, {-1, 2, 3});
  const Tensor b = where(c, bools({1, 1, 0}, {3}), bools({1, 0, 1}, {3}));
  EXPECT_EQ(b.dtype(), kBool);
  expect_values_or_nan(b, {3}, {1, 1, 0});
}

TEST(Where, ScalarBranches) {
  const Tensor c = bools({1, 0, 1, 0}, {2, 2});
  const Tensor x = f64({1, 2, 3, 4}, {2, 2});
  expect_values_or_nan(where(c, x, 0.0), {2, 2}, {1, 0, 3, 0});
  expect_values_or_nan(where(c, -kInf, x), {2, 2}, {-kInf, 2, -kInf, 4});
  // The scalar takes the tensor's dtype, converted as to() converts (int64 truncates toward zero).
  const Tensor n = where(c, tensor({5, 6, 7, 8}, {2, 2}, kInt64), 2.9);
  EXPECT_EQ(n.dtype(), kInt64);
  expect_values_or_nan(n, {2, 2}, {5, 2, 7, 2});
}

TEST(Where, GradientGoesToTheSelectedBranchSummedToItsShape) {
  // y = where(c, a, b), c [2, 3], a [3] (broadcast over rows), b [2, 3]; d sum(y) / da sums c over rows.
  const Tensor c = bools({1, 0, 1, 1, 1, 0}, {2, 3});
  const Tensor a = leaf({1, 2, 3}, {3});
  const Tensor b = leaf({4, 5, 6, 7, 8, 9}, {2, 3});
  const Tensor y = where(c, a, b);
  EXPECT_TRUE(y.requires_grad());
  y.sum().backward();
  expect_values(a.grad(), {3}, {2, 1, 1});
  expect_values(b.grad(), {2, 3}, {0, 1, 0, 0, 0, 1});
}

TEST(Where, Gradcheck) {
  const Tensor c23 = bools({1, 0, 0, 1, 1, 0}, {2, 3});
  const Tensor c21 = bools({0, 1}, {2, 1});
  const Tensor a = random_leaf({2, 3}, 11);
  const Tensor b = random_leaf({2, 3}, 12);
  {
    SCOPED_TRACE("same shapes");
    expect_gradcheck([&](const Inputs& in) { return where(c23, in[0], in[1]); }, {a, b});
  }
  {
    SCOPED_TRACE("broadcast: cond [2, 1], a [3], b 0-d");
    expect_gradcheck([&](const Inputs& in) { return where(c21, in[0], in[1]); },
                     {random_leaf({3}, 13), random_leaf({}, 14)});
  }
  {
    SCOPED_TRACE("broadcast cond [2, 1] over a and b [2, 3]");
    expect_gradcheck([&](const Inputs& in) { return where(c21, in[0], in[1]); }, {a, b});
  }
  {
    SCOPED_TRACE("scalar branches");
    expect_gradcheck([&](const Inputs& in) { return where(c23, in[0], 0.5) * where(c21, -2.0, in[0]); }, {a});
  }
  {
    SCOPED_TRACE("fan-out: where(c, x, x * x)");
    expect_gradcheck([&](const Inputs& in) { return where(c23, in[0], in[0] * in[0]); }, {a});
  }
}

// The backward is where() of dy summed to each branch's shape, recorded in a create_graph sweep.
TEST(Where, GradGradWhere) {
  const Tensor c21 = bools({0, 1}, {2, 1});
  SCOPED_TRACE("broadcast: cond [2, 1], a [3], b 0-d; fan-out: where(c, a * b, a)");
  const GradcheckResult r = gradgradcheck([&](const Inputs& in) { return where(c21, in[0] * in[1], in[0]); },
                                          {random_leaf({3}, 13), random_leaf({}, 14)});
  EXPECT_TRUE(r.ok) << r.str();
  SCOPED_TRACE("scalar branches, fanned out");
  const GradcheckResult scalars = gradgradcheck(
      [&](const Inputs& in) { return where(c21, in[0], 0.5) * where(c21, -2.0, in[0]); }, {random_leaf({2, 3}, 11)});
  EXPECT_TRUE(scalars.ok) << scalars.str();
}

// f = sum(where(c, x^3, x^2)): d2f/dx2 = 6 x where c, 2 elsewhere.
TEST(Where, SecondDerivativeOfEachBranch) {
  const Tensor x = leaf({1.5, -2, 0.5}, {3});
  const Tensor g = autograd::grad({sum(where(bools({1, 0, 1}, {3}), x.pow(3), x.pow(2)))}, {x}, {}, {}, true)[0];
  expect_values(g, {3}, {6.75, -4, 0.75});
  expect_values(autograd::grad({sum(g)}, {x})[0], {3}, {9, 2, 3});
}

TEST(Where, OnlyFloatInputsRequiringGradAreRecorded) {
  settle_tape();
  const Tensor c = bools({1, 0}, {2});
  EXPECT_FALSE(where(c, f64({1, 2}, {2}), f64({3, 4}, {2})).requires_grad());
  EXPECT_FALSE(where(c, tensor({1, 2}, kInt64), 0.0).requires_grad());
  EXPECT_EQ(tape_size(), 0U);
}

TEST(Where, BadInputsAreRejected) {
  const Tensor c = bools({1, 0}, {2});
  expect_throws<std::invalid_argument>([] { return where(zeros({2}), zeros({2}), zeros({2})); },
                                       "where: condition must be a bool tensor, got float32");
  expect_throws<std::invalid_argument>([&] { return where(c, f64({1, 2}, {2}), zeros({2})); },
                                       "where: dtypes differ: float64 and float32");
  expect_throws<std::invalid_argument>([&] { return where(c, zeros({3}), zeros({2})); },
                                       "where: shapes cannot be broadcast: [2], [3] and [2]");
  expect_throws<std::invalid_argument>([&] { return where(c, zeros({2, 3}), 1.0); },
                                       "where: shapes cannot be broadcast: [2], [2, 3] and []");
  expect_throws<std::invalid_argument>([&] { return where(c, Tensor(), 1.0); }, "where: an input tensor is undefined");
  expect_throws<std::invalid_argument>([&] { return where(Tensor(), zeros({2}), zeros({2})); },
                                       "where: an input tensor is undefined");
}

// ---- masked_fill ----

TEST(MaskedFill, Values) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor m = bools({1, 0, 1}, {3});  // broadcast over the rows
  expect_values_or_nan(masked_fill(x, m, -kInf), {2, 3}, {-kInf, 2, -kInf, -kInf, 5, -kInf});
  expect_values_or_nan(x.masked_fill(bools({0, 1}, {2, 1}), kNaN), {2, 3}, {1, 2, 3, kNaN, kNaN, kNaN});
  expect_values_or_nan(masked_fill(tensor({1, 2, 3}, kInt64), m, -7), {3}, {-7, 2, -7});
  expect_values_or_nan(masked_fill(bools({0, 0, 1}, {3}), m, 1.0), {3}, {1, 0, 1});
}

TEST(MaskedFill, GradientIsZeroWhereFilled) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (masked_fill(x, bools({1, 0, 1}, {3}), 9.0) * f64({1, 2, 3, 4, 5, 6}, {2, 3})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 2, 0, 0, 5, 0});
}

TEST(MaskedFill, Gradcheck) {
  const Tensor x = random_leaf({2, 3}, 21);
  const Tensor m = bools({0, 1, 1}, {3});
  {
    SCOPED_TRACE("broadcast mask");
    expect_gradcheck([&](const Inputs& in) { return masked_fill(in[0], m, 2.0); }, {x});
  }
  {
    SCOPED_TRACE("fan-out: masked_fill(x, m, 2) * x");
    expect_gradcheck([&](const Inputs& in) { return masked_fill(in[0], m, 2.0) * in[0]; }, {x});
  }
}

TEST(MaskedFill, GradGradMaskedFill) {
  SCOPED_TRACE("broadcast mask [3] over x [2, 3]; fan-out: masked_fill(x, m, 2) * x");
  const GradcheckResult r = gradgradcheck([](const Inputs& in) { return masked_fill(in[0], bools({0, 1, 1}, {3}), 2.0) * in[0]; },
                                          {random_leaf({2, 3}, 21)});
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(MaskedFill, BadInputsAreRejected) {
  expect_throws<std::invalid_argument>([] { return masked_fill(zeros({3}), zeros({3}), 1.0); },
                                       "masked_fill: mask must be a bool tensor, got float32");
  expect_throws<std::invalid_argument>([] { return masked_fill(zeros({3}), zeros({2, 3}, kBool), 1.0); },
                                       "masked_fill: mask of shape [2, 3] cannot be broadcast to x's shape [3]");
  expect_throws<std::invalid_argument>([] { return masked_fill(zeros({2, 3}), zeros({4}, kBool), 1.0); },
                                       "masked_fill: shapes cannot be broadcast: [2, 3] and [4]");
  expect_throws<std::invalid_argument>([] { return masked_fill(Tensor(), zeros({4}, kBool), 1.0); },
                                       "masked_fill: an input tensor is undefined");
}

// ---- clamp with tensor bounds ----

TEST(ClampTensor, ValuesAndNaN) {
  const Tensor x = f64({-2, 0.5, 3, kNaN, 1, 1, 0.5}, {7});
  const Tensor lo = f64({-1, 0, 0, 0, kNaN, 0, 2}, {7});
  const Tensor hi = f64({1, 1, 2, 1, 2, kNaN, 1}, {7});
  // A NaN anywhere gives NaN; where min > max (the last element) the result is max, as in PyTorch.
  expect_values_or_nan(clamp(x, lo, hi), {7}, {-1, 0.5, 2, kNaN, kNaN, kNaN, 1});
  expect_values_or_nan(clamp(x, lo, Tensor()), {7}, {-1, 0.5, 3, kNaN, kNaN, 1, 2});
  expect_values_or_nan(clamp(x, {}, hi), {7}, {-2, 0.5, 2, kNaN, 1, kNaN, 0.5});
  // The scalar-bound clamp is unchanged beside it.
  expect_values_or_nan(clamp(x, 0.0, 1.0), {7}, {0, 0.5, 1, kNaN, 1, 1, 0.5});
}

TEST(ClampTensor, BroadcastsAndTakesInt64) {
  // x [3], min [2, 1], max 0-d: the result has the broadcast shape [2, 3].
  const Tensor y = clamp(tensor({-1, 0.5, 2}), tensor({0, 1}, {2, 1}), scalar_tensor(1.5));
  expect_values_or_nan(y, {2, 3}, {0, 0.5, 1.5, 1, 1, 1.5});
  const Tensor n = clamp(tensor({-5, 3, 9}, kInt64), tensor({0, 0, 0}, kInt64), scalar_tensor(4, kInt64));
  EXPECT_EQ(n.dtype(), kInt64);
  expect_values_or_nan(n, {3}, {0, 3, 4});
}

// Gradients of sum(clamp(x, min, max)) at each of PyTorch's conventions, one element per case.
TEST(ClampTensor, GradientConventionsAtTheKinks) {
  // x at min, x at max (x gets it: bounds included), below min, above max, min > max (max gets it), NaN x.
  const Tensor x = leaf({0, 1, -3, 5, 0.5, kNaN}, {6});
  const Tensor lo = leaf({0, -1, -1, -1, 2, 0}, {6});
  const Tensor hi = leaf({1, 1, 1, 1, 1, 1}, {6});
  clamp(x, lo, hi).sum().backward();
  expect_values(x.grad(), {6}, {1, 1, 0, 0, 0, 0});
  expect_values(lo.grad(), {6}, {0, 0, 1, 0, 0, 0});
  expect_values(hi.grad(), {6}, {0, 0, 0, 1, 1, 0});
  // One bound: x at the bound keeps the gradient; beyond it the bound gets it (also where min = +inf).
  const Tensor x1 = leaf({0, -3, 2}, {3});
  const Tensor lo1 = leaf({0, 0, kInf}, {3});
  clamp(x1, lo1, Tensor()).sum().backward();
  expect_values(x1.grad(), {3}, {1, 0, 0});
  expect_values(lo1.grad(), {3}, {0, 1, 1});
  const Tensor x2 = leaf({1, 3}, {2});
  const Tensor hi2 = leaf({1, 1}, {2});
  clamp(x2, Tensor(), hi2).sum().backward();
  expect_values(x2.grad(), {2}, {1, 0});
  expect_values(hi2.grad(), {2}, {0, 1});
}

TEST(ClampTensor, Gradcheck) {
  // Every point at least 0.05 from a kink (x = min, x = max, min = max), well beyond the stencil's 2h.
  const Tensor x = leaf({-1.2, -0.3, 0.2, 0.9, 1.7, 0.4}, {2, 3});
  const Tensor lo = leaf({-0.5, -0.5, -0.5, 0.1, 0.1, 0.6}, {2, 3});
  const Tensor hi = leaf({0.5, 0.5, 0.5, 1.2, 1.2, 0.3}, {2, 3});  // the last has min > max
  {
    SCOPED_TRACE("both bounds");
    expect_gradcheck([](const Inputs& in) { return clamp(in[0], in[1], in[2]); }, {x, lo, hi});
  }
  {
    SCOPED_TRACE("broadcast bounds: min [3], max 0-d");
    expect_gradcheck([](const Inputs& in) { return clamp(in[0], in[1], in[2]); },
                     {x, leaf({-0.5, 0.0, 0.5}, {3}), leaf({1.0}, {})});
  }
  {
    SCOPED_TRACE("x broadcast up by a [2, 1] min");
    expect_gradcheck([](const Inputs& in) { return clamp(in[0], in[1], Tensor()); },
                     {leaf({-0.7, 0.3, 1.4}, {3}), leaf({0.0, 0.8}, {2, 1})});
  }
  {
    SCOPED_TRACE("max only");
    expect_gradcheck([](const Inputs& in) { return clamp(in[0], Tensor(), in[1]); }, {x, hi});
  }
  {
    // min = x/2 lies below x for x > 0 and above it for x < 0; max = 0.8 is below min for x > 1.6.
    // Kinks at x = 0, 0.8 and 1.6; the points avoid them.
    SCOPED_TRACE("fan-out: clamp(x, x * 0.5, 0.8)");
    const Tensor xf = leaf({-1.3, -0.4, 0.3, 0.6, 1.2, 2.0}, {6});
    expect_gradcheck([](const Inputs& in) { return clamp(in[0], in[0] * 0.5, full({1}, 0.8, kFloat64)); }, {xf});
  }
}

// The backward is where() of dy on masks of the inputs (constants away from the kinks), summed to each
// input's shape. Every point at least 0.05 from a kink, as in Gradcheck: no mask flips within the stencil.
TEST(ClampTensor, GradGradClamp) {
  const Tensor x = leaf({-1.2, -0.3, 0.2, 0.9, 1.7, 0.4}, {2, 3});
  const Tensor lo = leaf({-0.5, -0.5, -0.5, 0.1, 0.1, 0.6}, {2, 3});
  const Tensor hi = leaf({0.5, 0.5, 0.5, 1.2, 1.2, 0.3}, {2, 3});  // the last has min > max
  SCOPED_TRACE("both bounds; fan-out: clamp(x, min, max) * x * min * max");
  const GradcheckResult both =
      gradgradcheck([](const Inputs& in) { return clamp(in[0], in[1], in[2]) * in[0] * in[1] * in[2]; }, {x, lo, hi});
  EXPECT_TRUE(both.ok) << both.str();
  SCOPED_TRACE("broadcast bounds: min [3], max 0-d, fanned out");
  const GradcheckResult broadcast = gradgradcheck(
      [](const Inputs& in) { return clamp(in[0], in[1], in[2]) * in[1] * in[2]; },
      {x, leaf({-0.5, 0.0, 0.5}, {3}), leaf({1.0}, {})});
  EXPECT_TRUE(broadcast.ok) << broadcast.str();
  SCOPED_TRACE("x broadcast up by a [2, 1] min, max absent");
  const GradcheckResult min_only = gradgradcheck([](const Inputs& in) { return clamp(in[0], in[1], Tensor()) * in[0]; },
                                                 {leaf({-0.7, 0.3, 1.4}, {3}), leaf({0.0, 0.8}, {2, 1})});
  EXPECT_TRUE(min_only.ok) << min_only.str();
}

TEST(ClampTensor, BadInputsAreRejected) {
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2}), Tensor(), Tensor()); },
                                       "clamp: at least one of min and max must be a defined tensor");
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2}, kFloat64), zeros({2}), Tensor()); },
                                       "clamp: dtypes differ: float64 and float32");
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2, 3}), zeros({4}), zeros({2, 3})); },
                                       "clamp: shapes cannot be broadcast: [2, 3], [4] and [2, 3]");
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2, 3}), Tensor(), zeros({4})); },
                                       "clamp: shapes cannot be broadcast: [2, 3] and [4]");
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2}, kBool), zeros({2}, kBool), Tensor()); },
                                       "clamp: x must be a float32, float64 or int64 tensor, got bool");
  expect_throws<std::invalid_argument>([] { return clamp(Tensor(), zeros({2}), Tensor()); },
                                       "clamp: an input tensor is undefined");
}

// ---- isnan, isinf, isfinite ----

TEST(ValueTests, FloatInputs) {
  for (Dtype dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    const Tensor x = tensor({1, kNaN, kInf, -kInf, 0, -1e30}, {2, 3}, dtype);
    expect_bools(isnan(x), {2, 3}, {0, 1, 0, 0, 0, 0});
    expect_bools(isinf(x), {2, 3}, {0, 0, 1, 1, 0, 0});
    expect_bools(isfinite(x), {2, 3}, {1, 0, 0, 0, 1, 1});
  }
}

TEST(ValueTests, Int64AndBoolInputsAreAlwaysFinite) {
  for (const Tensor& x : {tensor({0, -3, 7}, kInt64), bools({1, 0, 1}, {3})}) {
    SCOPED_TRACE(std::string(dtype_name(x.dtype())));
    expect_bools(isnan(x), {3}, {0, 0, 0});
    expect_bools(isinf(x), {3}, {0, 0, 0});
    expect_bools(isfinite(x), {3}, {1, 1, 1});
  }
  expect_throws<std::invalid_argument>([] { return isnan(Tensor()); }, "isnan: an input tensor is undefined");
}

// ---- any, all ----

TEST(AnyAll, WholeTensor) {
  expect_bools(any(f64({0, 0, kNaN}, {3})), {}, {1});  // NaN is non-zero
  expect_bools(all(f64({0, 0, kNaN}, {3})), {}, {0});
  expect_bools(all(f64({1, -2, kNaN, kInf}, {4})), {}, {1});
  expect_bools(any(zeros({2, 2})), {}, {0});
  expect_bools(any(zeros({0})), {}, {0});  // empty: any is false, all is true
  expect_bools(all(zeros({0})), {}, {1});
  expect_bools(any(tensor({0, 5}, kInt64)), {}, {1});
  expect_bools(all(tensor({0, 5}, kInt64)), {}, {0});
  expect_bools(bools({1, 1}, {2}).all(), {}, {1});
  expect_bools(bools({0, 0}, {2}).any(), {}, {0});
}

TEST(AnyAll, AlongADimension) {
  const Tensor x = f64({0, 1, 0, 2, 3, 4}, {2, 3});
  expect_bools(any(x, 0), {3}, {1, 1, 1});
  expect_bools(all(x, 0), {3}, {0, 1, 0});
  expect_bools(any(x, 1), {2}, {1, 1});
  expect_bools(all(x, -1), {2}, {0, 1});
  expect_bools(all(x, 1, true), {2, 1}, {0, 1});
  expect_bools(any(bools({0, 0, 0, 1}, {2, 2}), 1, true), {2, 1}, {0, 1});
  expect_bools(all(tensor({1, 0, 3, 4}, {2, 2}, kInt64), 0), {2}, {1, 0});
}

TEST(AnyAll, BadDimensionIsRejected) {
  expect_throws<std::invalid_argument>([] { return any(zeros({2, 3}), 2); },
                                       "any: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return all(zeros({2, 3}), -3); },
                                       "all: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return all(Tensor()); }, "all: an input tensor is undefined");
}

// ---- logical ops and the bool operators ----

TEST(Logical, AnyDtypesNonZeroIsTrue) {
  const Tensor a = f64({0, 1.5, kNaN, 0}, {4});
  const Tensor b = tensor({0, 0, 3, 7}, kInt64);  // mixed dtypes are fine here, as in PyTorch
  expect_bools(logical_and(a, b), {4}, {0, 0, 1, 0});
  expect_bools(logical_or(a, b), {4}, {0, 1, 1, 1});
  expect_bools(logical_xor(a, b), {4}, {0, 1, 0, 1});
  expect_bools(logical_not(a), {4}, {1, 0, 0, 1});
  expect_bools(logical_not(b), {4}, {1, 1, 0, 0});
  expect_bools(bools({1, 0}, {2}).logical_not(), {2}, {0, 1});
  // Broadcast [2, 1] with [3].
  expect_bools(logical_and(bools({1, 0}, {2, 1}), tensor({0, 2, -1})), {2, 3}, {0, 1, 1, 0, 0, 0});
}

TEST(Logical, BoolOperators) {
  const Tensor p = bools({1, 1, 0, 0}, {4});
  const Tensor q = bools({1, 0, 1, 0}, {4});
  expect_bools(p & q, {4}, {1, 0, 0, 0});
  expect_bools(p | q, {4}, {1, 1, 1, 0});
  expect_bools(p ^ q, {4}, {0, 1, 1, 0});
  expect_bools(~p, {4}, {0, 0, 1, 1});
  // Masks from comparisons combine as in PyTorch: (x > 0) & (x < 2).
  const Tensor x = f64({-1, 0.5, 1.5, 3}, {4});
  expect_bools((x > 0.0) & (x < 2.0), {4}, {0, 1, 1, 0});
  expect_bools(~(x > 0.0) | (x > 2.0), {4}, {1, 0, 0, 1});
}

TEST(Logical, BadInputsAreRejected) {
  expect_throws<std::invalid_argument>([] { return logical_or(zeros({2}), zeros({3})); },
                                       "logical_or: shapes cannot be broadcast: [2] and [3]");
  const std::string bool_only = "tapegrad's bitwise operators take bool tensors only, got ";
  expect_throws<std::invalid_argument>([] { return zeros({2}) & zeros({2}, kBool); },
                                       "bitwise_and: " + bool_only + "float32 and bool");
  expect_throws<std::invalid_argument>([] { return zeros({2}, kBool) | zeros({2}, kInt64); },
                                       "bitwise_or: " + bool_only + "bool and int64");
  expect_throws<std::invalid_argument>([] { return zeros({2}, kBool) ^ zeros({2}); },
                                       "bitwise_xor: " + bool_only + "bool and float32");
  expect_throws<std::invalid_argument>([] { return ~zeros({2}, kInt64); },
                                       "bitwise_not: tapegrad's operator~ takes a bool tensor only, got int64");
  expect_throws<std::invalid_argument>([] { return logical_xor(Tensor(), zeros({2})); },
                                       "logical_xor: an input tensor is undefined");
  expect_throws<std::invalid_argument>([] { return ~Tensor(); }, "bitwise_not: an input tensor is undefined");
}

}  // namespace
}  // namespace tg
