// Scans and products (cumsum, cumprod, prod): closed-form values, closed-form gradients with zeros in
// the input (one zero, two, in the same and in different slices), float64 gradcheck along every dim with
// fan-out, and the messages for bad dims. prod and cumprod are multilinear in x (degree 1 in each element),
// so the five-point stencil is exact for them at any point, zeros included.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// The gradient at x of sum(op(x) * w), w of op(x)'s shape.
Tensor weighted_grad(const UnaryOp& op, std::initializer_list<double> values, const Shape& shape, const Tensor& w) {
  Tensor x = leaf(values, shape);
  sum(op(x) * w).backward();
  return x.grad();
}

using Check = std::function<void(const Fn&, const Inputs&)>;

// check (expect_gradcheck or expect_gradgradcheck) of op(x, dim) for every dim of x (negative ones too),
// and fanned out: op(x, 0) * x.
void expect_along_every_dim(const Check& check, const std::function<Tensor(const Tensor&, int)>& op, const Tensor& x) {
  for (int d = -x.dim(); d < x.dim(); ++d) {
    SCOPED_TRACE("dim " + std::to_string(d));
    check([&](const Inputs& in) { return op(in[0], d); }, {x});
  }
  SCOPED_TRACE("fan-out: op(x, 0) * x");
  check([&](const Inputs& in) { return op(in[0], 0) * in[0]; }, {x});
}

void expect_gradcheck_along_every_dim(const std::function<Tensor(const Tensor&, int)>& op, const Tensor& x) {
  expect_along_every_dim(expect_gradcheck, op, x);
}

// ---- cumsum ----

TEST(Scan, CumsumValues) {
  const Tensor x = f64({1, 2, 3, 4}, {2, 2});
  expect_values(cumsum(x, 0), {2, 2}, {1, 2, 4, 6});
  expect_values(cumsum(x, 1), {2, 2}, {1, 3, 3, 7});
  expect_values(cumsum(x, -1), {2, 2}, {1, 3, 3, 7});
  // x[i, j, k] = 12 i + 4 j + k summed over j' <= j: (j + 1)(12 i + k + 2 j)
  expect_values(cumsum(arange24(), 1), {2, 3, 4},
                {0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 21, 12, 13, 14, 15, 28, 30, 32, 34, 48, 51, 54, 57});
  expect_values(cumsum(f64({2.5}, {}), 0), {}, {2.5});  // a 0-d tensor has one dimension to scan, as in PyTorch
  expect_values(cumsum(tensor({0.5, 0.25, 2}), 0), {3}, {0.5, 0.75, 2.75});  // float32, exact
  expect_values(cumsum(zeros({0, 2}, kFloat64), 0), {0, 2}, {});
}

TEST(Scan, CumsumGradientIsASumFromTheBack) {
  // dx_k = sum_{j >= k} w_j
  expect_values(weighted_grad([](const Tensor& x) { return cumsum(x, 1); }, {9, 9, 9, 9, 9, 9}, {2, 3},
                              f64({1, 2, 3, 4, 5, 6}, {2, 3})),
                {2, 3}, {6, 5, 3, 15, 11, 6});
  expect_values(weighted_grad([](const Tensor& x) { return cumsum(x, 0); }, {9, 9, 9, 9, 9, 9}, {2, 3},
                              f64({1, 2, 3, 4, 5, 6}, {2, 3})),
                {2, 3}, {5, 7, 9, 4, 5, 6});
}

TEST(Scan, GradcheckCumsum) {
  expect_gradcheck_along_every_dim([](const Tensor& x, int d) { return cumsum(x, d); }, random_leaf({2, 3, 4}, 31));
  SCOPED_TRACE("0-d, and fan-out inside: cumsum(x * x, 1)");
  expect_gradcheck([](const Inputs& in) { return cumsum(in[0], -1); }, {leaf({0.7}, {})});
  expect_gradcheck([](const Inputs& in) { return cumsum(in[0] * in[0], 1); }, {random_leaf({2, 3}, 32)});
}

// ---- cumprod ----

TEST(Scan, CumprodValues) {
  expect_values(cumprod(f64({2, 3, 4}, {3}), 0), {3}, {2, 6, 24});
  expect_values(cumprod(f64({2, 0, 4, 5}, {4}), -1), {4}, {2, 0, 0, 0});
  expect_values(cumprod(f64({1, 2, 3, 4, 5, 6}, {3, 2}), 0), {3, 2}, {1, 2, 3, 8, 15, 48});
  expect_values(cumprod(f64({1, 2, 3, 4, 5, 6}, {3, 2}), 1), {3, 2}, {1, 2, 3, 12, 5, 30});
  expect_values(cumprod(f64({-2}, {}), 0), {}, {-2});
  expect_values(cumprod(tensor({0.5, 4, -0.25}), 0), {3}, {0.5, 2, -0.5});  // float32, exact
}

