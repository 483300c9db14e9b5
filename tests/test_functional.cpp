// tg::autograd::jacobian, hessian, vjp, jvp and hvp (torch.autograd.functional): closed forms, the
// products against the full matrices, a Hessian against finite differences, strict, create_graph and
// the messages for bad arguments.

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "autograd_testing.hpp"
#include "hessian_221.hpp"  // examples/: the five-point finite-difference Hessian the example uses too
#include "tapegrad/functional.hpp"

namespace tg {
namespace {

using testing::expect_throws;
using testing::expect_values;
using testing::f64;
using testing::leaf;

Tensor matrix_a() { return f64({1.5, -2.0, 0.5, 3.0, -1.0, 4.0}, {3, 2}); }
Tensor linear_map(const Tensor& x) { return sum(matrix_a() * x, {1}); }  // y = A x: A (3, 2), x (2) -> y (3)

Tensor weights_32() { return f64({0.4, -0.3, 0.8, 0.1, -0.6, 0.5}, {3, 2}); }
Tensor tanh_matmul(const Tensor& x) { return tanh(matmul(x, weights_32())); }  // x (2, 3) -> (2, 2)
Tensor sum_tanh_matmul(const Tensor& x) { return sum(tanh_matmul(x)); }        // x (2, 3) -> ()
Tensor x23() { return f64({0.3, -0.5, 1.1, 0.7, -0.9, 0.2}, {2, 3}); }

// The row-major (rows x cols) matrix m times the vector v.
std::vector<double> times(const std::vector<double>& m, std::int64_t rows, const std::vector<double>& v) {
  const auto cols = static_cast<std::int64_t>(v.size());
  std::vector<double> out(static_cast<std::size_t>(rows), 0.0);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) out[i] += m[i * cols + j] * v[j];
  return out;
}

std::vector<double> transposed(const std::vector<double>& m, std::int64_t rows, std::int64_t cols) {
  std::vector<double> t(m.size());
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) t[j * rows + i] = m[i * cols + j];
  return t;
}

TEST(Jacobian, OfALinearMapIsItsMatrix) {
  const Tensor j = autograd::jacobian(linear_map, f64({0.3, -0.7}, {2}));
  expect_values(j, {3, 2}, matrix_a().to_vector());
  EXPECT_FALSE(j.requires_grad());
}

TEST(Jacobian, OfTheIdentityIsTheIdentity) {
  expect_values(autograd::jacobian([](const Tensor& x) { return x; }, f64({1, 2}, {2})), {2, 2}, {1, 0, 0, 1});
}

// d tanh(x_a) / d x_b = (1 - tanh(x_a)^2) if a == b else 0, shape [2, 3] + [2, 3].
TEST(Jacobian, OfElementwiseTanhIsDiagonalWithShapeOPlusI) {
  const Tensor x = x23();
  const Tensor j = autograd::jacobian([](const Tensor& in) { return tanh(in); }, x);
  std::vector<double> expected(36, 0.0);
  for (int a = 0; a < 6; ++a) expected[a * 7] = 1 - std::pow(std::tanh(x.to_vector()[a]), 2);
  expect_values(j, {2, 3, 2, 3}, expected);
}

// y_i = sum_l A_il x_l: dy_i/dA_kl = [i == k] x_l (shape [3] + [3, 2]) and dy_i/dx_l = A_il.
TEST(Jacobian, SeveralInputsGetOneBlockEach) {
  const Tensor x = f64({0.3, -0.7}, {2});
  const std::vector<Tensor> j =
      autograd::jacobian([](const std::vector<Tensor>& in) { return sum(in[0] * in[1], {1}); }, {matrix_a(), x});
  ASSERT_EQ(j.size(), 2U);
  std::vector<double> by_a(18, 0.0);
  for (int i = 0; i < 3; ++i)
    for (int l = 0; l < 2; ++l) by_a[i * 6 + i * 2 + l] = x.to_vector()[l];
  expect_values(j[0], {3, 3, 2}, by_a);
  expect_values(j[1], {3, 2}, matrix_a().to_vector());
}

