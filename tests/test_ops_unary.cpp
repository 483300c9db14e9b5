// Unary elementwise ops (neg, exp, log, log1p, pow, sqrt, abs, clamp, sign): closed-form values,
// gradcheck and gradgradcheck in float64 (alone and fanned out), closed-form second derivatives,
// gradients at the kinks, and bad arguments.

#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Inputs for the non-smooth ops: every element more than 0.01 away from the kinks at 0 and at +-0.5.
Tensor away_from_kinks() { return leaf({-1.3, -0.4, 0.2, 0.75, 1.6, -0.05}, {2, 3}); }

// ---- values ----

TEST(Unary, NegValues) { expect_values(neg(f64({1.5, -2, 0}, {3})), {3}, {-1.5, 2, 0}); }

TEST(Unary, ExpValues) { expect_values(exp(f64({0, 1, -2}, {3})), {3}, {1, 2.718281828459045, 0.1353352832366127}); }

TEST(Unary, LogValues) {
  expect_values(log(f64({1, 2, 0.5}, {3})), {3}, {0, 0.6931471805599453, -0.6931471805599453});
}

TEST(Unary, Log1pIsAccurateForTinyInputs) {
  // log(1 + 1e-10) computed naively loses six digits; log1p keeps them all.
  expect_values(log1p(f64({0, 1e-10, 1}, {3})), {3}, {0, 9.999999999500001e-11, 0.6931471805599453});
  EXPECT_NEAR(log1p(f64({1e-10}, {1})).item(), 9.999999999500001e-11, 1e-26);
}

TEST(Unary, PowValues) {
  expect_values(pow(f64({4, 9, 0.25}, {3}), 0.5), {3}, {2, 3, 0.5});
  expect_values(pow(f64({2, -1, 0.5}, {3}), 3.0), {3}, {8, -1, 0.125});
  expect_values(pow(f64({2, -4, 0.5}, {3}), -1.0), {3}, {0.5, -0.25, 2});
}

TEST(Unary, SqrtValues) { expect_values(sqrt(f64({4, 2, 0}, {3})), {3}, {2, 1.4142135623730951, 0}); }

TEST(Unary, AbsValues) { expect_values(abs(f64({-1.5, 2, 0}, {3})), {3}, {1.5, 2, 0}); }

TEST(Unary, ClampValues) {
  expect_values(clamp(f64({-3, -1, 0.5, 2, 5}, {5}), -1.0, 2.0), {5}, {-1, -1, 0.5, 2, 2});
}

TEST(Unary, SignValues) { expect_values(sign(f64({-3, 0, 2}, {3})), {3}, {-1, 0, 1}); }

TEST(Unary, MethodsMatchTheFreeFunctions) {
  const Tensor x = f64({1, 4}, {2});
  expect_values(x.exp(), {2}, {2.718281828459045, 54.598150033144236});
  expect_values(x.log(), {2}, {0, 1.3862943611198906});
  expect_values(x.pow(2.0), {2}, {1, 16});
  expect_values(x.sqrt(), {2}, {1, 2});
  expect_values((-x).abs(), {2}, {1, 4});
}

TEST(Unary, Float32Values) {
  const Tensor x = tensor({0, 1, -2});
  EXPECT_EQ(exp(x).dtype(), kFloat32);
  expect_values(exp(x), {3}, {1, 2.7182817459106445, 0.1353352814912796}, 1e-7);
  expect_values(sqrt(tensor({2})), {1}, {1.4142135381698608}, 1e-7);
  expect_values(clamp(tensor({-3, 0.25, 5}), -1.0, 2.0), {3}, {-1, 0.25, 2});
}

// ---- gradients at the kinks ----

TEST(Unary, AbsGradientAtZeroIsZero) {
  const Tensor x = leaf({-2, 0, 3}, {3});
  abs(x).sum().backward();
  expect_values(x.grad(), {3}, {-1, 0, 1});
}

TEST(Unary, ClampGradientIsOneInsideIncludingTheBounds) {
  const Tensor x = leaf({-3, -1, 0.5, 2, 5}, {5});
  clamp(x, -1.0, 2.0).sum().backward();
  expect_values(x.grad(), {5}, {0, 1, 1, 1, 0});
}

TEST(Unary, SignHasAZeroGradient) {  // recorded, as PyTorch's sign: tests/test_ops_math.cpp has the step functions
  const Tensor x = leaf({-3, 0, 2}, {3});
  sign(x).sum().backward();
  expect_values(x.grad(), {3}, {0, 0, 0});
}

TEST(Unary, PowGradientClosedForm) {
  const Tensor x = leaf({1, 2, 4}, {3});
  pow(x, 1.5).sum().backward();  // d/dx x^1.5 = 1.5 sqrt(x)
  expect_values(x.grad(), {3}, {1.5, 2.121320343559643, 3});
}

TEST(Unary, PowWithExponentZeroHasAZeroGradientEverywhere) {
  const Tensor x = leaf({0, -2, 3}, {3});
  pow(x, 0.0).sum().backward();
  expect_values(x.grad(), {3}, {0, 0, 0});
}

