// tg::nn losses: values for every reduction against PyTorch 1.13, finite-difference gradients in float64,
// finite results at extreme inputs, and the messages of every validation error.
//
// Reference numbers were produced with PyTorch 1.13 (Debian's python3-torch) in float64, e.g.
//   python3 -c "import torch, torch.nn.functional as F; x = torch.tensor([...], dtype=torch.float64); ...
//               print(repr(F.mse_loss(x, t, reduction='sum').item()))"
// with the tensors of each LossCase below (and x.grad after backward() for the gradients quoted), and
// pasted here as literals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad/gradcheck.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/ops.hpp"

namespace {

using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::HasSubstr;
using testing::ThrowsMessage;
using tg::Tensor;

constexpr double kTol = 1e-12;
using LossFn = Tensor (*)(const Tensor&, const Tensor&, Reduction);

Tensor f64(std::initializer_list<double> values, const tg::Shape& shape) { return tg::tensor(values, shape, tg::kFloat64); }
Tensor leaf(const Tensor& t) { return t.clone().requires_grad_(); }

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = kTol) {
  const std::vector<double> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

auto message(const char* text) { return ThrowsMessage<std::invalid_argument>(HasSubstr(text)); }

void expect_all_finite(const Tensor& t) {
  for (const double v : t.to_vector()) EXPECT_TRUE(std::isfinite(v)) << v;
}

void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs) {
  const tg::GradcheckResult result = tg::gradcheck(fn, inputs);
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
}

// The gradient that fn(input, target, Sum) sends to input.
Tensor grad_of_sum(LossFn fn, const Tensor& input, const Tensor& target) {
  Tensor x = leaf(input);
  fn(x, target, Reduction::Sum).backward();
  return x.grad();
}

// ---- every loss against PyTorch: one row per (loss, data), checked for each reduction and by gradcheck ----

struct LossCase {
  const char* name;
  LossFn fn;
  std::vector<double> input;
  tg::Shape input_shape;
  std::vector<double> target;
  tg::Shape target_shape;
  double mean;  // PyTorch's values for each reduction
  double sum;
  std::vector<double> none;
  bool through_target;  // gradcheck differentiates the target too

  [[nodiscard]] Tensor x() const { return tg::tensor(input, input_shape, tg::kFloat64); }
  [[nodiscard]] Tensor t() const { return tg::tensor(target, target_shape, tg::kFloat64); }
};

LossCase mse_case() {
  return {"mse_loss", mse_loss, {0.5, -1.2, 2.0, 0.3, 0.7, -0.4}, {2, 3}, {1.0, -1.0, 1.5, 0.0, 1.0, 0.1}, {2, 3},
          0.16166666666666668, 0.9700000000000001, {0.25, 0.03999999999999998, 0.25, 0.09, 0.09000000000000002, 0.25},
          true};
}

// p stays in [0.35, 0.65] so that the stencil's O(h^4 / p^5) error stays below 1e-10.
LossCase bce_case() {
  return {"binary_cross_entropy", binary_cross_entropy, {0.4, 0.55, 0.62, 0.38, 0.5, 0.45}, {2, 3},
          {0.9, 0.1, 0.3, 0.2, 0.7, 0.8}, {2, 3}, 0.750395098348836, 4.502370590093016,
          {0.8757442210633385, 0.7784406266715566, 0.8207195586660938, 0.575945446006741, 0.6931471805599453,
           0.7583735571253414},
          true};
}

// p = 0 and 1: each log clamped at -100.
LossCase bce_edges_case() {
  return {"binary_cross_entropy_at_0_and_1", binary_cross_entropy, {0.0, 1.0, 0.0, 1.0, 0.3}, {5},
          {0.0, 1.0, 1.0, 0.0, 1.0}, {5}, 40.24079456086518, 201.20397280432593,
          {0.0, 0.0, 100.0, 100.0, 1.2039728043259361}, false};
}

LossCase bce_logits_case() {
  return {"binary_cross_entropy_with_logits", binary_cross_entropy_with_logits, {0.5, -1.2, 2.0, 0.0, 3.1, -0.4}, {2, 3},
          {1.0, 0.0, 0.3, 0.0, 1.0, 0.8}, {2, 3}, 0.6390856439099304, 3.8345138634595823,
          {0.4740769841801067, 0.2632824673380313, 1.5269280110429726, 0.6931471805599453, 0.04406396793857386,
           0.8330152523999526},
          true};
}