// dx_k = sum_{j >= k} w_j prod_{i <= j, i != k} x_i, worked by hand (and what PyTorch gives).
TEST(Scan, CumprodGradientWithZeros) {
  const UnaryOp along0 = [](const Tensor& x) { return cumprod(x, 0); };
  const Tensor w4 = f64({1, 2, 3, 4}, {4});
  expect_values(weighted_grad(along0, {2, 3, 4}, {3}, f64({1, 2, 3}, {3})), {3}, {43, 28, 18});  // no zero
  // one zero at 1: ahead of it w0 + w1 x1 + ... = 1; at it 2 w1 + 3 x0 x2 + 4 x0 x2 x3 = 4 + 24 + 160; past it 0
  expect_values(weighted_grad(along0, {2, 0, 4, 5}, {4}, w4), {4}, {1, 188, 0, 0});
  // two zeros: only the first gets anything, w0 + w1 x1 = 1 + 2 * 3 (the later terms hold x2 = 0)
  expect_values(weighted_grad(along0, {0, 3, 0, 2}, {4}, w4), {4}, {7, 0, 0, 0});
  expect_values(weighted_grad(along0, {1, 2, 0}, {3}, f64({1, 2, 3}, {3})), {3}, {5, 2, 6});  // the zero last
  // along dim 0 of [3, 2]: column 0 = (2, 3, 0) has its zero last, column 1 = (0, 5, 7) first
  expect_values(weighted_grad(along0, {2, 0, 3, 5, 0, 7}, {3, 2}, ones({3, 2}, kFloat64)), {3, 2}, {4, 41, 2, 0, 6, 0});
}

TEST(Scan, GradcheckCumprod) {
  expect_gradcheck_along_every_dim([](const Tensor& x, int d) { return cumprod(x, d); }, random_leaf({2, 3, 4}, 33));
  SCOPED_TRACE("zeros: one, two in a slice, and slices without");
  const Tensor zeros_in = leaf({0, 2, -1, 3, 0.5, 0, 0, 1.5, -2, 0, 1, 0.5, 2, 1, -1.5, 0, 0.5, 3, 1, 0, 2, -0.5, 1, 0},
                               {2, 3, 4});
  expect_gradcheck_along_every_dim([](const Tensor& x, int d) { return cumprod(x, d); }, zeros_in);
  SCOPED_TRACE("0-d, and fan-out inside: cumprod(x * x, 1)");
  expect_gradcheck([](const Inputs& in) { return cumprod(in[0], 0); }, {leaf({-0.7}, {})});
  expect_gradcheck([](const Inputs& in) { return cumprod(in[0] * in[0], 1); }, {random_leaf({2, 3}, 34)});
}

// ---- prod ----

TEST(Scan, ProdValues) {
  expect_values(prod(f64({2, 3, 4}, {3})), {}, {24});
  const Tensor x = f64({2, 0, 4, 1, 2, 3}, {2, 3});
  expect_values(prod(x), {}, {0});
  expect_values(prod(x, 1), {2}, {0, 6});
  expect_values(prod(x, -1, true), {2, 1}, {0, 6});
  expect_values(prod(x, 0), {3}, {2, 0, 12});
  // x[i, j, k] = 12 i + 4 j + k + 1 over j: (12 i + k + 1)(12 i + k + 5)(12 i + k + 9)
  expect_values(prod(arange(1, 25, 1, kFloat64).reshape({2, 3, 4}), 1), {2, 4},
                {45, 120, 231, 384, 4641, 5544, 6555, 7680});
  expect_values(prod(f64({3}, {}), 0), {}, {3});         // 0-d: PyTorch keeps it 0-d,
  expect_values(prod(f64({3}, {}), -1, true), {}, {3});  // keepdim or not
  expect_values(prod(zeros({0}, kFloat64)), {}, {1});    // the empty product
  expect_values(prod(zeros({2, 0}, kFloat64), 1), {2}, {1, 1});
  expect_values(prod(tensor({0.5, 4, -0.25})), {}, {-0.5});  // float32, exact
}

