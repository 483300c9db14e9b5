// gradcheck itself: it passes a correct custom op, and finds backwards that are wrong by a factor, by a
// hair, by a missing or misplaced gradient, or by a NaN, naming the worst element (input, flat and
// multi-index, output, both values); at a kink (relu at 0) or near one it says so, and a large curvature
// is neither;
// it rejects float32 inputs and leaves the caller's tensors untouched.

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/detail/tape.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// y = forward(x) computed without recording, then recorded as one custom op whose backward sends
// backward(dy, x) to x: the way an op outside tapegrad plugs into the tape.
template <class Forward, class Backward>
Tensor custom_op(const Tensor& x, Forward forward, Backward backward) {
  Tensor y;
  {
    const NoGradGuard no_grad;
    y = forward(x);
  }
  if (detail::needs_grad(x))
    detail::record("custom", y, detail::saves(x), [x, backward](const Tensor& dy, const Tensor&) {
      detail::accumulate_grad(x, backward(dy, x));
    });
  return y;
}

// y = x * x with a backward of factor * x * dy: right for factor 2 only.
Tensor square(const Tensor& x, double factor) {
  return custom_op(
      x, [](const Tensor& v) { return v * v; },
      [factor](const Tensor& dy, const Tensor& v) { return dy * v * factor; });
}

GradcheckResult check_square(double factor, const Tensor& x) {
  return gradcheck([factor](const Inputs& in) { return square(in[0], factor); }, {x});
}

TEST(Gradcheck, PassesACorrectCustomOp) {
  const GradcheckResult result = check_square(2.0, leaf({0.5, -1, 2}, {3}));
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10);
  EXPECT_FALSE(result.kink);
  EXPECT_THAT(result.str(), ::testing::StartsWith("gradcheck passed: worst |analytic - numeric| = "));
  EXPECT_THAT(result.str(), ::testing::Not(::testing::HasSubstr("one-sided")));  // diagnoses failures only
}

TEST(Gradcheck, FindsAWrongBackwardAndNamesTheWorstElement) {
  // The backward sends 3x instead of 2x: the error is |x|, largest at element 2 (x = 2).
  const GradcheckResult result = check_square(3.0, leaf({0.5, -1, 2}, {3}));
  EXPECT_FALSE(result.ok);
  EXPECT_NEAR(result.max_abs_error, 2.0, 1e-9);
  EXPECT_EQ(result.input, 0);
  EXPECT_EQ(result.element, 2);
  EXPECT_EQ(result.output, 2);
  EXPECT_NEAR(result.analytic, 6.0, 1e-12);
  EXPECT_NEAR(result.numeric, 4.0, 1e-9);
  EXPECT_THAT(result.str(), ::testing::HasSubstr("gradcheck FAILED: worst |analytic - numeric| = "));
  EXPECT_THAT(result.str(), ::testing::HasSubstr(" at input 0, element 2 (index [2] of shape [3]), output element 2 "
                                                 "(index [2] of shape [3]): analytic 6, numeric "));
}

TEST(Gradcheck, AFailureNamesTheInputTheMultiIndexBothValuesAndNoKink) {
  // in[0] + square(in[1]) with a backward of 3x for 2x: only input 1 is wrong, by |x|, worst at x = 2,
  // element 2 of the [2, 2] input (row 1, column 0), and output element 2 (y has the same shape).
  const Fn fn = [](const Inputs& in) { return in[0] + square(in[1], 3.0); };
  const GradcheckResult result = gradcheck(fn, {leaf({1, 2, 3, 4}, {2, 2}), leaf({0.5, -1, 2, 0.25}, {2, 2})});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.str(), ::testing::ContainsRegex(
                                "^gradcheck FAILED: worst \\|analytic - numeric\\| = (2|1\\.99999|2\\.00000)[0-9]* "
                                "at input 1, element 2 \\(index \\[1, 0\\] of shape \\[2, 2\\]\\), output element 2 "
                                "\\(index \\[1, 0\\] of shape \\[2, 2\\]\\): analytic 6, "
                                "numeric (4|3\\.99999|4\\.00000)[0-9]*; "
                                "no kink at or near this point \\(one-sided differences left 3\\.999, right 4\\.001; a "
                                "16 times smaller step gives 4\\), so the backward is wrong here$"));
  // f = x^2 at 2, h = 1e-3: (f(x) - f(x-h)) / h = 2x - h and (f(x+h) - f(x)) / h = 2x + h, up to rounding
  // of about eps |f| / h = 1e-12.
  EXPECT_NEAR(result.left_difference, 3.999, 1e-11);
  EXPECT_NEAR(result.right_difference, 4.001, 1e-11);
  EXPECT_NEAR(result.fine_numeric, 4.0, 1e-10);  // the stencil is exact for a quadratic: rounding only
  EXPECT_FALSE(result.kink);
  EXPECT_FALSE(result.kink_nearby);
}

