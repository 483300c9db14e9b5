// Binary elementwise ops (add, sub, mul, div, maximum, minimum), their scalar forms (add, mul, div,
// rsub, rdiv) and the arithmetic operators: closed-form values, broadcasting, gradcheck and gradgradcheck
// in float64 (broadcast and fan-out cases), closed-form second derivatives, and the messages for
// mismatched shapes and dtypes.
// Unary elementwise ops are in test_ops_unary.cpp.

#include <functional>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// ---- shared cases ----

// A check of fn at inputs: expect_gradcheck or expect_gradgradcheck.
using Check = std::function<void(const Fn&, const Inputs&)>;

// Runs `check` on op for every broadcast pattern and for the same tensor used twice. The values keep
// every pair (a, b) more than 0.01 apart (maximum and minimum have a kink at a == b) and b at or above
// 0.8 (div's fifth derivative, which bounds the stencil's error, grows as 1 / b^6; its sixth, which
// bounds it for the second derivatives, as 1 / b^7).
void expect_broadcast_checks(const BinaryOp& op, const Check& check) {
  struct Case {
    const char* name;
    Tensor a;
    Tensor b;
  };
  const Tensor a23 = leaf({-0.9, 0.35, 1.2, 0.7, -0.4, 1.45}, {2, 3});
  const Tensor b23 = leaf({0.85, 1.05, 1.3, 0.95, 1.2, 1.5}, {2, 3});
  const std::vector<Case> cases = {
      {"[2, 3] with [2, 3]", a23, b23},
      {"[2, 3] with [3]", a23, leaf({0.8, 1.05, 1.3}, {3})},
      {"[2, 1] with [1, 3]", leaf({-0.9, 1.2}, {2, 1}), leaf({0.8, 1.05, 1.3}, {1, 3})},
      {"[2, 1, 3] with [2, 1]", a23.detach().reshape({2, 1, 3}).requires_grad_(), leaf({0.8, 1.3}, {2, 1})},
      {"[2, 3] with a 0-d scalar", a23, leaf({1.1}, {})},
      {"a 0-d scalar with [2, 3]", leaf({-0.3}, {}), b23}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    check([&](const Inputs& in) { return op(in[0], in[1]); }, {c.a, c.b});
  }
  {
    SCOPED_TRACE("fan-out: op(x, x)");
    check([&](const Inputs& in) { return op(in[0], in[0]); }, {b23});
  }
  SCOPED_TRACE("fan-out: op(a, a * b)");  // a reaches op by both operands, once through mul
  const Tensor factor = leaf({1.1, 0.95, 1.2, 0.9, 1.3, 1.15}, {2, 3});  // a * factor: >= 0.85, >= 0.04 from a
  check([&](const Inputs& in) { return op(in[0], in[0] * in[1]); }, {b23, factor});
}

void expect_broadcast_gradchecks(const BinaryOp& op) { expect_broadcast_checks(op, expect_gradcheck); }
void expect_broadcast_gradgradchecks(const BinaryOp& op) {
  expect_broadcast_checks(op, [](const Fn& fn, const Inputs& in) { expect_gradgradcheck(fn, in); });
}

struct NamedBinaryOp {
  std::string name;
  BinaryOp op;
};