LossCase bce_logits_extreme_case() {
  return {"binary_cross_entropy_with_logits_at_1000", binary_cross_entropy_with_logits, {1000.0, -1000.0, 0.0}, {3},
          {0.0, 1.0, 0.5}, {3}, 666.8977157268533, 2000.69314718056, {1000.0, 1000.0, 0.6931471805599453},
          false};
}

LossCase class_case() {
  return {"cross_entropy_class_indices", cross_entropy,
          {0.2, -1.3, 0.8, 1.5, 0.1, -0.6, -0.7, 0.4, 0.9, 0.0, 2.2, -1.1}, {4, 3}, {2, 0, 1, 2}, {4},
          1.3394769336900485, 5.357907734760194,
          {0.5135826582593748, 0.3141195464183969, 1.0924575049182232, 3.4377480251641988}, false};
}

LossCase class_extreme_case() {
  return {"cross_entropy_at_1000", cross_entropy, {1000.0, -1000.0, 0.0, -1000.0, 1000.0, 999.0}, {2, 3}, {1, 2}, {2},
          1000.6566308437591, 2001.3132616875182, {2000.0, 1.3132616875182228}, false};
}

// Rows of the target sum to 1.
LossCase probability_case() {
  return {"cross_entropy_probabilities", cross_entropy,
          {0.2, -1.3, 0.8, 0.1, 1.5, 0.1, -0.6, 0.3, -0.7, 0.4, 0.9, -0.2}, {3, 4},
          {0.1, 0.2, 0.3, 0.4, 0.5, 0.0, 0.25, 0.25, 0.0, 0.0, 1.0, 0.0}, {3, 4}, 1.211040545777893, 3.6331216373336788,
          {1.5337374466675746, 1.3379718813705668, 0.7614123092955375}, true};
}

LossCase nll_case() {
  return {"nll_loss", nll_loss, {-0.5, -1.2, -2.0, -1.6, -0.3, -2.5, -0.9, -1.1, -1.4}, {3, 3}, {1, 0, 2}, {3},
          1.4000000000000001, 4.2, {1.2, 1.6, 1.4}, false};
}

void PrintTo(const LossCase& c, std::ostream* os) { *os << c.name; }
std::string case_name(const testing::TestParamInfo<LossCase>& info) { return info.param.name; }

class LossValues : public testing::TestWithParam<LossCase> {};

TEST_P(LossValues, MatchPyTorchForEveryReduction) {
  const LossCase& c = GetParam();
  const Tensor mean = c.fn(c.x(), c.t(), Reduction::Mean);
  EXPECT_EQ(mean.dim(), 0);
  expect_values(mean, {c.mean});
  expect_values(c.fn(c.x(), c.t(), Reduction::Sum), {c.sum});
  expect_values(c.fn(c.x(), c.t(), Reduction::None), c.none);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, LossValues,
                         testing::Values(mse_case(), bce_case(), bce_edges_case(), bce_logits_case(),
                                         bce_logits_extreme_case(), class_case(), class_extreme_case(),
                                         probability_case(), nll_case()),
                         case_name);

// Not at the edges (a step would leave [0, 1]) nor at +-1000 (rounding there is 1e-13 / h = 1e-10).
class LossGradients : public testing::TestWithParam<LossCase> {};

