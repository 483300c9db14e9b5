// matmul beyond two matrices (torch.matmul's rules: 1-d operands promoted and the added dimension removed,
// broadcast batch dimensions) and bmm: closed-form values for every pair of ranks, a naive reference on the
// OpenBLAS path, float32 against float64 within a rounding bound, float64 gradcheck (broadcast and fan-out
// included) and the error messages. 2-d x 2-d matmul is test_ops_linalg.cpp's.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// a23 @ b32 = [[58, 64], [139, 154]]; rows23 @ b32 = its first two rows [[7, 8], [9, 10]];
// a23 @ cols32 = a23's first two columns [[1, 2], [4, 5]]; a23 @ v3 = [14, 32]; v3 @ b32 = [58, 64].
Tensor v3() { return f64({1, 2, 3}, {3}); }
Tensor a23() { return f64({1, 2, 3, 4, 5, 6}, {2, 3}); }
Tensor b32() { return f64({7, 8, 9, 10, 11, 12}, {3, 2}); }
// [a23, rows23]: [2, 2, 3].
Tensor a223() { return f64({1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 1, 0}, {2, 2, 3}); }
// [b32, cols32]: [2, 3, 2].
Tensor b232() { return f64({7, 8, 9, 10, 11, 12, 1, 0, 0, 1, 0, 0}, {2, 3, 2}); }

struct Case {
  std::string name;
  Tensor a, b;
  Shape shape;
  std::vector<double> expected;
};

// One case for every pair of ranks in torch.matmul's table; values worked out by hand from the comments
// above (and the same as torch.matmul 1.13 gives).
std::vector<Case> rank_cases() {
  // 4-d x 3-d with batch [2, 1] against [3]: y[i, j] = A[i] @ B[j] for
  // A = [[1, 2], [3, 4]], [[0, 1], [1, 1]] and B = I, [[2, 1], [0, 1]], [[1, 1], [1, -1]].
  const Tensor a4 = f64({1, 2, 3, 4, 0, 1, 1, 1}, {2, 1, 2, 2});
  const Tensor b3 = f64({1, 0, 0, 1, 2, 1, 0, 1, 1, 1, 1, -1}, {3, 2, 2});
  return {
      {"1-1", v3(), f64({4, 5, 6}, {3}), {}, {32}},
      {"1-2", v3(), b32(), {2}, {58, 64}},
      {"2-1", a23(), v3(), {2}, {14, 32}},
      {"2-2", a23(), b32(), {2, 2}, {58, 64, 139, 154}},
      {"3-3", a223(), b232(), {2, 2, 2}, {58, 64, 139, 154, 1, 0, 0, 1}},
      {"3-2", a223(), b32(), {2, 2, 2}, {58, 64, 139, 154, 7, 8, 9, 10}},
      {"2-3", a23(), b232(), {2, 2, 2}, {58, 64, 139, 154, 1, 2, 4, 5}},
      {"1-3", v3(), b232(), {2, 2}, {58, 64, 1, 2}},
      {"3-1", a223(), v3(), {2, 2}, {14, 32, 1, 2}},
      {"4-3", a4, b3, {2, 3, 2, 2}, {1, 2, 3, 4, 2, 3, 6, 7, 3, -1, 7, -1, 0, 1, 1, 1, 0, 1, 2, 2, 1, -1, 2, 0}},
  };
}

// The shapes of rank_cases() plus batch dims of 1 broadcast on both sides, a leading batch dim of 1 (b's
// gradient is then written, not summed), and products large enough for OpenBLAS (4 x 5 x 4 = 80
// multiply-adds per matrix, above the direct loop's 32).
std::vector<std::pair<Shape, Shape>> gradcheck_shapes() {
  return {{{3}, {3}},
          {{3}, {3, 2}},
          {{2, 3}, {3}},
          {{2, 3}, {3, 4}},
          {{2, 2, 3}, {2, 3, 2}},
          {{2, 2, 3}, {3, 2}},
          {{2, 3}, {2, 3, 2}},
          {{3}, {2, 3, 2}},
          {{2, 2, 3}, {3}},
          {{2, 1, 2, 3}, {3, 3, 2}},
          {{1, 2, 2, 3}, {3, 1, 3, 2}},
          {{1, 3, 2, 3}, {3, 3, 2}},
          {{2, 1, 4, 5}, {3, 5, 4}},
          {{4, 5}, {3, 5, 4}}};
}