std::vector<NamedBinaryOp> binary_ops() {
  return {{"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
          {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
          {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
          {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
          {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
          {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }}};
}

// The op of binary_ops() called `name`.
BinaryOp binary_op(const std::string& name) {
  for (const NamedBinaryOp& op : binary_ops())
    if (op.name == name) return op.op;
  throw std::invalid_argument("no binary op " + name);
}

// A [2, 3] float64 leaf with values in [1, 2): away from 0 for rdiv and div.
Tensor positive_leaf() { return random_leaf({2, 3}, 7, 1.0, 2.0); }

// ---- binary ops: values ----

TEST(Elementwise, AddSubMulDivBroadcastRowVector) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = f64({0.5, -1, 2}, {3});
  expect_values(add(a, b), {2, 3}, {1.5, 1, 5, 4.5, 4, 8});
  expect_values(sub(a, b), {2, 3}, {0.5, 3, 1, 3.5, 6, 4});
  expect_values(mul(a, b), {2, 3}, {0.5, -2, 6, 2, -5, 12});
  expect_values(div(a, b), {2, 3}, {2, -2, 1.5, 8, -5, 3});
}

TEST(Elementwise, AddBroadcastsColumnWithRow) {
  expect_values(add(f64({1, 2}, {2, 1}), f64({10, 20, 30}, {1, 3})), {2, 3}, {11, 21, 31, 12, 22, 32});
  expect_values(add(f64({10, 20, 30}, {3}), f64({1, 2}, {2, 1})), {2, 3}, {11, 21, 31, 12, 22, 32});
}

TEST(Elementwise, MulBroadcastsIn3d) {
  // [2, 1, 3] * [4, 1] -> [2, 4, 3]: out[i, j, k] = a[i, 0, k] * b[j, 0]
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 1, 3});
  const Tensor b = f64({1, 10, 100, -1}, {4, 1});
  expect_values(mul(a, b), {2, 4, 3}, {1,  2,  3,  10,  20,  30,  100, 200, 300, -1, -2, -3,
                                       4,  5,  6,  40,  50,  60,  400, 500, 600, -4, -5, -6});
}

TEST(Elementwise, ZeroDimScalarBroadcastsOnEitherSide) {
  const Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor s = f64({0.5}, {});
  expect_values(sub(x, s), {2, 3}, {0.5, 1.5, 2.5, 3.5, 4.5, 5.5});
  expect_values(sub(s, x), {2, 3}, {-0.5, -1.5, -2.5, -3.5, -4.5, -5.5});
  expect_values(mul(s, s), {}, {0.25});
}

TEST(Elementwise, DivClosedForm) {
  expect_values(div(f64({1, -2}, {2}), f64({3, 7}, {2})), {2}, {0.3333333333333333, -0.2857142857142857});
}

TEST(Elementwise, MaximumMinimumBroadcastColumn) {
  const Tensor a = f64({1, -2, 3, -4, 5, -6}, {2, 3});
  const Tensor b = f64({0, 4}, {2, 1});
  expect_values(maximum(a, b), {2, 3}, {1, 0, 3, 4, 5, 4});
  expect_values(minimum(a, b), {2, 3}, {0, -2, 0, -4, 4, -6});
}

TEST(Elementwise, MaximumAndMinimumSendTheGradientToTheFirstInputAtTies) {
  for (const bool take_max : {true, false}) {
    SCOPED_TRACE(take_max ? "maximum" : "minimum");
    const Tensor a = leaf({1, 2, 3}, {3});
    const Tensor b = leaf({1, 5, 0}, {3});
    (take_max ? maximum(a, b) : minimum(a, b)).sum().backward();
    expect_values(a.grad(), {3}, take_max ? std::vector<double>{1, 0, 1} : std::vector<double>{1, 1, 0});
    expect_values(b.grad(), {3}, take_max ? std::vector<double>{0, 1, 0} : std::vector<double>{0, 0, 1});
  }
}

TEST(Elementwise, BroadcastGradientIsSummedToEachInputShape) {
  const Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = leaf({0.5, -1, 2}, {3});
  const Tensor s = leaf({2}, {});
  (a * b * s).sum().backward();
  expect_values(a.grad(), {2, 3}, {1, -2, 4, 1, -2, 4});  // b * s
  expect_values(b.grad(), {3}, {10, 14, 18});              // (a[0] + a[1]) * s
  expect_values(s.grad(), {}, {13.5});                     // sum(a * b)
}

TEST(Elementwise, Float32Values) {
  const Tensor a = tensor({1, 2, 1, 4, 5, 5}, {2, 3});
  const Tensor b = tensor({0.5, -1, 3}, {3});
  const Tensor sum = add(a, b);
  EXPECT_EQ(sum.dtype(), kFloat32);
  expect_values(sum, {2, 3}, {1.5, 1, 4, 4.5, 4, 8});
  expect_values(div(a, b), {2, 3}, {2, -2, 1.0F / 3.0F, 8, -5, 5.0F / 3.0F}, 1e-7);
  expect_values(maximum(a, b), {2, 3}, {1, 2, 3, 4, 5, 5});
}

// ---- binary ops: gradcheck ----

TEST(Elementwise, GradcheckAdd) { expect_broadcast_gradchecks(binary_op("add")); }
TEST(Elementwise, GradcheckSub) { expect_broadcast_gradchecks(binary_op("sub")); }
TEST(Elementwise, GradcheckMul) { expect_broadcast_gradchecks(binary_op("mul")); }
TEST(Elementwise, GradcheckDiv) { expect_broadcast_gradchecks(binary_op("div")); }
TEST(Elementwise, GradcheckMaximum) { expect_broadcast_gradchecks(binary_op("maximum")); }
TEST(Elementwise, GradcheckMinimum) { expect_broadcast_gradchecks(binary_op("minimum")); }

// ---- binary ops: second derivatives ----

TEST(Elementwise, GradGradAdd) { expect_broadcast_gradgradchecks(binary_op("add")); }
TEST(Elementwise, GradGradSub) { expect_broadcast_gradgradchecks(binary_op("sub")); }
TEST(Elementwise, GradGradMul) { expect_broadcast_gradgradchecks(binary_op("mul")); }
TEST(Elementwise, GradGradDiv) {
  // div's sixth derivative in b, 720 a / b^7, is 3e3 at b = 0.8, where the default step's O(h^4) stencil error
  // reaches 1.2e-10 on a [2, 1] b (each of its elements summed over 3 columns). Half the step cuts that 16-fold,
  // while the rounding error, about 1.5 eps |f| / h with |f| < 5, stays near 3e-12.
  expect_broadcast_checks(binary_op("div"),
                          [](const Fn& fn, const Inputs& in) { expect_gradgradcheck(fn, in, {.step = 5e-4}); });
}
TEST(Elementwise, GradGradMaximum) { expect_broadcast_gradgradchecks(binary_op("maximum")); }
TEST(Elementwise, GradGradMinimum) { expect_broadcast_gradgradchecks(binary_op("minimum")); }

// y = a / b: d2y/db2 = 2a / b^3, d2y/da db = -1 / b^2 (and d2y/da2 = 0), by autograd::grad twice.
TEST(Elementwise, DivSecondDerivativesClosedForm) {
  const Tensor a = leaf({1, -3}, {2});
  const Tensor b = leaf({2, 0.5}, {2});
  const std::vector<Tensor> g = autograd::grad({sum(div(a, b))}, {a, b}, {}, {}, true);
  const std::vector<Tensor> from_db = autograd::grad({sum(g[1])}, {a, b}, {}, true);
  expect_values(from_db[0], {2}, {-0.25, -4});  // d/da (-a / b^2)
  expect_values(from_db[1], {2}, {0.25, -48});  // d/db (-a / b^2)
  const std::vector<Tensor> from_da = autograd::grad({sum(g[0])}, {a, b}, {}, {}, false, true);
  EXPECT_FALSE(from_da[0].defined());           // 1 / b does not depend on a
  expect_values(from_da[1], {2}, {-0.25, -4});  // d/db (1 / b)
}

// ---- binary ops: errors ----

TEST(Elementwise, ShapesThatCannotBroadcastAreRejected) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = f64({1, 2, 3, 4}, {4});
  for (const NamedBinaryOp& op : binary_ops()) {
    SCOPED_TRACE(op.name);
    expect_throws<std::invalid_argument>([&] { return op.op(a, b); },
                                         op.name + ": shapes cannot be broadcast: [2, 3] and [4]");
  }
  expect_throws<std::invalid_argument>([&] { return add(zeros({2, 3}), zeros({3, 2})); },
                                       "add: shapes cannot be broadcast: [2, 3] and [3, 2]");
}

