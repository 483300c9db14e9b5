// tg::nn modules: Linear's shapes, initial bounds, forward and gradients; Sequential's parameter names and
// order; zero_grad, train/eval, to() and load_parameter across a tree; the activation modules and
// Activation, the mechanism behind them; Dropout; and the messages of the errors a model definition or a
// forward pass can raise.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad/gradcheck.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/ops.hpp"

namespace {

using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::ElementsAre;
using testing::HasSubstr;
using testing::ThrowsMessage;
using tg::Tensor;

Tensor f64(std::initializer_list<double> values, const tg::Shape& shape) { return tg::tensor(values, shape, tg::kFloat64); }

auto message(const std::string& text) { return ThrowsMessage<std::invalid_argument>(HasSubstr(text)); }

std::vector<std::string> names_of(const Module& m) {
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
  return names;
}

// Linear(2, 3) -> ReLU -> Linear(3, 4) -> Tanh -> Linear(4, 1, no bias), in float32.
std::shared_ptr<Sequential> mlp(tg::Generator& gen) {
  return std::make_shared<Sequential>(std::make_shared<Linear>(2, 3, gen), std::make_shared<ReLU>(),
                                      std::make_shared<Linear>(3, 4, gen), std::make_shared<Tanh>(),
                                      std::make_shared<Linear>(4, 1, gen, LinearOptions{.bias = false}));
}

// A module with a nested child, to check dotted paths beyond one level.
class Encoder : public Layer {
 public:
  explicit Encoder(tg::Generator& gen) : scale(tg::ones({1})) {
    register_parameter("scale", scale);
    layers = register_module("layers", std::make_shared<Sequential>(std::make_shared<Linear>(2, 2, gen)));
  }
  [[nodiscard]] Tensor forward(const Tensor& x) override { return layers->forward(x) * scale; }
  [[nodiscard]] std::string name() const override { return "Encoder"; }

  Tensor scale;
  std::shared_ptr<Sequential> layers;
};

class Broken : public Module {
 public:
  Broken() { register_parameter("w", w); }
  [[nodiscard]] std::string name() const override { return "Broken"; }

  Tensor w;
};

// ---- Linear ----

TEST(Layers, LinearHasInOutShapesAndPyTorchBounds) {
  tg::Generator gen(1);
  Linear layer(16, 5, gen);
  EXPECT_EQ(layer.weight.shape(), (tg::Shape{16, 5}));
  EXPECT_EQ(layer.bias.shape(), (tg::Shape{5}));
  EXPECT_EQ(layer.weight.dtype(), tg::kFloat32);
  EXPECT_TRUE(layer.weight.requires_grad() && layer.weight.is_leaf() && layer.bias.requires_grad());
  for (const Tensor& p : layer.parameters())
    for (const double v : p.to_vector()) EXPECT_LE(std::abs(v), 0.25);  // 1 / sqrt(16)
  EXPECT_EQ(layer.forward(tg::zeros({7, 16})).shape(), (tg::Shape{7, 5}));
  EXPECT_EQ(layer.name(), "Linear(16, 5, bias=true)");

  const Linear no_bias(3, 2, gen, LinearOptions{.bias = false, .dtype = tg::kFloat64});
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias.weight.dtype(), tg::kFloat64);
  EXPECT_THAT(names_of(no_bias), ElementsAre("weight"));
  EXPECT_EQ(no_bias.name(), "Linear(3, 2, bias=false)");
}

