// Indexing ops (indexing.hpp): hand-computed values (checked against PyTorch 1.13), int64 and bool values
// moved, gradients of repeated indices, float64 gradcheck with fan-out and broadcast, and the message of
// every validation.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// An int64 index tensor.
Tensor ints(const std::vector<std::int64_t>& values, const Shape& shape) { return tensor(values, shape); }
Tensor ints(const std::vector<std::int64_t>& values) {
  return ints(values, Shape{static_cast<std::int64_t>(values.size())});
}
Tensor mask(const std::vector<double>& values, const Shape& shape) { return tensor(values, shape, kBool); }

std::vector<std::int64_t> int_values(const Tensor& t) {
  const std::int64_t* p = t.data<std::int64_t>();
  return {p, p + t.numel()};
}

// ---- index_select and index_add ----

TEST(Indexing, IndexSelectValues) {
  expect_values(index_select(one_to_six(), 0, ints({1, 0, 1})), {3, 3}, {4, 5, 6, 1, 2, 3, 4, 5, 6});
  expect_values(index_select(one_to_six(), 1, ints({2, 0})), {2, 2}, {3, 1, 6, 4});
  expect_values(index_select(one_to_six(), -1, ints({2, 0})), {2, 2}, {3, 1, 6, 4});
  expect_values(index_select(one_to_six(), 0, ints({1}, Shape{})), {1, 3}, {4, 5, 6});  // a 0-d index
  expect_values(index_select(scalar_tensor(5, kFloat64), 0, ints({0})), {}, {5});
  expect_values(index_select(one_to_six(), 0, ints({})), {0, 3}, {});
  const Tensor x = arange(24, kFloat64).reshape({2, 3, 4});
  expect_values(index_select(x, 1, ints({2})), {2, 1, 4}, {8, 9, 10, 11, 20, 21, 22, 23});
}

TEST(Indexing, IndexSelectMovesInt64AndBoolValues) {
  const std::int64_t big = (std::int64_t{1} << 60) + 1;  // not a double: a float detour would round it
  const Tensor x = ints({big, -big, 7}, {3});
  const Tensor y = index_select(x, 0, ints({2, 0, 1}));
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(int_values(y), (std::vector<std::int64_t>{7, big, -big}));
  const Tensor b = index_select(mask({1, 0, 0, 1}, {2, 2}), 1, ints({1, 1, 0}));
  EXPECT_EQ(b.dtype(), kBool);
  expect_values(b, {2, 3}, {0, 0, 1, 1, 1, 0});
}

TEST(Indexing, IndexSelectGradientAddsRepeatedRows) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {3, 2});
  index_select(x, 0, ints({2, 0, 2})).sum().backward();
  expect_values(x.grad(), {3, 2}, {1, 1, 0, 0, 2, 2});
  const Tensor w = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (index_select(w, 1, ints({0, 0, 2})) * f64({1, 2, 3, 4, 5, 6}, {2, 3})).sum().backward();
  expect_values(w.grad(), {2, 3}, {3, 0, 3, 9, 0, 6});
}

TEST(Indexing, GradcheckIndexSelect) {
  const Tensor repeated = ints({2, 0, 2});
  expect_unary_gradcheck([&](const Tensor& x) { return index_select(x, 0, repeated); }, random_leaf({3, 3}, 1));
  expect_unary_gradcheck([&](const Tensor& x) { return index_select(x, 1, repeated); }, random_leaf({3, 3}, 2));
  SCOPED_TRACE("fan-out: two selections of x");
  expect_gradcheck(
      [&](const Inputs& in) {
        return index_select(in[0], 0, repeated) * index_select(in[0], 0, ints({1, 2, 0}));
      },
      {random_leaf({3, 2}, 3)});
}

TEST(Indexing, IndexAddValues) {
  // rows 2, 0, 2 of x gain the rows of source: row 0 += [3, 4], row 2 += [1, 2] + [5, 6]
  const Tensor source = f64({1, 2, 3, 4, 5, 6}, {3, 2});
  expect_values(index_add(ones({3, 2}, kFloat64), 0, ints({2, 0, 2}), source), {3, 2}, {4, 5, 1, 1, 7, 9});
  expect_values(index_add(zeros({2, 2}, kFloat64), 1, ints({1}), f64({7, 8}, {2, 1})), {2, 2}, {0, 7, 0, 8});
  const Tensor counts = index_add(zeros({2}, kInt64), 0, ints({1, 1}), ints({3, 4}));
  EXPECT_EQ(int_values(counts), (std::vector<std::int64_t>{0, 7}));
}