TEST(Jacobian, AnUnusedInputGetsZerosOrAnErrorWhenStrict) {
  const auto f = [](const std::vector<Tensor>& in) { return in[0] * 2.0; };
  const std::vector<Tensor> j = autograd::jacobian(f, {f64({1, 2}, {2}), f64({3, 4}, {2})});
  expect_values(j[0], {2, 2}, {2, 0, 0, 2});
  expect_values(j[1], {2, 2}, {0, 0, 0, 0});
  expect_throws<std::logic_error>(
      [&] { return autograd::jacobian(f, {f64({1, 2}, {2}), f64({3, 4}, {2})}, false, true); },
      "jacobian: strict: the output of func does not depend on input 1 of shape [2]; pass strict=false");
  // An output with no history at all: every block is zeros.
  expect_values(autograd::jacobian([](const Tensor&) { return f64({1, 2, 3}, {3}); }, f64({1}, {1})), {3, 1},
                {0, 0, 0});
}

// With create_graph the Jacobian has history back to x: d/dx_a sum(J) = d/dx_a (1 - tanh^2) = -2 t (1 - t^2);
// it works under a NoGradGuard too (func runs with grad mode on, as PyTorch's).
TEST(Jacobian, CreateGraphMakesItDifferentiable) {
  const Tensor x = leaf({0.3, -0.5, 1.1}, {3});
  const Tensor j = autograd::jacobian([](const Tensor& in) { return tanh(in); }, x, true);
  ASSERT_TRUE(j.requires_grad());
  sum(j).backward();
  std::vector<double> expected;
  for (const double v : x.to_vector()) expected.push_back(-2 * std::tanh(v) * (1 - std::pow(std::tanh(v), 2)));
  expect_values(x.grad(), {3}, expected);
  const NoGradGuard no_grad;
  EXPECT_FALSE(autograd::jacobian([](const Tensor& in) { return tanh(in); }, x).requires_grad());
}

// f = x^T A x = sum_ij A_ij x_i x_j: d2f / dx_a dx_b = A_ab + A_ba.
TEST(Hessian, OfAQuadraticFormIsAPlusATranspose) {
  const Tensor a = f64({1, 2, -3, 0.5, 4, 6, -1, 7, 2}, {3, 3});
  const auto f = [&a](const Tensor& x) { return sum(a * x.unsqueeze(1) * x.unsqueeze(0)); };
  const Tensor h = autograd::hessian(f, f64({0.3, -1.2, 0.8}, {3}));
  const std::vector<double> av = a.to_vector(), at = transposed(av, 3, 3);
  std::vector<double> expected;
  for (std::size_t i = 0; i < av.size(); ++i) expected.push_back(av[i] + at[i]);
  expect_values(h, {3, 3}, expected);
}

TEST(Hessian, OfSumExpIsDiagExp) {
  const Tensor x = f64({0.3, -0.5, 1.1, 0.7}, {2, 2});
  const Tensor h = autograd::hessian([](const Tensor& in) { return sum(exp(in)); }, x);
  std::vector<double> expected(16, 0.0);
  for (int a = 0; a < 4; ++a) expected[a * 5] = std::exp(x.to_vector()[a]);
  expect_values(h, {2, 2, 2, 2}, expected);
}

// f = sum(exp(a) b): H_aa = diag(exp(a) b), H_ab = H_ba = diag(exp(a)), H_bb = 0 (df/db = exp(a) does not
// depend on b: zeros, or an error when strict).
TEST(Hessian, SeveralInputsGiveBlocks) {
  const Tensor a = f64({0.1, -0.2, 0.3}, {3});
  const Tensor b = f64({1.5, 2.0, -1.0}, {3});
  const auto f = [](const std::vector<Tensor>& in) { return sum(exp(in[0]) * in[1]); };
  const std::vector<std::vector<Tensor>> h = autograd::hessian(f, {a, b});
  std::vector<double> aa(9, 0.0), ab(9, 0.0);
  for (int i = 0; i < 3; ++i) {
    aa[i * 4] = std::exp(a.to_vector()[i]) * b.to_vector()[i];
    ab[i * 4] = std::exp(a.to_vector()[i]);
  }
  expect_values(h[0][0], {3, 3}, aa);
  expect_values(h[0][1], {3, 3}, ab);
  expect_values(h[1][0], {3, 3}, ab);
  expect_values(h[1][1], {3, 3}, std::vector<double>(9, 0.0));
  expect_throws<std::logic_error>([&] { return autograd::hessian(f, {a, b}, false, true); },
                                  "hessian: strict: the output of func does not depend on input 1 of shape [3]");
}