TEST(Layers, LinearForwardIsXTimesWeightPlusBias) {
  tg::Generator gen(2);
  Linear layer(3, 2, gen, LinearOptions{.dtype = tg::kFloat64});
  layer.load_parameter("weight", f64({1, 2, 3, 4, 5, 6}, {3, 2}));
  layer.load_parameter("bias", f64({0.5, -1}, {2}));
  // [[1, 0, -1], [2, 1, 0]] @ [[1, 2], [3, 4], [5, 6]] + [0.5, -1]
  const Tensor y = layer(f64({1, 0, -1, 2, 1, 0}, {2, 3}));
  EXPECT_THAT(y.to_vector(), ElementsAre(-3.5, -5.0, 5.5, 7.0));

  // Random values against the loop sum x @ w + b, to 1e-12.
  Linear wide(20, 7, gen, LinearOptions{.dtype = tg::kFloat64});
  const Tensor x = tg::randn({5, 20}, gen, tg::kFloat64);
  const Tensor out = wide(x);
  for (std::int64_t i = 0; i < 5; ++i)
    for (std::int64_t o = 0; o < 7; ++o) {
      double expected = wide.bias.at({o});
      for (std::int64_t d = 0; d < 20; ++d) expected += x.at({i, d}) * wide.weight.at({d, o});
      EXPECT_NEAR(out.at({i, o}), expected, 1e-12);
    }
}

TEST(Layers, LinearGradientsAreXTransposedDyAndRowSums) {
  tg::Generator gen(3);
  Linear layer(2, 3, gen, LinearOptions{.dtype = tg::kFloat64});
  const Tensor x = f64({1, 2, -3, 4}, {2, 2});
  tg::sum(layer(x)).backward();
  // dy = ones(2, 3): dw[d, o] = sum_i x[i, d], db[o] = N
  EXPECT_THAT(layer.weight.grad().to_vector(), ElementsAre(-2, -2, -2, 6, 6, 6));
  EXPECT_THAT(layer.bias.grad().to_vector(), ElementsAre(2, 2, 2));
}

// x [2, 3, D] against the layer applied to each row [1, D] (and to the row as a vector [D]): values and
// parameter gradients. The batch goes through dgemm and a single row through the direct loop, which may
// add the D = 4 products in another order: float64 results then differ by a few ulps of sums below 10,
// far inside 1e-13.
TEST(Layers, LinearOnLeadingDimsEqualsTheLayerRowByRow) {
  tg::Generator gen(12);
  Linear layer(4, 3, gen, LinearOptions{.dtype = tg::kFloat64});
  const Tensor x = tg::randn({2, 3, 4}, gen, tg::kFloat64);
  const Tensor y = layer(x);
  ASSERT_EQ(y.shape(), (tg::Shape{2, 3, 3}));
  tg::sum(y).backward();
  const std::vector<double> dw = layer.weight.grad().to_vector();
  const std::vector<double> db = layer.bias.grad().to_vector();
  layer.zero_grad();
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      const Tensor row = tg::reshape(tg::slice(tg::slice(x, 0, i, i + 1), 1, j, j + 1), {1, 4});
      const Tensor out = layer(row);
      const Tensor out_1d = layer(tg::reshape(row, {4}));
      ASSERT_EQ(out_1d.shape(), (tg::Shape{3}));
      for (std::int64_t o = 0; o < 3; ++o) {
        EXPECT_NEAR(y.at({i, j, o}), out.at({0, o}), 1e-13);
        EXPECT_NEAR(y.at({i, j, o}), out_1d.at({o}), 1e-13);
      }
      tg::sum(out).backward();  // the row-by-row gradients accumulate into the parameters
    }
  const std::vector<double> dw_rows = layer.weight.grad().to_vector();
  const std::vector<double> db_rows = layer.bias.grad().to_vector();
  for (std::size_t e = 0; e < dw.size(); ++e) EXPECT_NEAR(dw[e], dw_rows[e], 1e-13) << e;
  EXPECT_THAT(db, ElementsAre(6, 6, 6));  // dy = ones: db[o] = 2 * 3 rows
  EXPECT_THAT(db_rows, ElementsAre(6, 6, 6));
}

TEST(Layers, LinearOnLeadingDimsPassesGradcheck) {
  tg::Generator gen(13);
  Linear layer(4, 3, gen, LinearOptions{.dtype = tg::kFloat64});
  const Tensor x = tg::randn({2, 3, 4}, gen, tg::kFloat64).requires_grad_();
  const tg::GradcheckResult result =
      tg::gradcheck([&](const std::vector<Tensor>& in) { return layer(in[0]); }, {x});
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
  EXPECT_THAT([&] { return layer(tg::zeros({2, 3, 5}, tg::kFloat64)); },
              message("linear: inner dimensions differ: [2, 3, 5] x [4, 3]"));
}

