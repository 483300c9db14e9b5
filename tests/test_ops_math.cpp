// Math ops (math.hpp) and the activations added beside them (gelu, silu, mish, hardtanh, relu6,
// hardsigmoid, hardswish, logsigmoid, softsign, celu, selu): closed-form values and PyTorch's values at the
// domain edges and kinks, float64 gradcheck and gradgradcheck (fan-out, and broadcast for the binary ops),
// closed-form second derivatives, float32 within a few ulp of float64, and the messages for bad arguments.
// Reference values are PyTorch 1.13's in float64.

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

struct Case {
  std::string name;
  UnaryOp op;
  std::vector<double> x;
  std::vector<double> expected;
};

Tensor vec64(const std::vector<double>& values) {
  return tensor(values, Shape{static_cast<std::int64_t>(values.size())}, kFloat64);
}

// Expects every case's op at its x to give `expected` (NaN where NaN is expected, inf exactly).
void expect_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<double> y = c.op(vec64(c.x)).to_vector();
    ASSERT_EQ(y.size(), c.expected.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double e = c.expected[i];
      if (std::isnan(e)) {
        EXPECT_TRUE(std::isnan(y[i])) << "element " << i << " is " << y[i];
      } else if (std::isinf(e)) {
        EXPECT_EQ(y[i], e) << "element " << i;
      } else {  // 2 ulp of libm's float64 functions, relative to max(1, |e|)
        EXPECT_NEAR(y[i], e, 5e-16 * std::max(1.0, std::abs(e))) << "element " << i;
      }
    }
  }
}

// Expects the gradient of sum(op(x)) at x to be `expected` (NaN and inf compared as in expect_cases).
void expect_gradient(const UnaryOp& op, const std::vector<double>& x, const std::vector<double>& expected) {
  Tensor leaf_x = vec64(x);
  leaf_x.requires_grad_();
  op(leaf_x).sum().backward();
  expect_cases({{"gradient", [&](const Tensor&) { return leaf_x.grad(); }, x, expected}});
}

std::vector<Case> math_values() {
  return {
      {"sin", [](const Tensor& x) { return sin(x); }, {-1, 0, 0.5, 2}, {-0.8414709848078965, 0, 0.479425538604203, 0.9092974268256817}},
      {"cos", [](const Tensor& x) { return cos(x); }, {-1, 0, 0.5, 2}, {0.5403023058681398, 1, 0.8775825618903728, -0.4161468365471424}},
      {"tan", [](const Tensor& x) { return tan(x); }, {-1, 0, 0.5, 1.2}, {-1.5574077246549023, 0, 0.5463024898437905, 2.5721516221263188}},
      {"asin", [](const Tensor& x) { return asin(x); }, {-1, -0.5, 0, 0.9, 1.5, -2}, {-M_PI_2, -M_PI / 6, 0, 1.1197695149986342, kNaN, kNaN}},
      {"acos", [](const Tensor& x) { return acos(x); }, {-1, -0.5, 0, 0.9, 1.5}, {M_PI, 2 * M_PI / 3, M_PI_2, 0.45102681179626236, kNaN}},
      {"atan", [](const Tensor& x) { return atan(x); }, {-2, 0, 1, 10, kInf}, {-1.1071487177940904, 0, M_PI_4, 1.4711276743037345, M_PI_2}},
      {"sinh", [](const Tensor& x) { return sinh(x); }, {-1, 0, 0.5, 2}, {-1.1752011936438014, 0, 0.5210953054937474, 3.626860407847019}},
      {"cosh", [](const Tensor& x) { return cosh(x); }, {-1, 0, 0.5, 2}, {1.5430806348152437, 1, 1.1276259652063807, 3.7621956910836314}},
      {"asinh", [](const Tensor& x) { return asinh(x); }, {-1, 0, 0.5, 2}, {-0.881373587019543, 0, 0.48121182505960347, 1.4436354751788103}},
      {"acosh", [](const Tensor& x) { return acosh(x); }, {1, 1.5, 10, 0.5}, {0, 0.9624236501192069, 2.993222846126381, kNaN}},
      {"atanh", [](const Tensor& x) { return atanh(x); }, {-0.5, 0, 0.9, 1, -1, 2}, {-0.5493061443340548, 0, 1.4722194895832204, kInf, -kInf, kNaN}},
      {"expm1", [](const Tensor& x) { return expm1(x); }, {-1, 0, 1e-10, 2}, {-0.6321205588285577, 0, 1.00000000005e-10, 6.38905609893065}},
      {"log2", [](const Tensor& x) { return log2(x); }, {0.5, 1, 3, 1024, 0, -1}, {-1, 0, 1.584962500721156, 10, -kInf, kNaN}},
      {"log10", [](const Tensor& x) { return log10(x); }, {0.01, 1, 3, 1000, 0, -1}, {-2, 0, 0.47712125471966244, 3, -kInf, kNaN}},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, {0.25, 1, 2, 100, 0, -1}, {2, 1, M_SQRT1_2, 0.1, kInf, kNaN}},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, {-4, 0.5, 3, 0, -0.0}, {-0.25, 2, 1.0 / 3, kInf, -kInf}},
      {"square", [](const Tensor& x) { return square(x); }, {-3, 0, 0.5, 1.5}, {9, 0, 0.25, 2.25}},
      {"erf", [](const Tensor& x) { return erf(x); }, {-1, 0, 0.5, 3}, {-0.8427007929497149, 0, 0.5204998778130465, 0.9999779095030014}},
      {"erfc", [](const Tensor& x) { return erfc(x); }, {-1, 0, 0.5}, {1.8427007929497148, 1, 0.4795001221869535}},
  };
}

