// Shape ops that pick, join and split (select and x[i], stack, cat of 0-d tensors, unbind, split,
// chunk): closed-form values (PyTorch's rules, checked against PyTorch 1.13), gradients in closed form
// and by gradcheck in float64 with fan-out cases, the messages for bad arguments, and every shape op on
// float32, int64 and bool, whose elements move by their size.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Expects pieces to have these shapes and, in order, these values.
void expect_pieces(const std::vector<Tensor>& pieces, const std::vector<Shape>& shapes,
                   const std::vector<std::vector<double>>& values) {
  ASSERT_EQ(pieces.size(), shapes.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    SCOPED_TRACE("piece " + std::to_string(i));
    expect_values(pieces[i], shapes[i], values[i]);
  }
}

// ---- select and x[i] ----

TEST(ShapeJoin, SelectDropsTheDimension) {
  const Tensor x = one_to_six();
  expect_values(select(x, 1, 2), {2}, {3, 6});
  expect_values(x.select(0, -1), {3}, {4, 5, 6});
  expect_values(x.select(-1, -3), {2}, {1, 4});
  expect_values(select(counting({2, 3, 4}), 1, 1), {2, 4}, {4, 5, 6, 7, 16, 17, 18, 19});
  expect_values(select(f64({7, 8}, {2}), 0, 1), {}, {8});
}

TEST(ShapeJoin, IndexingIsSelectAlongTheFirstDimension) {
  const Tensor x = one_to_six();
  expect_values(x[0], {3}, {1, 2, 3});
  expect_values(x[-1], {3}, {4, 5, 6});
  expect_values(x[1][2], {}, {6});
  expect_values(counting({2, 3, 4})[1][2], {4}, {20, 21, 22, 23});
}

TEST(ShapeJoin, SelectGradientIsZeroOutsideTheSlot) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (select(x, 1, 1) * f64({10, 20}, {2})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 10, 0, 0, 20, 0});
  const Tensor y = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (y[1] * y[0]).sum().backward();  // fan-out: d/dy[0] = y[1], d/dy[1] = y[0]
  expect_values(y.grad(), {2, 3}, {4, 5, 6, 1, 2, 3});
}

TEST(ShapeJoin, GradcheckSelect) {
  expect_gradcheck([](const Inputs& in) { return select(in[0], 1, -1); }, {random_leaf({3, 4}, 1)});
  expect_gradcheck([](const Inputs& in) { return in[0][1]; }, {random_leaf({2, 3, 2}, 2)});
  SCOPED_TRACE("fan-out and broadcast: x[0] of [3] times column 1 as [3, 1]");
  expect_gradcheck([](const Inputs& in) { return in[0][0] * unsqueeze(select(in[0], 1, 1), 1); },
                   {random_leaf({3, 3}, 3)});
}

TEST(ShapeJoin, SelectRejectsBadArguments) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return select(x, 1, 5); },
                                       "select: index 5 is out of range for dimension 1 of size 3 (shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return select(x, -1, -4); },
                                       "select: index -4 is out of range for dimension 1 of size 3 (shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return x[2]; },
                                       "select: index 2 is out of range for dimension 0 of size 2 (shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return select(x, 2, 0); },
                                       "select: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return scalar_tensor(1)[0]; },
                                       "select: cannot select from a 0-d tensor (it has no dimension)");
}

// ---- stack, and cat of 0-d tensors ----