TEST(Elementwise, MixedDtypesAreRejected) {
  const Tensor a = tensor({1, 2, 3});
  const Tensor b = f64({1, 2, 3}, {3});
  for (const NamedBinaryOp& op : binary_ops()) {
    SCOPED_TRACE(op.name);
    expect_throws<std::invalid_argument>([&] { return op.op(a, b); }, op.name + ": dtypes differ: float32 and float64");
  }
}

TEST(Elementwise, UndefinedInputsAreRejected) {
  for (const NamedBinaryOp& op : binary_ops()) {
    SCOPED_TRACE(op.name);
    expect_throws<std::invalid_argument>([&] { return op.op(Tensor(), zeros({2})); },
                                         op.name + ": an input tensor is undefined");
    expect_throws<std::invalid_argument>([&] { return op.op(zeros({2}), Tensor()); },
                                         op.name + ": an input tensor is undefined");
  }
}

// ---- ops with a scalar ----

TEST(Elementwise, ScalarOpsValues) {
  const Tensor x = f64({1, -2, 4}, {3});
  expect_values(add(x, 0.5), {3}, {1.5, -1.5, 4.5});
  expect_values(mul(x, -3.0), {3}, {-3, 6, -12});
  expect_values(div(x, 4.0), {3}, {0.25, -0.5, 1});
  expect_values(rsub(x, 1.0), {3}, {0, 3, -3});
  expect_values(rdiv(x, 2.0), {3}, {2, -1, 0.5});
}