// Textbook loops in double over the broadcast batch (a [*A, M, K], b [*B, K, N], both at least 2-d): the
// reference for products through OpenBLAS.
std::vector<double> naive_batched(const Tensor& a, const Tensor& b, const Shape& batch) {
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  std::vector<double> c;
  for (std::int64_t i = 0; i < batch.numel(); ++i) {
    // i's index in a's and in b's own batch: its digits from the back, 0 along an extent of 1.
    std::int64_t ia = 0, ib = 0, step_a = 1, step_b = 1, rest = i;
    for (int d = batch.size() - 1; d >= 0; --d) {
      const std::int64_t digit = rest % batch[d];
      rest /= batch[d];
      const int da = d - batch.size() + a.dim() - 2, db = d - batch.size() + b.dim() - 2;
      if (da >= 0) ia += (a.size(da) == 1 ? 0 : digit) * step_a, step_a *= a.size(da);
      if (db >= 0) ib += (b.size(db) == 1 ? 0 : digit) * step_b, step_b *= b.size(db);
    }
    for (std::int64_t r = 0; r < m; ++r)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          const auto at = [](std::int64_t e) { return static_cast<std::size_t>(e); };
          acc += va[at((ia * m + r) * k + p)] * vb[at((ib * k + p) * n + j)];
        }
        c.push_back(acc);
      }
  }
  return c;
}

// ---- values ----

TEST(Matmul, EveryPairOfRanksHasTorchsShapeAndValues) {
  for (const Case& c : rank_cases()) {
    SCOPED_TRACE(c.name);
    expect_values(matmul(c.a, c.b), c.shape, c.expected);
    expect_values(c.a.matmul(c.b), c.shape, c.expected);
  }
}

TEST(Matmul, BatchedProductsOnOpenBlasMatchTheNaiveProduct) {
  // 20 x 30 x 10 per matrix goes through dgemm; [2, 1] x [3] broadcasts, and a matrix against a batch is
  // read with stride 0.
  const Tensor a = random_leaf({2, 1, 20, 30}, 1).detach();
  const Tensor b = random_leaf({3, 30, 10}, 2).detach();
  expect_values(matmul(a, b), {2, 3, 20, 10}, naive_batched(a, b, {2, 3}), 1e-13);
  const Tensor m = random_leaf({20, 30}, 3).detach();
  expect_values(matmul(m, b), {3, 20, 10}, naive_batched(m, b, {3}), 1e-13);
  const Tensor b3 = random_leaf({2, 30, 10}, 4).detach();
  const Tensor a3 = reshape(a, {2, 20, 30});
  expect_values(bmm(a3, b3), {2, 20, 10}, naive_batched(a3, b3, {2}), 1e-13);
}