TEST(Gradcheck, ReluAtExactlyZeroIsReportedAsAKink) {
  // relu's backward takes the slope 0 at 0, the stencil averages the two sides: 0.5. Neither is wrong;
  // the one-sided differences are exactly 0 and h / h = 1.
  const GradcheckResult result = gradcheck([](const Inputs& in) { return relu(in[0]); }, {leaf({0.0, 0.5}, {2})});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.element, 0);
  EXPECT_EQ(result.analytic, 0.0);
  EXPECT_NEAR(result.numeric, 0.5, 1e-12);
  EXPECT_EQ(result.left_difference, 0.0);
  EXPECT_EQ(result.right_difference, 1.0);
  EXPECT_TRUE(result.kink);
  EXPECT_FALSE(result.kink_nearby);
  EXPECT_THAT(result.str(), ::testing::EndsWith("; the one-sided differences disagree (left 0, right 1): the function "
                                                "has a kink here (relu, abs, max...); move the input off it"));
  const GradcheckResult moved = gradcheck([](const Inputs& in) { return relu(in[0]); }, {leaf({0.01, 0.5}, {2})});
  EXPECT_TRUE(moved.ok) << moved.str();
}

TEST(Gradcheck, AKinkWithinTwoStepsIsReportedAsNearby) {
  // relu at x = 1.5e-3, between h and 2h: x +- h lie on the linear side (both one-sided differences are
  // 1), but x - 2h reaches the flat side, and the stencil gives 1 + 0.5e-3 / 12h = 1.041666...; at h/16
  // all points are on the linear side and it gives 1 again.
  const GradcheckResult result = gradcheck([](const Inputs& in) { return relu(in[0]); }, {leaf({1.5e-3, 0.5}, {2})});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.element, 0);
  EXPECT_NEAR(result.numeric, 1.0 + 0.5e-3 / 12e-3, 1e-12);
  EXPECT_NEAR(result.left_difference, 1.0, 1e-12);
  EXPECT_NEAR(result.right_difference, 1.0, 1e-12);
  EXPECT_NEAR(result.fine_numeric, 1.0, 1e-11);  // rounding of about eps / (h/16) = 4e-12
  EXPECT_FALSE(result.kink);
  EXPECT_TRUE(result.kink_nearby);
  EXPECT_THAT(result.str(), ::testing::EndsWith(
                                "; the stencil at a 16 times smaller step gives 1: the function is not smooth within 2 "
                                "steps of this point (a kink nearby, or it varies faster than the step resolves); move "
                                "the input away or pass a smaller step"));
}

TEST(Gradcheck, ALargeCurvatureIsNotAKink) {
  // exp(5x) at x = 1 with a backward 10% too large: right - left = h f'' = 1e-3 * 25 e^5 = 3.7, larger
  // than the slopes differ at many kinks, but it shrinks with the step, so it is curvature.
  const auto wrong_exp = [](const Inputs& in) {
    return custom_op(
        in[0], [](const Tensor& v) { return exp(v * 5.0); },
        [](const Tensor& dy, const Tensor& v) { return dy * exp(v * 5.0) * 5.5; });
  };
  const GradcheckResult result = gradcheck(wrong_exp, {leaf({1.0}, {1})});
  EXPECT_FALSE(result.ok);
  EXPECT_NEAR(result.right_difference - result.left_difference, 1e-3 * 25 * std::exp(5.0), 1e-3);  // + O(h^3)
  EXPECT_FALSE(result.kink) << result.str();
  EXPECT_FALSE(result.kink_nearby) << result.str();
  EXPECT_THAT(result.str(), ::testing::HasSubstr("no kink at or near this point"));
}

TEST(Gradcheck, FindsAnErrorOfOnePartInTenMillion) {
  const GradcheckResult result = check_square(2.0 + 2e-7, leaf({0.5, -1, 2}, {3}));
  EXPECT_FALSE(result.ok) << result.str();
  EXPECT_NEAR(result.max_abs_error, 4e-7, 1e-10);  // 1e-7 of the gradient 2x at x = 2
  EXPECT_EQ(result.element, 2);
}