TEST_P(LossGradients, PassGradcheckForEveryReduction) {
  const LossCase& c = GetParam();
  for (const Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    expect_gradcheck([&](const std::vector<Tensor>& v) { return c.fn(v[0], v[1], r); },
                     {leaf(c.x()), c.through_target ? leaf(c.t()) : c.t()});
}

INSTANTIATE_TEST_SUITE_P(Gradcheck, LossGradients,
                         testing::Values(mse_case(), bce_case(), bce_logits_case(), class_case(), probability_case(),
                                         nll_case()),
                         case_name);

// ---- closed forms, extremes and float32 ----

TEST(MseLoss, GradientIsTwiceTheDifference) {
  expect_values(grad_of_sum(mse_loss, mse_case().x(), mse_case().t()), {-1.0, -0.4, 1.0, 0.6, -0.6, -1.0}, 1e-15);
}

TEST(MseLoss, RejectsMismatchedShapesDtypesAndUndefined) {
  EXPECT_THAT([] { return mse_loss(f64({1, 2, 3}, {3}), f64({1, 2}, {2})); },
              message("mse_loss: input [3] and target [2] must have the same shape"));
  EXPECT_THAT([] { return mse_loss(f64({1, 2}, {2}), tg::tensor({1, 2}, {2}, tg::kFloat32)); },
              message("mse_loss: dtypes differ: input float64 and target float32"));
  EXPECT_THAT([] { return mse_loss(Tensor(), f64({1}, {1})); }, message("mse_loss: input is undefined"));
  EXPECT_THAT([] { return mse_loss(f64({1}, {1}), Tensor()); }, message("mse_loss: target is undefined"));
}

TEST(BceLoss, ProbabilitiesZeroAndOneGiveFiniteGradients) {
  const Tensor p = bce_edges_case().x();
  const Tensor t = bce_edges_case().t();
  // d/dp of -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)): a clamped log contributes 0, the
  // other term (1 - t) / (1 - p) or -t / p.
  expect_values(grad_of_sum(binary_cross_entropy, p, t), {1.0, -1.0, 0.0, 0.0, -1.0 / 0.3}, 1e-15);
  const Tensor p32 = p.to(tg::kFloat32).requires_grad_();
  const Tensor loss32 = binary_cross_entropy(p32, t.to(tg::kFloat32));
  loss32.backward();
  EXPECT_NEAR(loss32.item(), 40.24079456086518, 1e-4);
  expect_all_finite(p32.grad());
}

TEST(BceLoss, RejectsValuesOutsideTheUnitInterval) {
  EXPECT_THAT([] { return binary_cross_entropy(f64({0.5, 1.5}, {2}), f64({0, 1}, {2})); },
              message("binary_cross_entropy: probs[1] = 1.5 is outside [0, 1]"));
  EXPECT_THAT([] { return binary_cross_entropy(f64({0.5, 0.5}, {2}), f64({-1, 1}, {2})); },
              message("binary_cross_entropy: target[0] = -1 is outside [0, 1]"));
  EXPECT_THAT([] { return binary_cross_entropy(f64({0.5, 0.5}, {2, 1}), f64({0, 1}, {2})); },
              message("binary_cross_entropy: probs [2, 1] and target [2] must have the same shape"));
}

TEST(BceWithLogitsLoss, GradientIsSigmoidMinusTargetEvenAtZero) {
  const Tensor x = f64({0.0, 0.0, 0.7}, {3});
  const Tensor t = f64({0.0, 1.0, 0.25}, {3});
  expect_values(grad_of_sum(binary_cross_entropy_with_logits, x, t), {0.5, -0.5, 1.0 / (1.0 + std::exp(-0.7)) - 0.25},
                1e-15);
}

TEST(BceWithLogitsLoss, ExtremeLogitsGiveFiniteGradients) {
  const Tensor x = bce_logits_extreme_case().x();
  const Tensor t = bce_logits_extreme_case().t();
  expect_values(grad_of_sum(binary_cross_entropy_with_logits, x, t), {1.0, -1.0, 0.0}, 0.0);
  const Tensor x32 = x.to(tg::kFloat32).requires_grad_();
  binary_cross_entropy_with_logits(x32, t.to(tg::kFloat32)).backward();
  expect_values(x32.grad(), {1.0 / 3, -1.0 / 3, 0.0}, 1e-7);
}

// Within 4 ulp (relative) of each result: each route rounds a handful of times (an exp, a sum, a log),
// each by half an ulp, and subtracting the row maximum is exact (Sterbenz). 0 must come out as exactly 0.
void expect_within_ulps(const Tensor& t, const std::vector<double>& expected) {
  const double eps = t.dtype() == tg::kFloat32 ? 0x1p-23 : 0x1p-52;
  const std::vector<double> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 4 * eps * expected[i]) << "row " << i;
}

// A confident right answer costs log1p(e^-|x|), far below the spacing of numbers near x: computing
// softplus(x) - x t rounds it away against x (issue 11). Closed forms in float64; PyTorch 1.13 is less
// exact here (log(1 + e^-16) in float32 is 1.19e-7, 6% high), so the closed form is the yardstick.
TEST(BceWithLogitsLoss, ConfidentRightAnswersKeepTheirDigits) {
  const double at16 = std::log1p(std::exp(-16.0));
  const double at40 = std::log1p(std::exp(-40.0));
  const Tensor x32 = tg::tensor({16, -16, 1e4, -1e4});
  expect_within_ulps(binary_cross_entropy_with_logits(x32, tg::tensor({1, 0, 1, 0}), Reduction::None),
                     {at16, at16, 0.0, 0.0});
  const Tensor x64 = f64({40, -40, 16}, {3});
  expect_within_ulps(binary_cross_entropy_with_logits(x64, f64({1, 0, 0.75}, {3}), Reduction::None),
                     {at40, at40, 4.0 + at16});
}