// The five-point stencil on the autograd gradient (step h = 1e-4) has truncation error h^4 |g^(5)| / 30
// ~ 1e-17 for these O(1) derivatives of tanh, and rounding error ~ 1e-16 / 1e-4: 1e-8 leaves a wide margin.
TEST(Hessian, MatchesFiniteDifferencesOfTheGradient) {
  const Tensor x = x23();
  const Tensor h = autograd::hessian(sum_tanh_matmul, x);
  ASSERT_EQ(h.shape().str(), Shape({2, 3, 2, 3}).str());
  const auto grad = [](const std::vector<double>& v) {
    return autograd::vjp(sum_tanh_matmul, tensor(v, {2, 3}, kFloat64)).second.to_vector();
  };
  const std::vector<std::vector<double>> fd = examples::hessian_221::finite_difference_hessian(grad, x.to_vector());
  const std::vector<double> hv = h.to_vector();
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 6; ++j) EXPECT_NEAR(hv[i * 6 + j], fd[i][j], 1e-8) << i << ", " << j;
}

TEST(Hessian, NeedsAOneElementOutput) {
  expect_throws<std::invalid_argument>([] { return autograd::hessian(tanh_matmul, x23()); },
                                       "hessian: func must return a tensor with a single element, got shape [2, 2]");
}

// g = tanh(X W), X (2, 3), W (3, 2): dg = (1 - g^2) * (dX W), so J u = (1 - g^2) * (u W) and
// J^T v = ((1 - g^2) * v) W^T. Both also equal the full Jacobian (reshaped to (4, 6)) times the vector.
TEST(Products, VjpAndJvpAreJTransposeVAndJV) {
  const Tensor x = x23(), w = weights_32();
  const Tensor v = f64({0.5, -1.0, 2.0, 0.25}, {2, 2});
  const Tensor u = f64({1.0, 0.5, -0.5, 2.0, -1.5, 0.75}, {2, 3});
  const std::vector<double> jac = autograd::jacobian(tanh_matmul, x).to_vector();
  const Tensor slope = 1.0 - tanh_matmul(x).pow(2);

  const auto [out, vj] = autograd::vjp(tanh_matmul, x, v);
  expect_values(out, {2, 2}, tanh_matmul(x).to_vector());
  expect_values(vj, {2, 3}, times(transposed(jac, 4, 6), 6, v.to_vector()), 1e-12);
  expect_values(vj, {2, 3}, matmul(slope * v, w.t()).to_vector(), 1e-12);

  const auto [out2, jv] = autograd::jvp(tanh_matmul, x, u);
  expect_values(out2, {2, 2}, tanh_matmul(x).to_vector());
  expect_values(jv, {2, 2}, times(jac, 4, u.to_vector()), 1e-12);
  expect_values(jv, {2, 2}, (slope * matmul(u, w)).to_vector(), 1e-12);
}

