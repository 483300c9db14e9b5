// 2-d matmul (all four transpose flags, on the direct loop and on OpenBLAS) and linear (with and without
// bias, on [N, D], [*, D] and [D]): closed-form values, a naive reference, gradcheck in float64 (with
// fan-out), and the messages for mismatched shapes and dtypes. Other ranks of matmul: test_ops_matmul.cpp.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// a:[2,3] and b:[3,2] with a @ b = [[58, 64], [139, 154]].
Tensor a23() { return f64({1, 2, 3, 4, 5, 6}, {2, 3}); }
Tensor b32() { return f64({7, 8, 9, 10, 11, 12}, {3, 2}); }

// The operand to pass for op(t) == t: t itself, or its transpose when the flag is set.
Tensor stored(const Tensor& t, bool transposed) { return transposed ? transpose(t) : t; }

std::string flags(bool ta, bool tb) {
  return std::string("transpose_a=") + (ta ? "true" : "false") + ", transpose_b=" + (tb ? "true" : "false");
}

// Textbook triple loop, in double: the reference for products large enough to go through OpenBLAS.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.size(0);
  const std::int64_t k = a.size(1);
  const std::int64_t n = b.size(1);
  const std::vector<double> va = a.to_vector();
  const std::vector<double> vb = b.to_vector();
  std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < k; ++p)
        c[static_cast<std::size_t>(i * n + j)] +=
            va[static_cast<std::size_t>(i * k + p)] * vb[static_cast<std::size_t>(p * n + j)];
  return c;
}

// Runs check(ta, tb) for the four combinations of transpose flags.
template <class F>
void for_each_flag_pair(F check) {
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      SCOPED_TRACE(flags(ta, tb));
      check(ta, tb);
    }
}

// ---- matmul: values ----

TEST(Linalg, MatmulValues) {
  expect_values(matmul(a23(), b32()), {2, 2}, {58, 64, 139, 154});
  expect_values(a23().matmul(b32()), {2, 2}, {58, 64, 139, 154});
  expect_values(matmul(b32(), a23()), {3, 3}, {39, 54, 69, 49, 68, 87, 59, 82, 105});
}

TEST(Linalg, MatmulTransposeFlagsValues) {
  for_each_flag_pair([](bool ta, bool tb) {
    expect_values(matmul(stored(a23(), ta), stored(b32(), tb), ta, tb), {2, 2}, {58, 64, 139, 154});
  });
}

TEST(Linalg, MatmulOnOpenBlasMatchesTheNaiveProduct) {
  // 20 x 30 x 10 = 6000 multiply-adds: above the direct loop's limit, so this goes through dgemm.
  const Tensor a = random_leaf({20, 30}, 1).detach();
  const Tensor b = random_leaf({30, 10}, 2).detach();
  const std::vector<double> expected = naive_matmul(a, b);
  for_each_flag_pair([&](bool ta, bool tb) {
    expect_values(matmul(stored(a, ta), stored(b, tb), ta, tb), {20, 10}, expected, 1e-13);
  });
}

TEST(Linalg, MatmulFloat32) {
  expect_values(matmul(a23().to(kFloat32), b32().to(kFloat32)), {2, 2}, {58, 64, 139, 154});
  Generator gen(3);
  const Tensor a = rand({20, 30}, gen, kFloat32);
  const Tensor b = rand({30, 10}, gen, kFloat32);
  const Tensor c = matmul(a, b);
  EXPECT_EQ(c.dtype(), kFloat32);
  expect_values(c, {20, 10}, naive_matmul(a, b), 1e-5);
}

// ---- matmul: gradcheck ----

TEST(Linalg, GradcheckMatmul) {
  const Tensor a = random_leaf({2, 3}, 4);
  const Tensor b = random_leaf({3, 4}, 5);
  for_each_flag_pair([&](bool ta, bool tb) {
    expect_gradcheck([ta, tb](const Inputs& in) { return matmul(in[0], in[1], ta, tb); },
                     {stored(a, ta).detach().requires_grad_(), stored(b, tb).detach().requires_grad_()});
  });
}