TEST(CrossEntropyLoss, ClassIndexGradientIsSoftmaxMinusOneHotOverN) {
  Tensor x = leaf(class_case().x());
  cross_entropy(x, class_case().t()).backward();
  // PyTorch's x.grad after F.cross_entropy(x, t).backward()
  expect_values(x.grad(), {0.08209509410874433, 0.018317891495884534, -0.10041298560462883, -0.06739207438853007,
                           0.04503056004746321, 0.022361514341066823, 0.027910512582903443, -0.16615218638751206,
                           0.1382416738046086, 0.024136202522194988, 0.21782955358788564, -0.24196575611008064});
}

TEST(CrossEntropyLoss, GradcheckWithFanOut) {
  // x feeds two losses and a product: the fused op's gradient must accumulate, not overwrite.
  const Tensor classes = class_case().t();
  const Tensor other = f64({0, 1, 1, 0}, {4});
  expect_gradcheck([&](const std::vector<Tensor>& v) {
    return cross_entropy(v[0], classes) + cross_entropy(v[0] * v[0], other, Reduction::Sum);
  }, {leaf(class_case().x())});
}

TEST(CrossEntropyLoss, ClassIndicesAreOneRecordedOp) {
  const Tensor x = leaf(class_case().x());
  const Tensor classes = class_case().t();
  const std::size_t before = tg::tape_size();
  const Tensor loss = cross_entropy(x, classes);
  EXPECT_EQ(tg::tape_size(), before + 1);
  {
    const tg::NoGradGuard no_grad;
    const Tensor untracked = cross_entropy(x, classes);
    EXPECT_FALSE(untracked.requires_grad());
    EXPECT_EQ(untracked.item(), loss.item());
  }
  // retain_graph: the record's saved softmax survives a first sweep unchanged.
  loss.backward({}, true);
  const std::vector<double> first = x.grad().to_vector();
  loss.backward();
  expect_values(x.grad(), [&] {
    std::vector<double> twice = first;
    for (double& g : twice) g *= 2;
    return twice;
  }());
}

TEST(CrossEntropyLoss, ExtremeLogitsGiveFiniteGradients) {
  const Tensor t = class_extreme_case().t();
  Tensor x = leaf(class_extreme_case().x());
  cross_entropy(x, t).backward();
  expect_values(x.grad(), {0.5, -0.5, 0.0, 0.0, 0.36552928931500245, -0.36552928931500245});  // PyTorch
  const Tensor x32 = class_extreme_case().x().to(tg::kFloat32).requires_grad_();
  const Tensor loss32 = cross_entropy(x32, t.to(tg::kFloat32));
  loss32.backward();
  EXPECT_NEAR(loss32.item(), 1000.6566308437591, 1e-3);
  expect_all_finite(x32.grad());
}

// Logits far from 0 in both rows' entries: the answer is a function of their differences only, so it must
// not be lost to the rounding of m + log(sum) against the picked logit (issue 11). Closed forms in float64;
// PyTorch 1.13 gives the same (see the file's header for how).
struct LargeLogits {
  Tensor logits;
  Tensor classes;
  std::vector<double> expected;
};

LargeLogits large_logits(tg::Dtype dtype) {
  const double ln2 = std::log(2.0);
  const double one_apart = std::log1p(std::exp(-1.0));  // logits a and a - 1, the larger picked
  if (dtype == tg::kFloat32)  // 1e7 - 1 is exact in float32 (below 2^24)
    return {tg::tensor({1e4, 1e4, 1e7, 1e7, 1e7, 1e7 - 1, 1e7, 1e7 - 1}, {4, 2}, dtype),
            tg::tensor({1, 0, 0, 1}, {4}, dtype), {ln2, ln2, one_apart, 1.0 + one_apart}};
  // 1e15 - 1 is exact in float64 (below 2^53); -1e17 - 16 is the number next to -1e17 (spacing 16 there)
  return {tg::tensor({1e17, 1e17, 1e15, 1e15 - 1, 1e15, 1e15 - 1, -1e17, -1e17 - 16}, {4, 2}, dtype),
          tg::tensor({0, 0, 1, 1}, {4}, dtype), {ln2, one_apart, 1.0 + one_apart, 16.0 + std::log1p(std::exp(-16.0))}};
}

