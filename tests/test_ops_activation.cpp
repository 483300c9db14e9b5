// Activations (sigmoid, tanh, relu, leaky_relu, elu, softplus, softmax, log_softmax): closed-form
// values, numerical stability at +-1000 (values and gradients finite and correct), gradcheck and
// gradgradcheck in float64 (with fan-out; non-smooth ones away from their kink), closed-form second
// derivatives, and the messages for bad arguments.

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/function.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

constexpr double kLog2 = 0.6931471805599453;

Tensor minus_one_zero_two() { return f64({-1, 0, 2}, {3}); }

// Every element more than 0.01 away from the kink at 0.
Tensor away_from_zero() { return leaf({-1.3, -0.4, 0.2, 0.75, 1.6, -0.05}, {2, 3}); }

// [2, 3] rows {1, 2, 3} and {1, 1, 1}.
Tensor two_rows() { return f64({1, 2, 3, 1, 1, 1}, {2, 3}); }

// Expects op(x) to have the values `expected` and the gradient of sum(op(x) * weights) to be finite.
void expect_stable(const UnaryOp& op, std::initializer_list<double> x, const std::vector<double>& expected) {
  const Tensor input = leaf(x, {static_cast<std::int64_t>(x.size())});
  const Tensor y = op(input);
  expect_values(y, input.shape(), expected);
  (y * arange(1.0, 1.0 + static_cast<double>(x.size()), 1.0, kFloat64)).sum().backward();
  expect_finite(input.grad());
}

// ---- values ----

TEST(Activation, SigmoidValues) {
  expect_values(sigmoid(minus_one_zero_two()), {3}, {0.2689414213699951, 0.5, 0.8807970779778823});
  expect_values(minus_one_zero_two().sigmoid(), {3}, {0.2689414213699951, 0.5, 0.8807970779778823});
}

TEST(Activation, TanhValues) {
  expect_values(tanh(minus_one_zero_two()), {3}, {-0.7615941559557649, 0, 0.9640275800758169});
  expect_values(minus_one_zero_two().tanh(), {3}, {-0.7615941559557649, 0, 0.9640275800758169});
}

TEST(Activation, ReluValues) {
  expect_values(relu(minus_one_zero_two()), {3}, {0, 0, 2});
  expect_values(minus_one_zero_two().relu(), {3}, {0, 0, 2});
}

TEST(Activation, LeakyReluValues) {
  expect_values(leaky_relu(minus_one_zero_two()), {3}, {-0.01, 0, 2});
  expect_values(leaky_relu(minus_one_zero_two(), 0.2), {3}, {-0.2, 0, 2});
}

TEST(Activation, EluValues) {
  expect_values(elu(minus_one_zero_two()), {3}, {-0.6321205588285577, 0, 2});
  expect_values(elu(minus_one_zero_two(), 2.0), {3}, {-1.2642411176571153, 0, 2});
}

TEST(Activation, SoftplusValues) {
  expect_values(softplus(minus_one_zero_two()), {3}, {0.31326168751822286, kLog2, 2.1269280110429727});
}