TEST(Math, ClosedFormValuesAndDomainEdges) { expect_cases(math_values()); }

TEST(Math, SmallResultsKeepTheirRelativeAccuracy) {
  // erfc(10) = 2.09e-45 is 1 - erf(10) with every digit of erf cancelled; expm1(1e-10) likewise for e^x - 1.
  EXPECT_NEAR(erfc(vec64({10})).item(), 2.088487583762545e-45, 2.088487583762545e-45 * 1e-14);
  EXPECT_NEAR(expm1(vec64({1e-10})).item(), 1.00000000005e-10, 1e-25);
}

TEST(Math, StepFunctionValues) {
  expect_cases({
      {"round (half to even)", [](const Tensor& x) { return round(x); }, {0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6}, {0, 2, 2, -0.0, -2, 2, -3}},
      {"floor", [](const Tensor& x) { return floor(x); }, {-1.5, -1, 0.3, 2.7}, {-2, -1, 0, 2}},
      {"ceil", [](const Tensor& x) { return ceil(x); }, {-1.5, -1, 0.3, 2.7}, {-1, -1, 1, 3}},
      {"trunc", [](const Tensor& x) { return trunc(x); }, {-1.5, -1, 0.3, 2.7}, {-1, -1, 0, 2}},
      {"sign", [](const Tensor& x) { return sign(x); }, {-3, 0, 2, kNaN}, {-1, 0, 1, 0}},  // sign(nan) = 0 in PyTorch
  });
  EXPECT_TRUE(std::signbit(round(vec64({-0.5})).item()));  // -0.5 rounds to -0, as torch.round
}

TEST(Math, StepFunctionsAreRecordedWithAZeroGradient) {
  for (const auto& [name, op] : NamedUnaryOps{{"sign", [](const Tensor& x) { return sign(x); }},
                                              {"floor", [](const Tensor& x) { return floor(x); }},
                                              {"ceil", [](const Tensor& x) { return ceil(x); }},
                                              {"round", [](const Tensor& x) { return round(x); }},
                                              {"trunc", [](const Tensor& x) { return trunc(x); }}}) {
    SCOPED_TRACE(name);
    Tensor x = leaf({-1.5, 0.5, 2.2}, {3});
    const Tensor y = op(x);
    EXPECT_TRUE(y.requires_grad());  // as PyTorch: backward through y alone works and leaves zeros
    (y * y).sum().backward();
    expect_values(x.grad(), {3}, {0, 0, 0});
  }
}

TEST(Math, GradientsAtTheDomainEdgesArePyTorchs) {
  expect_gradient([](const Tensor& x) { return asin(x); }, {1, 2}, {kInf, kNaN});
  expect_gradient([](const Tensor& x) { return acosh(x); }, {1, 0.5}, {kInf, kNaN});
  expect_gradient([](const Tensor& x) { return atanh(x); }, {1, -1, 2}, {kInf, kInf, -1.0 / 3});
  expect_gradient([](const Tensor& x) { return log2(x); }, {0, 2}, {kInf, 1 / (2 * M_LN2)});
  expect_gradient([](const Tensor& x) { return rsqrt(x); }, {0, 4}, {-kInf, -1.0 / 16});
  expect_gradient([](const Tensor& x) { return reciprocal(x); }, {0, -0.0, 2}, {-kInf, -kInf, -0.25});
}