TEST(Linalg, GradcheckMatmulOnOpenBlas) {
  // 16 x 17 x 16 multiply-adds: forward and backward products all go through dgemm.
  const Tensor a = random_leaf({16, 17}, 6);
  const Tensor b = random_leaf({17, 16}, 7);
  expect_gradcheck([](const Inputs& in) { return matmul(in[0], in[1]); }, {a, b});
  expect_gradcheck([](const Inputs& in) { return matmul(in[0], in[1], true, true); },
                   {transpose(a).detach().requires_grad_(), transpose(b).detach().requires_grad_()});
}

TEST(Linalg, GradcheckMatmulFanOut) {
  const Tensor x = random_leaf({3, 3}, 8);
  for_each_flag_pair([&](bool ta, bool tb) {
    expect_gradcheck([ta, tb](const Inputs& in) { return matmul(in[0], in[0], ta, tb); }, {x});
  });
}

// ---- matmul: errors ----

TEST(Linalg, MatmulRejectsMismatchedInnerDimensions) {
  expect_throws<std::invalid_argument>([] { return matmul(zeros({64, 10}), zeros({64, 128})); },
                                       "matmul: inner dimensions differ: [64, 10] x [64, 128]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3, 2}), zeros({3, 2}), true, true); },
                                       "matmul: inner dimensions differ: [3, 2]^T x [3, 2]^T");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 3}), zeros({2, 3}), false, false); },
                                       "matmul: inner dimensions differ: [2, 3] x [2, 3]");
}

TEST(Linalg, MatmulRejectsNonMatricesAndMixedDtypes) {
  // The transpose-flag overload takes matrices only; matmul(a, b) takes [3] x [3, 2] (test_ops_matmul.cpp).
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3}), zeros({3, 2}), false, false); },
                                       "matmul: expects 2-d matrices, got [3] x [3, 2]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 3}), zeros({3, 2}, kFloat64)); },
                                       "matmul: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return matmul(Tensor(), zeros({3, 2})); },
                                       "matmul: an input tensor is undefined");
}

// ---- linear ----

TEST(Linalg, LinearValues) {
  expect_values(linear(a23(), b32(), f64({0.5, -1}, {2})), {2, 2}, {58.5, 63, 139.5, 153});
  expect_values(linear(a23(), b32(), Tensor()), {2, 2}, {58, 64, 139, 154});
}

TEST(Linalg, LinearOnOpenBlasMatchesMatmulPlusBias) {
  const Tensor x = random_leaf({20, 30}, 9).detach();
  const Tensor w = random_leaf({30, 10}, 10).detach();
  const Tensor bias = random_leaf({10}, 11).detach();
  const Tensor expected = matmul(x, w) + bias;
  expect_values(linear(x, w, bias), {20, 10}, expected.to_vector(), 1e-14);
}

TEST(Linalg, LinearBiasGradientSumsOverRows) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor w = leaf({7, 8, 9, 10, 11, 12}, {3, 2});
  const Tensor bias = leaf({0.5, -1}, {2});
  linear(x, w, bias).sum().backward();
  expect_values(bias.grad(), {2}, {2, 2});
  expect_values(w.grad(), {3, 2}, {5, 5, 7, 7, 9, 9});  // column sums of x, repeated per output
}

// An empty batch: no output rows, and gradients of zero (the bias gradient once read a row that was not
// there). The width is larger than one vector so that a stray read would show under ASan.
TEST(Linalg, LinearOnAnEmptyBatchGivesZeroGradients) {
  for (const Dtype dtype : {kFloat32, kFloat64}) {
    const Tensor x = zeros({0, 3}, dtype);
    const Tensor w = full({3, 40}, 0.5, dtype).requires_grad_();
    const Tensor bias = full({40}, 1.0, dtype).requires_grad_();
    const Tensor y = linear(x, w, bias);
    EXPECT_EQ(y.shape(), Shape({0, 40}));
    y.sum().backward();
    expect_values(bias.grad().to(kFloat64), {40}, std::vector<double>(40, 0.0));
    expect_values(w.grad().to(kFloat64), {3, 40}, std::vector<double>(120, 0.0));
  }
}

