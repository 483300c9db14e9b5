// float32 sigmoid and tanh run on branch-free kernels (a polynomial exp, a Taylor series for small tanh)
// so that they vectorise; this checks that they stay as accurate as the float64 function rounded to
// float over the whole range, and keep NaN and the limits.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tapegrad/tapegrad.hpp"

namespace {

// Distance in units in the last place between two finite floats of the same sign.
int ulps(float a, float b) {
  return std::abs(std::bit_cast<std::int32_t>(a) - std::bit_cast<std::int32_t>(b));
}

// The worst distance between `op` in float32 and `exact` (evaluated in float64 on the float input,
// then rounded to float) over [lo, hi] in steps of `step`, leaving out results below the smallest normal
// float (denormals are checked by the limits tests).
template <class Op, class Exact>
int worst_ulps(Op op, Exact exact, double lo, double hi, double step) {
  std::vector<double> xs;
  for (double x = lo; x <= hi; x += step) xs.push_back(x);
  const tg::Tensor y = op(tg::tensor(xs, {static_cast<std::int64_t>(xs.size())}, tg::kFloat32));
  const float* p = y.data<float>();
  int worst = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto x = static_cast<double>(static_cast<float>(xs[i]));  // the input the float op saw
    const auto want = static_cast<float>(exact(x));
    if (std::abs(want) < std::numeric_limits<float>::min()) continue;
    worst = std::max(worst, ulps(p[i], want));
  }
  return worst;
}

TEST(SigmoidFloat32, WithinFourUlpOfTheFloat64ResultRoundedToFloat) {
  EXPECT_LE(worst_ulps([](const tg::Tensor& x) { return tg::sigmoid(x); },
                       [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, -100, 100, 0.0137),
            4);
}

TEST(SigmoidFloat32, LimitsAndNaN) {
  const double inf = std::numeric_limits<double>::infinity();
  const tg::Tensor y = tg::sigmoid(
      tg::tensor({-1e30, -200, 0, 200, 1e30, std::numeric_limits<double>::quiet_NaN(), -95, -inf, inf}, tg::kFloat32));
  EXPECT_EQ(y.at({0}), 0.0);
  EXPECT_EQ(y.at({1}), 0.0);
  EXPECT_NEAR(y.at({6}), std::exp(-95.0), 1e-45);  // a denormal, not the 6e-39 of a clamped e^88
  EXPECT_EQ(y.at({2}), 0.5);
  EXPECT_EQ(y.at({3}), 1.0);
  EXPECT_EQ(y.at({4}), 1.0);
  EXPECT_TRUE(std::isnan(y.at({5})));
  EXPECT_EQ(y.at({7}), 0.0);
  EXPECT_EQ(y.at({8}), 1.0);
}

// Both sides of the switch from the series to (1 - e)/(1 + e) at |x| = 0.625, finely, then the rest.
TEST(TanhFloat32, WithinTwoUlpOfTheFloat64ResultRoundedToFloat) {
  const auto op = [](const tg::Tensor& x) { return tg::tanh(x); };
  const auto exact = [](double x) { return std::tanh(x); };
  EXPECT_LE(worst_ulps(op, exact, -1.0, 1.0, 1.0e-5), 2);
  EXPECT_LE(worst_ulps(op, exact, -20.0, 20.0, 0.00071), 2);
  EXPECT_LE(worst_ulps(op, exact, -1e-3, 1e-3, 1e-8), 2);
}

TEST(TanhFloat32, LimitsSignsAndNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const tg::Tensor y = tg::tanh(tg::tensor({-inf, -1e30, -50, -0.0, 0.0, 1e-30, 50, 1e30, inf, nan}, tg::kFloat32));
  EXPECT_EQ(y.at({0}), -1.0);
  EXPECT_EQ(y.at({1}), -1.0);
  EXPECT_EQ(y.at({2}), -1.0);
  EXPECT_EQ(y.at({3}), 0.0);
  EXPECT_TRUE(std::signbit(y.at({3})));  // tanh(-0) = -0, as in std::tanh
  EXPECT_EQ(y.at({4}), 0.0);
  EXPECT_FALSE(std::signbit(y.at({4})));
  EXPECT_EQ(y.at({5}), static_cast<double>(1e-30F));  // tanh(x) = x for tiny x, no flush to zero
  EXPECT_EQ(y.at({6}), 1.0);
  EXPECT_EQ(y.at({7}), 1.0);
  EXPECT_EQ(y.at({8}), 1.0);
  EXPECT_TRUE(std::isnan(y.at({9})));
}

}  // namespace
