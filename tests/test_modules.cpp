// tg::nn modules beyond Linear and the activations: Flatten, Unflatten and Identity (PyTorch's shape rules,
// shared storage, gradients, error messages), and modules whose forward takes and returns two tensors: a
// toy Elman cell, the child of a Layer that runs it over a sequence, inside a Sequential: its parameters,
// names, train/eval, to(), a checkpoint round trip and one SGD step. Then Module::to(dtype) between two
// training steps: the optimizers built before it keep training the model's own parameters, with their
// state converted.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/ops.hpp"
#include "tapegrad/optim/adagrad.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/sgd.hpp"

namespace {

using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::ElementsAre;
using tg::Shape;
using tg::Tensor;
using tg::testing::expect_gradcheck;
using tg::testing::expect_throws;
using tg::testing::Inputs;
using tg::testing::random_leaf;

// 0, 1, 2, ... in float64, in `shape`.
Tensor iota(const Shape& shape) { return tg::reshape(tg::arange(shape.numel(), tg::kFloat64), shape); }

std::vector<double> iota_values(std::int64_t n) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>(i));
  return v;
}

bool shares_storage(const Tensor& a, const Tensor& b) { return a.data<double>() == b.data<double>(); }

// ---- Flatten ----

TEST(Flatten, MergesFromDimOneToTheLastByDefault) {
  const Tensor x = iota({2, 3, 4, 5});
  Flatten flatten;
  const Tensor y = flatten(x);
  EXPECT_EQ(y.shape(), (Shape{2, 60}));  // (N, C, H, W) -> (N, C*H*W): the batch dimension stays
  EXPECT_EQ(y.to_vector(), iota_values(120));
  EXPECT_TRUE(shares_storage(x, y));
  EXPECT_EQ(flatten.name(), "Flatten(1, -1)");
}

TEST(Flatten, TakesAnyRangeOfDimsCountingNegativeOnesFromTheBack) {
  const Tensor x = iota({2, 3, 4});
  EXPECT_EQ(Flatten(0)(x).shape(), (Shape{24}));  // torch.flatten's default
  EXPECT_EQ(Flatten(0, 1)(x).shape(), (Shape{6, 4}));
  EXPECT_EQ(Flatten(-2, -1)(x).shape(), (Shape{2, 12}));
  EXPECT_EQ(Flatten(-3, 1)(x).shape(), (Shape{6, 4}));
  EXPECT_EQ(Flatten(1, 1)(x).impl(), x.impl());  // one dim: x itself, as in PyTorch
  const Tensor v = iota({3});
  EXPECT_EQ(Flatten(0)(v).impl(), v.impl());
  EXPECT_EQ(Flatten(0)(tg::scalar_tensor(7.0, tg::kFloat64)).shape(), (Shape{1}));  // 0-d -> [1]
  EXPECT_EQ(Flatten(-1, 0)(tg::scalar_tensor(7.0, tg::kFloat64)).to_vector(), (std::vector<double>{7.0}));
  // An extent 0 stays where it is: PyTorch's own example [0, 1, 3, 0] with dims 1..2 gives [0, 3, 0].
  EXPECT_EQ(Flatten(1, 2)(tg::zeros({0, 1, 3, 0}, tg::kFloat64)).shape(), (Shape{0, 3, 0}));
  EXPECT_EQ(Flatten(0, 1)(tg::zeros({2, 0, 3}, tg::kFloat64)).shape(), (Shape{0, 3}));
}