TEST(Linalg, GradcheckLinear) {
  const Tensor x = random_leaf({4, 3}, 12);
  const Tensor w = random_leaf({3, 2}, 13);
  const Tensor bias = random_leaf({2}, 14);
  expect_gradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, {x, w, bias});
  SCOPED_TRACE("without bias");
  expect_gradcheck([](const Inputs& in) { return linear(in[0], in[1], Tensor()); }, {x, w});
}

TEST(Linalg, GradcheckLinearFanOut) {
  // The same square tensor as input and weight, and a bias that also scales the input.
  const Tensor x = random_leaf({3, 3}, 15);
  const Tensor bias = random_leaf({3}, 16);
  expect_gradcheck([](const Inputs& in) { return linear(in[0], in[0], in[1]); }, {x, bias});
  expect_gradcheck([](const Inputs& in) { return linear(in[0] * in[1], in[0], in[1]); }, {x, bias});
}

// x [*, D] as PyTorch takes it: the leading dims fold into rows, and a vector is one row without its dim.
TEST(Linalg, LinearOnLeadingDimsAndOnAVector) {
  const Tensor bias = f64({0.5, -1}, {2});
  expect_values(linear(f64({1, 2, 3, 4, 5, 6}, {2, 1, 3}), b32(), bias), {2, 1, 2}, {58.5, 63, 139.5, 153});
  expect_values(linear(f64({1, 2, 3, 4, 5, 6, 3, 2, 1}, {3, 1, 1, 3}), b32(), Tensor()), {3, 1, 1, 2},
                {58, 64, 139, 154, 50, 56});  // [3, 2, 1] @ b32 = [21 + 18 + 11, 24 + 20 + 12]
  expect_values(linear(f64({1, 2, 3}, {3}), b32(), bias), {2}, {58.5, 63});
  expect_values(linear(zeros({2, 0, 3}, kFloat64), b32(), bias), {2, 0, 2}, {});
}

TEST(Linalg, GradcheckLinearOnLeadingDimsAndOnAVector) {
  const Tensor w = random_leaf({3, 2}, 17);
  const Tensor bias = random_leaf({2}, 18);
  for (const Shape& shape : {Shape{3}, Shape{2, 2, 3}, Shape{2, 1, 2, 3}}) {
    SCOPED_TRACE(shape.str());
    expect_gradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, {random_leaf(shape, 19), w, bias});
  }
  SCOPED_TRACE("fan-out: linear(x, w, b) * x with a square w");
  expect_gradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]) * in[0]; },
                   {random_leaf({2, 2, 3}, 20), random_leaf({3, 3}, 21), random_leaf({3}, 22)});
}

// ---- second derivatives ----

// matmul is bilinear: its second derivatives are the cross terms d2y/da db, which a backward computed
// out of the recorded sweep's sight would leave at 0.
TEST(Linalg, GradGradMatmul) {
  const Tensor a = random_leaf({2, 3}, 40);
  const Tensor b = random_leaf({3, 4}, 41);
  for_each_flag_pair([&](bool ta, bool tb) {
    expect_gradgradcheck([ta, tb](const Inputs& in) { return matmul(in[0], in[1], ta, tb); },
                         {stored(a, ta).detach().requires_grad_(), stored(b, tb).detach().requires_grad_()});
    SCOPED_TRACE("fan-out: matmul(x, x)");
    expect_gradgradcheck([ta, tb](const Inputs& in) { return matmul(in[0], in[0], ta, tb); },
                         {random_leaf({3, 3}, 42)});
  });
  SCOPED_TRACE("on OpenBLAS: 5 x 6 x 5");  // above kTinyGemm in every product, forward and backward
  expect_gradgradcheck([](const Inputs& in) { return matmul(in[0], in[1]); },
                       {random_leaf({5, 6}, 43), random_leaf({6, 5}, 44)});
}

// f = sum(X @ X): df/dX_pq = rowsum_q(X) + colsum_p(X), so (H V)_pq = colsum_p(V) + rowsum_q(V); for
// V = [[1, 2], [3, 4]] (column sums 4, 6; row sums 3, 7) that is [[7, 11], [9, 13]], whatever X is.
TEST(Linalg, MatmulSecondDerivative) {
  const UnaryOp f = [](const Tensor& x) { return sum(matmul(x, x)); };
  expect_values(hessian_times(f, random_leaf({2, 2}, 45), f64({1, 2, 3, 4}, {2, 2})), {2, 2}, {7, 11, 9, 13});
}