// dx_k = prod_{i != k} x_i: with one zero only that element gets the product of the others; with two, 0.
TEST(Scan, ProdGradientWithZeros) {
  const UnaryOp all = [](const Tensor& x) { return prod(x); };
  expect_values(weighted_grad(all, {2, 3, 4}, {3}, f64({1}, {})), {3}, {12, 8, 6});
  expect_values(weighted_grad(all, {2, 0, 4}, {3}, f64({1}, {})), {3}, {0, 8, 0});
  expect_values(weighted_grad(all, {0, 3, 0}, {3}, f64({1}, {})), {3}, {0, 0, 0});
  expect_values(weighted_grad(all, {0, 0}, {2}, f64({1}, {})), {2}, {0, 0});
  // along dim 1: row 0 holds one zero, row 1 none
  expect_values(weighted_grad([](const Tensor& x) { return prod(x, 1); }, {2, 0, 4, 1, 2, 3}, {2, 3}, f64({1, 2}, {2})),
                {2, 3}, {0, 8, 0, 12, 6, 4});
  // along the middle dim of [2, 3, 2]: slices (2, 0, 3), (1, 4, 5), (0, 0, 2), (3, 2, 1)
  expect_values(weighted_grad([](const Tensor& x) { return prod(x, 1, true); }, {2, 1, 0, 4, 3, 5, 0, 3, 0, 2, 2, 1},
                              {2, 3, 2}, ones({2, 1, 2}, kFloat64)),
                {2, 3, 2}, {0, 20, 6, 5, 0, 4, 0, 2, 0, 3, 0, 6});
  expect_values(weighted_grad([](const Tensor& x) { return prod(x, 0); }, {4}, {}, f64({2}, {})), {}, {2});  // 0-d
}

TEST(Scan, GradcheckProd) {
  const auto along = [](const Tensor& x, int d) { return prod(x, d); };
  expect_gradcheck_along_every_dim(along, random_leaf({2, 3, 4}, 35));
  expect_gradcheck_along_every_dim([](const Tensor& x, int d) { return prod(x, d, true); }, random_leaf({2, 3}, 36));
  SCOPED_TRACE("zeros: one and two in a slice, and slices without");
  expect_gradcheck_along_every_dim(along, leaf({0, 2, -1, 3, 0.5, 0, 1.5, -2, 0, 0, 1, 0.5}, {2, 3, 2}));
  expect_gradcheck([](const Inputs& in) { return prod(in[0]); }, {leaf({1.5, 0, -2, 0.5}, {2, 2})});
  expect_gradcheck([](const Inputs& in) { return prod(in[0]); }, {leaf({1.5, 0, -2, 0}, {2, 2})});
  SCOPED_TRACE("whole, and fan-out inside: prod(x), prod(x * x)");
  expect_gradcheck([](const Inputs& in) { return prod(in[0]); }, {random_leaf({2, 3}, 37)});
  expect_gradcheck([](const Inputs& in) { return prod(in[0] * in[0]); }, {random_leaf({2, 3}, 38)});
}

// ---- second derivatives ----

// The first gradients are multilinear in (x, v) too (cumsum's is linear in v alone), so the stencil stays
// exact with zeros in x.
void expect_gradgradcheck_along_every_dim(const std::function<Tensor(const Tensor&, int)>& op, const Tensor& x) {
  expect_along_every_dim(expect_gradgradcheck_default, op, x);
}

// A [2, 3, 4] holding zeros: one in a slice, two in a slice, and slices without, along every dim.
Tensor zeros_in() {
  return leaf({0, 2, -1, 3, 0.5, 0, 0, 1.5, -2, 0, 1, 0.5, 2, 1, -1.5, 0, 0.5, 3, 1, 0, 2, -0.5, 1, 0}, {2, 3, 4});
}

TEST(Scan, GradGradCumsum) {
  expect_gradgradcheck_along_every_dim([](const Tensor& x, int d) { return cumsum(x, d); }, random_leaf({2, 3, 4}, 41));
  SCOPED_TRACE("fan-out inside: cumsum(x * x, 1)");
  expect_gradgradcheck([](const Inputs& in) { return cumsum(in[0] * in[0], 1); }, {random_leaf({2, 3}, 42)});
}

TEST(Scan, GradGradCumprod) {
  const auto along = [](const Tensor& x, int d) { return cumprod(x, d); };
  expect_gradgradcheck_along_every_dim(along, random_leaf({2, 3, 4}, 43));
  SCOPED_TRACE("zeros: one, two in a slice, and slices without");
  expect_gradgradcheck_along_every_dim(along, zeros_in());
  SCOPED_TRACE("0-d zero, and fan-out inside: cumprod(x * x, 1)");
  expect_gradgradcheck([](const Inputs& in) { return cumprod(in[0], 0) * in[0]; }, {leaf({0.0}, {})});
  expect_gradgradcheck([](const Inputs& in) { return cumprod(in[0] * in[0], 1); }, {random_leaf({2, 3}, 44)});
}