TEST(Math, Atan2QuadrantsAndTheOrigin) {
  const Tensor a = leaf({1, -1, 0.5, -2, 0}, {5});
  const Tensor b = leaf({1, 1, -2, -0.5, 0}, {5});
  const Tensor y = atan2(a, b);
  expect_values(y, {5}, {M_PI_4, -M_PI_4, 2.896613990462929, -1.8157749899217608, 0});
  y.sum().backward();  // da = b / (a^2 + b^2), db = -a / (a^2 + b^2); 0/0 at the origin, as PyTorch
  EXPECT_TRUE(std::isnan(a.grad().at({4})) && std::isnan(b.grad().at({4})));
  EXPECT_DOUBLE_EQ(a.grad().at({2}), -2 / 4.25);
  EXPECT_DOUBLE_EQ(b.grad().at({2}), -0.5 / 4.25);
}

TEST(Math, PowWithATensorExponent) {
  expect_values(pow(f64({2, 4, 0.5, 3}, {4}), f64({3, 0.5, -2, 0}, {4})), {4}, {8, 2, 4, 1});
  // PyTorch's gradients where a^(b-1) or log(a) are not finite: a = 0 with b = 0 or 2 gives zeros, a < 0 NaN.
  const Tensor a = leaf({0, 0, 2, -2}, {4});
  const Tensor b = leaf({0, 2, 0, 0.5}, {4});
  pow(a, b).sum().backward();
  const std::vector<double> da = a.grad().to_vector();
  const std::vector<double> db = b.grad().to_vector();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(da[i], 0) << i;
  EXPECT_EQ(db[0], 0);
  EXPECT_EQ(db[1], 0);
  EXPECT_DOUBLE_EQ(db[2], M_LN2);  // d/db 2^b at b = 0
  EXPECT_TRUE(std::isnan(da[3]) && std::isnan(db[3]));
}

// ---- gradcheck ----

// An op and an interval of inputs.
struct Domain {
  std::string name;
  UnaryOp op;
  double low;
  double high;
};

// The unary math ops with two domains: one for gradcheck, where the five-point stencil's O(h^4) error stays
// far below 1e-10, and a wider one for the float32 comparison.
struct MathOp {
  std::string name;
  UnaryOp op;
  std::pair<double, double> gradcheck;
  std::pair<double, double> float32;
};

std::vector<MathOp> math_ops() {
  return {
      {"sin", [](const Tensor& x) { return sin(x); }, {-2, 2}, {-3, 3}},
      {"cos", [](const Tensor& x) { return cos(x); }, {-2, 2}, {-3, 3}},
      {"tan", [](const Tensor& x) { return tan(x); }, {-1, 1}, {-1.5, 1.5}},
      {"asin", [](const Tensor& x) { return asin(x); }, {-0.5, 0.5}, {-1, 1}},
      {"acos", [](const Tensor& x) { return acos(x); }, {-0.5, 0.5}, {-1, 1}},
      {"atan", [](const Tensor& x) { return atan(x); }, {-2, 2}, {-10, 10}},
      {"sinh", [](const Tensor& x) { return sinh(x); }, {-2, 2}, {-10, 10}},
      {"cosh", [](const Tensor& x) { return cosh(x); }, {-2, 2}, {-10, 10}},
      {"asinh", [](const Tensor& x) { return asinh(x); }, {-2, 2}, {-10, 10}},
      {"acosh", [](const Tensor& x) { return acosh(x); }, {1.5, 3}, {1, 10}},
      {"atanh", [](const Tensor& x) { return atanh(x); }, {-0.5, 0.5}, {-0.99, 0.99}},
      {"expm1", [](const Tensor& x) { return expm1(x); }, {-2, 2}, {-5, 5}},
      {"log2", [](const Tensor& x) { return log2(x); }, {0.5, 2}, {0.01, 100}},
      {"log10", [](const Tensor& x) { return log10(x); }, {0.5, 2}, {0.01, 100}},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, {1, 2}, {0.01, 100}},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }, {1, 2}, {0.01, 100}},
      {"square", [](const Tensor& x) { return square(x); }, {-2, 2}, {-10, 10}},
      {"erf", [](const Tensor& x) { return erf(x); }, {-2, 2}, {-4, 4}},
      {"erfc", [](const Tensor& x) { return erfc(x); }, {-2, 2}, {-4, 4}},
  };
}

TEST(Math, GradcheckUnary) {
  std::uint64_t seed = 100;
  for (const MathOp& m : math_ops()) {
    SCOPED_TRACE(m.name);
    expect_unary_gradcheck(m.op, random_leaf({2, 3}, ++seed, m.gradcheck.first, m.gradcheck.second));
  }
}

// A check of fn at inputs: expect_gradcheck or expect_gradgradcheck.
using Check = std::function<void(const Fn&, const Inputs&)>;

