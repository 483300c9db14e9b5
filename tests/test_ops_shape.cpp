// Shape ops (transpose, reshape, broadcast_to, slice, cat): closed-form values, storage sharing,
// gradcheck in float64 (with fan-out), and the messages for bad arguments.

#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// ---- transpose ----

TEST(ShapeOps, TransposeValues) {
  expect_values(transpose(one_to_six()), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(one_to_six().t(), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(transpose(arange24(), 0, 2), {4, 3, 2},
                {0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23});
  expect_values(arange24().transpose(-1, -2), {2, 4, 3},
                {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23});
  expect_values(transpose(tensor({1, 2, 3, 4}, {2, 2})), {2, 2}, {1, 3, 2, 4});
}

TEST(ShapeOps, TransposeOfADimWithItselfIsTheSameHandle) {
  const Tensor x = one_to_six();
  EXPECT_EQ(transpose(x, 1, -1).impl(), x.impl());
}

TEST(ShapeOps, GradcheckTranspose) {
  expect_unary_gradcheck([](const Tensor& x) { return transpose(x); }, random_leaf({3, 3}, 1));
  SCOPED_TRACE("dims 0 and 2 of [2, 3, 2]");
  expect_gradcheck([](const Inputs& in) { return transpose(in[0], 0, 2); }, {random_leaf({2, 3, 2}, 2)});
}

TEST(ShapeOps, TransposeRejectsDimsOutOfRange) {
  expect_throws<std::invalid_argument>([] { return transpose(zeros({2, 3}), 0, 2); },
                                       "transpose: dimension 2 is out of range for a 2-d tensor");
}

// ---- reshape ----

TEST(ShapeOps, ReshapeKeepsTheRowMajorOrder) {
  expect_values(reshape(one_to_six(), {3, 2}), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_values(one_to_six().reshape({6}), {6}, {1, 2, 3, 4, 5, 6});
  expect_values(reshape(f64({7}, {1, 1}), {}), {}, {7});
}

TEST(ShapeOps, ReshapeInfersTheExtentMarkedMinusOne) {
  expect_values(reshape(one_to_six(), {-1, 2}), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_values(reshape(one_to_six(), {-1}), {6}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(reshape(arange24(), {2, -1, 1}).shape().str(), "[2, 12, 1]");
  EXPECT_EQ(reshape(zeros({0, 3}), {-1, 3}).shape().str(), "[0, 3]");
}

TEST(ShapeOps, ReshapeSharesStorage) {
  Tensor x = one_to_six();
  Tensor y = reshape(x, {3, 2});
  y.put_({2, 1}, 60.0);
  EXPECT_EQ(x.at({1, 2}), 60.0);
  EXPECT_EQ(reshape(x, {2, 3}).impl(), x.impl());  // already the shape: the same handle
}

TEST(ShapeOps, GradcheckReshape) {
  expect_gradcheck([](const Inputs& in) { return reshape(in[0], {3, 2}); }, {random_leaf({2, 3}, 3)});
  expect_unary_gradcheck([](const Tensor& x) { return reshape(x, {1, 2, -1}); }, random_leaf({2, 3}, 4));
}

TEST(ShapeOps, ReshapeRejectsWrongElementCounts) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return reshape(x, {4}); },
                                       "reshape: cannot reshape [2, 3] (6 elements) into [4]");
  expect_throws<std::invalid_argument>([&] { return reshape(x, {-1, 4}); },
                                       "reshape: cannot reshape [2, 3] into [-1, 4]");
  expect_throws<std::invalid_argument>([&] { return reshape(x, {-1, -1}); },
                                       "reshape: only one dimension can be -1, got [-1, -1]");
  expect_throws<std::invalid_argument>([&] { return reshape(x, {-2, 3}); }, "Shape: negative extent -2");
}

TEST(ShapeOps, OnlyReshapeAcceptsMinusOne) {
  expect_throws<std::invalid_argument>([] { return zeros({-1, 3}); }, "has a -1 extent; only reshape can infer one");
  expect_throws<std::invalid_argument>([] { return broadcast_to(zeros({1, 3}), {-1, 3}); }, "has a -1 extent");
}

// ---- broadcast_to ----

TEST(ShapeOps, BroadcastToValues) {
  expect_values(broadcast_to(f64({1, 2, 3}, {3}), {2, 3}), {2, 3}, {1, 2, 3, 1, 2, 3});
  expect_values(broadcast_to(f64({1, 2}, {2, 1}), {2, 3}), {2, 3}, {1, 1, 1, 2, 2, 2});
  expect_values(broadcast_to(f64({5}, {}), {2, 2}), {2, 2}, {5, 5, 5, 5});
  expect_values(broadcast_to(f64({1, 2}, {2, 1}), {2, 2, 2}), {2, 2, 2}, {1, 1, 2, 2, 1, 1, 2, 2});
}

TEST(ShapeOps, GradcheckBroadcastTo) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3}, {2, 3}}, {{2, 1}, {2, 3}}, {{}, {2, 2}}, {{2, 1}, {3, 2, 2}}};
  for (const auto& [from, to] : cases) {
    SCOPED_TRACE(from.str() + " to " + to.str());
    expect_unary_gradcheck([to = to](const Tensor& x) { return broadcast_to(x, to); }, random_leaf(from, 5));
  }
}

