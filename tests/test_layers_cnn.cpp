// The convolutional-network modules and what they need of Module: buffers (registration, state_dict's
// order and names, to(), load_state_dict's all-or-nothing checks, checkpoints), Conv1d / Conv2d /
// ConvTranspose2d (PyTorch's layouts and initialisation bounds), the pooling modules, BatchNorm's training
// and eval statistics against hand-derived values (momentum, the cumulative average, no running
// statistics), LayerNorm, GroupNorm, Dropout2d, and a PyTorch CNN state_dict (scripts/make_pytorch_fixture.py)
// that loads as it is and reproduces PyTorch's outputs and running statistics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::ElementsAre;
using testing::HasSubstr;
using testing::ThrowsMessage;
using tg::Tensor;
using tg::testing::f64;

auto message(const std::string& text) { return ThrowsMessage<std::invalid_argument>(HasSubstr(text)); }

template <class Named>
std::vector<std::string> keys(const Named& named) {
  std::vector<std::string> names;
  for (const auto& entry : named) names.push_back(entry.first);
  return names;
}

void expect_near_all(const Tensor& actual, const Tensor& expected, double tolerance) {
  ASSERT_EQ(actual.shape(), expected.shape());
  const auto a = actual.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < e.size(); ++i) EXPECT_NEAR(a[i], e[i], tolerance) << "element " << i;
}

// ---- buffers ----

TEST(Buffers, BatchNormHasTwoParametersAndThreeBuffers) {
  BatchNorm2d bn(3);
  EXPECT_THAT(keys(bn.named_parameters()), ElementsAre("weight", "bias"));
  EXPECT_THAT(keys(bn.named_buffers()), ElementsAre("running_mean", "running_var", "num_batches_tracked"));
  EXPECT_EQ(bn.buffers().size(), 3U);
  EXPECT_FALSE(bn.running_mean.requires_grad());
  EXPECT_EQ(bn.num_batches_tracked.dtype(), tg::kInt64);
  EXPECT_EQ(bn.num_batches_tracked.dim(), 0);
  EXPECT_EQ(bn.running_var.to_vector(), std::vector<double>({1, 1, 1}));
  EXPECT_EQ(bn.running_mean.to_vector(), std::vector<double>({0, 0, 0}));
}