TEST(Indexing, GradcheckIndexAdd) {
  const Tensor repeated = ints({2, 0, 2});
  expect_gradcheck([&](const Inputs& in) { return index_add(in[0], 0, repeated, in[1]); },
                   {random_leaf({3, 2}, 4), random_leaf({3, 2}, 5)});
  SCOPED_TRACE("fan-out: index_add(x, 1, index, x) * x");
  expect_gradcheck([&](const Inputs& in) { return index_add(in[0], 1, repeated, in[0]) * in[0]; },
                   {random_leaf({2, 3}, 6)});
}

// ---- gather, scatter_add, scatter ----

TEST(Indexing, GatherValues) {
  expect_values(gather(one_to_six(), 0, ints({1, 0, 1}, {1, 3})), {1, 3}, {4, 2, 6});
  expect_values(gather(one_to_six(), 1, ints({2, 0, 1, 1}, {2, 2})), {2, 2}, {3, 1, 5, 5});
  expect_values(gather(one_to_six(), 1, ints({2}, {1, 1})), {1, 1}, {3});  // smaller than x outside dim too
  expect_values(gather(f64({7, 8, 9}, {3}), 0, ints({2}, Shape{})), {}, {9});
  const Tensor x = arange(8, kFloat64).reshape({2, 2, 2});  // out[i][j][k] = x[i][j][index[i][j][k]]
  expect_values(gather(x, 2, ints({1, 1, 0, 1, 0, 0, 1, 0}, {2, 2, 2})), {2, 2, 2}, {1, 1, 2, 3, 4, 4, 7, 6});
}