TEST(Activation, SoftmaxValues) {
  expect_values(softmax(two_rows()), {2, 3},
                {0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  expect_values(softmax(two_rows(), 0), {2, 3},
                {0.5, 0.7310585786300049, 0.8807970779778823, 0.5, 0.2689414213699951, 0.11920292202211755});
}

TEST(Activation, LogSoftmaxValues) {
  const double log3 = 1.0986122886681098;
  expect_values(log_softmax(two_rows()), {2, 3},
                {-2.40760596444438, -1.4076059644443801, -0.40760596444438013, -log3, -log3, -log3});
  expect_values(log_softmax(two_rows(), 0), {2, 3}, {-kLog2, -0.31326168751822286, -0.1269280110429727, -kLog2,
                                                     -1.3132616875182228, -2.1269280110429727});
}

TEST(Activation, SoftmaxOverTheMiddleDimOf3d) {
  // Along dim 1 every column of [2, 2, 2] holds {0, 1}: softmax gives {1 - s, s}, s = sigmoid(1).
  const Tensor x = f64({0, 0, 1, 1, 0, 0, 1, 1}, {2, 2, 2});
  const double s = 0.7310585786300049;
  expect_values(softmax(x, 1), {2, 2, 2}, {1 - s, 1 - s, s, s, 1 - s, 1 - s, s, s});
}

TEST(Activation, Float32Values) {
  const Tensor x = tensor({-1, 0, 2});
  EXPECT_EQ(sigmoid(x).dtype(), kFloat32);
  expect_values(sigmoid(x), {3}, {0.2689414322376251, 0.5, 0.8807970881462097}, 1e-7);
  expect_values(relu(x), {3}, {0, 0, 2});
  expect_values(softmax(tensor({1000, 0, -1000})), {3}, {1, 0, 0});
  expect_values(log_softmax(tensor({1000, 0, -1000})), {3}, {0, -1000, -2000}, 1e-7);
  expect_values(softplus(tensor({-1000, 1000})), {2}, {0, 1000}, 1e-7);
}

// ---- gradients at and around the kink ----

TEST(Activation, PiecewiseLinearGradientsAtZero) {
  Tensor x = leaf({-2, 0, 3}, {3});
  relu(x).sum().backward();
  expect_values(x.grad(), {3}, {0, 0, 1});
  x.zero_grad();
  leaky_relu(x, 0.1).sum().backward();
  expect_values(x.grad(), {3}, {0.1, 0.1, 1});
  x.zero_grad();
  elu(x).sum().backward();
  expect_values(x.grad(), {3}, {0.1353352832366127, 1, 1});  // e^x below the kink
}

// ---- the backward writes over the sweep's gradient, never over one somebody holds ----

// The identity, whose backward hands on a gradient of its own making and notes where its values live,
// so that a test can see whether the next backward wrote over that buffer.
struct NoteGradient : autograd::Function<NoteGradient> {
  static inline const void* made = nullptr;
  static Tensor forward(autograd::AutogradContext*, const Tensor& x) { return x.clone(); }
  static autograd::variable_list backward(autograd::AutogradContext*, autograd::variable_list grad_outputs) {
    Tensor g = grad_outputs[0].clone();
    made = g.data<double>();
    return {g};
  }
};

struct InPlaceCase {
  const char* name;
  UnaryOp op;
  std::vector<double> slope;  // op'(x) at away_from_zero()'s values
};

std::vector<InPlaceCase> in_place_cases() {
  const std::vector<double> x = {-1.3, -0.4, 0.2, 0.75, 1.6, -0.05};
  std::vector<double> sig, th;
  for (const double u : x) {
    const double s = 1 / (1 + std::exp(-u));
    sig.push_back(s * (1 - s));
    th.push_back(1 - std::tanh(u) * std::tanh(u));
  }
  return {{"relu", [](const Tensor& t) { return relu(t); }, {0, 0, 1, 1, 1, 0}},
          {"sigmoid", [](const Tensor& t) { return sigmoid(t); }, sig},
          {"tanh", [](const Tensor& t) { return tanh(t); }, th}};
}

TEST(Activation, BackwardWritesOverAGradientOnlyTheSweepHolds) {
  const Tensor w = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  for (const InPlaceCase& c : in_place_cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = away_from_zero();
    (NoteGradient::apply(c.op(x)) * w).sum().backward();
    std::vector<double> expected;
    for (std::size_t i = 0; i < c.slope.size(); ++i) expected.push_back(static_cast<double>(i + 1) * c.slope[i]);
    expect_values(x.grad(), {2, 3}, expected);  // 1e-15: the same operations, up to sigmoid's split by sign
    EXPECT_EQ(x.grad().data<double>(), NoteGradient::made) << "the backward made a new buffer for dx";
  }
}

TEST(Activation, BackwardLeavesAGradientTheCallerHoldsAlone) {
  for (const InPlaceCase& c : in_place_cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = away_from_zero();
    Tensor h = c.op(x);
    h.retain_grad();
    const Tensor g = f64({1, 2, 3, 4, 5, 6}, {2, 3});
    h.backward(g);  // the seed is the caller's: the sweep must not write over it
    expect_values(g, {2, 3}, {1, 2, 3, 4, 5, 6});
    expect_values(h.grad(), {2, 3}, {1, 2, 3, 4, 5, 6});
    std::vector<double> expected;
    for (std::size_t i = 0; i < c.slope.size(); ++i) expected.push_back(static_cast<double>(i + 1) * c.slope[i]);
    expect_values(x.grad(), {2, 3}, expected);
    EXPECT_NE(x.grad().data<double>(), g.data<double>());
  }
}

// ---- numerical stability at +-1000 ----

TEST(Activation, SigmoidIsStableAtLargeInputs) {
  expect_stable([](const Tensor& x) { return sigmoid(x); }, {-1000, 1000}, {0, 1});
}

TEST(Activation, SoftplusIsStableAtLargeInputs) {
  expect_stable([](const Tensor& x) { return softplus(x); }, {-1000, 1000}, {0, 1000});
  const Tensor x = leaf({-1000, 1000}, {2});
  softplus(x).sum().backward();
  expect_values(x.grad(), {2}, {0, 1});
}

TEST(Activation, TanhAndEluAreStableAtLargeInputs) {
  expect_stable([](const Tensor& x) { return tanh(x); }, {-1000, 1000}, {-1, 1});
  expect_stable([](const Tensor& x) { return elu(x); }, {-1000, 1000}, {-1, 1000});
}

TEST(Activation, SoftmaxIsStableAtLargeInputs) {
  expect_stable([](const Tensor& x) { return softmax(x); }, {1000, 0, -1000}, {1, 0, 0});
  expect_stable([](const Tensor& x) { return softmax(x); }, {1000, 1000}, {0.5, 0.5});
  expect_stable([](const Tensor& x) { return softmax(x); }, {-1000, -1000}, {0.5, 0.5});
}

TEST(Activation, LogSoftmaxIsStableAtLargeInputs) {
  expect_stable([](const Tensor& x) { return log_softmax(x); }, {1000, 0, -1000}, {0, -1000, -2000});
  expect_stable([](const Tensor& x) { return log_softmax(x); }, {1000, 1000}, {-kLog2, -kLog2});
  expect_stable([](const Tensor& x) { return log_softmax(x); }, {-1000, -1000}, {-kLog2, -kLog2});
  // As in a cross-entropy loss: the gradient of -log_softmax(x)[0] is softmax(x) - onehot(0).
  const Tensor x = leaf({1000, 0, -1000}, {3});
  (-log_softmax(x) * f64({1, 0, 0}, {3})).sum().backward();
  expect_values(x.grad(), {3}, {0, 0, 0});
  const Tensor y = leaf({-1000, 0, 1000}, {3});
  (-log_softmax(y) * f64({1, 0, 0}, {3})).sum().backward();
  expect_values(y.grad(), {3}, {-1, 0, 1});
}

// ---- gradcheck ----

TEST(Activation, GradcheckSigmoid) {
  expect_unary_gradcheck([](const Tensor& x) { return sigmoid(x); }, random_leaf({2, 3}, 1, -2.0, 2.0));
}

TEST(Activation, GradcheckTanh) {
  expect_unary_gradcheck([](const Tensor& x) { return tanh(x); }, random_leaf({2, 3}, 2, -2.0, 2.0));
}

TEST(Activation, GradcheckRelu) { expect_unary_gradcheck([](const Tensor& x) { return relu(x); }, away_from_zero()); }

TEST(Activation, GradcheckLeakyRelu) {
  expect_unary_gradcheck([](const Tensor& x) { return leaky_relu(x); }, away_from_zero());
  expect_unary_gradcheck([](const Tensor& x) { return leaky_relu(x, 0.2); }, away_from_zero());
}

TEST(Activation, GradcheckElu) {
  expect_unary_gradcheck([](const Tensor& x) { return elu(x); }, away_from_zero());
  expect_unary_gradcheck([](const Tensor& x) { return elu(x, 0.5); }, away_from_zero());
}

TEST(Activation, GradcheckSoftplus) {
  expect_unary_gradcheck([](const Tensor& x) { return softplus(x); }, random_leaf({2, 3}, 3, -2.0, 2.0));
}

TEST(Activation, GradcheckSoftmax) {
  expect_unary_gradcheck([](const Tensor& x) { return softmax(x); }, random_leaf({2, 3}, 4, -2.0, 2.0));
  expect_unary_gradcheck([](const Tensor& x) { return softmax(x, 0); }, random_leaf({2, 3}, 5, -2.0, 2.0));
  SCOPED_TRACE("dim 1 of [2, 3, 2]");
  expect_gradcheck([](const Inputs& in) { return softmax(in[0], 1); }, {random_leaf({2, 3, 2}, 6, -2.0, 2.0)});
}

TEST(Activation, GradcheckLogSoftmax) {
  expect_unary_gradcheck([](const Tensor& x) { return log_softmax(x); }, random_leaf({2, 3}, 7, -2.0, 2.0));
  expect_unary_gradcheck([](const Tensor& x) { return log_softmax(x, 0); }, random_leaf({2, 3}, 8, -2.0, 2.0));
  SCOPED_TRACE("dim 1 of [2, 3, 2]");
  expect_gradcheck([](const Inputs& in) { return log_softmax(in[0], 1); }, {random_leaf({2, 3, 2}, 9, -2.0, 2.0)});
}

// ---- second derivatives ----

// gradgradcheck on the inputs of the gradcheck cases above, alone and fanned out.
TEST(Activation, GradGradSigmoid) {
  expect_unary_gradgradcheck([](const Tensor& x) { return sigmoid(x); }, random_leaf({2, 3}, 1, -2.0, 2.0));
}

TEST(Activation, GradGradTanh) {
  expect_unary_gradgradcheck([](const Tensor& x) { return tanh(x); }, random_leaf({2, 3}, 2, -2.0, 2.0));
}

TEST(Activation, GradGradRelu) {
  expect_unary_gradgradcheck([](const Tensor& x) { return relu(x); }, away_from_zero());
}

TEST(Activation, GradGradLeakyRelu) {
  expect_unary_gradgradcheck([](const Tensor& x) { return leaky_relu(x); }, away_from_zero());
  expect_unary_gradgradcheck([](const Tensor& x) { return leaky_relu(x, 0.2); }, away_from_zero());
}

TEST(Activation, GradGradElu) {
  expect_unary_gradgradcheck([](const Tensor& x) { return elu(x); }, away_from_zero());
  expect_unary_gradgradcheck([](const Tensor& x) { return elu(x, 0.5); }, away_from_zero());
}

TEST(Activation, GradGradSoftplus) {
  expect_unary_gradgradcheck([](const Tensor& x) { return softplus(x); }, random_leaf({2, 3}, 3, -2.0, 2.0));
}

TEST(Activation, GradGradSoftmax) {
  expect_unary_gradgradcheck([](const Tensor& x) { return softmax(x); }, random_leaf({2, 3}, 4, -2.0, 2.0));
  expect_unary_gradgradcheck([](const Tensor& x) { return softmax(x, 0); }, random_leaf({2, 3}, 5, -2.0, 2.0));
  SCOPED_TRACE("dim 1 of [2, 3, 2]");
  expect_gradgradcheck([](const Inputs& in) { return softmax(in[0], 1); }, {random_leaf({2, 3, 2}, 6, -2.0, 2.0)});
}

TEST(Activation, GradGradLogSoftmax) {
  expect_unary_gradgradcheck([](const Tensor& x) { return log_softmax(x); }, random_leaf({2, 3}, 7, -2.0, 2.0));
  expect_unary_gradgradcheck([](const Tensor& x) { return log_softmax(x, 0); }, random_leaf({2, 3}, 8, -2.0, 2.0));
  SCOPED_TRACE("dim 1 of [2, 3, 2]");
  expect_gradgradcheck([](const Inputs& in) { return log_softmax(in[0], 1); }, {random_leaf({2, 3, 2}, 9, -2.0, 2.0)});
}

// sigmoid'' = s (1 - s) (1 - 2s); tanh'' = -2t (1 - t^2).
TEST(Activation, SecondDerivativesClosedForm) {
  const Tensor x = leaf({-1, 0.5, 2}, {3});
  std::vector<double> sigmoid2;
  std::vector<double> tanh2;
  for (const double u : x.to_vector()) {
    const double s = 1 / (1 + std::exp(-u));
    const double t = std::tanh(u);
    sigmoid2.push_back(s * (1 - s) * (1 - 2 * s));
    tanh2.push_back(-2 * t * (1 - t * t));
  }
  expect_values(elementwise_second_derivative([](const Tensor& t) { return sigmoid(t); }, x), {3}, sigmoid2);
  expect_values(elementwise_second_derivative([](const Tensor& t) { return tanh(t); }, x), {3}, tanh2);
}

// softmax([a, b])[0] = sigmoid(a - b) = s: its Hessian row for a is s (1 - s) (1 - 2s) times (1, -1).
TEST(Activation, SoftmaxSecondDerivativeClosedForm) {
  const Tensor x = leaf({0.7, -0.4}, {2});
  const Tensor first = f64({1, 0}, {2});
  const Tensor da = autograd::grad({sum(softmax(x) * first)}, {x}, {}, {}, true)[0];
  const Tensor hessian_row = autograd::grad({sum(da * first)}, {x})[0];
  const double s = 1 / (1 + std::exp(-1.1));
  const double d2 = s * (1 - s) * (1 - 2 * s);
  expect_values(hessian_row, {2}, {d2, -d2});
}

// ---- bad arguments ----

TEST(Activation, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }}};
  expect_undefined_inputs_rejected(ops);
}

TEST(Activation, SoftmaxRejectsDimsOutOfRange) {
  expect_throws<std::invalid_argument>([] { return softmax(zeros({2, 3}), 2); },
                                       "softmax: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return log_softmax(zeros({2, 3}), -3); },
                                       "log_softmax: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return softmax(scalar_tensor(1.0)); },
                                       "softmax: dimension -1 is out of range for a 0-d tensor");
}

}  // namespace
}  // namespace tg
