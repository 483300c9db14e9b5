// float32 sigmoid runs on a branch-free exp so that it vectorises; this checks that it stays as accurate
// as the straightforward 1 / (1 + expf(-x)) over the whole range, and keeps NaN and the limits.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>
#include <limits>

#include "tapegrad/tapegrad.hpp"

namespace {

// Distance in units in the last place between two finite floats of the same sign.
int ulps(float a, float b) {
  return std::abs(std::bit_cast<std::int32_t>(a) - std::bit_cast<std::int32_t>(b));
}

TEST(SigmoidFloat32, WithinFourUlpOfTheFloat64ResultRoundedToFloat) {
  std::vector<double> xs;
  for (double x = -100; x <= 100; x += 0.0137) xs.push_back(x);
  const tg::Tensor y = tg::sigmoid(tg::tensor(xs, {static_cast<std::int64_t>(xs.size())}, tg::kFloat32));
  const float* p = y.data<float>();
  int worst = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto x = static_cast<double>(static_cast<float>(xs[i]));  // the input the float op saw
    const auto exact = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    if (exact < std::numeric_limits<float>::min()) continue;  // denormal results: compared below
    worst = std::max(worst, ulps(p[i], exact));
  }
  EXPECT_LE(worst, 4);
}

TEST(SigmoidFloat32, LimitsAndNaN) {
  const tg::Tensor y = tg::sigmoid(
      tg::tensor({-1e30, -200, 0, 200, 1e30, std::numeric_limits<double>::quiet_NaN(), -95}, tg::kFloat32));
  EXPECT_EQ(y.at({0}), 0.0);
  EXPECT_EQ(y.at({1}), 0.0);
  EXPECT_NEAR(y.at({6}), std::exp(-95.0), 1e-45);  // a denormal, not the 6e-39 of a clamped e^88
  EXPECT_EQ(y.at({2}), 0.5);
  EXPECT_EQ(y.at({3}), 1.0);
  EXPECT_EQ(y.at({4}), 1.0);
  EXPECT_TRUE(std::isnan(y.at({5})));
}

}  // namespace