// Runs `check` on op with operands uniform in [low, high): same shapes, broadcast, fanned out, and with a
// constant second operand.
void expect_binary_checks(const BinaryOp& op, double low, double high, const Check& check) {
  const auto both = [&](const Inputs& in) { return op(in[0], in[1]); };
  {
    SCOPED_TRACE("same shape");
    check(both, {random_leaf({2, 3}, 1, low, high), random_leaf({2, 3}, 2, low, high)});
  }
  {
    SCOPED_TRACE("broadcast [2, 3] with [3]");
    check(both, {random_leaf({2, 3}, 3, low, high), random_leaf({3}, 4, low, high)});
  }
  {
    SCOPED_TRACE("broadcast [2, 1] with [1, 3]");
    check(both, {random_leaf({2, 1}, 5, low, high), random_leaf({1, 3}, 6, low, high)});
  }
  {
    SCOPED_TRACE("fan-out: op(x, x)");
    check([&](const Inputs& in) { return op(in[0], in[0]); }, {random_leaf({2, 3}, 7, low, high)});
  }
  {
    SCOPED_TRACE("fan-out: op(x, x) * x");
    check([&](const Inputs& in) { return op(in[0], in[0]) * in[0]; }, {random_leaf({2, 3}, 7, low, high)});
  }
  {
    SCOPED_TRACE("second operand constant");
    Tensor constant = random_leaf({3}, 8, low, high).detach();
    check([&](const Inputs& in) { return op(in[0], constant); }, {random_leaf({2, 3}, 9, low, high)});
  }
}

void expect_binary_gradchecks(const BinaryOp& op, double low, double high) {
  expect_binary_checks(op, low, high, expect_gradcheck);
}

void expect_binary_gradgradchecks(const BinaryOp& op, double low, double high) {
  expect_binary_checks(op, low, high, [](const Fn& fn, const Inputs& in) { expect_gradgradcheck(fn, in); });
}

TEST(Math, GradcheckAtan2) {
  // Away from the origin, where the gradient's 1 / (a^2 + b^2) would make the stencil's error large.
  expect_binary_gradchecks([](const Tensor& a, const Tensor& b) { return atan2(a, b); }, 0.5, 2);
  SCOPED_TRACE("the other three quadrants");
  expect_binary_gradcheck([](const Tensor& a, const Tensor& b) { return atan2(a, b); }, random_leaf({3}, 12, 0.5, 2),
                          random_leaf({3}, 13, -2, -0.5));
  expect_binary_gradcheck([](const Tensor& a, const Tensor& b) { return atan2(-a, b); }, random_leaf({3}, 14, 0.5, 2),
                          random_leaf({2, 1}, 15, -2, 2));
}