// f = sum(cumprod(x)) = a + ab + abc for x = (a, b, c): H = [[0, 1 + c, b], [1 + c, 0, a], [b, a, 0]]; at
// (2, 0, 3), H (1, 2, 3) = (8, 10, 4). The zero at b is where a masked backward loses d2f/db dc = a.
TEST(Scan, CumprodSecondDerivativeWithAZero) {
  const UnaryOp f = [](const Tensor& x) { return sum(cumprod(x, 0)); };
  expect_values(hessian_times(f, leaf({2, 0, 3}, {3}), f64({1, 2, 3}, {3})), {3}, {8, 10, 4});
  expect_values(hessian_times(f, leaf({2, 5, 3}, {3}), f64({1, 2, 3}, {3})), {3}, {23, 10, 9});  // 1 + c = 4
}

TEST(Scan, GradGradProd) {
  expect_gradgradcheck_along_every_dim([](const Tensor& x, int d) { return prod(x, d); }, random_leaf({2, 3, 4}, 45));
  SCOPED_TRACE("zeros: one and two in a slice, and slices without");
  expect_gradgradcheck_along_every_dim([](const Tensor& x, int d) { return prod(x, d, true); }, zeros_in());
  expect_gradgradcheck([](const Inputs& in) { return prod(in[0]); }, {leaf({1.5, 0, -2, 0}, {2, 2})});
  SCOPED_TRACE("whole, and fan-out inside: prod(x * x)");
  expect_gradgradcheck([](const Inputs& in) { return prod(in[0] * in[0]); }, {random_leaf({2, 3}, 46)});
  // Third derivatives with zeros: gradgradcheck of x -> grad(sum(prod(x, 1) * w), x), whose running products
  // from both ends are differentiated twice. grad_output is given: without it gradgradcheck learns fn's
  // shape by calling it under NoGradGuard, where autograd::grad has nothing to differentiate.
  SCOPED_TRACE("third order, with zeros: x -> grad(sum(prod(x, 1) * w), x)");
  const Tensor w = f64({0.5, -1, 2}, {3});
  const Tensor v = f64({0.3, -0.7, 1.1, 0.4, -0.2, 0.9, -1.3, 0.6, 0.8}, {3, 3});
  const GradcheckResult r = gradgradcheck(
      [&w](const Inputs& in) { return autograd::grad({sum(prod(in[0], 1) * w)}, {in[0]}, {}, {}, true)[0]; },
      {leaf({0, 2, -1, 0, 0.5, 3, 1.5, 0, 0}, {3, 3})}, v);
  EXPECT_TRUE(r.ok) << r.str();
}

// f = prod(x) = abc: H = [[0, c, b], [c, 0, a], [b, a, 0]]; at (0, 0, 2), H (1, 2, 3) = (4, 2, 0).
TEST(Scan, ProdSecondDerivativeWithZeros) {
  const UnaryOp f = [](const Tensor& x) { return prod(x); };
  expect_values(hessian_times(f, leaf({0, 0, 2}, {3}), f64({1, 2, 3}, {3})), {3}, {4, 2, 0});
}

// The third derivatives of f = abc at (0, 0, 2): df/da = bc, d2f/da db = c, d3f/da db dc = 1. prod's
// gradient with zeros is a product of running products from both ends, so this differentiates their own
// backward twice, zeros included.
TEST(Scan, ProdThirdDerivativeWithZeros) {
  const Tensor x = leaf({0, 0, 2}, {3});
  const auto at = [](const Tensor& t, std::int64_t i) { return sum(slice(t, 0, i, i + 1)); };
  const Tensor g1 = autograd::grad({prod(x)}, {x}, {}, {}, true)[0];
  expect_values(g1, {3}, {0, 0, 0});
  const Tensor g2 = autograd::grad({at(g1, 0)}, {x}, {}, {}, true)[0];
  expect_values(g2, {3}, {0, 2, 0});
  expect_values(autograd::grad({at(g2, 1)}, {x})[0], {3}, {0, 0, 1});
}

TEST(Scan, BadDimsAreRejected) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return cumsum(x, 2); }, "cumsum: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return cumprod(x, -3); },
                                       "cumprod: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return prod(x, 2); }, "prod: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return prod(scalar_tensor(1), 1); },
                                       "prod: dimension 1 is out of range for a 0-d tensor (which takes only 0 or -1)");
}

TEST(Scan, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"cumsum", [](const Tensor& x) { return cumsum(x, 0); }},
                             {"cumprod", [](const Tensor& x) { return cumprod(x, 0); }},
                             {"prod", [](const Tensor& x) { return prod(x); }},
                             {"prod", [](const Tensor& x) { return prod(x, 0); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