TEST(Flatten, GradientIsTheUpstreamGradientReshaped) {
  Tensor x = iota({2, 2, 3});
  x.requires_grad_();
  const Tensor w = iota({2, 6}) + 1.0;
  tg::sum(Flatten()(x) * w).backward();
  // y = reshape(x, [2, 6]): dx = reshape(dy, [2, 2, 3]) with dy = w
  EXPECT_EQ(x.grad().shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(x.grad().to_vector(), tg::reshape(w, {2, 2, 3}).to_vector());
}

TEST(Flatten, Gradcheck) {
  const Tensor x = random_leaf({2, 3, 2}, 1);
  const Tensor row = random_leaf({6}, 2);
  expect_gradcheck([](const Inputs& in) { return Flatten()(in[0]); }, {x});
  // broadcast: a row of the flattened width against every sample
  expect_gradcheck([](const Inputs& in) { return Flatten()(in[0]) * in[1]; }, {x, row});
  // fan-out: x flattened two ways, each path into x
  expect_gradcheck([](const Inputs& in) { return Flatten(0)(Flatten()(in[0]) * Flatten(1, 2)(in[0])); }, {x});
}

// The message is tg::flatten's, after the module (with its arguments) and the input's shape.
TEST(Flatten, RejectsDimsOutOfRangeOrOutOfOrder) {
  const Tensor x = iota({2, 3, 4});
  expect_throws<std::invalid_argument>(
      [&] { return Flatten(3)(x); },
      "Flatten(3, -1) on an input of shape [2, 3, 4]: flatten: dimension 3 is out of range for a 3-d tensor");
  expect_throws<std::invalid_argument>(
      [&] { return Flatten(0, -4)(x); },
      "Flatten(0, -4) on an input of shape [2, 3, 4]: flatten: dimension -4 is out of range for a 3-d tensor");
  expect_throws<std::invalid_argument>(
      [&] { return Flatten(2, 1)(x); },
      "Flatten(2, 1) on an input of shape [2, 3, 4]: flatten: start_dim 2 comes after end_dim 1 (shape [2, 3, 4])");
  expect_throws<std::invalid_argument>(
      [&] { return Flatten(-1, 0)(x); },
      "Flatten(-1, 0) on an input of shape [2, 3, 4]: flatten: start_dim -1 comes after end_dim 0 (shape [2, 3, 4])");
  // nn.Flatten() on a 0-d tensor fails in PyTorch too: start_dim 1 is past its one pseudo-dimension
  expect_throws<std::invalid_argument>([&] { return Flatten()(tg::scalar_tensor(1.0)); },
                                       "Flatten(1, -1) on an input of shape []: flatten: dimension 1 is out of range "
                                       "for a 0-d tensor (which takes only 0 or -1)");
  expect_throws<std::invalid_argument>([&] { return Flatten()(Tensor()); },
                                       "Flatten(1, -1): flatten: an input tensor is undefined (default-constructed)");
}

// ---- Unflatten ----

TEST(Unflatten, SplitsOneDimIntoSizes) {
  const Tensor x = iota({2, 12});
  Unflatten unflatten(1, {3, 4});
  const Tensor y = unflatten(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(y.to_vector(), iota_values(24));
  EXPECT_TRUE(shares_storage(x, y));
  EXPECT_EQ(unflatten.name(), "Unflatten(1, [3, 4])");
  EXPECT_EQ(Unflatten(0, {1, 2})(x).shape(), (Shape{1, 2, 12}));
  EXPECT_EQ(Unflatten(-1, {2, 2, 3})(x).shape(), (Shape{2, 2, 2, 3}));
  EXPECT_EQ(Unflatten(-2, {2})(x).impl(), x.impl());  // one size equal to the extent: nothing to do
  EXPECT_EQ(Flatten()(Unflatten(1, {3, 4})(x)).to_vector(), x.to_vector());  // the inverse pair
}

TEST(Unflatten, InfersTheSizeGivenAsMinusOne) {
  const Tensor x = iota({2, 12});
  EXPECT_EQ(Unflatten(1, {-1, 4})(x).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(Unflatten(1, {2, -1, 3})(x).shape(), (Shape{2, 2, 2, 3}));
  EXPECT_EQ(Unflatten(0, {-1})(x).shape(), (Shape{2, 12}));
  EXPECT_EQ(Unflatten(1, {-1, 4}).name(), "Unflatten(1, [-1, 4])");
  // extents of 0: every size multiplies up to 0, and -1 becomes 0 when the others are not 0
  EXPECT_EQ(Unflatten(1, {2, 3})(tg::zeros({0, 6})).shape(), (Shape{0, 2, 3}));
  EXPECT_EQ(Unflatten(1, {0, 5})(tg::zeros({3, 0})).shape(), (Shape{3, 0, 5}));
  EXPECT_EQ(Unflatten(1, {2, -1})(tg::zeros({3, 0})).shape(), (Shape{3, 2, 0}));
}

TEST(Unflatten, Gradcheck) {
  const Tensor x = random_leaf({2, 6}, 3);
  const Tensor column = random_leaf({2, 1, 1}, 4);
  expect_gradcheck([](const Inputs& in) { return Unflatten(1, {2, 3})(in[0]); }, {x});
  // broadcast: one factor per sample against the (2, 2, 3) result
  expect_gradcheck([](const Inputs& in) { return Unflatten(1, {-1, 3})(in[0]) * in[1]; }, {x, column});
  // fan-out: x split two ways, multiplied after flattening both back
  expect_gradcheck(
      [](const Inputs& in) { return Flatten()(Unflatten(1, {2, 3})(in[0])) * Flatten()(Unflatten(1, {3, 2})(in[0])); },
      {x});
}

// The message is tg::unflatten's, after the module (with its arguments) and the input's shape.
TEST(Unflatten, NamesTheSizesAndTheDimWhenTheyDisagree) {
  const Tensor x = iota({3, 6});
  expect_throws<std::invalid_argument>([&] { return Unflatten(1, {2, 4})(x); },
                                       "Unflatten(1, [2, 4]) on an input of shape [3, 6]: unflatten: sizes [2, 4] "
                                       "do not multiply up to dimension 1 of size 6 (shape [3, 6])");
  expect_throws<std::invalid_argument>([&] { return Unflatten(-1, {4, -1})(x); },
                                       "Unflatten(-1, [4, -1]) on an input of shape [3, 6]: unflatten: sizes "
                                       "[4, -1] do not multiply up to dimension 1 of size 6 (shape [3, 6])");
  expect_throws<std::invalid_argument>([&] { return Unflatten(1, {0, -1})(x); },
                                       "Unflatten(1, [0, -1]) on an input of shape [3, 6]: unflatten: the -1 in "
                                       "sizes [0, -1] cannot be inferred as the other sizes multiply to 0, for "
                                       "dimension 1 of size 6 (shape [3, 6])");
  expect_throws<std::invalid_argument>([&] { return Unflatten(1, {0, -1})(tg::zeros({3, 0})); },
                                       "Unflatten(1, [0, -1]) on an input of shape [3, 0]: unflatten: the -1 in "
                                       "sizes [0, -1] cannot be inferred as the other sizes multiply to 0, for "
                                       "dimension 1 of size 0 (shape [3, 0])");
  expect_throws<std::invalid_argument>(
      [&] { return Unflatten(1, {std::int64_t{1} << 40, std::int64_t{1} << 40})(x); },
      "unflatten: sizes [1099511627776, 1099511627776] do not multiply up to dimension 1 of size 6");  // 2^80 wraps
  expect_throws<std::invalid_argument>(
      [&] { return Unflatten(2, {2, 3})(x); },
      "Unflatten(2, [2, 3]) on an input of shape [3, 6]: unflatten: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>(
      [&] { return Unflatten(0, {1})(Tensor()); },
      "Unflatten(0, [1]): unflatten: an input tensor is undefined (default-constructed)");
  expect_throws<std::invalid_argument>(
      [&] { return Unflatten(0, {1})(tg::scalar_tensor(1.0)); },
      "Unflatten(0, [1]) on an input of shape []: unflatten: dimension 0 is out of range for a 0-d tensor");
  expect_throws<std::invalid_argument>([&] { return Unflatten(1, {1, 1, 1, 1, 1, 1, 1, 6})(x); },
                                       "Unflatten(1, [1, 1, 1, 1, 1, 1, 1, 6]) on an input of shape [3, 6]: "
                                       "unflatten: the result would have more than 8 dimensions (shape [3, 6], "
                                       "sizes [1, 1, 1, 1, 1, 1, 1, 6])");
  expect_throws<std::invalid_argument>([&] { return Unflatten(1, {1, 1, 1, 1, 1, 1, 1, 1, 6})(x); },
                                       "Unflatten(1, [1, 1, 1, 1, 1, 1, 1, 1, 6]) on an input of shape [3, 6]: "
                                       "Shape: more than 8 dimensions");
}

TEST(Unflatten, ChecksItsSizesWhenBuilt) {
  EXPECT_THAT([] { Unflatten(1, {}); },
              testing::ThrowsMessage<std::invalid_argument>(testing::StrEq("Unflatten: sizes must be non-empty")));
  expect_throws<std::invalid_argument>([] { return Unflatten(1, {2, -2}); },
                                       "Unflatten: sizes must be >= 0, or -1 for one inferred size, got [2, -2]");
  expect_throws<std::invalid_argument>([] { return Unflatten(0, {-1, 3, -1}); },
                                       "Unflatten: only one size can be -1 (inferred), got [-1, 3, -1]");
}

// ---- Identity ----

TEST(Identity, ReturnsItsInputItself) {
  Tensor x = iota({2, 3});
  x.requires_grad_();
  Identity identity;
  EXPECT_EQ(identity(x).impl(), x.impl());
  EXPECT_EQ(identity.name(), "Identity");
  EXPECT_TRUE(identity.parameters().empty());
  Sequential model(std::make_shared<Identity>(), std::make_shared<Flatten>(0), std::make_shared<Identity>());
  tg::sum(model(x) * 3.0).backward();
  EXPECT_THAT(x.grad().to_vector(), ElementsAre(3, 3, 3, 3, 3, 3));
  EXPECT_EQ(model.name(), "Sequential(Identity, Flatten(0, -1), Identity)");
}

// ---- modules with several tensors in and out ----

// A toy Elman cell: h' = tanh(x W_in + b_in + h W_hidden + b_hidden), y = h' W_out + b_out. Its forward
// takes and returns two tensors, so it is a Module (not a Layer) and declares its own forward.
class ElmanCell : public Module {
 public:
  ElmanCell(std::int64_t inputs, std::int64_t hidden, std::int64_t outputs, tg::Generator& gen) {
    const LinearOptions f64{.dtype = tg::kFloat64};
    input = register_module("input", std::make_shared<Linear>(inputs, hidden, gen, f64));
    recurrent = register_module("recurrent", std::make_shared<Linear>(hidden, hidden, gen, f64));
    output = register_module("output", std::make_shared<Linear>(hidden, outputs, gen, f64));
  }
  /// x (N, D), h (N, H) -> y (N, O), h' (N, H)
  [[nodiscard]] std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& h) {
    const Tensor h_next = tg::tanh(input->forward(x) + recurrent->forward(h));
    return {output->forward(h_next), h_next};
  }
  [[nodiscard]] std::string name() const override { return "ElmanCell"; }

  std::shared_ptr<Linear> input, recurrent, output;
};

// Runs the cell over a sequence xs (T, N, D) from h = 0 and returns the last y: a Layer whose child has
// another signature.
class LastOutput : public Layer {
 public:
  LastOutput(std::int64_t hidden, std::shared_ptr<ElmanCell> elman)
      : cell(register_module("cell", std::move(elman))), hidden_(hidden) {}
  [[nodiscard]] Tensor forward(const Tensor& xs) override {
    const std::int64_t n = xs.size(1);
    Tensor h = tg::zeros({n, hidden_}, xs.dtype());
    Tensor y;
    for (std::int64_t t = 0; t < xs.size(0); ++t)
      std::tie(y, h) = cell->forward(tg::reshape(tg::slice(xs, 0, t, t + 1), {n, xs.size(2)}), h);
    return y;
  }
  [[nodiscard]] std::string name() const override { return "LastOutput(" + cell->name() + ")"; }

  std::shared_ptr<ElmanCell> cell;

 private:
  std::int64_t hidden_;
};

// Sequential holds Layers: a two-tensor module is refused when the program is compiled.
static_assert(std::is_constructible_v<Sequential, std::shared_ptr<LastOutput>, std::shared_ptr<Sigmoid>>);
static_assert(!std::is_constructible_v<Sequential, std::shared_ptr<ElmanCell>>);
static_assert(!std::is_convertible_v<std::shared_ptr<ElmanCell>, std::shared_ptr<Layer>>);

// The recurrent model inside a Sequential: LastOutput(ElmanCell(2 -> 3 -> 1)) then Sigmoid.
std::shared_ptr<Sequential> recurrent_model(std::uint64_t seed) {
  tg::Generator gen(seed);
  return std::make_shared<Sequential>(std::make_shared<LastOutput>(3, std::make_shared<ElmanCell>(2, 3, 1, gen)),
                                      std::make_shared<Sigmoid>());
}

ElmanCell& cell_of(const Sequential& model) { return *dynamic_cast<LastOutput&>(model[0]).cell; }

TEST(MultiTensorModules, ChildParametersAppearInTheParentsRegistry) {
  const auto model = recurrent_model(1);
  std::vector<std::string> names;
  for (const auto& [name, p] : model->named_parameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("0.cell.input.weight", "0.cell.input.bias", "0.cell.recurrent.weight",
                                 "0.cell.recurrent.bias", "0.cell.output.weight", "0.cell.output.bias"));
  const ElmanCell& cell = cell_of(*model);
  const std::vector<Tensor> params = model->parameters();
  ASSERT_EQ(params.size(), 6U);
  EXPECT_EQ(params[0].impl(), cell.input->weight.impl());  // the parameters themselves
  EXPECT_EQ(params[3].impl(), cell.recurrent->bias.impl());
  EXPECT_EQ(params[5].impl(), cell.output->bias.impl());
  EXPECT_EQ(model->name(), "Sequential(LastOutput(ElmanCell), Sigmoid)");

  model->eval();
  EXPECT_FALSE(cell.is_training());
  EXPECT_FALSE(cell.output->is_training());
  model->train();
  EXPECT_TRUE(cell.output->is_training());
  model->to(tg::kFloat32);
  EXPECT_EQ(cell.recurrent->weight.dtype(), tg::kFloat32);
}

TEST(MultiTensorModules, ForwardIsTheCellUnrolledByHand) {
  const auto model = recurrent_model(2);
  ElmanCell& c = cell_of(*model);
  tg::Generator gen(3);
  const Tensor xs = tg::randn({3, 4, 2}, gen, tg::kFloat64);  // T = 3 steps of N = 4 samples, D = 2
  const Tensor y = (*model)(xs);
  ASSERT_EQ(y.shape(), (Shape{4, 1}));
  // h_t = tanh(x_t W_in + b_in + h_{t-1} W_rec + b_rec) from h_0 = 0; y = sigmoid(h_3 W_out + b_out)
  Tensor h = tg::zeros({4, 3}, tg::kFloat64);
  for (std::int64_t t = 0; t < 3; ++t) {
    const Tensor x_t = tg::reshape(tg::slice(xs, 0, t, t + 1), {4, 2});
    h = tg::tanh(tg::linear(x_t, c.input->weight, c.input->bias) + tg::linear(h, c.recurrent->weight, c.recurrent->bias));
  }
  EXPECT_EQ(y.to_vector(), tg::sigmoid(tg::linear(h, c.output->weight, c.output->bias)).to_vector());

  // The cell alone: (y, h') for one step from h = 0.
  const Tensor x0 = tg::reshape(tg::slice(xs, 0, 0, 1), {4, 2});
  const auto [y1, h1] = c.forward(x0, tg::zeros({4, 3}, tg::kFloat64));
  const Tensor expected_h1 = tg::tanh(tg::linear(x0, c.input->weight, c.input->bias) + c.recurrent->bias);
  EXPECT_EQ(h1.to_vector(), expected_h1.to_vector());  // h = 0: h W_rec adds exact zeros
  EXPECT_EQ(y1.to_vector(), tg::linear(expected_h1, c.output->weight, c.output->bias).to_vector());
}

TEST(MultiTensorModules, GradientsThroughTheCellPassGradcheck) {
  const auto model = recurrent_model(4);
  ElmanCell& c = cell_of(*model);
  tg::Generator gen(5);
  Tensor xs = tg::randn({2, 3, 2}, gen, tg::kFloat64);
  xs.requires_grad_();
  // gradcheck perturbs copies of its inputs: fn puts them into the cell (Linear's weights are public
  // members) and runs the model on them. Both time steps' paths into W_rec and h are checked.
  const Inputs inputs = {xs, c.input->weight, c.recurrent->weight, c.recurrent->bias, c.output->weight};
  expect_gradcheck(
      [&](const Inputs& in) {
        c.input->weight = in[1];
        c.recurrent->weight = in[2];
        c.recurrent->bias = in[3];
        c.output->weight = in[4];
        return (*model)(in[0]);
      },
      inputs);
}

TEST(MultiTensorModules, OneSgdStepUpdatesEveryParameterOfTheTree) {
  const auto model = recurrent_model(6);
  tg::Generator gen(7);
  const Tensor xs = tg::randn({3, 5, 2}, gen, tg::kFloat64);
  const Tensor target = tg::rand({5, 1}, gen, tg::kFloat64);
  tg::optim::SGD optimizer(model->parameters(), {.lr = 0.5});
  std::vector<std::vector<double>> before;
  for (const Tensor& p : model->parameters()) before.push_back(p.to_vector());

  const Tensor loss = mse_loss((*model)(xs), target);
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();

  const std::vector<Tensor> params = model->parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    const std::vector<double> grad = params[k].grad().to_vector();
    const std::vector<double> after = params[k].to_vector();
    bool moved = false;
    for (std::size_t i = 0; i < after.size(); ++i) {
      // θ = θ - γ g; DOUBLE_EQ (4 ulps) because the compiler may fuse the multiply-add (1 ulp apart)
      EXPECT_DOUBLE_EQ(after[i], before[k][i] - 0.5 * grad[i]) << "parameter " << k << " element " << i;
      moved |= grad[i] != 0;
    }
    EXPECT_TRUE(moved) << "parameter " << k << " got no gradient";
  }
  EXPECT_LT(mse_loss((*model)(xs), target).item(), loss.item());  // the step went downhill
}

TEST(MultiTensorModules, ACheckpointSavesAndRestoresTheCellsParameters) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tapegrad_test_modules_" + std::to_string(::getpid()) + ".safetensors");
  const auto trained = recurrent_model(8);
  save(*trained, file);
  const auto fresh = recurrent_model(9);
  EXPECT_NE(fresh->parameters()[0].to_vector(), trained->parameters()[0].to_vector());
  load(*fresh, file);
  std::filesystem::remove(file);
  const auto expected = trained->named_parameters();
  const auto actual = fresh->named_parameters();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t k = 0; k < actual.size(); ++k) {
    EXPECT_EQ(actual[k].first, expected[k].first);
    EXPECT_EQ(actual[k].second.to_vector(), expected[k].second.to_vector()) << actual[k].first;
  }
}