TEST(Layers, LinearRejectsNonPositiveWidths) {
  EXPECT_THAT([] { Linear(0, 3); }, message("Linear: in_features and out_features must be positive, got 0 and 3"));
  EXPECT_THAT([] { Linear(4, -1); }, message("Linear: in_features and out_features must be positive, got 4 and -1"));
}

TEST(Layers, LinearUsesTheDefaultGeneratorWhenGivenNone) {
  tg::manual_seed(11);
  const Linear a(4, 3);
  tg::manual_seed(11);
  const Linear b(4, 3);
  EXPECT_EQ(a.weight.to_vector(), b.weight.to_vector());
  EXPECT_EQ(a.bias.to_vector(), b.bias.to_vector());
}

// ---- Sequential and the module tree ----

TEST(Layers, SequentialNamesParametersByPosition) {
  tg::Generator gen(4);
  const auto model = mlp(gen);
  EXPECT_EQ(model->size(), 5U);
  EXPECT_THAT(names_of(*model), ElementsAre("0.weight", "0.bias", "2.weight", "2.bias", "4.weight"));
  const auto& first = dynamic_cast<const Linear&>((*model)[0]);
  const auto& last = dynamic_cast<const Linear&>((*model)[4]);
  const std::vector<Tensor> params = model->parameters();
  ASSERT_EQ(params.size(), 5U);
  EXPECT_EQ(params[0].impl(), first.weight.impl());  // the parameters themselves, in registration order
  EXPECT_EQ(params[1].impl(), first.bias.impl());
  EXPECT_EQ(params[4].impl(), last.weight.impl());
  EXPECT_EQ(model->name(),
            "Sequential(Linear(2, 3, bias=true), ReLU, Linear(3, 4, bias=true), Tanh, Linear(4, 1, bias=false))");
  EXPECT_EQ(model->forward(tg::zeros({6, 2})).shape(), (tg::Shape{6, 1}));
}

TEST(Layers, NestedModulesGetDottedPaths) {
  tg::Generator gen(5);
  Sequential model(std::make_shared<Encoder>(gen), std::make_shared<Linear>(2, 1, gen));
  EXPECT_THAT(names_of(model), ElementsAre("0.scale", "0.layers.0.weight", "0.layers.0.bias", "1.weight", "1.bias"));
  EXPECT_EQ(model.children().size(), 2U);
  EXPECT_EQ(model.children()[0].first, "0");
}

TEST(Layers, SequentialForwardReportsAWidthMismatch) {
  tg::Generator gen(6);
  Sequential model;
  model.emplace<Linear>(2, 3, gen);
  model.emplace<ReLU>();
  Linear& wrong = model.emplace<Linear>(2, 5, gen);
  EXPECT_EQ(wrong.weight.shape(), (tg::Shape{2, 5}));
  EXPECT_THAT([&] { return model(tg::zeros({4, 2})); }, message("linear: inner dimensions differ: [4, 3] x [2, 5]"));
  EXPECT_THAT([&] { model.push_back(nullptr); }, message("Sequential: cannot add a null module"));
}