// The bias broadcast over the rows is linear's broadcast; fan-out as x and weight at once.
TEST(Linalg, GradGradLinear) {
  const Tensor x = random_leaf({4, 3}, 46);
  const Tensor w = random_leaf({3, 2}, 47);
  const Tensor bias = random_leaf({2}, 48);
  expect_gradgradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, {x, w, bias});
  expect_gradgradcheck([](const Inputs& in) { return linear(in[0], in[1], Tensor()); }, {x, w});
  SCOPED_TRACE("leading dims and a vector");
  for (const Shape& shape : {Shape{3}, Shape{2, 2, 3}})
    expect_gradgradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]); }, {random_leaf(shape, 49), w, bias});
  SCOPED_TRACE("fan-out: linear(x, x, b), linear(x * b, x, b)");
  expect_gradgradcheck([](const Inputs& in) { return linear(in[0], in[0], in[1]); },
                       {random_leaf({3, 3}, 50), random_leaf({3}, 51)});
  expect_gradgradcheck([](const Inputs& in) { return linear(in[0] * in[1], in[0], in[1]); },
                       {random_leaf({3, 3}, 50), random_leaf({3}, 51)});
  SCOPED_TRACE("on OpenBLAS: 5 x 6 x 5");
  expect_gradgradcheck([](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                       {random_leaf({5, 6}, 52), random_leaf({6, 5}, 53), random_leaf({5}, 54)});
}

TEST(Linalg, LinearOnLeadingDimsRejectsMismatchedShapesNamingTheGivenOnes) {
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3, 4}), zeros({5, 6}), Tensor()); },
                                       "linear: inner dimensions differ: [2, 3, 4] x [5, 6]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({4}), zeros({5, 6}), Tensor()); },
                                       "linear: inner dimensions differ: [4] x [5, 6]");
  expect_throws<std::invalid_argument>(
      [] { return linear(scalar_tensor(1), zeros({1, 2}), Tensor()); },
      "linear: expects x [*, D] of at least 1 dimension and a 2-d weight (D, O), got [] x [1, 2]");
  expect_throws<std::invalid_argument>(
      [] { return linear(zeros({2, 3, 4}), zeros({4}), Tensor()); },
      "linear: expects x [*, D] of at least 1 dimension and a 2-d weight (D, O), got [2, 3, 4] x [4]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 2, 3}), zeros({3, 2}), zeros({3})); },
                                       "linear: bias [3] does not match the output width 2 of weight [3, 2]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({3}), zeros({3, 2}, kFloat64), Tensor()); },
                                       "linear: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return linear(zeros({3}), Tensor(), Tensor()); },
                                       "linear: an input tensor is undefined");
}

TEST(Linalg, LinearRejectsMismatchedShapes) {
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3}), zeros({4, 2}), Tensor()); },
                                       "linear: inner dimensions differ: [2, 3] x [4, 2]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3}), zeros({3, 2}), zeros({3})); },
                                       "linear: bias [3] does not match the output width 2 of weight [3, 2]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3}), zeros({3, 2}), zeros({1, 2})); },
                                       "linear: bias [1, 2] does not match the output width 2 of weight [3, 2]");
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3}), zeros({3, 2}), zeros({2}, kFloat64)); },
                                       "linear: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return linear(zeros({2, 3}), zeros({3, 2}, kFloat64), Tensor()); },
                                       "linear: dtypes differ: float32 and float64");
}

}  // namespace
TEST(Linalg, ThreadCountIsSetAndRead) {
  const int before = tg::num_threads();
  tg::set_num_threads(2);
  EXPECT_EQ(tg::num_threads(), 2);
  tg::set_num_threads(before);
  EXPECT_EQ(tg::num_threads(), before);
  try {
    tg::set_num_threads(0);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "set_num_threads: needs at least 1 thread, got 0");
  }
}

}  // namespace tg