TEST(Math, GradcheckPow) {
  expect_binary_gradchecks([](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2);
  SCOPED_TRACE("negative exponents");
  expect_binary_gradcheck([](const Tensor& a, const Tensor& b) { return pow(a, b); }, random_leaf({2, 3}, 10, 1, 2),
                          random_leaf({2, 3}, 11, -2.5, -0.5));
}

// ---- second derivatives ----

// gradgradcheck of the math op `name` on its gradcheck domain, alone and fanned out.
void expect_math_gradgradcheck(const std::string& name) {
  for (const MathOp& m : math_ops())
    if (m.name == name)
      return expect_unary_gradgradcheck(m.op, random_leaf({2, 3}, 200, m.gradcheck.first, m.gradcheck.second));
  FAIL() << "no math op " << name;
}

TEST(Math, GradGradSin) { expect_math_gradgradcheck("sin"); }
TEST(Math, GradGradCos) { expect_math_gradgradcheck("cos"); }
TEST(Math, GradGradTan) { expect_math_gradgradcheck("tan"); }
TEST(Math, GradGradAsin) { expect_math_gradgradcheck("asin"); }
TEST(Math, GradGradAcos) { expect_math_gradgradcheck("acos"); }
TEST(Math, GradGradAtan) { expect_math_gradgradcheck("atan"); }
TEST(Math, GradGradSinh) { expect_math_gradgradcheck("sinh"); }
TEST(Math, GradGradCosh) { expect_math_gradgradcheck("cosh"); }
TEST(Math, GradGradAsinh) { expect_math_gradgradcheck("asinh"); }
TEST(Math, GradGradAcosh) { expect_math_gradgradcheck("acosh"); }
TEST(Math, GradGradAtanh) { expect_math_gradgradcheck("atanh"); }
TEST(Math, GradGradExpm1) { expect_math_gradgradcheck("expm1"); }
TEST(Math, GradGradLog2) { expect_math_gradgradcheck("log2"); }
TEST(Math, GradGradLog10) { expect_math_gradgradcheck("log10"); }
TEST(Math, GradGradRsqrt) { expect_math_gradgradcheck("rsqrt"); }
TEST(Math, GradGradReciprocal) { expect_math_gradgradcheck("reciprocal"); }
TEST(Math, GradGradSquare) { expect_math_gradgradcheck("square"); }
TEST(Math, GradGradErf) { expect_math_gradgradcheck("erf"); }
TEST(Math, GradGradErfc) { expect_math_gradgradcheck("erfc"); }

TEST(Math, GradGradAtan2) {
  const BinaryOp op = [](const Tensor& a, const Tensor& b) { return atan2(a, b); };
  expect_binary_gradgradchecks(op, 0.5, 2);
  SCOPED_TRACE("the second quadrant");
  expect_gradgradcheck([&](const Inputs& in) { return op(in[0], in[1]); },
                       {random_leaf({3}, 12, 0.5, 2), random_leaf({3}, 13, -2, -0.5)});
}

TEST(Math, GradGradPow) {
  const BinaryOp op = [](const Tensor& a, const Tensor& b) { return pow(a, b); };
  expect_binary_gradgradchecks(op, 0.5, 2);
  SCOPED_TRACE("negative exponents");
  expect_gradgradcheck([&](const Inputs& in) { return op(in[0], in[1]); },
                       {random_leaf({2, 3}, 10, 1, 2), random_leaf({2, 3}, 11, -2.5, -0.5)});
}

// The step functions' zero gradient is a constant: its own gradient is zero, and the fan-out op(x) * x
// has the second derivative 0 and the first op(x). Inputs at least 0.05 from every jump.
void expect_step_gradgradcheck(const UnaryOp& op) {
  expect_unary_gradgradcheck(op, leaf({-1.3, -0.4, 0.2, 0.75, 1.6, -0.05}, {2, 3}));
}

TEST(Math, GradGradSign) { expect_step_gradgradcheck([](const Tensor& x) { return sign(x); }); }
TEST(Math, GradGradFloor) { expect_step_gradgradcheck([](const Tensor& x) { return floor(x); }); }
TEST(Math, GradGradCeil) { expect_step_gradgradcheck([](const Tensor& x) { return ceil(x); }); }
TEST(Math, GradGradRound) { expect_step_gradgradcheck([](const Tensor& x) { return round(x); }); }
TEST(Math, GradGradTrunc) { expect_step_gradgradcheck([](const Tensor& x) { return trunc(x); }); }

// sin'' = -sin; atan'' = -2x / (1 + x^2)^2; square'' = 2.
TEST(Math, SecondDerivativesClosedForm) {
  const Tensor x = leaf({-1, 0.5, 2}, {3});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return sin(t); }, x), {3},
                {0.8414709848078965, -0.479425538604203, -0.9092974268256817});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return atan(t); }, x), {3}, {0.5, -0.64, -0.16});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return square(t); }, x), {3}, {2, 2, 2});
}

// ---- float32 ----

// Distance in units in the last place between two finite floats of the same sign.
std::int64_t ulps(float a, float b) {
  return std::abs(static_cast<std::int64_t>(std::bit_cast<std::int32_t>(a)) - std::bit_cast<std::int32_t>(b));
}

// Expects op in float32 at 401 points of [low, high] within max_ulps of op in float64 rounded to float.
void expect_float32_close(const Domain& d, std::int64_t max_ulps) {
  SCOPED_TRACE(d.name);
  const Tensor x32 = arange(0, 401, 1, kFloat32) * static_cast<float>((d.high - d.low) / 400) + d.low;
  const std::vector<double> y32 = d.op(x32).to_vector();
  const std::vector<double> y64 = d.op(x32.to(kFloat64)).to_vector();
  for (std::size_t i = 0; i < y32.size(); ++i) {
    const auto a = static_cast<float>(y32[i]);
    const auto b = static_cast<float>(y64[i]);
    if (a == b) continue;  // also +0 against -0
    EXPECT_LE(ulps(a, b), max_ulps) << "at x = " << x32.to_vector()[i] << ": " << a << " vs " << b;
  }
}

TEST(Math, Float32IsWithinAFewUlpOfFloat64) {
  // libm's float functions are within 1 ulp, 1/sqrt within 1.5.
  for (const MathOp& m : math_ops()) expect_float32_close({m.name, m.op, m.float32.first, m.float32.second}, 2);
}

// ---- activations ----