TEST(Buffers, StateDictHasPyTorchsOrderAndNames) {
  Sequential model(std::make_shared<Conv2d>(1, 2, 3), std::make_shared<BatchNorm2d>(2), std::make_shared<ReLU>(),
                   std::make_shared<Flatten>(), std::make_shared<Linear>(2, 1));
  EXPECT_THAT(keys(model.state_dict()),
              ElementsAre("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                          "1.num_batches_tracked", "4.weight", "4.bias"));
  EXPECT_EQ(model.parameters().size(), 6U);  // optimizers never see the buffers
}

TEST(Buffers, ToConvertsFloatingBuffersAndKeepsTheCount) {
  BatchNorm1d bn(2);
  const Tensor mean = bn.running_mean;  // the same tensor after to(): identity kept
  bn.to(tg::kFloat64);
  EXPECT_EQ(mean.dtype(), tg::kFloat64);
  EXPECT_EQ(bn.running_var.dtype(), tg::kFloat64);
  EXPECT_EQ(bn.weight.dtype(), tg::kFloat64);
  EXPECT_EQ(bn.num_batches_tracked.dtype(), tg::kInt64);
}

class WithBuffer : public Module {
 public:
  explicit WithBuffer(Tensor t) : b(std::move(t)) { register_buffer("b", b); }
  [[nodiscard]] std::string name() const override { return "WithBuffer"; }
  Tensor b;
};

TEST(Buffers, RegisteringAnUndefinedOrTrainableBufferFails) {
  EXPECT_THAT([] { WithBuffer m{Tensor()}; }, message("WithBuffer: buffer 'b' is undefined"));
  EXPECT_THAT([] { WithBuffer m{tg::ones({2}).requires_grad_()}; }, message("buffer 'b' requires grad"));
}

TEST(Buffers, LoadStateDictIsAllOrNothingAndStrict) {
  BatchNorm1d bn(2);
  const std::vector<std::pair<std::string, Tensor>> good = {
      {"weight", tg::tensor({2, 3}, {2})},        {"bias", tg::tensor({-1, 1}, {2})},
      {"running_mean", tg::tensor({0.5, 1}, {2})}, {"running_var", tg::tensor({4, 9}, {2})},
      {"num_batches_tracked", tg::tensor(std::vector<std::int64_t>{7}, tg::Shape{})}};
  auto bad = good;
  bad[3].second = tg::ones({3});
  EXPECT_THAT([&] { bn.load_state_dict(bad); },
              message("load_state_dict: 'running_var' is [2] float32, got [3] float32"));
  EXPECT_EQ(bn.weight.to_vector(), std::vector<double>({1, 1}));  // nothing copied
  EXPECT_THAT([&] { bn.load_state_dict({good[0]}); }, message("'bias' ([2] float32) is missing"));
  EXPECT_THAT([&] { bn.load_state_dict({{"scale", tg::ones({2})}}, false); },
              message("'scale' is not a parameter or buffer of the model"));
  bn.load_state_dict({good[2]}, /*strict=*/false);
  EXPECT_EQ(bn.running_mean.to_vector(), std::vector<double>({0.5, 1}));
  bn.load_state_dict(good);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 7);
  EXPECT_EQ(bn.running_var.to_vector(), std::vector<double>({4, 9}));
}

TEST(Buffers, CheckpointsSaveAndRestoreThem) {
  const fs::path file = fs::temp_directory_path() / ("tapegrad_bn_" + std::to_string(getpid()) + ".safetensors");
  BatchNorm2d trained(2);
  for (int i = 0; i < 3; ++i) static_cast<void>(trained(tg::randn({4, 2, 3, 3}) * 3.0 + 1.0));
  save(trained, file);
  BatchNorm2d fresh(2);
  load(fresh, file);
  fs::remove(file);
  EXPECT_EQ(fresh.running_mean.to_vector(), trained.running_mean.to_vector());
  EXPECT_EQ(fresh.running_var.to_vector(), trained.running_var.to_vector());
  EXPECT_EQ(fresh.num_batches_tracked.item<std::int64_t>(), 3);
}

// ---- BatchNorm ----

// One channel holding 1, 2, 3, 6: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5 (what normalises),
// unbiased 14 / 3 (what the running variance takes).
TEST(BatchNormModule, TrainingUsesBatchStatisticsAndMovesTheRunningOnes) {
  BatchNorm2d bn(1, {.dtype = tg::kFloat64});
  const Tensor x = f64({1, 2, 3, 6}, {2, 1, 2, 1});
  const Tensor y = bn(x);
  const double scale = 1 / std::sqrt(3.5 + 1e-5);
  expect_near_all(y, f64({-2 * scale, -scale, 0, 3 * scale}, {2, 1, 2, 1}), 1e-15);
  EXPECT_NEAR(bn.running_mean.item(), 0.1 * 3, 1e-16);
  EXPECT_NEAR(bn.running_var.item(), 0.9 + 0.1 * 14.0 / 3.0, 1e-15);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(BatchNormModule, WithoutMomentumTheRunningStatisticsAreTheCumulativeAverage) {
  BatchNorm1d bn(1, {.momentum = std::nullopt, .dtype = tg::kFloat64});
  static_cast<void>(bn(f64({1, 2, 3, 6}, {4, 1})));    // mean 3, unbiased variance 14/3
  static_cast<void>(bn(f64({0, 10}, {2, 1})));         // mean 5, unbiased variance 50
  EXPECT_NEAR(bn.running_mean.item(), (3.0 + 5.0) / 2, 1e-15);
  EXPECT_NEAR(bn.running_var.item(), (14.0 / 3.0 + 50.0) / 2, 1e-13);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 2);
}

TEST(BatchNormModule, EvalUsesTheRunningStatisticsAndLeavesThem) {
  BatchNorm1d bn(2, {.dtype = tg::kFloat64});
  bn.load_state_dict({{"weight", f64({2, 1}, {2})},
                      {"bias", f64({0, 1}, {2})},
                      {"running_mean", f64({1, -1}, {2})},
                      {"running_var", f64({4, 0.25}, {2})},
                      {"num_batches_tracked", tg::tensor(std::vector<std::int64_t>{5}, tg::Shape{})}});
  bn.eval();
  const Tensor y = bn(f64({3, 0, -1, 1}, {2, 2, 1}));  // [N=2, C=2, L=1]
  const double e = 1e-5;
  expect_near_all(y, f64({2 * (3 - 1) / std::sqrt(4 + e), (0 + 1) / std::sqrt(0.25 + e) + 1,
                          2 * (-1 - 1) / std::sqrt(4 + e), (1 + 1) / std::sqrt(0.25 + e) + 1},
                         {2, 2, 1}),
                  1e-14);
  EXPECT_EQ(bn.running_mean.to_vector(), std::vector<double>({1, -1}));
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 5);
}