TEST(ShapeJoin, StackJoinsAlongANewDimension) {
  const Tensor a = f64({1, 2, 3}, {3});
  const Tensor b = f64({4, 5, 6}, {3});
  expect_values(stack({a, b}), {2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(stack({a, b}, 1), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(stack({a, b}, -1), {3, 2}, {1, 4, 2, 5, 3, 6});
  expect_values(stack({a, b, a}, -2), {3, 3}, {1, 2, 3, 4, 5, 6, 1, 2, 3});
  const Tensor c = counting({2, 2});
  expect_values(stack({c, c * 10.0}, 1), {2, 2, 2}, {0, 1, 0, 10, 2, 3, 20, 30});
  expect_values(stack({c, c * 10.0}, 2), {2, 2, 2}, {0, 0, 1, 10, 2, 20, 3, 30});
  const std::vector<Tensor> one = {a};
  expect_values(stack(one), {1, 3}, {1, 2, 3});
}

TEST(ShapeJoin, StackOfZeroDimensionalTensorsIsOneDimensional) {
  const Tensor s = scalar_tensor(5, kFloat64);
  const Tensor t = scalar_tensor(7, kFloat64);
  expect_values(stack({s, t}), {2}, {5, 7});
  expect_values(stack({s, t, s}, -1), {3}, {5, 7, 5});
}

TEST(ShapeJoin, StackGradientIsEachInputsSlot) {
  const Tensor a = leaf({1, 2}, {2});
  const Tensor b = f64({3, 4}, {2});
  (stack({a, b, a}, 1) * f64({1, 2, 3, 4, 5, 6}, {2, 3})).sum().backward();
  expect_values(a.grad(), {2}, {1 + 3, 4 + 6});  // a fills columns 0 and 2
}

TEST(ShapeJoin, GradcheckStack) {
  const Tensor x = random_leaf({2, 3}, 4);
  const Tensor y = random_leaf({2, 3}, 5);
  expect_gradcheck([](const Inputs& in) { return stack({in[0], in[1]}, 1); }, {x, y});
  expect_gradcheck([](const Inputs& in) { return stack({in[1], in[0] * in[0]}, -1); }, {x, y});
  const Tensor s = random_leaf({}, 6);
  expect_gradcheck([](const Inputs& in) { return stack({in[0], in[0] * in[0]}); }, {s});
  SCOPED_TRACE("fan-out: stack({x, x})");
  expect_unary_gradcheck([](const Tensor& x) { return stack({x, x}); }, x);  // times x: a broadcast case too
}

TEST(ShapeJoin, StackRejectsBadInputs) {
  expect_throws<std::invalid_argument>([] { return stack({zeros({2, 3}), zeros({2, 4})}); },
                                       "stack: tensor 1 has shape [2, 4] but tensor 0 has [2, 3]");
  expect_throws<std::invalid_argument>([] { return stack({zeros({2}), zeros({2}), zeros({2, 1})}); },
                                       "stack: tensor 2 has shape [2, 1] but tensor 0 has [2]");
  expect_throws<std::invalid_argument>([] { return stack({zeros({2}), zeros({2}, kFloat64)}); },
                                       "stack: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return stack(std::vector<Tensor>{}); },
                                       "stack: needs at least one tensor");
  expect_throws<std::invalid_argument>(
      [] { return stack({zeros({2, 3}), zeros({2, 3})}, 3); },
      "stack: dimension 3 is out of range for a 2-d tensor (a new dimension goes at -3 to 2)");
  expect_throws<std::invalid_argument>([] { return stack({scalar_tensor(1)}, 1); },
                                       "stack: dimension 1 is out of range for a 0-d tensor");
  const Tensor full_rank = zeros({1, 1, 1, 1, 1, 1, 1, 1});
  expect_throws<std::invalid_argument>([&] { return stack({full_rank, full_rank}); },
                                       "stack: the result would have more than 8 dimensions");
}

TEST(ShapeJoin, CatRejectsZeroDimensionalTensorsAsPyTorchDoes) {
  expect_throws<std::invalid_argument>([] { return cat({scalar_tensor(1), scalar_tensor(2)}); },
                                       "cat: tensor 0 is 0-d and cannot be concatenated; stack() joins 0-d tensors");
  expect_throws<std::invalid_argument>([] { return cat({zeros({2}), scalar_tensor(2)}); },
                                       "cat: tensor 1 is 0-d and cannot be concatenated");
}

// ---- unbind, split, chunk ----

TEST(ShapeJoin, UnbindValues) {
  const Tensor x = one_to_six();
  expect_pieces(unbind(x), {{3}, {3}}, {{1, 2, 3}, {4, 5, 6}});
  expect_pieces(x.unbind(1), {{2}, {2}, {2}}, {{1, 4}, {2, 5}, {3, 6}});
  expect_pieces(unbind(f64({7, 8}, {2}), -1), {{}, {}}, {{7}, {8}});
  EXPECT_TRUE(unbind(zeros({0, 2})).empty());
}

TEST(ShapeJoin, SplitValues) {
  const Tensor x = counting({5});
  expect_pieces(split(x, 2), {{2}, {2}, {1}}, {{0, 1}, {2, 3}, {4}});
  expect_pieces(x.split(5), {{5}}, {{0, 1, 2, 3, 4}});
  expect_pieces(split(x, 7), {{5}}, {{0, 1, 2, 3, 4}});  // one piece when split_size passes the extent
  expect_pieces(split(one_to_six(), 2, 1), {{2, 2}, {2, 1}}, {{1, 2, 4, 5}, {3, 6}});
  expect_pieces(split(zeros({0}), 0), {{0}}, {{}});
  expect_pieces(split(zeros({0}), 3), {{0}}, {{}});
}

TEST(ShapeJoin, SplitWithSizesValues) {
  const Tensor x = one_to_six();
  expect_pieces(split(x, {1, 2}, 1), {{2, 1}, {2, 2}}, {{1, 4}, {2, 3, 5, 6}});
  expect_pieces(x.split({2, 0, 1}, -1), {{2, 2}, {2, 0}, {2, 1}}, {{1, 2, 4, 5}, {}, {3, 6}});
  const std::vector<std::int64_t> sizes = {1, 1};
  expect_pieces(split(x, sizes), {{1, 3}, {1, 3}}, {{1, 2, 3}, {4, 5, 6}});
}

TEST(ShapeJoin, ChunkFollowsPyTorchsSizes) {
  expect_pieces(chunk(counting({5}), 3), {{2}, {2}, {1}}, {{0, 1}, {2, 3}, {4}});
  expect_pieces(counting({6}).chunk(4), {{2}, {2}, {2}}, {{0, 1}, {2, 3}, {4, 5}});  // 3 pieces, not 4
  expect_pieces(chunk(counting({5}), 10), {{1}, {1}, {1}, {1}, {1}}, {{0}, {1}, {2}, {3}, {4}});
  expect_pieces(chunk(counting({6}), 1), {{6}}, {{0, 1, 2, 3, 4, 5}});
  expect_pieces(chunk(one_to_six(), 2, 1), {{2, 2}, {2, 1}}, {{1, 2, 4, 5}, {3, 6}});
  expect_pieces(chunk(zeros({0}), 3), {{0}, {0}, {0}}, {{}, {}, {}});  // an empty dimension: `chunks` pieces
}

TEST(ShapeJoin, PiecesGetTheirOwnGradients) {
  const Tensor x = leaf({1, 2, 3, 4, 5}, {5});
  const std::vector<Tensor> p = split(x, 2);
  (p[0] * 10.0).sum().backward();  // p[1] and p[2] unused: zero gradient there
  expect_values(x.grad(), {5}, {10, 10, 0, 0, 0});
  const Tensor y = leaf({1, 2, 3, 4}, {2, 2});
  const std::vector<Tensor> rows = y.unbind();
  (rows[0] * rows[1]).sum().backward();
  expect_values(y.grad(), {2, 2}, {3, 4, 1, 2});
}

TEST(ShapeJoin, GradcheckUnbindSplitChunk) {
  const Tensor x = random_leaf({2, 5}, 7);
  // Every piece reaches x once or more, each with its own weight: a fan-out of x through the pieces.
  expect_gradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = unbind(in[0], 1);
    return stack({p[0] * p[4], p[1] + p[2], p[3] * 3.0});
  }, {x});
  expect_gradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = split(in[0], 2, 1);
    return cat({p[2], p[0] * p[1]}, 1);
  }, {x});
  expect_gradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = split(in[0], {3, 2}, -1);
    return cat({p[1] * p[1], p[0]}, 1);
  }, {x});
  expect_gradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = chunk(in[0], 2, 0);
    return p[0] * p[1] + in[0];
  }, {x});
}