// ---- Module::to between training steps ----

// 3 -> 4 -> 2 with tanh, initialised the same way for either dtype.
std::shared_ptr<Sequential> small_mlp(tg::Dtype dtype) {
  tg::Generator gen(21);
  const LinearOptions options{.dtype = dtype};
  return std::make_shared<Sequential>(std::make_shared<Linear>(3, 4, gen, options), std::make_shared<Tanh>(),
                                      std::make_shared<Linear>(4, 2, gen, options));
}

// One step of MSE on a fixed batch of N = 4.
void train_step(Sequential& model, tg::optim::Optimizer& optimizer, tg::Dtype dtype) {
  const Tensor x = tg::reshape(tg::arange(-3.0, 3.0, 0.5, dtype), {4, 3});
  const Tensor target = tg::reshape(tg::arange(0.0, 0.8, 0.1, dtype), {4, 2});
  optimizer.zero_grad();
  mse_loss(model(x), target).backward();
  optimizer.step();
}

using MakeOptimizer = std::function<std::unique_ptr<tg::optim::Optimizer>(std::vector<Tensor>)>;

// One float32 step, model.to(kFloat64), three float64 steps with the same optimizer. The reference is a
// float64 model given the converted parameters (load_parameter) and an optimizer given the state
// converted by hand after the first step (load_state_dict): what to() and the lazy conversion must equal.
void expect_training_continues_after_to(const MakeOptimizer& make) {
  const auto model = small_mlp(tg::kFloat32);
  const std::unique_ptr<tg::optim::Optimizer> optimizer = make(model->parameters());
  train_step(*model, *optimizer, tg::kFloat32);

  const auto reference = small_mlp(tg::kFloat64);
  for (const auto& [name, p] : model->named_parameters()) reference->load_parameter(name, p.detach().to(tg::kFloat64));
  const std::unique_ptr<tg::optim::Optimizer> reference_optimizer = make(reference->parameters());
  tg::optim::StateDict state = optimizer->state_dict();
  ASSERT_FALSE(state.empty());
  for (auto& entry : state) entry.second = entry.second.to(tg::kFloat64);  // "i.step" is float64 already
  reference_optimizer->load_state_dict(state);

  model->to(tg::kFloat64);
  const std::vector<Tensor> params = model->parameters();
  ASSERT_EQ(optimizer->params().size(), params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(optimizer->params()[i].impl(), params[i].impl()) << "parameter " << i;  // the model's own tensors
    EXPECT_EQ(params[i].dtype(), tg::kFloat64);
  }
  for (int step = 0; step < 3; ++step) {
    const std::vector<double> before = params[0].to_vector();
    train_step(*model, *optimizer, tg::kFloat64);
    train_step(*reference, *reference_optimizer, tg::kFloat64);
    EXPECT_NE(params[0].to_vector(), before) << "step " << step << " did not move the model's weight";
  }
  // Both runs do the same float64 operations on the same values; 1e-12 is far below what one step
  // changes (lr times gradients of order 0.1), so a state left behind or reset would show.
  const std::vector<Tensor> expected = reference->parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    tg::testing::expect_values(params[i], expected[i].shape(), expected[i].to_vector(), 1e-12);
  const tg::optim::StateDict got = optimizer->state_dict();
  const tg::optim::StateDict want = reference_optimizer->state_dict();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].first, want[k].first);
    EXPECT_EQ(got[k].second.dtype(), tg::kFloat64) << got[k].first;
    tg::testing::expect_values(got[k].second, want[k].second.shape(), want[k].second.to_vector(), 1e-12);
  }
}