TEST(Layers, ZeroGradDropsEveryGradient) {
  tg::Generator gen(7);
  const auto model = mlp(gen);
  tg::sum(model->forward(tg::randn({3, 2}, gen))).backward();
  for (const Tensor& p : model->parameters()) EXPECT_TRUE(p.grad().defined());
  model->zero_grad();
  for (const Tensor& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Layers, TrainAndEvalReachEverySubmodule) {
  tg::Generator gen(8);
  Sequential model(std::make_shared<Encoder>(gen), std::make_shared<Dropout>(0.5));
  EXPECT_TRUE(model.is_training());
  model.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(model[0].is_training());
  EXPECT_FALSE(dynamic_cast<Encoder&>(model[0]).layers->operator[](0).is_training());
  EXPECT_FALSE(model[1].is_training());
  model.train();
  EXPECT_TRUE(model[1].is_training());
  EXPECT_TRUE(dynamic_cast<Encoder&>(model[0]).layers->operator[](0).is_training());
}

TEST(Layers, ToConvertsEveryParameterAndItsGradientInPlaceAndBack) {
  tg::Generator gen(9);
  const auto model = mlp(gen);
  const std::vector<Tensor> held = model->parameters();  // as an optimizer holds them
  const std::vector<double> original = held[2].to_vector();
  tg::sum(model->forward(tg::ones({1, 2}))).backward();
  const std::vector<double> grad = held[2].grad().to_vector();
  const std::int64_t version = held[2].version();
  model->to(tg::kFloat64);
  const std::vector<Tensor> params = model->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].impl(), held[i].impl());  // the same tensors, converted
    EXPECT_EQ(params[i].dtype(), tg::kFloat64);
    EXPECT_TRUE(params[i].is_leaf() && params[i].requires_grad());
    EXPECT_EQ(params[i].grad().dtype(), tg::kFloat64);  // as PyTorch's Module._apply converts param.grad
  }
  EXPECT_EQ(held[2].to_vector(), original);  // float32 values are exact in float64
  EXPECT_EQ(held[2].grad().to_vector(), grad);
  EXPECT_EQ(held[2].version(), version + 1);  // new storage: a record that saved the old values refuses
  EXPECT_EQ(model->forward(tg::ones({1, 2}, tg::kFloat64)).dtype(), tg::kFloat64);
  model->to(tg::kFloat32);
  for (const Tensor& p : model->parameters()) EXPECT_EQ(p.dtype(), tg::kFloat32);
  EXPECT_EQ(held[2].to_vector(), original);
  EXPECT_EQ(held[2].grad().dtype(), tg::kFloat32);
}

TEST(Layers, ToRefusesANonFloatDtypeAndChangesNothing) {
  tg::Generator gen(9);
  const auto model = mlp(gen);
  EXPECT_THAT([&] { model->to(tg::kInt64); },
              message("Sequential(Linear(2, 3, bias=true), ReLU, Linear(3, 4, bias=true), Tanh, "
                      "Linear(4, 1, bias=false)): to: parameters must be float32 or float64, got int64"));
  for (const Tensor& p : model->parameters()) EXPECT_EQ(p.dtype(), tg::kFloat32);
}

TEST(Layers, LoadParameterKeepsIdentityAndChecksShapeDtypeAndName) {
  tg::Generator gen(10);
  const auto model = mlp(gen);
  const Tensor held = model->parameters()[1];  // "0.bias", as an optimizer would hold it
  model->load_parameter("0.bias", tg::tensor({1, 2, 3}, {3}));
  EXPECT_THAT(held.to_vector(), ElementsAre(1, 2, 3));
  EXPECT_EQ(model->parameters()[1].impl(), held.impl());
  EXPECT_THAT([&] { model->load_parameter("9.weight", tg::ones({1})); },
              message(": no parameter named '9.weight'"));
  EXPECT_THAT([&] { model->load_parameter("0.weight", tg::ones({3, 2})); },
              message(": parameter '0.weight' is [2, 3] float32, got [3, 2] float32"));
  EXPECT_THAT([&] { model->load_parameter("0.weight", tg::ones({2, 3}, tg::kFloat64)); },
              message(": parameter '0.weight' is [2, 3] float32, got [2, 3] float64"));
}

TEST(Layers, RegisteringAnUndefinedParameterFails) {
  EXPECT_THAT([] { Broken broken; }, message("Broken: parameter 'w' is undefined"));
}

// ---- activation modules ----