TEST(ShapeJoin, SplitAndChunkRejectBadArguments) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return split(x, -1); },
                                       "split: split_size must be non-negative, got -1");
  expect_throws<std::invalid_argument>(
      [&] { return split(x, 0, 1); },
      "split: split_size 0 can only split a dimension of size 0, but dimension 1 has size 3 (shape [2, 3])");
  expect_throws<std::invalid_argument>([] { return split(scalar_tensor(1), 1); },
                                       "split: needs a tensor with at least one dimension, got a 0-d tensor");
  expect_throws<std::invalid_argument>([&] { return split(x, 1, 2); },
                                       "split: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>(
      [&] { return split(x, {1, 1}, 1); },
      "split: split_sizes [1, 1] add up to 2, not to the size 3 of dimension 1 (shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return split(x, {-1, 4}, 1); },
                                       "split: split_sizes must be non-negative, got [-1, 4]");
  expect_throws<std::invalid_argument>([&] { return split(x, {INT64_MAX, INT64_MAX}, 1); },
                                       "add up to more than an int64 holds, not to the size 3");
  expect_throws<std::invalid_argument>([&] { return chunk(x, 0); }, "chunk: chunks must be positive, got 0");
  expect_throws<std::invalid_argument>([] { return chunk(scalar_tensor(1), 1); },
                                       "chunk: needs a tensor with at least one dimension, got a 0-d tensor");
  expect_throws<std::invalid_argument>([] { return unbind(scalar_tensor(1)); },
                                       "unbind: dimension 0 is out of range for a 0-d tensor");
}