TEST(Elementwise, ScalarOpsKeepTheTensorDtype) {
  const Tensor x = tensor({1, -2, 3});
  EXPECT_EQ(add(x, 0.1).dtype(), kFloat32);
  expect_values(add(x, 0.1), {3}, {1.1F, -1.9F, 3.1F}, 1e-7);
  expect_values(rdiv(x, 1.0), {3}, {1, -0.5, 1.0F / 3.0F}, 1e-7);
}

TEST(Elementwise, GradcheckScalarAdd) {
  expect_unary_gradcheck([](const Tensor& x) { return add(x, 0.5); }, positive_leaf());
}
TEST(Elementwise, GradcheckScalarMul) {
  expect_unary_gradcheck([](const Tensor& x) { return mul(x, -3.0); }, positive_leaf());
}
TEST(Elementwise, GradcheckScalarDiv) {
  expect_unary_gradcheck([](const Tensor& x) { return div(x, 4.0); }, positive_leaf());
}
TEST(Elementwise, GradcheckRsub) {
  expect_unary_gradcheck([](const Tensor& x) { return rsub(x, 1.0); }, positive_leaf());
}
TEST(Elementwise, GradcheckRdiv) {
  expect_unary_gradcheck([](const Tensor& x) { return rdiv(x, 2.0); }, positive_leaf());
}

TEST(Elementwise, GradGradScalarAdd) {
  expect_unary_gradgradcheck([](const Tensor& x) { return add(x, 0.5); }, positive_leaf());
}
TEST(Elementwise, GradGradScalarMul) {
  expect_unary_gradgradcheck([](const Tensor& x) { return mul(x, -3.0); }, positive_leaf());
}
TEST(Elementwise, GradGradScalarDiv) {
  expect_unary_gradgradcheck([](const Tensor& x) { return div(x, 4.0); }, positive_leaf());
}
TEST(Elementwise, GradGradRsub) {
  expect_unary_gradgradcheck([](const Tensor& x) { return rsub(x, 1.0); }, positive_leaf());
}
TEST(Elementwise, GradGradRdiv) {
  expect_unary_gradgradcheck([](const Tensor& x) { return rdiv(x, 2.0); }, positive_leaf());
}