std::vector<Case> activation_values() {
  const std::vector<double> x = {-3, -1, 0, 0.5, 2};
  return {
      {"gelu", [](const Tensor& t) { return gelu(t); }, x, {-0.00404969409489031, -0.15865525393145702, 0, 0.34573123063700656, 1.9544997361036416}},
      {"gelu(tanh)", [](const Tensor& t) { return gelu(t, "tanh"); }, x, {-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 1.954597694087775}},
      {"silu", [](const Tensor& t) { return silu(t); }, x, {-0.14227761953270035, -0.2689414213699951, 0, 0.3112296656009273, 1.7615941559557646}},
      {"mish", [](const Tensor& t) { return mish(t); }, x, {-0.1456474612756246, -0.30340146137410895, 0, 0.3752452113048951, 1.9439589595339946}},
      {"hardtanh", [](const Tensor& t) { return hardtanh(t); }, x, {-1, -1, 0, 0.5, 1}},
      {"hardtanh(-2, 0.25)", [](const Tensor& t) { return hardtanh(t, -2, 0.25); }, x, {-2, -1, 0, 0.25, 0.25}},
      {"relu6", [](const Tensor& t) { return relu6(t); }, {-3, 0, 0.5, 6, 7.5}, {0, 0, 0.5, 6, 6}},
      {"hardsigmoid", [](const Tensor& t) { return hardsigmoid(t); }, {-4, -3, 0, 1.5, 3.5}, {0, 0, 0.5, 0.75, 1}},
      {"hardswish", [](const Tensor& t) { return hardswish(t); }, {-4, -3, -1, 1.5, 3.5}, {0, 0, -1.0 / 3, 1.125, 3.5}},
      {"logsigmoid", [](const Tensor& t) { return logsigmoid(t); }, x, {-3.048587351573742, -1.3132616875182228, -M_LN2, -0.4740769841801067, -0.1269280110429725}},
      {"softsign", [](const Tensor& t) { return softsign(t); }, x, {-0.75, -0.5, 0, 1.0 / 3, 2.0 / 3}},
      {"celu", [](const Tensor& t) { return celu(t); }, x, {-0.950212931632136, -0.6321205588285577, 0, 0.5, 2}},
      {"celu(2)", [](const Tensor& t) { return celu(t, 2.0); }, x, {-1.5537396797031404, -0.7869386805747332, 0, 0.5, 2}},
      {"selu", [](const Tensor& t) { return selu(t); }, x, {-1.6705687287671118, -1.1113307378125625, 0, 0.5253504936777402, 2.101401974710961}},
  };
}

TEST(MathActivation, ClosedFormValues) { expect_cases(activation_values()); }

TEST(MathActivation, GradientsAtTheKinksArePyTorchs) {
  // hardtanh and relu6 (PyTorch's hardtanh_backward) pass no gradient at their bounds, unlike clamp.
  expect_gradient([](const Tensor& x) { return hardtanh(x); }, {-1, 1, 0, -2}, {0, 0, 1, 0});
  expect_gradient([](const Tensor& x) { return relu6(x); }, {0, 6, 3, 7}, {0, 0, 1, 0});
  expect_gradient([](const Tensor& x) { return hardsigmoid(x); }, {-3, 3, 0}, {0, 0, 1.0 / 6});
  // hardswish_backward: 0 for x <= -3, x/3 + 1/2 inside, 1 for x >= 3 (pytorch#148049).
  expect_gradient([](const Tensor& x) { return hardswish(x); }, {-3, 3, 0, -4, 1.5}, {0, 1, 0.5, 0, 1});
  // The ELU family takes the x <= 0 branch at 0: selu's gradient there is scale * alpha, celu's 1.
  expect_gradient([](const Tensor& x) { return selu(x); }, {0, 1, -1}, {1.7580993408473766, 1.0507009873554805, 0.646768603034814});
  expect_gradient([](const Tensor& x) { return celu(x, 2.0); }, {0, 1, -1}, {1, 1, 0.6065306597126334});
  expect_gradient([](const Tensor& x) { return softsign(x); }, {0, 1}, {1, 0.25});
  expect_gradient([](const Tensor& x) { return gelu(x); }, {0}, {0.5});
  expect_gradient([](const Tensor& x) { return gelu(x, "tanh"); }, {0}, {0.5});
}

TEST(MathActivation, StableAtLargeInputs) {
  expect_cases({
      {"logsigmoid", [](const Tensor& t) { return logsigmoid(t); }, {-1000, 1000}, {-1000, 0}},
      {"silu", [](const Tensor& t) { return silu(t); }, {-1000, 1000}, {0, 1000}},
      {"mish", [](const Tensor& t) { return mish(t); }, {-1000, 1000}, {0, 1000}},
      {"gelu", [](const Tensor& t) { return gelu(t); }, {-1000, 1000}, {0, 1000}},
      {"gelu(tanh)", [](const Tensor& t) { return gelu(t, "tanh"); }, {-1000, 1000}, {0, 1000}},
      {"selu", [](const Tensor& t) { return selu(t); }, {-1000}, {-1.7580993408473766}},
  });
  // x Phi(x) through erfc keeps the tail that 1 + erf(x / sqrt2) cancels to 0.
  EXPECT_NEAR(gelu(vec64({-10})).item(), -7.619853024160593e-23, 1e-36);
  expect_gradient([](const Tensor& x) { return logsigmoid(x); }, {-1000, 1000}, {1, 0});
  expect_gradient([](const Tensor& x) { return silu(x); }, {-1000, 1000}, {0, 1});
  expect_gradient([](const Tensor& x) { return mish(x); }, {-1000, 1000}, {0, 1});
  expect_gradient([](const Tensor& x) { return gelu(x); }, {-1000, 1000}, {0, 1});
  expect_gradient([](const Tensor& x) { return gelu(x, "tanh"); }, {-1000, 1000}, {0, 1});
}