TEST(BatchNormModule, WithoutRunningStatisticsEvalUsesTheBatch) {
  BatchNorm1d bn(1, {.affine = false, .track_running_stats = false, .dtype = tg::kFloat64});
  EXPECT_TRUE(bn.parameters().empty());
  EXPECT_TRUE(bn.buffers().empty());
  bn.eval();
  const Tensor y = bn(f64({1, 2, 3, 6}, {4, 1}));
  EXPECT_NEAR(y.to_vector()[3], 3 / std::sqrt(3.5 + 1e-5), 1e-15);
}

TEST(BatchNormModule, ChecksItsArgumentsAndTheInputRank) {
  EXPECT_THAT([] { BatchNorm2d bn(0); }, message("BatchNorm2d: num_features must be positive, got 0"));
  EXPECT_THAT([] { BatchNorm2d bn(2, {.momentum = 1.5}); }, message("momentum must be in [0, 1]"));
  EXPECT_THAT([] { BatchNorm1d bn(2, {.eps = 0}); }, message("eps must be positive"));
  BatchNorm2d bn(2);
  EXPECT_THAT([&] { static_cast<void>(bn(tg::ones({4, 2, 3}))); }, message("expected a 4-d [N, C, H, W] input, got [4, 2, 3]"));
  BatchNorm1d bn1(2);
  EXPECT_THAT([&] { static_cast<void>(bn1(tg::ones({4, 2, 3, 3}))); }, message("got [4, 2, 3, 3]"));
}

TEST(BatchNormModule, GradcheckInTrainingMode) {
  BatchNorm2d bn(2, {.dtype = tg::kFloat64});
  tg::Generator gen(3);
  const Tensor x = tg::randn({3, 2, 2, 2}, gen, tg::kFloat64).requires_grad_();
  tg::testing::expect_gradcheck([&](const std::vector<Tensor>& in) { return bn(in[0]) * in[0]; }, {x});
}

// ---- convolutions ----

TEST(ConvModules, HavePyTorchsLayoutsAndInitialisationBounds) {
  tg::Generator gen(1);
  Conv2d conv(6, 8, {3, 2}, gen, {.groups = 2});
  EXPECT_EQ(conv.weight.shape(), tg::Shape({8, 3, 3, 2}));
  EXPECT_EQ(conv.bias.shape(), tg::Shape({8}));
  const double bound = 1 / std::sqrt(3.0 * 3 * 2);  // fan_in = in/groups * kh * kw
  double largest = 0;
  for (const double w : conv.weight.to_vector()) largest = std::max(largest, std::abs(w));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.9 * bound);  // 144 draws uniform in +-bound: the largest is near it
  EXPECT_EQ(ConvTranspose2d(4, 6, 3, gen, {.groups = 2}).weight.shape(), tg::Shape({4, 3, 3, 3}));
  EXPECT_EQ(Conv1d(2, 5, 4, gen).weight.shape(), tg::Shape({5, 2, 4}));
  EXPECT_FALSE(Conv2d(1, 2, 3, gen, {.bias = false}).bias.defined());
  EXPECT_EQ(Conv2d(1, 32, 3, gen, {.padding = 1}).name(),
            "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, bias=true)");
}

TEST(ConvModules, ForwardIsTheOpWithTheModulesArguments) {
  tg::Generator gen(2);
  Conv2d conv(2, 4, 3, gen, {.stride = {2, 1}, .padding = 1, .dilation = {1, 2}, .groups = 2, .dtype = tg::kFloat64});
  const Tensor x = tg::randn({2, 2, 7, 6}, gen, tg::kFloat64);
  EXPECT_EQ(conv(x).to_vector(), tg::conv2d(x, conv.weight, conv.bias, {2, 1}, 1, {1, 2}, 2).to_vector());
  ConvTranspose2d up(4, 2, 3, gen, {.stride = 2, .padding = 1, .output_padding = 1, .dtype = tg::kFloat64});
  EXPECT_EQ(up(tg::randn({1, 4, 5, 5}, gen, tg::kFloat64)).shape(), tg::Shape({1, 2, 10, 10}));  // (5-1)2 - 2 + 3 + 1
  Conv1d line(3, 2, 3, gen, {.padding = 2, .dilation = 2});
  EXPECT_EQ(line(tg::randn({4, 3, 9}, gen)).shape(), tg::Shape({4, 2, 9}));
}

