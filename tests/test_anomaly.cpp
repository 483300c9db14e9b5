// DetectAnomalyGuard: the first NaN or Inf in a recorded op's output or in a gradient throws, naming
// the op and the pass.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "testing.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using testing_support::message_of;

using ::testing::HasSubstr;


TEST(Anomaly, LogOfANegativeNumberIsCaughtInTheForwardPass) {
  const tg::Tensor x = tg::tensor({1.0, -2.0, 3.0}, tg::kFloat64).requires_grad_();
  const tg::DetectAnomalyGuard anomaly;
  EXPECT_EQ(message_of<std::runtime_error>([&] { static_cast<void>(tg::log(x)); }),
            "detect_anomaly: the forward of 'log' produced nan at element 1 of its output [3]");
}

TEST(Anomaly, InfiniteGradientIsCaughtInTheBackwardPass) {
  // sqrt(0) is fine forward, but its gradient 1 / (2 sqrt(0)) is infinite.
  const tg::Tensor x = tg::tensor({4.0, 0.0}, tg::kFloat64).requires_grad_();
  const tg::DetectAnomalyGuard anomaly;
  const tg::Tensor y = tg::sum(tg::sqrt(x));
  EXPECT_THAT(message_of<std::runtime_error>([&] { y.backward(); }),
              HasSubstr("detect_anomaly: the backward of 'sqrt' produced inf at element 1 of an input's gradient [2]"));
}

TEST(Anomaly, WithoutTheGuardNaNsPassThrough) {
  const tg::Tensor x = tg::tensor({-1.0}, tg::kFloat64).requires_grad_();
  const tg::Tensor y = tg::sum(tg::log(x));
  EXPECT_TRUE(std::isnan(y.item()));
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), -1.0);
}

TEST(Anomaly, GuardRestoresThePreviousMode) {
  EXPECT_FALSE(tg::is_anomaly_enabled());
  {
    const tg::DetectAnomalyGuard anomaly;
    EXPECT_TRUE(tg::is_anomaly_enabled());
  }
  EXPECT_FALSE(tg::is_anomaly_enabled());
}

TEST(Anomaly, TapeIsUsableAfterAnAnomalyInBackward) {
  const tg::Tensor x = tg::tensor({0.0}, tg::kFloat64).requires_grad_();
  {
    const tg::DetectAnomalyGuard anomaly;
    const tg::Tensor y = tg::sum(tg::sqrt(x));
    EXPECT_THROW(y.backward(), std::runtime_error);
  }
  const tg::Tensor z = tg::sum(x * 3.0);
  z.backward();
  EXPECT_EQ(x.grad().item(), 3.0);
}

}  // namespace