TEST(Layers, ActivationModulesApplyTheirFunctions) {
  const Tensor x = f64({-2, -0.5, 0, 0.5, 2, 3}, {2, 3});
  EXPECT_EQ(Sigmoid()(x).to_vector(), tg::sigmoid(x).to_vector());
  EXPECT_EQ(Tanh()(x).to_vector(), tg::tanh(x).to_vector());
  EXPECT_THAT(ReLU()(x).to_vector(), ElementsAre(0, 0, 0, 0.5, 2, 3));
  EXPECT_THAT(LeakyReLU(0.25)(x).to_vector(), ElementsAre(-0.5, -0.125, 0, 0.5, 2, 3));
  EXPECT_EQ(ELU(0.5)(x).to_vector(), tg::elu(x, 0.5).to_vector());
  EXPECT_EQ(Softmax(0)(x).to_vector(), tg::softmax(x, 0).to_vector());
  EXPECT_EQ(LogSoftmax()(x).to_vector(), tg::log_softmax(x, -1).to_vector());
  EXPECT_EQ(LeakyReLU(0.25).name(), "LeakyReLU(0.25)");
  EXPECT_EQ(ELU(0.5).name(), "ELU(0.5)");
  EXPECT_EQ(Softmax(0).name(), "Softmax(0)");
  EXPECT_EQ(LogSoftmax().name(), "LogSoftmax(-1)");
  EXPECT_EQ(Sigmoid().name(), "Sigmoid");
}

// Every activation module is an Activation (one mechanism: a name and a function).
static_assert(std::derived_from<Sigmoid, Activation> && std::derived_from<ReLU, Activation> &&
              std::derived_from<LeakyReLU, Activation> && std::derived_from<GELU, Activation> &&
              std::derived_from<Hardtanh, Activation> && std::derived_from<SELU, Activation> &&
              std::derived_from<LogSoftmax, Activation> && std::derived_from<Activation, Layer>);

TEST(Layers, ActivationMakesAModuleOfAnyFunction) {
  const Tensor x = f64({-2, -0.5, 0, 0.5, 2, 3}, {2, 3});
  Activation swish("Swish", [](const Tensor& t) { return t * tg::sigmoid(t); });
  EXPECT_EQ(swish(x).to_vector(), (x * tg::sigmoid(x)).to_vector());
  EXPECT_EQ(swish.name(), "Swish");
  EXPECT_TRUE(swish.parameters().empty());
  Sequential model(std::make_shared<Activation>("Double", [](const Tensor& t) { return t * 2.0; }),
                   std::make_shared<ReLU>());
  EXPECT_THAT(model(x).to_vector(), ElementsAre(0, 0, 0, 1, 4, 6));
  EXPECT_EQ(model.name(), "Sequential(Double, ReLU)");
  EXPECT_THAT([] { Activation("Nothing", nullptr); }, message("Activation: the function of 'Nothing' is empty"));
}

// ---- Dropout ----

TEST(Layers, DropoutZeroesAFractionPAndScalesTheRest) {
  Dropout dropout(0.3, 42);
  const Tensor x = tg::ones({100000}, tg::kFloat64);
  const std::vector<double> y = dropout(x).to_vector();
  std::size_t zeroed = 0;
  for (const double v : y) {
    if (v == 0) ++zeroed;
    else EXPECT_EQ(v, 1.0 / 0.7);
  }
  EXPECT_NEAR(static_cast<double>(zeroed) / 100000.0, 0.3, 0.005);  // the standard error is 0.0014
}

TEST(Layers, DropoutIsDeterministicPerSeed) {
  const Tensor x = tg::ones({1000});
  Dropout a(0.5, 7);
  Dropout b(0.5, 7);
  Dropout c(0.5, 8);
  const std::vector<double> first = a(x).to_vector();
  EXPECT_EQ(first, b(x).to_vector());
  EXPECT_NE(first, c(x).to_vector());
  EXPECT_NE(first, a(x).to_vector());  // each call draws a fresh mask
}

TEST(Layers, DropoutGradientFollowsTheMask) {
  Dropout dropout(0.5, 3);
  Tensor x = tg::ones({64}, tg::kFloat64).requires_grad_();
  const Tensor y = dropout(x);
  tg::sum(y).backward();
  EXPECT_EQ(x.grad().to_vector(), y.to_vector());  // y = x * mask with x = 1, so dy/dx = mask = y
}