TEST(Matmul, Float32AgreesWithFloat64WithinTheRoundingBound) {
  // A float32 dot product of length K, summed in any order (any OpenBLAS kernel, FMA or not), is within
  // gamma_K = K u / (1 - K u) < (K + 1) u of the exact one, times sum |a_p| |b_p| (Higham, Accuracy and
  // Stability, 3.1), with u = 2^-24. The float32 inputs are exact in float64, whose own error is ~2^-29
  // times smaller than that bound, so y64 stands for the exact product.
  Generator gen(5);
  for (auto [sa, sb] : gradcheck_shapes()) {
    SCOPED_TRACE(sa.str() + " x " + sb.str());
    const Tensor a = rand(sa, gen, kFloat32, -1, 1);
    const Tensor b = rand(sb, gen, kFloat32, -1, 1);
    const Tensor y32 = matmul(a, b);
    EXPECT_EQ(y32.dtype(), kFloat32);
    const std::vector<double> y64 = matmul(a.to(kFloat64), b.to(kFloat64)).to_vector();
    const std::vector<double> scale = matmul(abs(a.to(kFloat64)), abs(b.to(kFloat64))).to_vector();
    const double bound = static_cast<double>(a.size(-1) + 1) * 0x1p-24;
    const std::vector<double> got = y32.to_vector();
    ASSERT_EQ(got.size(), y64.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_LE(std::abs(got[i] - y64[i]), bound * scale[i]) << i;
  }
}

TEST(Matmul, EmptyBatchesAndAnEmptyInnerDimension) {
  expect_values(matmul(zeros({0, 2, 3}, kFloat64), zeros({3, 4}, kFloat64)), {0, 2, 4}, {});
  expect_values(matmul(zeros({2, 3}, kFloat64), zeros({0, 3, 4}, kFloat64)), {0, 2, 4}, {});
  expect_values(matmul(ones({2, 2, 0}, kFloat64), ones({2, 0, 3}, kFloat64)), {2, 2, 3}, std::vector<double>(12, 0.0));
  // The gradient of a matrix broadcast over an empty batch is zero, not uninitialised.
  const Tensor a = full({2, 3}, 1.0, kFloat64).requires_grad_();
  const Tensor b = zeros({0, 3, 4}, kFloat64).requires_grad_();
  matmul(a, b).backward(zeros({0, 2, 4}, kFloat64));
  expect_values(a.grad(), {2, 3}, std::vector<double>(6, 0.0));
}

// ---- gradients ----

TEST(Matmul, BroadcastGradientsAreSummedOverTheBatch) {
  {
    // a23 @ [b32, cols32], summed: da[m, k] = sum over batch and n of b = row sums 15, 19, 23 plus 1, 1, 0;
    // db[i, k, n] = sum over m of a23[m, k] = 5, 7, 9.
    const Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
    const Tensor b = leaf({7, 8, 9, 10, 11, 12, 1, 0, 0, 1, 0, 0}, {2, 3, 2});
    matmul(a, b).sum().backward();
    expect_values(a.grad(), {2, 3}, {16, 20, 23, 16, 20, 23});
    expect_values(b.grad(), {2, 3, 2}, {5, 5, 7, 7, 9, 9, 5, 5, 7, 7, 9, 9});
  }
  // rank_cases()'s 4-d x 3-d, summed: da[i, 0, m, k] = row k's sum over the three B = 6, 2; db[j, k, n] =
  // column k's sum over both A = 5, 8.
  const Tensor a = leaf({1, 2, 3, 4, 0, 1, 1, 1}, {2, 1, 2, 2});
  const Tensor b = leaf({1, 0, 0, 1, 2, 1, 0, 1, 1, 1, 1, -1}, {3, 2, 2});
  matmul(a, b).sum().backward();
  expect_values(a.grad(), {2, 1, 2, 2}, {6, 2, 6, 2, 6, 2, 6, 2});
  expect_values(b.grad(), {3, 2, 2}, {5, 5, 8, 8, 5, 5, 8, 8, 5, 5, 8, 8});
}

TEST(Matmul, GradcheckEveryPairOfRanks) {
  std::uint64_t seed = 10;
  for (auto [sa, sb] : gradcheck_shapes()) {
    SCOPED_TRACE(sa.str() + " x " + sb.str());
    expect_gradcheck([](const Inputs& in) { return matmul(in[0], in[1]); },
                     {random_leaf(sa, seed), random_leaf(sb, seed + 1)});
    seed += 2;
  }
}

TEST(Matmul, GradcheckFanOut) {
  for (const Shape& shape : {Shape{3}, Shape{2, 3, 3}, Shape{2, 1, 3, 3}}) {
    SCOPED_TRACE(shape.str());
    expect_gradcheck([](const Inputs& in) { return matmul(in[0], in[0]); }, {random_leaf(shape, 30)});
  }
  // The same tensor as a batch and, sliced, as a matrix on either side of it (folded into rows on the
  // right, broadcast over the batch on the left).
  const auto first = [](const Tensor& x) { return reshape(slice(x, 0, 0, 1), {3, 3}); };
  expect_gradcheck([&](const Inputs& in) { return matmul(in[0], first(in[0])); }, {random_leaf({2, 3, 3}, 31)});
  expect_gradcheck([&](const Inputs& in) { return matmul(first(in[0]), in[0]); }, {random_leaf({2, 3, 3}, 31)});
  expect_gradcheck([](const Inputs& in) { return bmm(in[0], in[0]); }, {random_leaf({2, 3, 3}, 32)});
}

TEST(Matmul, GradcheckBmm) {
  expect_gradcheck([](const Inputs& in) { return bmm(in[0], in[1]); },
                   {random_leaf({3, 2, 4}, 33), random_leaf({3, 4, 2}, 34)});
  SCOPED_TRACE("on OpenBLAS");  // 4 x 5 x 4 per matrix
  expect_gradcheck([](const Inputs& in) { return bmm(in[0], in[1]); },
                   {random_leaf({2, 4, 5}, 35), random_leaf({2, 5, 4}, 36)});
}

// ---- second derivatives ----

// The cross terms d2y/da db for every pair of ranks, broadcast batches included: the gradient of a
// broadcast operand is summed over the batch in the composed form too.
TEST(Matmul, GradGradMatmul) {
  std::uint64_t seed = 60;
  for (auto [sa, sb] : gradcheck_shapes()) {
    SCOPED_TRACE(sa.str() + " x " + sb.str());
    expect_gradgradcheck([](const Inputs& in) { return matmul(in[0], in[1]); },
                         {random_leaf(sa, seed), random_leaf(sb, seed + 1)});
    seed += 2;
  }
  SCOPED_TRACE("fan-out");
  for (const Shape& shape : {Shape{3}, Shape{2, 3, 3}, Shape{2, 1, 3, 3}})
    expect_gradgradcheck([](const Inputs& in) { return matmul(in[0], in[0]); }, {random_leaf(shape, 90)});
  const auto first = [](const Tensor& x) { return reshape(slice(x, 0, 0, 1), {3, 3}); };
  expect_gradgradcheck([&](const Inputs& in) { return matmul(first(in[0]), in[0]); }, {random_leaf({2, 3, 3}, 91)});
}

TEST(Matmul, GradGradBmm) {
  expect_gradgradcheck([](const Inputs& in) { return bmm(in[0], in[1]); },
                       {random_leaf({3, 2, 4}, 92), random_leaf({3, 4, 2}, 93)});
  SCOPED_TRACE("on OpenBLAS, and fan-out: bmm(x, x)");  // 4 x 5 x 4 per matrix
  expect_gradgradcheck([](const Inputs& in) { return bmm(in[0], in[1]); },
                       {random_leaf({2, 4, 5}, 94), random_leaf({2, 5, 4}, 95)});
  expect_gradgradcheck([](const Inputs& in) { return bmm(in[0], in[0]); }, {random_leaf({2, 3, 3}, 96)});
}

TEST(Matmul, BmmValues) {
  expect_values(bmm(a223(), b232()), {2, 2, 2}, {58, 64, 139, 154, 1, 0, 0, 1});
  expect_values(bmm(a223().to(kFloat32), b232().to(kFloat32)), {2, 2, 2}, {58, 64, 139, 154, 1, 0, 0, 1});
}

// ---- errors ----

TEST(Matmul, RejectsMismatchedShapesNamingBoth) {
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 3, 4}), zeros({5, 6})); },
                                       "matmul: inner dimensions differ: [2, 3, 4] x [5, 6]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3}), zeros({4})); },
                                       "matmul: inner dimensions differ: [3] x [4]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3}), zeros({2, 4, 5})); },
                                       "matmul: inner dimensions differ: [3] x [2, 4, 5]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 3}), zeros({2})); },
                                       "matmul: inner dimensions differ: [2, 3] x [2]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); },
                                       "matmul: batch dimensions cannot be broadcast: [2, 3, 4] x [3, 4, 5]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 2, 3, 4}), zeros({3, 1, 4, 5})); },
                                       "matmul: batch dimensions cannot be broadcast: [2, 2, 3, 4] x [3, 1, 4, 5]");
}

