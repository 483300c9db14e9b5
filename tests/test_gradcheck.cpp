// gradcheck itself: it passes a correct custom op, and finds backwards that are wrong by a factor, by a
// hair, by a missing or misplaced gradient, or by a NaN, naming the worst element; it rejects float32
// inputs and leaves the caller's tensors untouched.

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
  EXPECT_THAT(result.str(), ::testing::StartsWith("gradcheck passed: worst |analytic - numeric| = "));
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
  EXPECT_THAT(result.str(), ::testing::HasSubstr("at input 0 element 2 (output 2): analytic 6, numeric "));
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