TEST(Layers, DropoutIsTheIdentityInEvalModeOrAtPZero) {
  const Tensor x = tg::randn({8, 4}, tg::default_generator());
  Dropout dropout(0.9);
  dropout.eval();
  EXPECT_EQ(dropout(x).impl(), x.impl());
  EXPECT_EQ(Dropout(0.0)(x).impl(), x.impl());
  EXPECT_EQ(dropout.name(), "Dropout(0.9)");
  EXPECT_THAT([] { Dropout(1.0); }, message("Dropout: p must be in [0, 1), got 1"));
  EXPECT_THAT([] { Dropout(-0.1); }, message("Dropout: p must be in [0, 1)"));
}

// ---- the activation modules of issue 13 ----

TEST(Layers, NewActivationModulesApplyTheirFunctionsWithPyTorchsDefaults) {
  const Tensor x = f64({-4, -1, 0, 0.5, 2, 7}, {2, 3});
  EXPECT_EQ(GELU()(x).to_vector(), tg::gelu(x).to_vector());
  EXPECT_EQ(GELU("tanh")(x).to_vector(), tg::gelu(x, "tanh").to_vector());
  EXPECT_EQ(SiLU()(x).to_vector(), tg::silu(x).to_vector());
  EXPECT_EQ(Mish()(x).to_vector(), tg::mish(x).to_vector());
  EXPECT_THAT(Hardtanh()(x).to_vector(), ElementsAre(-1, -1, 0, 0.5, 1, 1));
  EXPECT_THAT(Hardtanh(-2, 0.25)(x).to_vector(), ElementsAre(-2, -1, 0, 0.25, 0.25, 0.25));
  EXPECT_THAT(ReLU6()(x).to_vector(), ElementsAre(0, 0, 0, 0.5, 2, 6));
  EXPECT_EQ(Hardsigmoid()(x).to_vector(), tg::hardsigmoid(x).to_vector());
  EXPECT_EQ(Hardswish()(x).to_vector(), tg::hardswish(x).to_vector());
  EXPECT_EQ(LogSigmoid()(x).to_vector(), tg::logsigmoid(x).to_vector());
  EXPECT_EQ(Softsign()(x).to_vector(), tg::softsign(x).to_vector());
  EXPECT_EQ(CELU()(x).to_vector(), tg::celu(x, 1.0).to_vector());
  EXPECT_EQ(CELU(2.5)(x).to_vector(), tg::celu(x, 2.5).to_vector());
  EXPECT_EQ(SELU()(x).to_vector(), tg::selu(x).to_vector());
  EXPECT_EQ(GELU().name(), "GELU(none)");
  EXPECT_EQ(GELU("tanh").name(), "GELU(tanh)");
  EXPECT_EQ(Hardtanh().name(), "Hardtanh(-1, 1)");
  EXPECT_EQ(CELU(2.5).name(), "CELU(2.5)");
  EXPECT_EQ(ReLU6().name(), "ReLU6");
  EXPECT_EQ(LogSigmoid().name(), "LogSigmoid");
}

TEST(Layers, NewActivationModulesCheckTheirArgumentsWhenBuilt) {
  EXPECT_THAT([] { GELU("exact"); }, message("gelu: approximate must be \"none\" or \"tanh\", got \"exact\""));
  EXPECT_THAT([] { Hardtanh(1, -1); }, message("hardtanh: min_val (1.000000) must not exceed max_val (-1.000000)"));
  EXPECT_THAT([] { CELU(0.0); }, message("celu: alpha must not be 0"));
}

TEST(Layers, NewActivationModulesWorkInsideSequential) {
  Tensor x = f64({-1, 0.5, 2}, {1, 3}).requires_grad_();
  Sequential model(std::make_shared<GELU>(), std::make_shared<Hardswish>(), std::make_shared<SELU>());
  const Tensor y = model(x);
  EXPECT_EQ(y.to_vector(), tg::selu(tg::hardswish(tg::gelu(x))).to_vector());
  tg::sum(y).backward();
  Tensor same_x = f64({-1, 0.5, 2}, {1, 3}).requires_grad_();
  tg::sum(tg::selu(tg::hardswish(tg::gelu(same_x)))).backward();
  EXPECT_EQ(x.grad().to_vector(), same_x.grad().to_vector());
  EXPECT_EQ(model.name(), "Sequential(GELU(none), Hardswish, SELU)");
}

}  // namespace