TEST(CrossEntropyLoss, LargeLogitsKeepTheirDigits) {
  for (const tg::Dtype dtype : {tg::kFloat32, tg::kFloat64}) {
    const LargeLogits c = large_logits(dtype);
    SCOPED_TRACE(std::string(tg::dtype_name(dtype)));
    expect_within_ulps(cross_entropy(c.logits, c.classes, Reduction::None), c.expected);
    // The other two routes to the same number: probability targets, and nll_loss of log_softmax.
    const Tensor probabilities = tg::one_hot(c.classes.to(tg::kInt64), 2, dtype);
    expect_within_ulps(cross_entropy(c.logits, probabilities, Reduction::None), c.expected);
    expect_within_ulps(nll_loss(tg::log_softmax(c.logits, 1), c.classes, Reduction::None), c.expected);
  }
}

// The record keeps its own copy of the class indices: labels overwritten between forward and backward
// (a data loader refilling its batch, say) change nothing, and an out-of-range value is never used as an
// offset (issue 11; run under -fsanitize=address to see the write it used to make).
TEST(CrossEntropyLoss, BackwardUsesTheTargetOfTheForward) {
  for (const tg::Dtype dtype : {tg::kFloat32, tg::kFloat64}) {
    SCOPED_TRACE(std::string(tg::dtype_name(dtype)));
    const Tensor expected = grad_of_sum(cross_entropy, class_case().x().to(dtype), class_case().t().to(dtype));
    Tensor x = leaf(class_case().x().to(dtype));
    Tensor labels = class_case().t().to(dtype).clone();
    const Tensor loss = cross_entropy(x, labels, Reduction::Sum);
    labels.put_({0}, 0.0);  // in range: a wrong gradient, silently
    labels.put_({1}, 1e9);  // far out of range: a write outside dx
    if (dtype == tg::kFloat32) labels.data<float>()[2] = -5;
    else labels.data<double>()[2] = -5;
    loss.backward();
    expect_values(x.grad(), expected.to_vector(), 0.0);
  }
}

// float32 holds every whole number only up to 2^24: with more classes than that a float32 label could
// name a neighbouring class (issue 11), so such targets are refused; up to 2^24 + 1 classes (largest index
// 2^24) every index is exact. The 64 MiB inputs are left uninitialised (filling them takes most of a
// second here): the refusal comes before any arithmetic.
TEST(CrossEntropyLoss, RefusesFloat32ClassIndicesItCannotHoldExactly) {
  constexpr std::int64_t kExact = std::int64_t{1} << 24;
  const Tensor too_many = tg::empty({1, kExact + 2});
  EXPECT_THAT([&] { return cross_entropy(too_many, tg::tensor({0})); },
              message("cross_entropy: logits [1, 16777218] have 16777218 classes, more than float32 class indices "
                      "can name exactly (every whole number only up to 2^24 = 16777216); use float64 logits and "
                      "target"));
  EXPECT_THAT([&] { return nll_loss(too_many, tg::tensor({0})); },
              message("nll_loss: log_probs [1, 16777218] have 16777218 classes"));
  Tensor most = tg::empty({1, kExact + 1});  // nll_loss reads only the picked element
  most.put_({0, kExact}, -0.25);
  EXPECT_EQ(nll_loss(most, tg::tensor({static_cast<double>(kExact)})).item(), 0.25);
}

TEST(CrossEntropyLoss, RejectsBadShapesAndTargets) {
  const Tensor logits = tg::zeros({64, 10}, tg::kFloat64);
  EXPECT_THAT([&] { return cross_entropy(logits, tg::zeros({32}, tg::kFloat64)); },
              message("cross_entropy: logits [64, 10] and target [32] disagree on N"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), f64({0, 3}, {2})); },
              message("cross_entropy: target[1] = 3 is not a class index in [0, 3)"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), f64({-1, 0}, {2})); },
              message("cross_entropy: target[0] = -1 is not a class index in [0, 3)"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({3, 3}, tg::kFloat64), f64({0, 1, 1.5}, {3})); },
              message("cross_entropy: target[2] = 1.5 is not a whole number"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), f64({0, NAN}, {2})); },
              message("cross_entropy: target[1] = nan is not a whole number"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), f64({INFINITY, 0}, {2})); },
              message("cross_entropy: target[0] = inf is not a class index in [0, 3)"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}), tg::tensor({0.0F, 2.5F})); },
              message("cross_entropy: target[1] = 2.5 is not a whole number"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}), f64({0, 1}, {2})); },
              message("cross_entropy: dtypes differ: logits float32 and target float64"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({3}, tg::kFloat64), f64({0}, {1})); },
              message("cross_entropy: logits must be (N, C), got [3]"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), tg::zeros({2, 4}, tg::kFloat64)); },
              message("cross_entropy: logits [2, 3] and target [2, 4] must have the same shape"));
  EXPECT_THAT([] { return cross_entropy(tg::zeros({2, 3}, tg::kFloat64), tg::zeros({2, 3, 1}, tg::kFloat64)); },
              message("cross_entropy: target must be (N) class indices or (N, C) probabilities, got [2, 3, 1]"));
}

