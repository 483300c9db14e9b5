// tg::optim::clip_grad_norm_ and clip_grad_value_ against hand-computed values (PyTorch 1.13's rules):
// the clip coefficient max_norm / (total_norm + 1e-6) clamped to 1, the p- and inf-norms, parameters
// without a gradient skipped, non-finite norms with and without error_if_nonfinite, validation messages
// and no heap allocation.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "heap_counter.hpp"
#include "tapegrad/ops.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/tensor.hpp"
#include "testing.hpp"

namespace {

using namespace tg::optim;  // NOLINT: the tests read like user code
using testing::ElementsAre;
using testing_support::message_of;
using testing_support::param;
using testing_support::set_grad;
using tg::Tensor;

constexpr double kInf = std::numeric_limits<double>::infinity();

// 1e-15 relative: the code computes g · fl(max_norm / fl(norm + 1e-6)), a few roundings of 2^-53 each.
void expect_close(double actual, double expected, double rel = 1e-15) {
  EXPECT_NEAR(actual, expected, rel * std::abs(expected)) << "expected " << expected;
}

std::string invalid_argument_of(const std::function<void()>& fn) { return message_of<std::invalid_argument>(fn); }

// ---- clip_grad_norm_ ----

TEST(ClipGradNorm, ScalesThreeFourToJustUnderTheMaxNorm) {
  Tensor p = param({0.0, 0.0});
  set_grad(p, {3.0, 4.0});
  EXPECT_EQ(clip_grad_norm_({p}, 1.0), 5.0);  // √(9 + 16)
  // g · 1 / (5 + 1e-6) = [0.6, 0.8] / (1 + 2e-7), by hand to 16 digits
  expect_close(p.grad().at({0}), 0.5999998800000240);
  expect_close(p.grad().at({1}), 0.7999998400000320);
  expect_close(std::hypot(p.grad().at({0}), p.grad().at({1})), 0.9999998000000400);  // 5 / (5 + 1e-6)
}

TEST(ClipGradNorm, ScalesAllParametersTogetherAndSkipsThoseWithoutAGradient) {
  Tensor a = param({3.0, -4.0}), b = param({12.0}, tg::kFloat32), c = param({7.0});
  Tensor frozen = tg::tensor({100.0}, tg::kFloat64);  // does not require grad: skipped, even with a gradient set
  frozen.set_grad(tg::tensor({100.0}, tg::kFloat64));
  set_grad(a, {3.0, -4.0});
  set_grad(b, {12.0});  // c has no gradient and is skipped
  const double norm = clip_grad_norm_({a, b, c, frozen}, 6.5);
  EXPECT_EQ(norm, 13.0);  // √(9 + 16 + 144): neither c nor frozen counts
  const double coef = 6.5 / (13.0 + 1e-6);
  expect_close(a.grad().at({0}), 3.0 * coef);
  expect_close(a.grad().at({1}), -4.0 * coef);
  EXPECT_EQ(b.grad().item(), static_cast<double>(12.0f * static_cast<float>(coef)));  // float math for float32
  EXPECT_FALSE(c.grad().defined());
  EXPECT_EQ(clip_grad_norm_({c}, 1.0), 0.0);  // no gradient at all: 0, as PyTorch's tensor(0.)
  EXPECT_EQ(clip_grad_norm_({}, 1.0), 0.0);
}

TEST(ClipGradNorm, TheInfNormIsTheLargestAbsoluteValue) {
  Tensor a = param({0.0, 0.0}), b = param({0.0});
  set_grad(a, {3.0, -4.0});
  set_grad(b, {-12.0});
  EXPECT_EQ(clip_grad_norm_({a, b}, 6.0, kInf), 12.0);
  // g · 6 / (12 + 1e-6), by hand to 16 digits
  expect_close(a.grad().at({0}), 1.499999875000010);
  expect_close(a.grad().at({1}), -1.999999833333347);
  expect_close(b.grad().item(), -5.999999500000042);
}

TEST(ClipGradNorm, LeavesSmallGradientsAloneAndSupportsOtherNorms) {
  Tensor a = param({0.0, 0.0, 0.0});
  set_grad(a, {1.0, -2.0, 0.5});
  EXPECT_EQ(clip_grad_norm_({a}, 100.0), std::sqrt(5.25));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{1.0, -2.0, 0.5}));
  EXPECT_EQ(clip_grad_norm_({a}, 100.0, 1.0), 3.5);  // Σ |g|
  EXPECT_EQ(clip_grad_norm_({a}, 100.0, kInf), 2.0);  // max |g|
  expect_close(clip_grad_norm_({a}, 100.0, 3.0), std::cbrt(1.0 + 8.0 + 0.125), 1e-12);  // pow(s, 1/3.) is cbrt to a few ulps
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{1.0, -2.0, 0.5}));
  a.zero_grad();
  EXPECT_EQ(clip_grad_norm_({a}, 1.0), 0.0);  // zero_grad() dropped it: nothing to clip
}