// ---- gradcheck ----

TEST(Unary, GradcheckNeg) { expect_unary_gradcheck([](const Tensor& x) { return neg(x); }, random_leaf({2, 3}, 1)); }

TEST(Unary, GradcheckExp) { expect_unary_gradcheck([](const Tensor& x) { return exp(x); }, random_leaf({2, 3}, 2)); }

TEST(Unary, GradcheckLog) {
  expect_unary_gradcheck([](const Tensor& x) { return log(x); }, random_leaf({2, 3}, 3, 1.0, 2.0));
}

TEST(Unary, GradcheckLog1p) {
  expect_unary_gradcheck([](const Tensor& x) { return log1p(x); }, random_leaf({2, 3}, 4, -0.2, 1.0));
}

TEST(Unary, GradcheckPow) {
  for (const double exponent : {2.0, 3.0, 0.5, 2.5, -1.5}) {
    SCOPED_TRACE("exponent " + std::to_string(exponent));
    expect_unary_gradcheck([exponent](const Tensor& x) { return pow(x, exponent); }, random_leaf({2, 3}, 5, 1.0, 2.0));
  }
}

TEST(Unary, GradcheckSqrt) {
  expect_unary_gradcheck([](const Tensor& x) { return sqrt(x); }, random_leaf({2, 3}, 6, 0.5, 2.0));
}

TEST(Unary, GradcheckAbs) { expect_unary_gradcheck([](const Tensor& x) { return abs(x); }, away_from_kinks()); }

TEST(Unary, GradcheckClamp) {
  expect_unary_gradcheck([](const Tensor& x) { return clamp(x, -0.5, 0.5); }, away_from_kinks());
}

// ---- second derivatives ----

// gradgradcheck on the inputs of the gradcheck cases above, alone and fanned out.
TEST(Unary, GradGradNeg) {
  expect_unary_gradgradcheck([](const Tensor& x) { return neg(x); }, random_leaf({2, 3}, 1));
}

TEST(Unary, GradGradExp) {
  expect_unary_gradgradcheck([](const Tensor& x) { return exp(x); }, random_leaf({2, 3}, 2));
}

TEST(Unary, GradGradLog) {
  expect_unary_gradgradcheck([](const Tensor& x) { return log(x); }, random_leaf({2, 3}, 3, 1.0, 2.0));
}

TEST(Unary, GradGradLog1p) {
  // From -0.2 up: the stencil's error grows as 1 / (1 + x)^7 in the third derivative's derivatives.
  expect_unary_gradgradcheck([](const Tensor& x) { return log1p(x); }, random_leaf({2, 3}, 4, -0.2, 1.0));
}

TEST(Unary, GradGradPow) {
  // 1 and 0 too: pow(x, 1)'s backward calls pow(x, 0), whose own gradient is the constant zeros.
  for (const double exponent : {2.0, 3.0, 0.5, 2.5, -1.5, 1.0, 0.0}) {
    SCOPED_TRACE("exponent " + std::to_string(exponent));
    expect_unary_gradgradcheck([exponent](const Tensor& x) { return pow(x, exponent); },
                               random_leaf({2, 3}, 5, 1.0, 2.0));
  }
}

TEST(Unary, GradGradSqrt) {
  expect_unary_gradgradcheck([](const Tensor& x) { return sqrt(x); }, random_leaf({2, 3}, 6, 0.5, 2.0));
}

TEST(Unary, GradGradAbs) { expect_unary_gradgradcheck([](const Tensor& x) { return abs(x); }, away_from_kinks()); }

TEST(Unary, GradGradClamp) {
  expect_unary_gradgradcheck([](const Tensor& x) { return clamp(x, -0.5, 0.5); }, away_from_kinks());
}

// Closed forms: exp'' = exp; (x^3)'' = 6x; log'' = -1/x^2; sqrt'' = -x^(-3/2) / 4.
TEST(Unary, SecondDerivativesClosedForm) {
  const Tensor x = leaf({0.5, 1, 2}, {3});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return exp(t); }, x), {3},
                {1.6487212707001282, 2.718281828459045, 7.38905609893065});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return pow(t, 3.0); }, x), {3}, {3, 6, 12});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return log(t); }, x), {3}, {-4, -1, -0.25});
  expect_values(elementwise_second_derivative([](const Tensor& t) { return sqrt(t); }, x), {3},
                {-0.7071067811865476, -0.25, -0.08838834764831845});
}

// ---- bad arguments ----

TEST(Unary, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"log1p", [](const Tensor& x) { return log1p(x); }},
      {"pow", [](const Tensor& x) { return pow(x, 2.0); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"clamp", [](const Tensor& x) { return clamp(x, 0.0, 1.0); }},
      {"sign", [](const Tensor& x) { return sign(x); }}};
  expect_undefined_inputs_rejected(ops);
}

TEST(Unary, ClampRejectsLowAboveHigh) {
  expect_throws<std::invalid_argument>([] { return clamp(zeros({2}), 2.0, 1.0); },
                                       "clamp: low (2.000000) must not exceed high (1.000000)");
}

}  // namespace
}  // namespace tg