// f = sum(tanh(X W)): grad = (1 - t^2) W^T, so H u = (-2 t (1 - t^2) * (u W)) W^T, t = tanh(X W).
TEST(Products, HvpIsHV) {
  const Tensor x = x23(), w = weights_32();
  const Tensor u = f64({1.0, 0.5, -0.5, 2.0, -1.5, 0.75}, {2, 3});
  const std::vector<double> hess = autograd::hessian(sum_tanh_matmul, x).to_vector();
  const Tensor t = tanh_matmul(x);
  const auto [out, hv] = autograd::hvp(sum_tanh_matmul, x, u);
  expect_values(out, {}, {sum_tanh_matmul(x).item()});
  expect_values(hv, {2, 3}, times(hess, 6, u.to_vector()), 1e-12);
  expect_values(hv, {2, 3}, matmul(-2.0 * t * (1.0 - t.pow(2)) * matmul(u, w), w.t()).to_vector(), 1e-12);
}

// f = a * b elementwise: J (va, vb) = va b + a vb; with create_graph the product has history.
TEST(Products, JvpOfSeveralInputs) {
  const Tensor a = leaf({0.5, -1.5}, {2}), b = leaf({2.0, 3.0}, {2});
  const auto f = [](const std::vector<Tensor>& in) { return in[0] * in[1]; };
  const auto [out, jv] = autograd::jvp(f, {a, b}, {f64({1, 2}, {2}), f64({-1, 0.5}, {2})}, true);
  expect_values(jv, {2}, {1 * 2.0 + 0.5 * -1, 2 * 3.0 + -1.5 * 0.5});
  EXPECT_TRUE(jv.requires_grad());
  sum(jv).backward();  // d/da (va b + a vb) = vb, d/db = va
  expect_values(a.grad(), {2}, {-1, 0.5});
  expect_values(b.grad(), {2}, {1, 2});
}

TEST(Products, ScalarFunctionsNeedNoV) {
  const Tensor x = f64({0.7}, {});
  const auto cube = [](const Tensor& in) { return in.pow(3); };
  expect_values(autograd::vjp(cube, x).second, {}, {3 * 0.49});
  expect_values(autograd::jvp(cube, x).second, {}, {3 * 0.49});
  expect_values(autograd::hvp(cube, x).second, {}, {6 * 0.7});
}

TEST(Products, BadVShapesNameBothShapes) {
  expect_throws<std::invalid_argument>([] { return autograd::vjp(tanh_matmul, x23(), f64({1, 2, 3}, {3})); },
                                       "vjp: v has shape [3] float64 but the output of func has shape [2, 2] float64");
  expect_throws<std::invalid_argument>([] { return autograd::jvp(tanh_matmul, x23(), f64({1, 2}, {2})); },
                                       "jvp: v has shape [2] float64 but input 0 has shape [2, 3] float64");
  expect_throws<std::invalid_argument>(
      [] { return autograd::hvp(sum_tanh_matmul, x23(), tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat32)); },
      "hvp: v has shape [2, 3] float32 but input 0 has shape [2, 3] float64");
  const auto f = [](const std::vector<Tensor>& in) { return sum(in[0] * in[1]); };
  expect_throws<std::invalid_argument>(
      [&] { return autograd::hvp(f, {f64({1, 2}, {2}), f64({3, 4}, {2})}, {f64({1, 1}, {2})}); },
      "hvp: v has 1 tensors for 2 inputs; give one per input");
  expect_throws<std::invalid_argument>(
      [&] {
        return autograd::hvp(f, {f64({1, 2}, {2}), f64({3, 4}, {2}), f64({1, 2}, {2})},
                             {f64({1, 1}, {2}), f64({1, 1}, {2}), f64({1}, {1})});
      },
      "hvp: v[2] has shape [1] float64 but input 2 has shape [2] float64");
  expect_throws<std::invalid_argument>(
      [] { return autograd::vjp(tanh_matmul, x23()); },
      "vjp: v may be omitted only when the output of func has a single element, got shape [2, 2]");
  expect_throws<std::invalid_argument>([] { return autograd::jvp(tanh_matmul, x23()); },
                                       "jvp: v may be omitted only for one single-element input, got 1 inputs, the "
                                       "first of shape [2, 3]");
  expect_throws<std::invalid_argument>([] { return autograd::jacobian(tanh_matmul, Tensor()); },
                                       "jacobian: input 0 is undefined");
}

}  // namespace
}  // namespace tg