TEST(ClipGradNorm, ANonFiniteNormThrowsWhenAskedAndLeavesTheGradients) {
  Tensor a = param({0.0, 0.0});
  set_grad(a, {1.0, kInf});
  const std::string message = message_of<std::runtime_error>([&] { clip_grad_norm_({a}, 1.0, 2.0, true); });
  EXPECT_EQ(message,
            "clip_grad_norm_: the total norm of order 2 for gradients from `params` is non-finite (inf), so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "error_if_nonfinite = false");
  EXPECT_EQ(a.grad().to_vector(), (std::vector<double>{1.0, kInf}));  // checked before any change
  set_grad(a, {std::nan(""), 1.0});
  EXPECT_THAT(message_of<std::runtime_error>([&] { clip_grad_norm_({a}, 1.0, kInf, true); }),
              testing::StartsWith("clip_grad_norm_: the total norm of order inf for gradients from `params` is "
                                  "non-finite (nan)"));
  EXPECT_TRUE(std::isnan(a.grad().at({0})));
  EXPECT_EQ(a.grad().at({1}), 1.0);
}

TEST(ClipGradNorm, ANonFiniteNormScalesAnywayByDefault) {
  Tensor a = param({0.0, 0.0});
  set_grad(a, {1.0, kInf});
  EXPECT_EQ(clip_grad_norm_({a}, 1.0), kInf);
  // clip_coef = 1 / inf = 0: 1 · 0 = 0, inf · 0 = NaN, as PyTorch's mul_
  EXPECT_EQ(a.grad().at({0}), 0.0);
  EXPECT_TRUE(std::isnan(a.grad().at({1})));
  set_grad(a, {std::nan(""), 1.0});
  EXPECT_TRUE(std::isnan(clip_grad_norm_({a}, 1.0)));
  EXPECT_TRUE(std::isnan(a.grad().at({1})));  // NaN · 1: the NaN coefficient reaches every gradient
}

TEST(ClipGradNorm, RejectsBadArguments) {
  Tensor a = param({0.0});
  set_grad(a, {1.0});
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_norm_({a}, -1.0); }),
            "clip_grad_norm_: max_norm must be a finite number >= 0, got -1");
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_norm_({a}, kInf); }),
            "clip_grad_norm_: max_norm must be a finite number >= 0, got inf");
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_norm_({a}, 1.0, 0.0); }),
            "clip_grad_norm_: norm_type must be > 0 (or infinity), got 0");
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_norm_({a, Tensor()}, 1.0); }),
            "clip_grad_norm_: parameter 1 is undefined (a default-constructed Tensor)");
}

// ---- clip_grad_value_ ----

TEST(ClipGradValue, ClampsEveryElementAndSkipsParametersWithoutAGradient) {
  Tensor a = param({0.0, 0.0, 0.0, 0.0}), b = param({0.0, 0.0}, tg::kFloat32), c = param({7.0});
  set_grad(a, {-3.0, 0.5, 2.0, -1.0});
  set_grad(b, {5.0, -0.25});
  clip_grad_value_({a, b, c}, 1.0);
  EXPECT_THAT(a.grad().to_vector(), ElementsAre(-1.0, 0.5, 1.0, -1.0));
  EXPECT_THAT(b.grad().to_vector(), ElementsAre(1.0, -0.25));
  EXPECT_FALSE(c.grad().defined());
  clip_grad_value_({a}, 0.75);
  EXPECT_THAT(a.grad().to_vector(), ElementsAre(-0.75, 0.5, 0.75, -0.75));
  clip_grad_value_({a}, 0.0);
  EXPECT_THAT(a.grad().to_vector(), ElementsAre(0.0, 0.0, 0.0, 0.0));
}

TEST(ClipGradValue, KeepsNaNAndInfiniteBoundsClampNothing) {
  Tensor a = param({0.0, 0.0, 0.0});
  set_grad(a, {std::nan(""), 7.0, -kInf});
  clip_grad_value_({a}, 2.0);
  EXPECT_TRUE(std::isnan(a.grad().at({0})));  // PyTorch's clamp keeps NaN
  EXPECT_EQ(a.grad().at({1}), 2.0);
  EXPECT_EQ(a.grad().at({2}), -2.0);
  Tensor f = param({0.0, 0.0}, tg::kFloat32);
  set_grad(f, {3e38, -kInf});
  clip_grad_value_({f}, 1e300);  // past float32's range: nothing finite is clamped, -inf is
  EXPECT_EQ(f.grad().at({0}), static_cast<double>(3e38f));
  EXPECT_EQ(f.grad().at({1}), -kInf);
  clip_grad_value_({f}, kInf);
  EXPECT_EQ(f.grad().at({1}), -kInf);
}

TEST(ClipGradValue, RejectsANegativeOrNaNClipValue) {
  Tensor a = param({0.0});
  set_grad(a, {1.0});
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_value_({a}, -1.0); }), "clip_grad_value_: clip_value must be >= 0, got -1");
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_value_({a}, std::nan("")); }),
            "clip_grad_value_: clip_value must be >= 0, got nan");
  EXPECT_EQ(invalid_argument_of([&] { clip_grad_value_({Tensor()}, 1.0); }),
            "clip_grad_value_: parameter 0 is undefined (a default-constructed Tensor)");
  EXPECT_EQ(a.grad().item(), 1.0);
}

TEST(Clip, DoesNotAllocate) {
  Tensor w = tg::zeros({128}, tg::kFloat32).requires_grad_();
  w.set_grad(tg::full({128}, 1.0, tg::kFloat32));
  const std::vector<Tensor> params = {w};
  const std::size_t before = tapegrad_testing::operator_news.load();
  for (int t = 0; t < 3; ++t) {
    clip_grad_norm_(params, 1.0);
    clip_grad_value_(params, 0.01);
  }
  EXPECT_EQ(tapegrad_testing::operator_news.load() - before, 0u);
}

}  // namespace