TEST(Matmul, RejectsScalarsMixedDtypesAndUndefinedInputs) {
  expect_throws<std::invalid_argument>([] { return matmul(scalar_tensor(1), zeros({2, 3})); },
                                       "matmul: both arguments to matmul need to be at least 1D, got [] x [2, 3]");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3}), scalar_tensor(1)); },
                                       "matmul: both arguments to matmul need to be at least 1D, got [3] x []");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({2, 2, 3}), zeros({3}, kFloat64)); },
                                       "matmul: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return matmul(zeros({3}), Tensor()); },
                                       "matmul: an input tensor is undefined");
}

TEST(Matmul, BmmRejectsAnythingButTwoMatchingBatches) {
  expect_throws<std::invalid_argument>([] { return bmm(zeros({2, 3}), zeros({2, 3, 4})); },
                                       "bmm: expects 3-d tensors [B, M, K] and [B, K, N], got [2, 3] x [2, 3, 4]");
  expect_throws<std::invalid_argument>([] { return bmm(zeros({1, 2, 3}), zeros({3, 4})); },
                                       "bmm: expects 3-d tensors [B, M, K] and [B, K, N], got [1, 2, 3] x [3, 4]");
  expect_throws<std::invalid_argument>([] { return bmm(zeros({2, 3, 4}), zeros({3, 4, 5})); },
                                       "bmm: batch sizes differ: [2, 3, 4] x [3, 4, 5]");
  expect_throws<std::invalid_argument>([] { return bmm(zeros({1, 3, 4}), zeros({2, 4, 5})); },
                                       "bmm: batch sizes differ: [1, 3, 4] x [2, 4, 5]");  // no broadcast
  expect_throws<std::invalid_argument>([] { return bmm(zeros({2, 3, 4}), zeros({2, 5, 6})); },
                                       "bmm: inner dimensions differ: [2, 3, 4] x [2, 5, 6]");
  expect_throws<std::invalid_argument>([] { return bmm(zeros({2, 3, 4}), zeros({2, 4, 5}, kFloat64)); },
                                       "bmm: dtypes differ: float32 and float64");
  expect_throws<std::invalid_argument>([] { return bmm(Tensor(), zeros({2, 4, 5})); },
                                       "bmm: an input tensor is undefined");
}

}  // namespace
}  // namespace tg