TEST(ConvModules, CheckTheirArgumentsWhenBuilt) {
  EXPECT_THAT([] { Conv2d c(3, 4, 3, {.groups = 2}); },
              message("Conv2d: in_channels (3) and out_channels (4) must both be divisible by groups (2)"));
  EXPECT_THAT([] { Conv2d c(3, 4, {3, 0}); }, message("Conv2d: kernel_size must be positive, got (3, 0)"));
  EXPECT_THAT([] { Conv1d c(3, 4, 3, {.stride = 0}); }, message("Conv1d: stride must be positive"));
  EXPECT_THAT([] { ConvTranspose2d c(3, 4, 3, {.stride = 2, .output_padding = 2}); },
              message("ConvTranspose2d: output_padding (2, 2) must be non-negative and smaller than either stride"));
}

// ---- pooling, LayerNorm, GroupNorm, Dropout2d ----

TEST(PoolingModules, ForwardIsTheOpWithTheModulesArguments) {
  tg::Generator gen(4);
  const Tensor x = tg::randn({2, 3, 9, 8}, gen, tg::kFloat64);
  EXPECT_EQ(MaxPool2d(3, {.stride = 2, .padding = 1, .ceil_mode = true})(x).to_vector(),
            tg::max_pool2d(x, 3, tg::Size2(2), 1, 1, true).to_vector());
  EXPECT_EQ(AvgPool2d({3, 2}, {.count_include_pad = false})(x).to_vector(),
            tg::avg_pool2d(x, {3, 2}, std::nullopt, 0, false, false).to_vector());
  EXPECT_EQ(AdaptiveAvgPool2d({4, 3})(x).shape(), tg::Shape({2, 3, 4, 3}));
  EXPECT_EQ(MaxPool2d(2).name(), "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=false)");
  EXPECT_THAT([] { MaxPool2d p(2, {.padding = 2}); }, message("MaxPool2d: padding (2, 2) must be non-negative and at most half"));
  EXPECT_THAT([] { AdaptiveAvgPool2d p({0, 1}); }, message("AdaptiveAvgPool2d: output_size must be positive"));
}

TEST(NormModules, LayerNormAndGroupNormHaveAffineParametersAndUseTheirOps) {
  tg::Generator gen(5);
  LayerNorm ln({3, 4}, {.dtype = tg::kFloat64});
  EXPECT_EQ(ln.weight.shape(), tg::Shape({3, 4}));
  const Tensor x = tg::randn({2, 3, 4}, gen, tg::kFloat64);
  EXPECT_EQ(ln(x).to_vector(), tg::layer_norm(x, {3, 4}, ln.weight, ln.bias).to_vector());
  GroupNorm gn(2, 4, {.dtype = tg::kFloat64});
  const Tensor z = tg::randn({2, 4, 3}, gen, tg::kFloat64);
  EXPECT_EQ(gn(z).to_vector(), tg::group_norm(z, 2, gn.weight, gn.bias).to_vector());
  EXPECT_THAT([] { GroupNorm g(3, 4); }, message("GroupNorm: num_channels (4) must be a positive multiple of num_groups (3)"));
  EXPECT_THAT([] { LayerNorm l({2, 0}); }, message("LayerNorm: normalized_shape [2, 0] must have positive sizes"));
  EXPECT_TRUE(LayerNorm({3}, {.elementwise_affine = false}).parameters().empty());
}

TEST(Dropout2dModule, ZeroesWholeChannelsInTrainingOnly) {
  Dropout2d drop(0.5, /*seed=*/7);
  const Tensor x = tg::ones({4, 8, 3, 3});
  const Tensor y = drop(x);
  const auto v = y.to_vector();
  int zeroed = 0;
  for (std::size_t plane = 0; plane < 32; ++plane) {
    const double first = v[plane * 9];
    EXPECT_TRUE(first == 0 || first == 2) << plane;  // dropped, or kept and scaled by 1 / (1 - p)
    for (std::size_t i = 1; i < 9; ++i) EXPECT_EQ(v[plane * 9 + i], first) << plane;
    zeroed += first == 0 ? 1 : 0;
  }
  EXPECT_GT(zeroed, 0);
  EXPECT_LT(zeroed, 32);
  drop.eval();
  EXPECT_EQ(drop(x).to_vector(), x.to_vector());
  EXPECT_THAT([] { Dropout2d d(1.5); }, message("Dropout2d: p must be in [0, 1], got 1.5"));
}