TEST(Gradcheck, NamesTheInputThatHoldsTheWorstElement) {
  const Fn fn = [](const Inputs& in) { return in[0] * square(in[1], 2.5); };
  const GradcheckResult result = gradcheck(fn, {leaf({1, 2}, {2}), leaf({-1, 0.25}, {2})});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.input, 1);
  EXPECT_EQ(result.element, 0);  // the error 0.5 |a b| is 0.5 at element 0 and 0.25 at element 1
  EXPECT_EQ(result.output, 0);
}

TEST(Gradcheck, FindsAMissingGradient) {
  const auto dropped = [](const Inputs& in) {
    return custom_op(
        in[0], [](const Tensor& v) { return exp(v); }, [](const Tensor& dy, const Tensor&) { return dy * 0.0; });
  };
  const GradcheckResult result = gradcheck(dropped, {leaf({0.0, 1.0}, {2})});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.element, 1);
  EXPECT_NEAR(result.numeric, 2.718281828459045, 1e-9);
  EXPECT_EQ(result.analytic, 0.0);
}

TEST(Gradcheck, ChecksTheWholeJacobianNotJustTheGradientOfASum) {
  // y reverses x, but the backward rotates dy by two places instead: both are permutations without a
  // fixed point, so the diagonal and the gradient of sum(y) are right and only the full Jacobian is wrong.
  const std::vector<std::int64_t> reversed_values = {3, 2, 1, 0};
  const std::vector<std::int64_t> rotated_values = {2, 3, 0, 1};
  const Tensor reversed = tensor(reversed_values, Shape{4});
  const Tensor rotated = tensor(rotated_values, Shape{4});
  const auto wrong_reverse = [&](const Inputs& in) {
    return custom_op(in[0], [&](const Tensor& v) { return index_select(v, 0, reversed); },
                     [&](const Tensor& dy, const Tensor&) { return index_select(dy, 0, rotated); });
  };
  const Tensor x = leaf({0.1, 0.2, 0.3, 0.4}, {4});
  wrong_reverse({x}).sum().backward();
  expect_values(x.grad(), {4}, {1, 1, 1, 1});
  const GradcheckResult result = gradcheck(wrong_reverse, {x});
  EXPECT_FALSE(result.ok);
  EXPECT_NEAR(result.max_abs_error, 1.0, 1e-9);
  EXPECT_NE(result.output, result.element);  // off the diagonal
}

TEST(Gradcheck, ReportsANaNGradientAsTheWorst) {
  const auto nan_backward = [](const Inputs& in) {
    return custom_op(in[0], [](const Tensor& v) { return v * 2.0; },
                     [](const Tensor& dy, const Tensor&) { return dy * std::numeric_limits<double>::quiet_NaN(); });
  };
  const GradcheckResult result = gradcheck(nan_backward, {leaf({1, 2}, {2})});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(std::isnan(result.max_abs_error)) << result.str();
  EXPECT_TRUE(std::isnan(result.analytic));
}

TEST(Gradcheck, SkipsInputsThatDoNotRequireGrad) {
  // The wrong backward would only reach b, which is not checked: a constant of the function.
  const Fn fn = [](const Inputs& in) { return in[0] * square(in[1], 3.0); };
  const GradcheckResult result = gradcheck(fn, {leaf({1, 2}, {2}), f64({-1, 0.5}, {2})});
  EXPECT_TRUE(result.ok) << result.str();
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  expect_throws<std::invalid_argument>(
      [] { return gradcheck([](const Inputs& in) { return in[0] * in[1]; }, {leaf({1}, {1}), tensor({1})}); },
      "gradcheck: input 1 is float32; finite differences need float64");
}

TEST(Gradcheck, LeavesTheCallersTensorsUntouched) {
  const Tensor x = leaf({0.5, -1, 2}, {3});
  expect_gradcheck([](const Inputs& in) { return exp(in[0]) * in[0]; }, {x});
  expect_values(x, {3}, {0.5, -1, 2}, 0);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Gradcheck, AScalarOutputAndAnOutputThatIgnoresAnInput) {
  expect_gradcheck([](const Inputs& in) { return (in[0] * in[0]).sum(); }, {leaf({0.5, -1, 2}, {3})});
  expect_gradcheck([](const Inputs& in) { return in[0] * 2.0; }, {leaf({1, 2}, {2}), leaf({3}, {1})});
}

}  // namespace
}  // namespace tg