TEST(Indexing, GatherMovesInt64AndBoolValues) {
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  EXPECT_EQ(int_values(gather(ints({big, 1, 2, -big}, {2, 2}), 1, ints({1, 1, 0, 0}, {2, 2}))),
            (std::vector<std::int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(int_values(gather(ints({big, 1, 2, -big}, {2, 2}), 0, ints({1, 0}, {1, 2}))),
            (std::vector<std::int64_t>{2, 1}));
  expect_values(gather(mask({1, 0, 0, 1}, {2, 2}), 1, ints({1, 0}, {2, 1})), {2, 1}, {0, 0});
}

TEST(Indexing, Float32ValuesAndGradientsStayFloat32) {
  Tensor x = tensor({1, 2, 3, 4}, {2, 2});
  x.requires_grad_();
  const Tensor y = gather(x, 1, ints({1, 1, 0, 1}, {2, 2}));
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_values(y, {2, 2}, {2, 2, 3, 4});
  (y + index_select(x, 0, ints({0}))).sum().backward();  // small whole numbers: exact in float32
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  expect_values(x.grad(), {2, 2}, {2, 4, 1, 1});  // the selected row is broadcast over 2 rows
}

TEST(Indexing, GatherGradientAddsRepeatedIndices) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  gather(x, 1, ints({0, 0, 2, 0}, {2, 2})).sum().backward();
  expect_values(x.grad(), {2, 3}, {2, 0, 0, 1, 0, 1});
}

TEST(Indexing, GradcheckGather) {
  const Tensor index = ints({0, 0, 2, 1, 2, 1, 2, 2, 2}, {3, 3});
  expect_unary_gradcheck([&](const Tensor& x) { return gather(x, 0, index); }, random_leaf({3, 3}, 7));
  expect_unary_gradcheck([&](const Tensor& x) { return gather(x, 1, index); }, random_leaf({3, 3}, 8));
  SCOPED_TRACE("index smaller than x outside dim");
  expect_gradcheck(
      [&](const Inputs& in) {
        return gather(in[0], 1, ints({3, 3, 0}, {1, 3}));
      },
      {random_leaf({2, 4}, 9)});
  SCOPED_TRACE("fan-out: gather(x, 1, index) * sum(x, 1)");
  expect_gradcheck([](const Inputs& in) { return gather(in[0], 1, ints({2, 0, 1}, {3, 1})) * sum(in[0], {1}, true); },
                   {random_leaf({3, 4}, 27)});
}

TEST(Indexing, ScatterAddValues) {
  // PyTorch's documented example: src [2, 5], index [1, 4] and then [2, 4] (row 0 repeated along dim 0)
  const Tensor src = arange(1, 11, 1, kFloat64).reshape({2, 5});
  expect_values(scatter_add(zeros({3, 5}, kFloat64), 0, ints({0, 1, 2, 0}, {1, 4}), src), {3, 5},
                {1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0});
  expect_values(scatter_add(zeros({3, 5}, kFloat64), 0, ints({0, 1, 2, 0, 0, 1, 2, 2}, {2, 4}), src), {3, 5},
                {7, 0, 0, 4, 0, 0, 9, 0, 0, 0, 0, 0, 11, 9, 0});
  expect_values(scatter_add(ones({2, 2}, kFloat64), 1, ints({1, 1, 0, 1}, {2, 2}), one_to_six().reshape({3, 2})),
                {2, 2}, {1, 4, 4, 5});
  EXPECT_EQ(int_values(scatter_add(ints({1, 1}), 0, ints({0, 0, 1}), ints({2, 3, 4}))),
            (std::vector<std::int64_t>{6, 5}));
  // bool adds as logical or, as in PyTorch
  expect_values(scatter_add(mask({0, 0, 1}, {3}), 0, ints({0, 0, 2}), mask({1, 1, 0}, {3})), {3}, {1, 0, 1});
}

TEST(Indexing, ScatterAddGradients) {
  // y = x + src scattered; with the weights c: dx = c, dsrc[i][j] = c[index[i][j]][j], 0 where index ends.
  const Tensor x = leaf({0, 0, 0, 0}, {2, 2});
  const Tensor src = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor c = f64({1, 2, 3, 4}, {2, 2});
  (scatter_add(x, 0, ints({1, 0, 1, 1}, {2, 2}), src) * c).sum().backward();
  expect_values(x.grad(), {2, 2}, {1, 2, 3, 4});
  expect_values(src.grad(), {2, 3}, {3, 2, 0, 3, 4, 0});
}

TEST(Indexing, GradcheckScatterAdd) {
  const Tensor index = ints({0, 1, 0, 0, 2, 0}, {2, 3});  // repeated targets along both dims
  expect_gradcheck([&](const Inputs& in) { return scatter_add(in[0], 0, index, in[1]); },
                   {random_leaf({3, 3}, 10), random_leaf({2, 3}, 11)});
  SCOPED_TRACE("src larger than index, dim 1");
  expect_gradcheck([&](const Inputs& in) { return scatter_add(in[0], 1, index, in[1]); },
                   {random_leaf({2, 3}, 12), random_leaf({3, 4}, 13)});
  SCOPED_TRACE("fan-out: scatter_add(x, 1, index, x) * x");
  expect_gradcheck([&](const Inputs& in) { return scatter_add(in[0], 1, index, in[0]) * in[0]; },
                   {random_leaf({2, 3}, 14)});
}

TEST(Indexing, ScatterValues) {
  expect_values(scatter(zeros({3}, kFloat64), 0, ints({0, 0, 2}), f64({1, 2, 3}, {3})), {3}, {2, 0, 3});  // last wins
  expect_values(scatter(one_to_six(), 1, ints({2, 0}, {2, 1}), f64({-1, -2}, {2, 1})), {2, 3}, {1, 2, -1, -2, 5, 6});
  expect_values(scatter(one_to_six(), 0, ints({1, 0}, {1, 2}), 9.0), {2, 3}, {1, 9, 3, 9, 5, 6});
  EXPECT_EQ(int_values(scatter(ints({1, 2, 3}), 0, ints({1}), ints({-5}))), (std::vector<std::int64_t>{1, -5, 3}));
  expect_values(scatter(mask({0, 0, 0}, {3}), 0, ints({2}), 1.0), {3}, {0, 0, 1});
}

TEST(Indexing, ScatterGradientsGoToTheWritesKept) {
  // index 0 is written twice: src[1] is kept, src[0] overwritten; x[0] and x[2] are overwritten.
  const Tensor x = leaf({1, 2, 3}, {3});
  const Tensor src = leaf({4, 5, 6}, {3});
  (scatter(x, 0, ints({0, 0, 2}), src) * f64({10, 20, 30}, {3})).sum().backward();
  expect_values(x.grad(), {3}, {0, 20, 0});
  expect_values(src.grad(), {3}, {0, 10, 30});
}

TEST(Indexing, GradcheckScatter) {
  const Tensor index = ints({0, 1, 0, 0, 2, 0}, {2, 3});
  expect_gradcheck([&](const Inputs& in) { return scatter(in[0], 0, index, in[1]); },
                   {random_leaf({3, 3}, 15), random_leaf({2, 4}, 16)});
  SCOPED_TRACE("fan-out: scatter(x, 1, index, x) * x, and the scalar form");
  expect_gradcheck([&](const Inputs& in) { return scatter(in[0], 1, index, in[0]) * in[0]; },
                   {random_leaf({2, 3}, 17)});
  expect_unary_gradcheck([&](const Tensor& x) { return scatter(x, 1, index, 0.5); }, random_leaf({2, 3}, 18));
}

// ---- take_along_dim ----

TEST(Indexing, TakeAlongDimValues) {
  const Tensor x = arange(6, kFloat64).reshape({2, 3});
  expect_values(take_along_dim(x, ints({0, 2}, {2, 1}), 1), {2, 1}, {0, 5});
  expect_values(take_along_dim(x, ints({1, 2, 0, 0}, {1, 4}), 1), {2, 4},
                {1, 2, 0, 0, 4, 5, 3, 3});                                                         // indices broadcast
  expect_values(take_along_dim(f64({0, 1, 2}, {1, 3}), ints({1, 2}, {2, 1}), 1), {2, 1}, {1, 2});  // x broadcast
  expect_values(take_along_dim(x, ints({5, 0, 4}, {3, 1})), {3}, {5, 0, 4});                       // flattened
  const Tensor scores = f64({3, 9, 1, 7, 2, 8}, {2, 3});  // the maximum of each row, picked by argmax
  expect_values(take_along_dim(scores, argmax(scores, 1, true), 1), {2, 1}, {9, 8});
  EXPECT_EQ(int_values(take_along_dim(ints({4, 5}, {1, 2}), ints({1, 0}, {2, 1}), 1)),
            (std::vector<std::int64_t>{5, 4}));
}

TEST(Indexing, GradcheckTakeAlongDim) {
  SCOPED_TRACE("x broadcast: [1, 3] against indices [2, 2]");
  expect_gradcheck(
      [](const Inputs& in) {
        return take_along_dim(in[0], ints({0, 2, 2, 2}, {2, 2}), 1);
      },
      {random_leaf({1, 3}, 19)});
  SCOPED_TRACE("fan-out: take_along_dim(x, indices, 0) * x");
  expect_unary_gradcheck(
      [](const Tensor& x) {
        return take_along_dim(x, ints({1, 0, 1}, {1, 3}), 0);
      },
      random_leaf({2, 3}, 20));
}

// ---- embedding ----

TEST(Indexing, EmbeddingValuesForA2dIndex) {
  const Tensor weight = f64({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  expect_values(embedding(ints({0, 2, 0, 3, 1, 0}, {2, 3}), weight), {2, 3, 2}, {1, 2, 5, 6, 1, 2, 7, 8, 3, 4, 1, 2});
  expect_values(embedding(ints({3}, Shape{}), weight), {2}, {7, 8});
  expect_values(embedding(ints({2}), weight, 2), {1, 2}, {5, 6});  // the padding row is still read
  EXPECT_EQ(int_values(embedding(ints({1, 1}), ints({10, 11, 12, 13}, {2, 2}))),
            (std::vector<std::int64_t>{12, 13, 12, 13}));
}

TEST(Indexing, EmbeddingGradientSumsRepeatedIndicesAndSkipsPadding) {
  const Tensor index = ints({0, 2, 0, 3, 1, 0}, {2, 3});
  Tensor weight = leaf({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  embedding(index, weight).sum().backward();
  expect_values(weight.grad(), {4, 2}, {3, 3, 1, 1, 1, 1, 1, 1});
  weight.zero_grad();
  embedding(index, weight, 0).sum().backward();
  expect_values(weight.grad(), {4, 2}, {0, 0, 1, 1, 1, 1, 1, 1});
  weight.zero_grad();
  embedding(index, weight, -1).sum().backward();  // counts from the back: row 3
  expect_values(weight.grad(), {4, 2}, {3, 3, 1, 1, 1, 1, 0, 0});
}

TEST(Indexing, GradcheckEmbedding) {
  const Tensor index = ints({0, 2, 0, 3}, {2, 2});
  expect_gradcheck([&](const Inputs& in) { return embedding(index, in[0]); }, {random_leaf({4, 3}, 21)});
  SCOPED_TRACE("padding_idx 3: its row is a constant (its gradient is 0 by design, not the derivative)");
  expect_gradcheck(
      [&](const Inputs& in) {
        return embedding(index, cat({in[0], f64({5, 6, 7}, {1, 3})}), 3);
      },
      {random_leaf({3, 3}, 22)});
  SCOPED_TRACE("fan-out: embedding(index, w) * w");
  expect_unary_gradcheck([](const Tensor& w) { return embedding(ints({1, 1, 3, 0}), w); }, random_leaf({4, 2}, 23));
}

// ---- masked_select ----

TEST(Indexing, MaskedSelectValues) {
  const Tensor x = arange(6, kFloat64).reshape({2, 3});
  expect_values(masked_select(x, mask({0, 1, 1, 0, 0, 1}, {2, 3})), {3}, {1, 2, 5});
  expect_values(masked_select(x, mask({1, 0, 1}, {3})), {4}, {0, 2, 3, 5});                    // mask broadcast
  expect_values(masked_select(f64({1, 2}, {2, 1}), mask({1, 0, 1}, {3})), {4}, {1, 1, 2, 2});  // both broadcast
  expect_values(masked_select(x, mask({0}, {1})), {0}, {});
  EXPECT_EQ(int_values(masked_select(ints({4, 5, 6}), mask({1, 0, 1}, {3}))), (std::vector<std::int64_t>{4, 6}));
  expect_values(masked_select(mask({1, 0, 0}, {3}), mask({1, 1, 0}, {3})), {2}, {1, 0});
}

TEST(Indexing, MaskedSelectGradientScattersBack) {
  const Tensor x = leaf({1, 2}, {2, 1});
  (masked_select(x, mask({1, 0, 1}, {3})) * f64({1, 2, 3, 4}, {4})).sum().backward();
  expect_values(x.grad(), {2, 1}, {3, 7});
}

TEST(Indexing, GradcheckMaskedSelect) {
  const Tensor m = mask({1, 0, 1, 1, 1, 0}, {2, 3});
  expect_gradcheck([&](const Inputs& in) { return masked_select(in[0], m); }, {random_leaf({2, 3}, 24)});
  SCOPED_TRACE("broadcast x [3] against the mask [2, 3]");
  expect_gradcheck([&](const Inputs& in) { return masked_select(in[0], m); }, {random_leaf({3}, 25)});
  SCOPED_TRACE("fan-out: two selections of x with four elements each");
  expect_gradcheck(
      [&](const Inputs& in) {
        return masked_select(in[0], m) * masked_select(in[0], mask({0, 1, 1, 1, 1, 0}, {2, 3}));
      },
      {random_leaf({2, 3}, 26)});
}

// ---- one_hot ----

TEST(Indexing, OneHotValues) {
  const Tensor y = one_hot(ints({0, 2, 1, 2}, {2, 2}));
  EXPECT_EQ(y.dtype(), kInt64);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(int_values(y), (std::vector<std::int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(int_values(one_hot(ints({1}, Shape{}), 4)), (std::vector<std::int64_t>{0, 1, 0, 0}));
  const Tensor f = one_hot(ints({1, 0}), 2, kFloat32);
  EXPECT_EQ(f.dtype(), kFloat32);
  expect_values(f, {2, 2}, {0, 1, 1, 0});
  EXPECT_EQ(one_hot(ints({}), 3).shape(), (Shape{0, 3}));
}

// ---- errors ----

TEST(Indexing, IndexTensorsMustBeInt64) {
  const Tensor x = zeros({3, 2}, kFloat64);
  const Tensor f = zeros({2}, kFloat32);
  using E = std::invalid_argument;
  expect_throws<E>([&] { return index_select(x, 0, f); }, "index_select: index must be an int64 tensor, got float32");
  expect_throws<E>([&] { return index_add(x, 0, f, x); }, "index_add: index must be an int64 tensor, got float32");
  expect_throws<E>([&] { return gather(x, 0, mask({1}, {1, 1})); }, "gather: index must be an int64 tensor, got bool");
  expect_throws<E>([&] { return scatter_add(x, 0, f, x); }, "scatter_add: index must be an int64 tensor, got float32");
  expect_throws<E>([&] { return scatter(x, 0, f, 1.0); }, "scatter: index must be an int64 tensor, got float32");
  expect_throws<E>([&] { return take_along_dim(x, f); },
                   "take_along_dim: indices must be an int64 tensor, got float32");
  expect_throws<E>([&] { return embedding(f, x); },
                   "embedding: input must be an int64 tensor of indices, got float32 (the arguments are "
                   "embedding(input, weight), as in F.embedding)");
  expect_throws<E>([&] { return masked_select(x, ints({1})); }, "masked_select: mask must be a bool tensor, got int64");
  expect_throws<E>([&] { return one_hot(f); }, "one_hot: index must be an int64 tensor, got float32");
}

TEST(Indexing, OutOfRangeIndicesNameValuePositionAndRange) {
  const Tensor x = zeros({3, 2}, kFloat64);
  using E = std::invalid_argument;
  expect_throws<E>(
      [&] {
        return index_select(x, 0, ints({0, -1}));
      },
      "index_select: index -1 at position 1 is out of range [0, 3) for dimension 0 of x [3, 2]");
  expect_throws<E>([&] { return index_select(x, 1, ints({2})); },
                   "index_select: index 2 at position 0 is out of range [0, 2) for dimension 1 of x [3, 2]");
  expect_throws<E>(
      [&] {
        return index_add(x, 0, ints({3}), zeros({1, 2}, kFloat64));
      },
      "index_add: index 3 at position 0 is out of range [0, 3) for dimension 0 of x [3, 2]");
  expect_throws<E>(
      [&] {
        return gather(x, 0, ints({0, 1, 5, 0}, {2, 2}));
      },
      "gather: index 5 at position [1, 0] is out of range [0, 3) for dimension 0 of x [3, 2]");
  expect_throws<E>(
      [&] {
        return scatter_add(x, 1, ints({0, -2}, {1, 2}), x);
      },
      "scatter_add: index -2 at position [0, 1] is out of range [0, 2) for dimension 1 of x [3, 2]");
  expect_throws<E>(
      [&] {
        return scatter(x, 1, ints({2}, {1, 1}), 1.0);
      },
      "scatter: index 2 at position [0, 0] is out of range [0, 2) for dimension 1 of x [3, 2]");
  expect_throws<E>([&] { return take_along_dim(x, ints({6})); },
                   "take_along_dim: index 6 at position 0 is out of range [0, 6) for dimension 0 of x [6]");
  expect_throws<E>(
      [&] {
        return embedding(ints({0, 1, 2, 3}, {2, 2}), x);
      },
      "embedding: index 3 at position [1, 1] is out of range [0, 3) for the rows of weight [3, 2]");
  expect_throws<E>([&] { return embedding(ints({-1}), x); },
                   "embedding: index -1 at position 0 is out of range [0, 3) for the rows of weight [3, 2]");
  expect_throws<E>(
      [&] {
        return one_hot(ints({0, 3}), 3);
      },
      "one_hot: index 3 at position 1 is out of range [0, 3) (num_classes 3)");
  expect_throws<E>(
      [&] {
        return one_hot(ints({2, -1}));
      },
      "one_hot: index -1 at position 1 is out of range [0, 3) (num_classes inferred as the largest index + 1)");
  const std::int64_t top = std::numeric_limits<std::int64_t>::max();
  expect_throws<E>([&] { return one_hot(ints({top})); },
                   "one_hot: index 9223372036854775807 at position 0 is out of range [0, 9223372036854775807)");
}

TEST(Indexing, ShapeRulesAreChecked) {
  const Tensor x = zeros({2, 3}, kFloat64);
  using E = std::invalid_argument;
  expect_throws<E>(
      [&] {
        return index_select(x, 0, ints({0, 1}, {1, 2}));
      },
      "index_select: index must be 1-d or 0-d, got shape [1, 2]");
  expect_throws<E>(
      [&] {
        return index_select(scalar_tensor(1.0), 0, ints({0, 0}));
      },
      "index_select: a 0-d x takes exactly one index, got 2");
  expect_throws<E>([&] { return index_select(x, 2, ints({0})); },
                   "index_select: dimension 2 is out of range for a 2-d tensor");
  expect_throws<E>(
      [&] {
        return index_add(x, 1, ints({0, 1}), zeros({2, 3}, kFloat64));
      },
      "index_add: source must have shape [2, 2] (x's [2, 3] with the index's length at dimension 1), got [2, 3]");
  expect_throws<E>(
      [&] {
        return index_add(x, 0, ints({0}), zeros({1, 3}));
      },
      "index_add: dtypes differ: float64 and float32");
  expect_throws<E>(
      [&] {
        return gather(x, 0, ints({0, 1}));
      },
      "gather: index must have as many dimensions as x [2, 3], got [2]");
  expect_throws<E>(
      [&] {
        return gather(x, 0, ints({0, 0, 0, 0}, {1, 4}));
      },
      "gather: index [1, 4] is larger than x [2, 3] at dimension 1 (index.size(d) <= x.size(d) for d != 0)");
  expect_throws<E>(
      [&] {
        return gather(x, -3, ints({0}, {1, 1}));
      },
      "gather: dimension -3 is out of range for a 2-d tensor");
  expect_throws<E>(
      [&] {
        return scatter_add(x, 0, ints({0, 0, 0}, {1, 3}), zeros({1, 2}, kFloat64));
      },
      "scatter_add: index [1, 3] is larger than src [1, 2] at dimension 1 (index.size(d) <= src.size(d) for every d)");
  expect_throws<E>(
      [&] {
        return scatter_add(x, 0, ints({0}, {1, 1}), zeros({2}, kFloat64));
      },
      "scatter_add: src must have as many dimensions as x [2, 3], got [2]");
  expect_throws<E>(
      [&] {
        return scatter(x, 1, ints({0, 0, 0}, {3, 1}), 1.0);
      },
      "scatter: index [3, 1] is larger than x [2, 3] at dimension 0 (index.size(d) <= x.size(d) for d != 1)");
  expect_throws<E>(
      [&] {
        return scatter(x, 0, ints({0}, {1, 1}), zeros({1, 1}));
      },
      "scatter: dtypes differ: float64 and float32");
  expect_throws<E>(
      [&] { return take_along_dim(x, ints({0}), 1); },
      "take_along_dim: x and indices must have the same number of dimensions, got x [2, 3] and indices [1]");
  expect_throws<E>(
      [&] {
        return take_along_dim(x, ints({0, 0, 0}, {3, 1}), 1);
      },
      "take_along_dim: x [2, 3] and indices [3, 1] cannot be broadcast at dimension 0 (only dimension 1, the "
      "one taken along, may differ)");
  expect_throws<E>([&] { return embedding(ints({0}), zeros({3})); },
                   "embedding: weight must be 2-d [num_embeddings, embedding_dim], got [3]");
  expect_throws<E>([&] { return embedding(ints({0}), x, 2); },
                   "embedding: padding_idx 2 is out of range [-2, 2) for weight [2, 3]");
  expect_throws<E>([&] { return embedding(ints({0}), x, -3); },
                   "embedding: padding_idx -3 is out of range [-2, 2) for weight [2, 3]");
  expect_throws<E>(
      [&] {
        return masked_select(x, mask({1, 0}, {2}));
      },
      "masked_select: shapes cannot be broadcast: [2, 3] and [2]");
  expect_throws<E>([&] { return one_hot(ints({0}), -2); },
                   "one_hot: num_classes must be -1 (inferred) or non-negative, got -2");
  expect_throws<E>([&] { return one_hot(ints({})); }, "one_hot: cannot infer num_classes from an empty index; pass it");
}

// ---- second derivatives: gradgradcheck of every op ----
// Each backward is another op of this family (index_select <-> index_add, gather <-> scatter_add), recorded
// in a create_graph sweep; the indices and scatter's kept-writes mask are constants. The ops are linear in
// their float inputs, so the fan-out cases multiply by a second path into x for a non-zero second derivative.

TEST(Indexing, GradGradIndexSelect) {
  const Tensor repeated = ints({2, 0, 2});
  const GradcheckResult plain =
      gradgradcheck([&](const Inputs& in) { return index_select(in[0], 1, repeated); }, {random_leaf({3, 3}, 2)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [&](const Inputs& in) { return index_select(in[0], 0, repeated) * index_select(in[0], 0, ints({1, 2, 0})); },
      {random_leaf({3, 2}, 3)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(Indexing, GradGradIndexAdd) {
  const Tensor repeated = ints({2, 0, 2});
  const GradcheckResult plain = gradgradcheck([&](const Inputs& in) { return index_add(in[0], 0, repeated, in[1]); },
                                              {random_leaf({3, 2}, 4), random_leaf({3, 2}, 5)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [&](const Inputs& in) { return index_add(in[0], 1, repeated, in[0]) * in[0]; }, {random_leaf({2, 3}, 6)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(Indexing, GradGradGather) {
  const Tensor index = ints({0, 0, 2, 1, 2, 1, 2, 2, 2}, {3, 3});
  const GradcheckResult fan_out =
      gradgradcheck([&](const Inputs& in) { return gather(in[0], 0, index) * in[0]; }, {random_leaf({3, 3}, 7)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
  SCOPED_TRACE("index smaller than x, fanned out with sum(x, 1) broadcast");
  const GradcheckResult smaller = gradgradcheck(
      [](const Inputs& in) { return gather(in[0], 1, ints({2, 0, 1}, {3, 1})) * sum(in[0], {1}, true); },
      {random_leaf({3, 4}, 27)});
  EXPECT_TRUE(smaller.ok) << smaller.str();
}

TEST(Indexing, GradGradScatterAdd) {
  const Tensor index = ints({0, 1, 0, 0, 2, 0}, {2, 3});  // repeated targets along both dims
  SCOPED_TRACE("src larger than index, dim 1");
  const GradcheckResult larger = gradgradcheck([&](const Inputs& in) { return scatter_add(in[0], 1, index, in[1]); },
                                               {random_leaf({2, 3}, 12), random_leaf({3, 4}, 13)});
  EXPECT_TRUE(larger.ok) << larger.str();
  const GradcheckResult fan_out = gradgradcheck(
      [&](const Inputs& in) { return scatter_add(in[0], 1, index, in[0]) * in[0]; }, {random_leaf({2, 3}, 14)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(Indexing, GradGradScatter) {
  const Tensor index = ints({0, 1, 0, 0, 2, 0}, {2, 3});
  const GradcheckResult plain = gradgradcheck([&](const Inputs& in) { return scatter(in[0], 0, index, in[1]); },
                                              {random_leaf({3, 3}, 15), random_leaf({2, 4}, 16)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [&](const Inputs& in) { return scatter(in[0], 1, index, in[0]) * in[0]; }, {random_leaf({2, 3}, 17)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
  SCOPED_TRACE("the scalar form, fanned out");
  const GradcheckResult value = gradgradcheck(
      [&](const Inputs& in) { return scatter(in[0], 1, index, 0.5) * in[0]; }, {random_leaf({2, 3}, 18)});
  EXPECT_TRUE(value.ok) << value.str();
}

TEST(Indexing, GradGradTakeAlongDim) {
  SCOPED_TRACE("x broadcast: [1, 3] against indices [2, 2], fanned out with x");
  const GradcheckResult broadcast = gradgradcheck(
      [](const Inputs& in) { return take_along_dim(in[0], ints({0, 2, 2, 2}, {2, 2}), 1) * in[0].sum(); },
      {random_leaf({1, 3}, 19)});
  EXPECT_TRUE(broadcast.ok) << broadcast.str();
  SCOPED_TRACE("no dim: the flattened x");
  const GradcheckResult flat = gradgradcheck(
      [](const Inputs& in) { return take_along_dim(in[0], ints({5, 0, 5})) * in[0].sum(); }, {random_leaf({2, 3}, 20)});
  EXPECT_TRUE(flat.ok) << flat.str();
}

TEST(Indexing, GradGradEmbedding) {
  const Tensor index = ints({0, 2, 0, 3}, {2, 2});
  const GradcheckResult plain =
      gradgradcheck([&](const Inputs& in) { return embedding(index, in[0]); }, {random_leaf({4, 3}, 21)});
  EXPECT_TRUE(plain.ok) << plain.str();
  // padding_idx's row is a constant, as in GradcheckEmbedding: its gradient is 0 by design, not the derivative.
  SCOPED_TRACE("padding_idx 3, fanned out: embedding(index, w) * w[1]");
  const GradcheckResult padded = gradgradcheck(
      [&](const Inputs& in) { return embedding(index, cat({in[0], f64({5, 6, 7}, {1, 3})}), 3) * in[0][1]; },
      {random_leaf({3, 3}, 22)});
  EXPECT_TRUE(padded.ok) << padded.str();
}

TEST(Indexing, GradGradMaskedSelect) {
  const Tensor m = mask({1, 0, 1, 1, 1, 0}, {2, 3});
  SCOPED_TRACE("broadcast x [3] against the mask [2, 3]");
  const GradcheckResult broadcast =
      gradgradcheck([&](const Inputs& in) { return masked_select(in[0], m); }, {random_leaf({3}, 25)});
  EXPECT_TRUE(broadcast.ok) << broadcast.str();
  SCOPED_TRACE("fan-out: two selections of x with four elements each");
  const GradcheckResult fan_out = gradgradcheck(
      [&](const Inputs& in) { return masked_select(in[0], m) * masked_select(in[0], mask({0, 1, 1, 1, 1, 0}, {2, 3})); },
      {random_leaf({2, 3}, 26)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

// f = sum(gather(x, 0, [0, 0, 2])^3): x_0 is read twice and x_2 once, so df/dx = (6 x_0^2, 0, 3 x_2^2) and
// the derivative of sum(df/dx) is (12 x_0, 0, 6 x_2); the second sweep goes through scatter_add's backward.
TEST(Indexing, SecondDerivativeThroughRepeatedGather) {
  const Tensor x = leaf({2, 5, -1}, {3});
  const Tensor g = autograd::grad({sum(gather(x, 0, ints({0, 0, 2})).pow(3))}, {x}, {}, {}, true)[0];
  expect_values(g, {3}, {24, 0, 3});
  expect_values(autograd::grad({sum(g)}, {x})[0], {3}, {24, 0, -6});
}

TEST(Indexing, UndefinedInputsAreRejected) {
  const Tensor index = ints({0}, {1, 1});
  const Tensor x = zeros({1, 1});
  const NamedUnaryOps ops = {{"index_select", [&](const Tensor& t) { return index_select(t, 0, ints({0})); }},
                             {"index_add", [&](const Tensor& t) { return index_add(x, 0, ints({0}), t); }},
                             {"gather", [&](const Tensor& t) { return gather(x, 0, t); }},
                             {"scatter_add", [&](const Tensor& t) { return scatter_add(x, 0, index, t); }},
                             {"scatter", [&](const Tensor& t) { return scatter(t, 0, index, 1.0); }},
                             {"take_along_dim", [&](const Tensor& t) { return take_along_dim(t, index); }},
                             {"embedding", [&](const Tensor& t) { return embedding(t, x); }},
                             {"masked_select", [&](const Tensor& t) { return masked_select(x, t); }},
                             {"one_hot", [&](const Tensor& t) { return one_hot(t); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