// ---- every shape op on every dtype ----

// The shape ops move elements by their size: 4 bytes for float32, 8 for int64 (float64's size, but
// through no arithmetic), 1 for bool. Copies are exact, so the values are compared exactly.
void expect_shape_ops_move(Dtype dtype) {
  SCOPED_TRACE(std::string(dtype_name(dtype)));
  const Tensor x = arange(6, dtype).reshape({2, 3});
  const auto expect = [dtype](const Tensor& t, const Shape& shape, const std::vector<double>& values) {
    EXPECT_EQ(t.dtype(), dtype);
    expect_values(t, shape, values, 0.0);
  };
  expect(transpose(x), {3, 2}, {0, 3, 1, 4, 2, 5});
  expect(permute(x, {1, 0}), {3, 2}, {0, 3, 1, 4, 2, 5});
  expect(flip(x, {1}), {2, 3}, {2, 1, 0, 5, 4, 3});
  expect(roll(x, {1}, {1}), {2, 3}, {2, 0, 1, 5, 3, 4});
  expect(repeat(x, {1, 2}), {2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
  expect(pad(x, {1, 0}, -1), {2, 4}, {-1, 0, 1, 2, -1, 3, 4, 5});
  expect(expand(x[0], {2, 3}), {2, 3}, {0, 1, 2, 0, 1, 2});
  expect(broadcast_to(reshape(x[1], {3, 1}), {3, 2}), {3, 2}, {3, 3, 4, 4, 5, 5});
  expect(select(x, 1, 1), {2}, {1, 4});
  expect(slice(x, 1, 1, 3), {2, 2}, {1, 2, 4, 5});
  expect(stack({x[1], x[0]}, 1), {3, 2}, {3, 0, 4, 1, 5, 2});
  expect(cat({x, x[0].unsqueeze(0)}), {3, 3}, {0, 1, 2, 3, 4, 5, 0, 1, 2});
  expect(chunk(x, 2, 1)[1], {2, 1}, {2, 5});
  expect(unbind(x, 1)[2], {2}, {2, 5});
  expect(flatten(unsqueeze(x, 0)), {6}, {0, 1, 2, 3, 4, 5});
}

TEST(ShapeJoin, ShapeOpsMoveFloat32AndInt64Elements) {
  expect_shape_ops_move(kFloat32);
  expect_shape_ops_move(kInt64);
}

TEST(ShapeJoin, Int64ElementsMoveExactlyPastTwoToThe53) {
  // Doubles skip odd integers past 2^53: these survive only if the bytes move untouched.
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  const std::vector<std::int64_t> values = {big, big + 2, -big, -big - 2};
  const Tensor x = tensor(values, Shape{2, 2});
  const auto expect_ints = [](const Tensor& t, const std::vector<std::int64_t>& expected) {
    ASSERT_EQ(t.dtype(), kInt64);
    ASSERT_EQ(t.numel(), static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(std::vector<std::int64_t>(t.data<std::int64_t>(), t.data<std::int64_t>() + t.numel()), expected);
  };
  expect_ints(permute(x, {1, 0}), {big, -big, big + 2, -big - 2});
  expect_ints(flip(x, {0, 1}), {-big - 2, -big, big + 2, big});
  expect_ints(stack({x[1], x[0]}), {-big, -big - 2, big, big + 2});
  expect_ints(repeat(x[0], {2}), {big, big + 2, big, big + 2});
  expect_ints(expand(select(x, 1, 0), {2, 2}), {big, -big, big, -big});
}

TEST(ShapeJoin, ShapeOpsMoveBoolElements) {
  const Tensor mask = tensor({1, 0, 0, 1, 1, 0}, {2, 3}, kBool);
  const auto expect_mask = [](const Tensor& t, const Shape& shape, const std::vector<double>& values) {
    EXPECT_EQ(t.dtype(), kBool);
    expect_values(t, shape, values, 0.0);
  };
  expect_mask(transpose(mask), {3, 2}, {1, 1, 0, 1, 0, 0});
  expect_mask(permute(unsqueeze(mask, 0), {2, 1, 0}), {3, 2, 1}, {1, 1, 0, 1, 0, 0});
  expect_mask(flip(mask, {1}), {2, 3}, {0, 0, 1, 0, 1, 1});
  expect_mask(roll(mask, {1}), {2, 3}, {0, 1, 0, 0, 1, 1});
  expect_mask(repeat(mask[0], {2, 1}), {2, 3}, {1, 0, 0, 1, 0, 0});
  expect_mask(pad(mask, {0, 1}, 1), {2, 4}, {1, 0, 0, 1, 1, 1, 0, 1});
  expect_mask(expand(mask[1], {2, -1}), {2, 3}, {1, 1, 0, 1, 1, 0});
  expect_mask(select(mask, 1, 2), {2}, {0, 0});
  expect_mask(stack({mask[1], mask[0]}, -1), {3, 2}, {1, 1, 1, 0, 0, 0});
  expect_mask(cat({mask, mask}, 1), {2, 6}, {1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0});
  expect_mask(split(mask, {2, 1}, 1)[0], {2, 2}, {1, 0, 1, 1});
}

// ---- second derivatives: gradgradcheck of every op ----
// The ops are linear: the derivative in v checks that the backward is recorded, and a product of two
// paths into x makes the second derivative in x non-zero.

TEST(ShapeJoin, GradGradSelect) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return select(in[0], 1, -1); }, {random_leaf({3, 4}, 1)});
  EXPECT_TRUE(plain.ok) << plain.str();
  SCOPED_TRACE("fan-out and broadcast: x[0] of [3] times column 1 as [3, 1]");
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return in[0][0] * unsqueeze(select(in[0], 1, 1), 1); }, {random_leaf({3, 3}, 3)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeJoin, GradGradStack) {
  const GradcheckResult plain = gradgradcheck([](const Inputs& in) { return stack({in[0], in[1]}, 1); },
                                              {random_leaf({2, 3}, 4), random_leaf({2, 3}, 5)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck([](const Inputs& in) { return stack({in[0], in[0] * in[1]}, -1); },
                                                {random_leaf({2, 3}, 4), random_leaf({2, 3}, 5)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
  SCOPED_TRACE("0-d inputs");
  const GradcheckResult scalars =
      gradgradcheck([](const Inputs& in) { return stack({in[0], in[0] * in[0]}); }, {random_leaf({}, 6)});
  EXPECT_TRUE(scalars.ok) << scalars.str();
}

TEST(ShapeJoin, GradGradUnbind) {
  const GradcheckResult r = gradgradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = unbind(in[0], 1);
    return stack({p[0] * p[4], p[1] + p[2], p[3] * 3.0});
  }, {random_leaf({2, 5}, 7)});
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(ShapeJoin, GradGradSplit) {
  const GradcheckResult by_size = gradgradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = split(in[0], 2, 1);
    return cat({p[2], p[0] * p[1]}, 1);
  }, {random_leaf({2, 5}, 7)});
  EXPECT_TRUE(by_size.ok) << by_size.str();
  const GradcheckResult by_sizes = gradgradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = split(in[0], {3, 2}, -1);
    return cat({p[1] * p[1], p[0]}, 1);
  }, {random_leaf({2, 5}, 7)});
  EXPECT_TRUE(by_sizes.ok) << by_sizes.str();
}