TEST(NllLoss, GradientIsMinusOneHot) {
  expect_values(grad_of_sum(nll_loss, nll_case().x(), nll_case().t()), {0, -1, 0, -1, 0, 0, 0, 0, -1}, 0.0);
}

TEST(NllLoss, RejectsBadShapesAndTargets) {
  EXPECT_THAT([] { return nll_loss(nll_case().x(), f64({0, 1}, {2})); },
              message("nll_loss: log_probs [3, 3] and target [2] disagree on N"));
  EXPECT_THAT([] { return nll_loss(nll_case().x(), f64({0, 7, 1}, {3})); },
              message("nll_loss: target[1] = 7 is not a class index in [0, 3)"));
  EXPECT_THAT([] { return nll_loss(nll_case().x().reshape({9}), nll_case().t()); },
              message("nll_loss: log_probs must be (N, C), got [9]"));
}

// ---- kl_div: input log-probabilities (2, 3), target with a zero ----

Tensor kl_input() { return f64({-0.5, -1.2, -2.0, -1.6, -0.3, -2.5}, {2, 3}); }
Tensor kl_target() { return f64({0.0, 0.3, 0.7, 0.2, 0.5, 0.3}, {2, 3}); }

TEST(KlDivLoss, MatchesPyTorchForEveryReduction) {
  const auto value = [](KLReduction r) { return kl_div(kl_input(), kl_target(), r); };
  expect_values(value(KLReduction::Mean), {0.22324711398008878});
  expect_values(value(KLReduction::BatchMean), {0.6697413419402664});
  expect_values(value(KLReduction::Sum), {1.3394826838805327});
  expect_values(value(KLReduction::None), {0.0, -0.0011918412977808268, 1.150327539242887, -0.0018875824868200275,
                                           -0.19657359027997265, 0.3888081587022192});
}

TEST(KlDivLoss, GradcheckInputAndTarget) {
  // Targets near 0.5: the steps of +-2h stay in [0, 1], and the stencil's O(h^4 / t^5) error below 1e-10.
  const Tensor interior = f64({0.5, 0.45, 0.55, 0.6, 0.5, 0.48}, {2, 3});
  for (const KLReduction r : {KLReduction::Mean, KLReduction::BatchMean, KLReduction::Sum, KLReduction::None}) {
    const auto fn = [r](const std::vector<Tensor>& v) { return kl_div(v[0], v[1], r); };
    expect_gradcheck(fn, {leaf(kl_input()), kl_target()});
    expect_gradcheck(fn, {leaf(kl_input()), leaf(interior)});
  }
  EXPECT_NEAR(kl_div(kl_input(), interior, KLReduction::Sum).item(), 2.1599134274283758, kTol);  // PyTorch
}

TEST(KlDivLoss, ZeroTargetsCountZero) {
  Tensor input = f64({-3.0, -0.7}, {2}).requires_grad_();
  Tensor target = f64({0.0, 1.0}, {2}).requires_grad_();
  const Tensor loss = kl_div(input, target, KLReduction::Sum);
  EXPECT_EQ(loss.item(), 0.7);
  loss.backward();
  expect_values(input.grad(), {0.0, -1.0}, 0.0);  // -t
  expect_values(target.grad(), {3.0, 1.0 + 0.7}, 0.0);  // -input where t = 0, log t + 1 - input elsewhere
}

TEST(KlDivLoss, RejectsBadShapesAndTargets) {
  EXPECT_THAT([] { return kl_div(kl_input(), f64({0.5, 0.5}, {2})); },
              message("kl_div: input [2, 3] and target [2] must have the same shape"));
  EXPECT_THAT([] { return kl_div(f64({-1, -1}, {2}), f64({0.5, -0.5}, {2})); },
              message("kl_div: target[1] = -0.5 is outside [0, 1]"));
}

}  // namespace