TEST(MathActivation, Gradcheck) {
  // Smooth ones on random inputs; the ones with kinks at inputs at least 0.05 away from every kink.
  const Tensor away = leaf({-1.3, -0.4, 0.2, 0.75, 1.6, -0.05}, {2, 3});
  const std::vector<std::pair<std::string, UnaryOp>> smooth = {
      {"gelu", [](const Tensor& x) { return gelu(x); }},           {"gelu(tanh)", [](const Tensor& x) { return gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return silu(x); }},           {"mish", [](const Tensor& x) { return mish(x); }},
      {"logsigmoid", [](const Tensor& x) { return logsigmoid(x); }}};
  for (const auto& [name, op] : smooth) {
    SCOPED_TRACE(name);
    expect_unary_gradcheck(op, random_leaf({2, 3}, 20, -3, 3));
  }
  const std::vector<std::pair<std::string, UnaryOp>> kinked = {
      {"softsign", [](const Tensor& x) { return softsign(x); }},    {"celu(0.5)", [](const Tensor& x) { return celu(x, 0.5); }},
      {"selu", [](const Tensor& x) { return selu(x); }},            {"hardtanh", [](const Tensor& x) { return hardtanh(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x * 4.0 + 1.0); }}, {"hardsigmoid", [](const Tensor& x) { return hardsigmoid(x * 2.0); }},
      {"hardswish", [](const Tensor& x) { return hardswish(x * 3.0); }}};
  for (const auto& [name, op] : kinked) {
    SCOPED_TRACE(name);
    expect_unary_gradcheck(op, away);
  }
}

// gradgradcheck on the inputs of MathActivation.Gradcheck: random ones for the smooth activations, ones
// at least 0.05 from every kink for the others.
void expect_smooth_gradgradcheck(const UnaryOp& op) {
  expect_unary_gradgradcheck(op, random_leaf({2, 3}, 20, -3, 3));
}
void expect_kinked_gradgradcheck(const UnaryOp& op) {
  expect_unary_gradgradcheck(op, leaf({-1.3, -0.4, 0.2, 0.75, 1.6, -0.05}, {2, 3}));
}

TEST(MathActivation, GradGradGelu) {
  {
    SCOPED_TRACE("none");
    expect_smooth_gradgradcheck([](const Tensor& x) { return gelu(x); });
  }
  SCOPED_TRACE("tanh");
  expect_smooth_gradgradcheck([](const Tensor& x) { return gelu(x, "tanh"); });
}
TEST(MathActivation, GradGradSilu) { expect_smooth_gradgradcheck([](const Tensor& x) { return silu(x); }); }
TEST(MathActivation, GradGradMish) { expect_smooth_gradgradcheck([](const Tensor& x) { return mish(x); }); }
TEST(MathActivation, GradGradLogsigmoid) {
  expect_smooth_gradgradcheck([](const Tensor& x) { return logsigmoid(x); });
}
TEST(MathActivation, GradGradSoftsign) { expect_kinked_gradgradcheck([](const Tensor& x) { return softsign(x); }); }
TEST(MathActivation, GradGradCelu) { expect_kinked_gradgradcheck([](const Tensor& x) { return celu(x, 0.5); }); }
TEST(MathActivation, GradGradSelu) { expect_kinked_gradgradcheck([](const Tensor& x) { return selu(x); }); }
TEST(MathActivation, GradGradHardtanh) { expect_kinked_gradgradcheck([](const Tensor& x) { return hardtanh(x); }); }
TEST(MathActivation, GradGradRelu6) {
  expect_kinked_gradgradcheck([](const Tensor& x) { return relu6(x * 4.0 + 1.0); });
}
TEST(MathActivation, GradGradHardsigmoid) {
  expect_kinked_gradgradcheck([](const Tensor& x) { return hardsigmoid(x * 2.0); });
}
TEST(MathActivation, GradGradHardswish) {
  expect_kinked_gradgradcheck([](const Tensor& x) { return hardswish(x * 3.0); });
}