// y = 2 / x: d2y/dx2 = 4 / x^3.
TEST(Elementwise, RdivSecondDerivativeClosedForm) {
  expect_values(elementwise_second_derivative([](const Tensor& t) { return rdiv(t, 2.0); }, leaf({1, 2, -0.5}, {3})),
                {3}, {4, 0.5, -32});
}

TEST(Elementwise, ScalarOpsRejectUndefinedInput) {
  const NamedUnaryOps ops = {
      {"add", [](const Tensor& x) { return add(x, 1.0); }},  {"mul", [](const Tensor& x) { return mul(x, 2.0); }},
      {"div", [](const Tensor& x) { return div(x, 2.0); }},  {"rsub", [](const Tensor& x) { return rsub(x, 1.0); }},
      {"rdiv", [](const Tensor& x) { return rdiv(x, 1.0); }}};
  expect_undefined_inputs_rejected(ops);
}

// ---- operators ----

TEST(Elementwise, TensorOperatorsMatchTheNamedOps) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = f64({0.5, -1, 2}, {3});
  expect_values(a + b, {2, 3}, {1.5, 1, 5, 4.5, 4, 8});
  expect_values(a - b, {2, 3}, {0.5, 3, 1, 3.5, 6, 4});
  expect_values(a * b, {2, 3}, {0.5, -2, 6, 2, -5, 12});
  expect_values(a / b, {2, 3}, {2, -2, 1.5, 8, -5, 3});
  expect_values(-b, {3}, {-0.5, 1, -2});
}

TEST(Elementwise, OperatorsWithScalarsOnBothSides) {
  const Tensor x = f64({1, -2, 4}, {3});
  expect_values(x + 2.0, {3}, {3, 0, 6});
  expect_values(2.0 + x, {3}, {3, 0, 6});
  expect_values(x - 2.0, {3}, {-1, -4, 2});
  expect_values(2.0 - x, {3}, {1, 4, -2});
  expect_values(x * 2.0, {3}, {2, -4, 8});
  expect_values(2.0 * x, {3}, {2, -4, 8});
  expect_values(x / 2.0, {3}, {0.5, -1, 2});
  expect_values(2.0 / x, {3}, {2, -1, 0.5});
}

TEST(Elementwise, GradcheckTensorOperators) {
  const std::vector<std::pair<std::string, BinaryOp>> ops = {
      {"a + b", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"a - b", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"a * b", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"a / b", [](const Tensor& a, const Tensor& b) { return a / b; }},
      {"-a * b", [](const Tensor& a, const Tensor& b) { return -a * b; }}};
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    expect_broadcast_gradchecks(op);
  }
}

TEST(Elementwise, GradcheckScalarOperators) {
  const NamedUnaryOps ops = {
      {"x + 2", [](const Tensor& x) { return x + 2.0; }}, {"2 + x", [](const Tensor& x) { return 2.0 + x; }},
      {"x - 2", [](const Tensor& x) { return x - 2.0; }}, {"2 - x", [](const Tensor& x) { return 2.0 - x; }},
      {"x * 2", [](const Tensor& x) { return x * 2.0; }}, {"2 * x", [](const Tensor& x) { return 2.0 * x; }},
      {"x / 2", [](const Tensor& x) { return x / 2.0; }}, {"2 / x", [](const Tensor& x) { return 2.0 / x; }}};
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    expect_unary_gradcheck(op, positive_leaf());
  }
}

TEST(Elementwise, OperatorsReportTheUnderlyingOp) {
  expect_throws<std::invalid_argument>([] { return zeros({2, 3}) * zeros({4}); },
                                       "mul: shapes cannot be broadcast: [2, 3] and [4]");
  expect_throws<std::invalid_argument>([] { return zeros({2}) / zeros({2}, kFloat64); },
                                       "div: dtypes differ: float32 and float64");
}

}  // namespace
}  // namespace tg