// ---- PyTorch interoperability ----

const fs::path kCnnFixture = fs::path(TAPEGRAD_SOURCE_DIR) / "tests" / "data" / "pytorch_cnn.safetensors";

Tensor fixture_tensor(const tg::nn::SafetensorsFile& file, const std::string& name) {
  for (const auto& [key, value] : file.tensors)
    if (key == name) return value;
  ADD_FAILURE() << "the fixture has no " << name;
  return {};
}

// The fixture's network (scripts/make_pytorch_fixture.py), in float64.
std::shared_ptr<Sequential> fixture_cnn() {
  const tg::Dtype d = tg::kFloat64;
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(2, 4, 3, Conv2dOptions{.padding = 1, .dtype = d}),
      std::make_shared<BatchNorm2d>(4, BatchNormOptions{.dtype = d}), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(2),
      std::make_shared<Conv2d>(4, 6, tg::Size2(3, 2),
                               Conv2dOptions{.stride = {1, 2}, .dilation = {2, 1}, .groups = 2, .dtype = d}),
      std::make_shared<BatchNorm2d>(6, BatchNormOptions{.dtype = d}), std::make_shared<ReLU>(),
      std::make_shared<AdaptiveAvgPool2d>(tg::Size2(2, 3)), std::make_shared<Flatten>(),
      std::make_shared<Linear>(36, 5, LinearOptions{.dtype = d}));
}

// PyTorch computes the same sums in other orders (its convolutions, BatchNorm's variance): float64 results
// of order 1 then differ by a few ulp, far below 1e-12.
constexpr double kPytorchAgreement = 1e-12;

TEST(PytorchCnnFixture, LoadsAsItIsAndReproducesEvalAndTrainingOutputs) {
  const tg::nn::SafetensorsFile fixture = load_safetensors(kCnnFixture);
  const auto model = fixture_cnn();
  load(*model, kCnnFixture, {.transpose_linear_weights = true, .ignore_extra_tensors = true});
  const auto& bn = dynamic_cast<BatchNorm2d&>((*model)[1]);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 3);
  const Tensor inputs = fixture_tensor(fixture, "test.inputs");
  model->eval();
  expect_near_all((*model)(inputs), fixture_tensor(fixture, "test.eval_outputs"), kPytorchAgreement);
  model->train();
  expect_near_all((*model)(inputs), fixture_tensor(fixture, "test.train_outputs"), kPytorchAgreement);
  expect_near_all(bn.running_mean, fixture_tensor(fixture, "test.running_mean_after"), kPytorchAgreement);
  expect_near_all(bn.running_var, fixture_tensor(fixture, "test.running_var_after"), kPytorchAgreement);
  EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 4);
}

// ---- the fashion_cnn network ----

// tanh where fashion_cnn has ReLU: gradcheck's finite differences (step 1e-3) would straddle ReLU's kink
// at some of the 500 hidden values; tanh is smooth and checks the same convolution and pooling gradients.
TEST(FashionCnn, ShapesAndGradcheckOfASmallerTwin) {
  tg::Generator gen(6);
  Sequential net(std::make_shared<Conv2d>(1, 3, 3, gen, Conv2dOptions{.padding = 1, .dtype = tg::kFloat64}),
                 std::make_shared<Tanh>(), std::make_shared<MaxPool2d>(2),
                 std::make_shared<Conv2d>(3, 4, 3, gen, Conv2dOptions{.padding = 1, .dtype = tg::kFloat64}),
                 std::make_shared<Tanh>(), std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
                 std::make_shared<Linear>(16, 3, gen, LinearOptions{.dtype = tg::kFloat64}));
  const Tensor x = tg::randn({2, 1, 8, 8}, gen, tg::kFloat64).requires_grad_();
  EXPECT_EQ(net(x).shape(), tg::Shape({2, 3}));
  tg::testing::expect_gradcheck([&](const std::vector<Tensor>& in) { return net(in[0]); }, {x});
}

}  // namespace