// softsign'' = -2 sign(x) / (1 + |x|)^3; silu'' = s (1 - s) (2 + x (1 - 2s)) with s = sigmoid(x);
// hardswish'' = 1/3 on (-3, 3), 0 outside.
TEST(MathActivation, SecondDerivativesClosedForm) {
  const Tensor x = leaf({-1, 0.5, 4}, {3});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return softsign(t); }, x), {3},
                {0.25, -2 / 3.375, -2 / 125.0});
  std::vector<double> silu2;
  for (const double u : x.to_vector()) {
    const double s = 1 / (1 + std::exp(-u));
    silu2.push_back(s * (1 - s) * (2 + u * (1 - 2 * s)));
  }
  expect_values(elementwise_second_derivative([](const Tensor& t) { return silu(t); }, x), {3}, silu2);
  expect_values(elementwise_second_derivative([](const Tensor& t) { return hardswish(t); }, x), {3},
                {1 / 3.0, 1 / 3.0, 0});
}

TEST(MathActivation, Float32IsWithinAFewUlpOfFloat64) {
  const std::vector<Domain> domains = {
      {"gelu", [](const Tensor& x) { return gelu(x); }, -5, 5},   {"gelu(tanh)", [](const Tensor& x) { return gelu(x, "tanh"); }, -5, 5},
      {"mish", [](const Tensor& x) { return mish(x); }, -5, 5},   {"logsigmoid", [](const Tensor& x) { return logsigmoid(x); }, -5, 5},
      {"celu", [](const Tensor& x) { return celu(x); }, -5, 5},   {"selu", [](const Tensor& x) { return selu(x); }, -5, 5},
      {"softsign", [](const Tensor& x) { return softsign(x); }, -5, 5}, {"hardtanh", [](const Tensor& x) { return hardtanh(x); }, -5, 5},
      {"relu6", [](const Tensor& x) { return relu6(x); }, -5, 10}, {"hardsigmoid", [](const Tensor& x) { return hardsigmoid(x); }, -5, 5},
      {"hardswish", [](const Tensor& x) { return hardswish(x); }, -5, 5}};
  // gelu, mish and logsigmoid are evaluated in float64 and rounded once; the others are at most three roundings
  // (celu, selu: expm1f and one product; softsign, hardsigmoid, hardswish: a sum, a product, a quotient).
  for (const Domain& d : domains) expect_float32_close(d, 3);
  // silu multiplies by sigmoid's float32 kernel, itself within 4 ulp (tests/test_activation_f32.cpp).
  expect_float32_close({"silu", [](const Tensor& x) { return silu(x); }, -5, 5}, 5);
}

TEST(MathActivation, BadArgumentsAreRejected) {
  expect_throws<std::invalid_argument>([] { return gelu(zeros({2}), "erf"); },
                                       "gelu: approximate must be \"none\" or \"tanh\", got \"erf\"");
  expect_throws<std::invalid_argument>([] { return celu(zeros({2}), 0.0); }, "celu: alpha must not be 0");
  expect_throws<std::invalid_argument>([] { return hardtanh(zeros({2}), 1.0, -1.0); },
                                       "hardtanh: min_val (1.000000) must not exceed max_val (-1.000000)");
  NamedUnaryOps ops;
  for (const Case& c : activation_values())
    if (c.name.find('(') == std::string::npos) ops.emplace_back(c.name, c.op);
  expect_undefined_inputs_rejected(ops);
}

// ---- bad arguments ----

TEST(Math, BinaryOpsRejectShapesThatDoNotBroadcastAndMixedDtypes) {
  expect_throws<std::invalid_argument>([] { return atan2(zeros({2, 3}), zeros({4})); },
                                       "atan2: shapes cannot be broadcast: [2, 3] and [4]");
  expect_throws<std::invalid_argument>([] { return pow(zeros({2, 3}), zeros({2})); },
                                       "pow: shapes cannot be broadcast: [2, 3] and [2]");
  expect_throws<std::invalid_argument>([] { return pow(zeros({2}), zeros({2}, kFloat64)); },
                                       "pow: dtypes differ: float32 and float64; convert one with .to()");
  expect_throws<std::invalid_argument>([] { return atan2(Tensor(), zeros({2})); },
                                       "atan2: an input tensor is undefined (default-constructed)");
}

TEST(Math, UndefinedInputsAreRejected) {
  NamedUnaryOps ops;
  for (const Case& c : math_values()) ops.emplace_back(c.name, c.op);
  for (const char* name : {"sign", "floor", "ceil", "round", "trunc"}) {
    ops.emplace_back(name, [name](const Tensor& x) {
      const std::string n = name;
      return n == "sign" ? sign(x) : n == "floor" ? floor(x) : n == "ceil" ? ceil(x) : n == "round" ? round(x) : trunc(x);
    });
  }
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