TEST(ShapeOps, BroadcastToRejectsIncompatibleShapes) {
  expect_throws<std::invalid_argument>([] { return broadcast_to(zeros({2, 3}), {3}); },
                                       "broadcast_to: cannot broadcast [2, 3] to [3]");
  expect_throws<std::invalid_argument>([] { return broadcast_to(zeros({3}), {2, 1}); },
                                       "broadcast_to: cannot broadcast [3] to [2, 1]");
  expect_throws<std::invalid_argument>([] { return broadcast_to(zeros({2, 3}), {4, 3}); },
                                       "broadcast_to: shapes cannot be broadcast: [2, 3] and [4, 3]");
}

// ---- slice ----

TEST(ShapeOps, SliceValues) {
  const Tensor x = arange(10, kFloat64).reshape({2, 5});
  expect_values(slice(x, 1, 1, 4), {2, 3}, {1, 2, 3, 6, 7, 8});
  expect_values(slice(x, 0, 1, 2), {1, 5}, {5, 6, 7, 8, 9});
  expect_values(slice(x, 1, 3, 100), {2, 2}, {3, 4, 8, 9});  // end clamped to the extent
  expect_values(slice(x, 1, 3, 1), {2, 0}, {});              // end before start: empty
}

TEST(ShapeOps, SliceNegativeBoundsCountFromTheBack) {
  const Tensor x = arange(10, kFloat64).reshape({2, 5});
  expect_values(slice(x, 1, -3, -1), {2, 2}, {2, 3, 7, 8});
  expect_values(slice(x, -1, -2, 5), {2, 2}, {3, 4, 8, 9});
  expect_values(slice(x, 0, -1, 2), {1, 5}, {5, 6, 7, 8, 9});
  expect_values(slice(x, 1, -100, 1), {2, 1}, {0, 5});  // start clamped to 0
}

TEST(ShapeOps, SliceGradientIsZeroOutsideTheSlice) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  slice(x, 1, -2, 3).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 1, 1, 0, 1, 1});
}

TEST(ShapeOps, GradcheckSlice) {
  const Tensor x = random_leaf({3, 4}, 6);
  expect_gradcheck([](const Inputs& in) { return slice(in[0], 1, 1, 3); }, {x});
  expect_gradcheck([](const Inputs& in) { return slice(in[0], 0, -2, -1); }, {x});
  SCOPED_TRACE("fan-out: overlapping slices of x");
  expect_gradcheck([](const Inputs& in) { return slice(in[0], 1, 0, 3) * slice(in[0], 1, -3, 4); }, {x});
}

TEST(ShapeOps, SliceRejectsDimsOutOfRange) {
  expect_throws<std::invalid_argument>([] { return slice(zeros({2, 3}), 2, 0, 1); },
                                       "slice: dimension 2 is out of range for a 2-d tensor");
}

// ---- cat ----

TEST(ShapeOps, CatValues) {
  const Tensor a = f64({1, 2}, {1, 2});
  const Tensor b = f64({3, 4, 5, 6}, {2, 2});
  expect_values(cat({a, b}, 0), {3, 2}, {1, 2, 3, 4, 5, 6});
  expect_values(cat({f64({1, 2}, {2, 1}), b}, 1), {2, 3}, {1, 3, 4, 2, 5, 6});
  expect_values(cat({b, b}, -1), {2, 4}, {3, 4, 3, 4, 5, 6, 5, 6});
  const std::vector<Tensor> parts = {a, a, a};
  expect_values(cat(parts), {3, 2}, {1, 2, 1, 2, 1, 2});
}

TEST(ShapeOps, GradcheckCat) {
  const Tensor a = random_leaf({1, 3}, 7);
  const Tensor b = random_leaf({2, 3}, 8);
  expect_gradcheck([](const Inputs& in) { return cat({in[0], in[1]}, 0); }, {a, b});
  expect_gradcheck([](const Inputs& in) { return cat({in[0], in[1], in[0]}, 0); }, {a, b});
  expect_gradcheck([](const Inputs& in) { return cat({transpose(in[0]), transpose(in[1])}, 1); }, {a, b});
  SCOPED_TRACE("fan-out: cat of x with x * x");
  expect_gradcheck([](const Inputs& in) { return cat({in[0], in[0] * in[0]}, -1); }, {b});
}