TEST(ShapeJoin, GradGradChunk) {
  const GradcheckResult r = gradgradcheck([](const Inputs& in) {
    const std::vector<Tensor> p = chunk(in[0], 3, 0);
    return p[0] * p[1] + p[2].sum();
  }, {random_leaf({5, 2}, 8)});
  EXPECT_TRUE(r.ok) << r.str();
}

// f = sum(stack({x, x * x})^2) = sum(x^2 + x^4): df/dx = 2 x + 4 x^3, and the derivative of sum(df/dx)
// is 2 + 12 x^2; the second sweep goes through stack's backward (selects of dy).
TEST(ShapeJoin, SecondDerivativeThroughStack) {
  const Tensor x = leaf({1, -0.5, 2}, {3});
  const Tensor g = autograd::grad({sum(stack({x, x * x}).pow(2))}, {x}, {}, {}, true)[0];
  expect_values(g, {3}, {6, -1.5, 36});
  expect_values(autograd::grad({sum(g)}, {x})[0], {3}, {14, 5, 50});
}

TEST(ShapeJoin, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"select", [](const Tensor& x) { return select(x, 0, 0); }},
                             {"select", [](const Tensor& x) { return x[0]; }},
                             {"stack", [](const Tensor& x) { return stack({x}); }},
                             {"stack", [](const Tensor& x) { return stack({ones({1}), x}); }},
                             {"cat", [](const Tensor& x) { return cat({ones({1}), x}); }},
                             {"unbind", [](const Tensor& x) { return stack(unbind(x)); }},
                             {"split", [](const Tensor& x) { return split(x, 1)[0]; }},
                             {"split", [](const Tensor& x) { return split(x, {1})[0]; }},
                             {"chunk", [](const Tensor& x) { return chunk(x, 1)[0]; }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