TEST(ModuleTo, SgdWithMomentumKeepsTrainingTheConvertedParameters) {
  expect_training_continues_after_to([](std::vector<Tensor> params) {
    return std::make_unique<tg::optim::SGD>(std::move(params), tg::optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  });
}

TEST(ModuleTo, AdamKeepsTrainingTheConvertedParameters) {
  expect_training_continues_after_to([](std::vector<Tensor> params) {
    return std::make_unique<tg::optim::Adam>(std::move(params), tg::optim::AdamOptions{.lr = 0.01});
  });
}

TEST(ModuleTo, AdagradsStateFromItsConstructorIsConvertedToo) {
  // Adagrad creates its state when built, so to() before the first step already leaves it behind.
  const auto model = small_mlp(tg::kFloat32);
  tg::optim::Adagrad optimizer(model->parameters(), {.lr = 0.1, .initial_accumulator_value = 0.5});
  model->to(tg::kFloat64);
  const std::vector<double> before = model->parameters()[0].to_vector();
  train_step(*model, optimizer, tg::kFloat64);
  EXPECT_NE(model->parameters()[0].to_vector(), before);
  const tg::optim::StateDict state = optimizer.state_dict();
  ASSERT_EQ(state[1].first, "0.sum");
  EXPECT_EQ(state[1].second.dtype(), tg::kFloat64);
}

}  // namespace