TEST(ShapeOps, CatWithSomeInputsNotRequiringGrad) {
  const Tensor a = leaf({1, 2}, {2});
  const Tensor b = f64({3}, {1});
  (cat({b, a}) * f64({10, 20, 30}, {3})).sum().backward();
  expect_values(a.grad(), {2}, {20, 30});
}

TEST(ShapeOps, CatRejectsMismatchedInputs) {
  expect_throws<std::invalid_argument>([] { return cat({zeros({2, 3}), zeros({2, 4})}, 0); },
                                       "cat: shapes [2, 3] and [2, 4] differ outside dimension 0");
  expect_throws<std::invalid_argument>([] { return cat({zeros({2, 3}), zeros({6})}, 0); },
                                       "cat: shapes [2, 3] and [6] differ outside dimension 0");
  expect_throws<std::invalid_argument>([] { return cat({zeros({2}), zeros({2}, kFloat64)}); },
                                       "cat: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return cat(std::vector<Tensor>{}); }, "cat: needs at least one tensor");
}

// ---- second derivatives: gradgradcheck of every op, plain and fanned out ----
// The ops are linear, so v -> vjp is the op's transpose (checked by the derivative in v) and the second
// derivative in x is 0 unless x also reaches the output another way: the fan-out cases multiply by x.

TEST(ShapeOps, GradGradTranspose) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return transpose(in[0], 0, 2); }, {random_leaf({2, 3, 2}, 2)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out =
      gradgradcheck([](const Inputs& in) { return transpose(in[0]) * in[0]; }, {random_leaf({3, 3}, 1)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeOps, GradGradReshape) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return reshape(in[0], {3, 2}); }, {random_leaf({2, 3}, 3)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return reshape(in[0], {1, 2, -1}) * in[0]; }, {random_leaf({2, 3}, 4)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeOps, GradGradBroadcastTo) {
  const std::vector<std::pair<Shape, Shape>> cases = {{{3}, {2, 3}}, {{}, {2, 2}}, {{2, 1}, {3, 2, 2}}};
  for (const auto& [from, to] : cases) {
    SCOPED_TRACE(from.str() + " to " + to.str() + ", fanned out: broadcast_to(x) * x");
    const GradcheckResult r =
        gradgradcheck([to = to](const Inputs& in) { return broadcast_to(in[0], to) * in[0]; }, {random_leaf(from, 5)});
    EXPECT_TRUE(r.ok) << r.str();
  }
}

TEST(ShapeOps, GradGradSlice) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return slice(in[0], 0, -2, -1); }, {random_leaf({3, 4}, 6)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return slice(in[0], 1, 0, 3) * slice(in[0], 1, -3, 4); }, {random_leaf({3, 4}, 6)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeOps, GradGradCat) {
  const GradcheckResult plain = gradgradcheck([](const Inputs& in) { return cat({in[0], in[1], in[0]}, 0); },
                                              {random_leaf({1, 3}, 7), random_leaf({2, 3}, 8)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out =
      gradgradcheck([](const Inputs& in) { return cat({in[0], in[0] * in[1]}, -1); },
                    {random_leaf({2, 3}, 8), random_leaf({2, 3}, 9)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

// f = sum(slice(x, 1, 1, 3)^3): df/dx = 3 x^2 inside the slice and 0 outside, and the derivative of
// sum(df/dx) is 6 x inside, 0 outside; the second sweep goes through slice's backward (a padded copy).
TEST(ShapeOps, SecondDerivativeThroughSlice) {
  const Tensor x = leaf({1, 2, 3, 4, -1, -2, -3, -4}, {2, 4});
  const Tensor g = autograd::grad({sum(slice(x, 1, 1, 3).pow(3))}, {x}, {}, {}, true)[0];
  expect_values(g, {2, 4}, {0, 12, 27, 0, 0, 12, 27, 0});
  expect_values(autograd::grad({sum(g)}, {x})[0], {2, 4}, {0, 12, 18, 0, 0, -12, -18, 0});
}

TEST(ShapeOps, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {
      {"transpose", [](const Tensor& x) { return transpose(x); }},
      {"reshape", [](const Tensor& x) { return reshape(x, {1}); }},
      {"broadcast_to", [](const Tensor& x) { return broadcast_to(x, {1}); }},
      {"slice", [](const Tensor& x) { return slice(x, 0, 0, 1); }},
      {"cat", [](const Tensor& x) { return cat({x}); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
