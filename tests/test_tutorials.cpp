// The tutorials' hand-derived gradients, written the way each tutorial writes them (plain loops on
// doubles: no autograd, no tapegrad ops), against tapegrad's autograd on the same parameters; then one
// SGD step of each hand-written network against autograd + tg::optim::SGD. Everything is float64 and
// agrees to 1e-12 relative.
//
// Where the tutorials' formulas stand against autograd: all of them hold as written, once the names are
// read right. The digits tutorial calls dL/dz3 "a3_delta" and dL/da2 "z2_delta" (each name is the other
// side of the activation), and its 1/n sits inside a3_delta, so every later delta and parameter gradient
// already carries it; the 2-4-1 tutorial keeps dZ2 = A2 - Y without the 1/m and divides each dW and db
// by m instead, which is the same gradient. Its sigmoid_derv(s) = s(1 - s) takes the activation, while
// the 2-2-1 tutorial's deriv_sigmoid(x) takes the sum before it; both are right as each tutorial calls it.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/nn.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

constexpr double kRtol = 1e-12;
const tg::nn::LinearOptions kFloat64Layer{.dtype = tg::kFloat64};

bool close(double a, double b) { return std::abs(a - b) <= kRtol * std::max(std::abs(a), std::abs(b)); }

void expect_close(double autograd, double by_hand, const std::string& what) {
  EXPECT_PRED2(close, autograd, by_hand)
      << std::setprecision(17) << what << ": autograd " << autograd << ", by hand " << by_hand;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// ===================================== the 2-2-1 network ==========================================

// The tutorial's nine parameters under its names: h1 = sigmoid(w1 x1 + w2 x2 + b1),
// h2 = sigmoid(w3 x1 + w4 x2 + b2), o1 = sigmoid(w5 h1 + w6 h2 + b3). Also used for their gradients.
struct Params221 {
  double w1, w2, w3, w4, w5, w6, b1, b2, b3;
};

constexpr std::array<std::pair<const char*, double Params221::*>, 9> kParams221 = {{
    {"w1", &Params221::w1}, {"w2", &Params221::w2}, {"w3", &Params221::w3},
    {"w4", &Params221::w4}, {"w5", &Params221::w5}, {"w6", &Params221::w6},
    {"b1", &Params221::b1}, {"b2", &Params221::b2}, {"b3", &Params221::b3},
}};

void expect_close(const Params221& autograd, const Params221& by_hand, const std::string& what) {
  for (const auto& [name, member] : kParams221) expect_close(autograd.*member, by_hand.*member, what + " " + name);
}

// The gender table: [weight - 135, height - 66] and 1 for female.
constexpr std::array<std::array<double, 3>, 4> kGender = {{{-2, -1, 1}, {25, 6, 0}, {17, 4, 0}, {-15, -6, 1}}};

// "[-2, -1]" for a row of kGender, to name it in messages.
std::string person(const std::array<double, 3>& sample) {
  char text[48];
  std::snprintf(text, sizeof text, "[%g, %g]", sample[0], sample[1]);
  return text;
}

// The tutorial's train() for one sample, line by line: dL/dparameter for L = (y_true - y_pred)^2.
Params221 tutorial_221_gradients(const Params221& p, double x1, double x2, double y_true) {
  const auto deriv_sigmoid = [](double x) { return sigmoid(x) * (1 - sigmoid(x)); };
  const double sum_h1 = p.w1 * x1 + p.w2 * x2 + p.b1;
  const double h1 = sigmoid(sum_h1);
  const double sum_h2 = p.w3 * x1 + p.w4 * x2 + p.b2;
  const double h2 = sigmoid(sum_h2);
  const double sum_o1 = p.w5 * h1 + p.w6 * h2 + p.b3;
  const double y_pred = sigmoid(sum_o1);

  const double d_L_d_ypred = -2 * (y_true - y_pred);
  // Neuron o1
  const double d_ypred_d_w5 = h1 * deriv_sigmoid(sum_o1);
  const double d_ypred_d_w6 = h2 * deriv_sigmoid(sum_o1);
  const double d_ypred_d_b3 = deriv_sigmoid(sum_o1);
  const double d_ypred_d_h1 = p.w5 * deriv_sigmoid(sum_o1);
  const double d_ypred_d_h2 = p.w6 * deriv_sigmoid(sum_o1);
  // Neuron h1
  const double d_h1_d_w1 = x1 * deriv_sigmoid(sum_h1);
  const double d_h1_d_w2 = x2 * deriv_sigmoid(sum_h1);
  const double d_h1_d_b1 = deriv_sigmoid(sum_h1);
  // Neuron h2
  const double d_h2_d_w3 = x1 * deriv_sigmoid(sum_h2);
  const double d_h2_d_w4 = x2 * deriv_sigmoid(sum_h2);
  const double d_h2_d_b2 = deriv_sigmoid(sum_h2);

  return {.w1 = d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1,
          .w2 = d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w2,
          .w3 = d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w3,
          .w4 = d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w4,
          .w5 = d_L_d_ypred * d_ypred_d_w5,
          .w6 = d_L_d_ypred * d_ypred_d_w6,
          .b1 = d_L_d_ypred * d_ypred_d_h1 * d_h1_d_b1,
          .b2 = d_L_d_ypred * d_ypred_d_h2 * d_h2_d_b2,
          .b3 = d_L_d_ypred * d_ypred_d_b3};
}

// The same network on tapegrad's layers, whose weights are (in, out): row i holds the weights from
// input i, column j those into neuron j. The tutorial's names map onto them as
//   hidden.weight = [[w1, w3],    x1 -> h1 is w1, x1 -> h2 is w3
//                    [w2, w4]]    x2 -> h1 is w2, x2 -> h2 is w4
//   hidden.bias   = [b1, b2]
//   output.weight = [[w5],        h1 -> o1
//                    [w6]]        h2 -> o1
//   output.bias   = [b3]
struct Network221 {
  explicit Network221(const Params221& p) {
    hidden.load_parameter("weight", tg::tensor({p.w1, p.w3, p.w2, p.w4}, {2, 2}, tg::kFloat64));
    hidden.load_parameter("bias", tg::tensor({p.b1, p.b2}, tg::kFloat64));
    output.load_parameter("weight", tg::tensor({p.w5, p.w6}, {2, 1}, tg::kFloat64));
    output.load_parameter("bias", tg::tensor({p.b3}, tg::kFloat64));
  }
  [[nodiscard]] tg::Tensor forward(const tg::Tensor& x) { return tg::sigmoid(output(tg::sigmoid(hidden(x)))); }
  [[nodiscard]] std::vector<tg::Tensor> parameters() const {
    return {hidden.weight, hidden.bias, output.weight, output.bias};
  }
  // By the tutorial's names: the parameters' values (of = kValue) or their gradients (of = kGrad).
  [[nodiscard]] Params221 read(const std::function<tg::Tensor(const tg::Tensor&)>& of) const {
    const tg::Tensor hw = of(hidden.weight), hb = of(hidden.bias), ow = of(output.weight), ob = of(output.bias);
    return {.w1 = hw.at({0, 0}), .w2 = hw.at({1, 0}), .w3 = hw.at({0, 1}), .w4 = hw.at({1, 1}),
            .w5 = ow.at({0, 0}), .w6 = ow.at({1, 0}),
            .b1 = hb.at({0}), .b2 = hb.at({1}), .b3 = ob.at({0})};
  }

  tg::nn::Linear hidden{2, 2, kFloat64Layer};
  tg::nn::Linear output{2, 1, kFloat64Layer};
};

const auto kValue = [](const tg::Tensor& t) { return t; };
const auto kGrad = [](const tg::Tensor& t) { return t.grad(); };

Params221 random_params_221(tg::Generator& gen) {
  Params221 p{};
  for (const auto& entry : kParams221) p.*entry.second = gen.normal();
  return p;
}

// The loss of one gender sample on the tapegrad network: mse_loss of one prediction is (y_true - y_pred)^2.
tg::Tensor loss_221(Network221& network, const std::array<double, 3>& sample) {
  const tg::Tensor x = tg::tensor({sample[0], sample[1]}, {1, 2}, tg::kFloat64);
  const tg::Tensor y_true = tg::tensor({sample[2]}, {1, 1}, tg::kFloat64);
  return tg::nn::mse_loss(network.forward(x), y_true);
}

TEST(Tutorial221, ChainRulePerWeightMatchesAutograd) {
  tg::Generator gen(221);
  for (int trial = 0; trial < 5; ++trial) {
    const Params221 params = random_params_221(gen);
    for (const auto& sample : kGender) {
      Network221 network(params);
      loss_221(network, sample).backward();
      const std::string what = "trial " + std::to_string(trial) + " person " + person(sample);
      expect_close(network.read(kGrad), tutorial_221_gradients(params, sample[0], sample[1], sample[2]), what);
    }
  }
}

TEST(Tutorial221, OneEpochOfSgdMatchesOptimizer) {
  // The tutorial's inner loop: one SGD step per person, `self.w1 -= learn_rate * d_L_d_w1` and so on.
  constexpr double kLearnRate = 0.1;
  tg::Generator gen(4);
  Params221 by_hand = random_params_221(gen);
  Network221 network(by_hand);
  tg::optim::SGD optimizer(network.parameters(), tg::optim::SGDOptions{.lr = kLearnRate});
  for (const auto& sample : kGender) {
    const Params221 d = tutorial_221_gradients(by_hand, sample[0], sample[1], sample[2]);
    for (const auto& entry : kParams221) by_hand.*entry.second -= kLearnRate * d.*entry.second;

    const tg::Tensor loss = loss_221(network, sample);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    expect_close(network.read(kValue), by_hand, "after the step on person " + person(sample));
  }
}

// =============================== matrices for the layered networks =================================

// A row-major matrix of doubles for the hand-written backprop; a bias is a (1, O) row.
struct Matrix {
  Matrix(std::int64_t r, std::int64_t c) : rows(r), cols(c), v(static_cast<std::size_t>(r * c)) {}
  double& operator()(std::int64_t i, std::int64_t j) { return v[static_cast<std::size_t>(i * cols + j)]; }
  double operator()(std::int64_t i, std::int64_t j) const { return v[static_cast<std::size_t>(i * cols + j)]; }

  std::int64_t rows;
  std::int64_t cols;
  std::vector<double> v;
};

Matrix random_matrix(std::int64_t rows, std::int64_t cols, tg::Generator& gen, double stddev) {
  Matrix m(rows, cols);
  for (double& x : m.v) x = stddev * gen.normal();
  return m;
}

// a (M, K) @ b (K, N)
Matrix dot(const Matrix& a, const Matrix& b) {
  Matrix out(a.rows, b.cols);
  for (std::int64_t i = 0; i < a.rows; ++i)
    for (std::int64_t k = 0; k < a.cols; ++k)
      for (std::int64_t j = 0; j < b.cols; ++j) out(i, j) += a(i, k) * b(k, j);
  return out;
}

Matrix transpose(const Matrix& a) {
  Matrix out(a.cols, a.rows);
  for (std::int64_t i = 0; i < a.rows; ++i)
    for (std::int64_t j = 0; j < a.cols; ++j) out(j, i) = a(i, j);
  return out;
}

// Elementwise f(a) or f(a, b) for b of a's shape or a (1, cols) row repeated down the rows.
Matrix map(const Matrix& a, const std::function<double(double)>& f) {
  Matrix out = a;
  for (double& x : out.v) x = f(x);
  return out;
}
Matrix map(const Matrix& a, const Matrix& b, const std::function<double(double, double)>& f) {
  Matrix out(a.rows, a.cols);
  for (std::int64_t i = 0; i < a.rows; ++i)
    for (std::int64_t j = 0; j < a.cols; ++j) out(i, j) = f(a(i, j), b(b.rows == 1 ? 0 : i, j));
  return out;
}

// np.sum(m, axis=0, keepdims=True): (1, cols)
Matrix sum_rows(const Matrix& m) {
  Matrix out(1, m.cols);
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (std::int64_t j = 0; j < m.cols; ++j) out(0, j) += m(i, j);
  return out;
}

const auto kPlus = [](double a, double b) { return a + b; };
const auto kMinus = [](double a, double b) { return a - b; };

// One weight (D, O) and bias (1, O) of a hand-written network, and the same on a tapegrad Linear.
struct Layer {
  Matrix w;
  Matrix b;
};

Layer random_layer(std::int64_t in, std::int64_t out, tg::Generator& gen) {
  // The tutorials' randn(in, out) / sqrt(in); biases random too, so that their gradients are not trivial.
  return {random_matrix(in, out, gen, 1 / std::sqrt(static_cast<double>(in))), random_matrix(1, out, gen, 0.5)};
}

// What a hand-written backprop gives: the loss, the gradient of the last pre-activation (the logits) and
// the parameter gradients in the order of the layers.
struct Backprop {
  double loss = 0;
  Matrix output_delta{0, 0};
  std::vector<Layer> grads;
};

std::shared_ptr<tg::nn::Linear> to_linear(const Layer& layer) {
  auto linear = std::make_shared<tg::nn::Linear>(layer.w.rows, layer.w.cols, kFloat64Layer);
  linear->load_parameter("weight", tg::tensor(layer.w.v, {layer.w.rows, layer.w.cols}, tg::kFloat64));
  linear->load_parameter("bias", tg::tensor(layer.b.v, {layer.b.cols}, tg::kFloat64));
  return linear;
}

Matrix to_matrix(const tg::Tensor& t) {
  Matrix m(t.dim() == 2 ? t.size(0) : 1, t.size(-1));
  m.v = t.to_vector();
  return m;
}

tg::Tensor to_tensor(const Matrix& m) { return tg::tensor(m.v, {m.rows, m.cols}, tg::kFloat64); }

// Each element to 1e-12 relative, measured against the element itself or, for one far below the largest
// element of its tensor, against that largest: those are sums whose terms cancel, and BLAS adds them in
// another order than the loops here, so their own last digits are not comparable.
void expect_close(const tg::Tensor& autograd, const Matrix& by_hand, const std::string& what) {
  const std::vector<double> a = autograd.to_vector();
  ASSERT_EQ(a.size(), by_hand.v.size()) << what;
  double largest = 0;
  for (const double e : by_hand.v) largest = std::max(largest, std::abs(e));
  int failures = 0;  // the first three are enough to see what is wrong
  for (std::size_t i = 0; i < a.size() && failures < 3; ++i) {
    const double e = by_hand.v[i];
    if (std::abs(a[i] - e) <= kRtol * std::max({std::abs(a[i]), std::abs(e), largest})) continue;
    ++failures;
    ADD_FAILURE() << std::setprecision(17) << what << "[" << i << "]: autograd " << a[i] << ", by hand " << e
                  << ", largest " << largest;
  }
}

// A layered network written by hand (layers, by_hand) beside the same parameters on tapegrad's Linear
// layers; a derived case says how autograd computes the logits and the loss.
class LayeredCase {
 public:
  virtual ~LayeredCase() = default;
  [[nodiscard]] virtual tg::Tensor logits() const = 0;
  [[nodiscard]] virtual tg::Tensor loss(const tg::Tensor& logits) const = 0;

  // backward() on autograd's loss; then the loss, dL/dlogits and every parameter gradient against by_hand.
  void expect_backprop_matches(const std::string& output_delta_name) const {
    tg::Tensor z = logits();
    z.retain_grad();
    const tg::Tensor l = loss(z);
    l.backward();
    expect_close(l.item(), by_hand.loss, "loss");
    expect_close(z.grad(), by_hand.output_delta, output_delta_name);
    for (std::size_t i = 0; i < linears.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      expect_close(linears[i]->weight.grad(), by_hand.grads[i].w, "dw" + n);
      expect_close(linears[i]->bias.grad(), by_hand.grads[i].b, "db" + n);
    }
  }

  // The step by hand, `w -= lr * dw` for each parameter, against autograd + tg::optim::SGD.
  void expect_sgd_step_matches(double lr) const {
    const auto descend = [lr](double w, double g) { return w - lr * g; };
    std::vector<tg::Tensor> params;
    for (const auto& linear : linears) {
      params.push_back(linear->weight);
      params.push_back(linear->bias);
    }
    tg::optim::SGD optimizer(params, tg::optim::SGDOptions{.lr = lr});
    const tg::Tensor l = loss(logits());
    optimizer.zero_grad();
    l.backward();
    optimizer.step();
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      expect_close(linears[i]->weight, map(layers[i].w, by_hand.grads[i].w, descend), "w" + n + " after the step");
      expect_close(linears[i]->bias, map(layers[i].b, by_hand.grads[i].b, descend), "b" + n + " after the step");
    }
  }

 protected:
  void set_layers(std::vector<Layer> hand_written) {
    layers = std::move(hand_written);
    for (const Layer& layer : layers) linears.push_back(to_linear(layer));
  }
  // linears[i] applied to x
  [[nodiscard]] tg::Tensor apply(std::size_t i, const tg::Tensor& x) const { return (*linears[i])(x); }

  std::vector<Layer> layers;
  std::vector<std::shared_ptr<tg::nn::Linear>> linears;
  Backprop by_hand;
};

// ================================ the 64-128-128-10 digits network =================================

// The tutorial's feedforward() and backprop() on layers {w1, b1}, {w2, b2}, {w3, b3}, without the update.
// x is (n, 64) pixels / 16, y (n, 10) one-hot.
Backprop tutorial_digits_backprop(const std::vector<Layer>& l, const Matrix& x, const Matrix& y) {
  const auto sigmoid_derv = [](double d, double s) { return d * s * (1 - s); };  // z_delta * sigmoid_derv(a)
  // feedforward
  const Matrix z1 = map(dot(x, l[0].w), l[0].b, kPlus);
  const Matrix a1 = map(z1, sigmoid);
  const Matrix z2 = map(dot(a1, l[1].w), l[1].b, kPlus);
  const Matrix a2 = map(z2, sigmoid);
  const Matrix z3 = map(dot(a2, l[2].w), l[2].b, kPlus);
  Matrix a3(z3.rows, z3.cols);  // softmax(z3), the maximum of each row subtracted first
  for (std::int64_t i = 0; i < z3.rows; ++i) {
    double max = z3(i, 0), sum = 0;
    for (std::int64_t j = 0; j < z3.cols; ++j) max = std::max(max, z3(i, j));
    for (std::int64_t j = 0; j < z3.cols; ++j) sum += a3(i, j) = std::exp(z3(i, j) - max);
    for (std::int64_t j = 0; j < z3.cols; ++j) a3(i, j) /= sum;
  }
  // error(): the mean over the samples of -log a3 at the true class
  const double n_samples = static_cast<double>(x.rows);
  double loss = 0;
  for (std::int64_t i = 0; i < y.rows; ++i)
    for (std::int64_t j = 0; j < y.cols; ++j) loss -= y(i, j) * std::log(a3(i, j)) / n_samples;
  // backprop
  const Matrix a3_delta = map(map(a3, y, kMinus), [n_samples](double d) { return d / n_samples; });  // cross_entropy()
  const Matrix z2_delta = dot(a3_delta, transpose(l[2].w));
  const Matrix a2_delta = map(z2_delta, a2, sigmoid_derv);
  const Matrix z1_delta = dot(a2_delta, transpose(l[1].w));
  const Matrix a1_delta = map(z1_delta, a1, sigmoid_derv);
  return {loss,
          a3_delta,
          {{dot(transpose(x), a1_delta), sum_rows(a1_delta)},
           {dot(transpose(a1), a2_delta), sum_rows(a2_delta)},
           {dot(transpose(a2), a3_delta), sum_rows(a3_delta)}}};
}

// The first 32 digits through 64-128-128-10 with random parameters.
class DigitsCase : public LayeredCase {
 public:
  DigitsCase() {
    constexpr std::int64_t kN = 32;
    const tg::nn::Dataset digits = tg::nn::load_digits(TAPEGRAD_SOURCE_DIR "/data/digits.csv.gz", tg::kFloat64);
    x_ = tg::slice(digits.inputs, 0, 0, kN);
    labels_ = tg::slice(digits.labels, 0, 0, kN);
    Matrix one_hot(kN, 10);
    for (std::int64_t i = 0; i < kN; ++i) one_hot(i, static_cast<std::int64_t>(labels_.at({i}))) = 1;
    tg::Generator gen(64);
    set_layers({random_layer(64, 128, gen), random_layer(128, 128, gen), random_layer(128, 10, gen)});
    by_hand = tutorial_digits_backprop(layers, to_matrix(x_), one_hot);
  }
  [[nodiscard]] tg::Tensor logits() const override {
    return apply(2, tg::sigmoid(apply(1, tg::sigmoid(apply(0, x_)))));
  }
  [[nodiscard]] tg::Tensor loss(const tg::Tensor& logits) const override {
    return tg::nn::cross_entropy(logits, labels_);
  }

 private:
  tg::Tensor x_;       // (32, 64)
  tg::Tensor labels_;  // (32) class indices
};

TEST(TutorialDigits, DeltasMatchAutograd) { DigitsCase().expect_backprop_matches("a3_delta = (a3 - y) / n = dL/dz3"); }

TEST(TutorialDigits, SgdStepMatchesOptimizer) { DigitsCase().expect_sgd_step_matches(0.5); }

// ===================================== the 2-4-1 tanh network ======================================

// The tutorial's forward and backward propagation on layers {W1, b1}, {W2, b2}, with samples as rows (it
// keeps them as columns, so its W2 A1 and dZ2 A1^T read here as A1 W2 and A1^T dZ2). x is (m, 2), y (m, 1).
Backprop tutorial_tanh_backprop(const std::vector<Layer>& l, const Matrix& x, const Matrix& y) {
  const double m = static_cast<double>(x.rows);
  const auto by_m = [m](double v) { return v / m; };
  const Matrix a1 = map(map(dot(x, l[0].w), l[0].b, kPlus), [](double z) { return std::tanh(z); });
  const Matrix a2 = map(map(dot(a1, l[1].w), l[1].b, kPlus), sigmoid);
  double cost = 0;  // -1/m sum(Y log A2 + (1 - Y) log(1 - A2))
  for (std::int64_t i = 0; i < x.rows; ++i)
    cost -= (y(i, 0) * std::log(a2(i, 0)) + (1 - y(i, 0)) * std::log(1 - a2(i, 0))) / m;
  const Matrix dz2 = map(a2, y, kMinus);                                                // dZ2 = A2 - Y
  const Matrix dw2 = map(dot(transpose(a1), dz2), by_m);                               // dW2 = 1/m A1^T dZ2
  const Matrix db2 = map(sum_rows(dz2), by_m);                                         // db2 = 1/m sum(dZ2)
  const Matrix da1 = dot(dz2, transpose(l[1].w));                                      // dA1 = dZ2 W2^T
  const Matrix dz1 = map(da1, a1, [](double d, double a) { return d * (1 - a * a); });  // dZ1 = dA1 (1 - A1²)
  const Matrix dw1 = map(dot(transpose(x), dz1), by_m);                                // dW1 = 1/m X^T dZ1
  const Matrix db1 = map(sum_rows(dz1), by_m);                                         // db1 = 1/m sum(dZ1)
  // autograd's dL/dZ2 is the tutorial's dZ2 with the 1/m that the tutorial leaves for dW2 and db2
  return {cost, map(dz2, by_m), {{dw1, db1}, {dw2, db2}}};
}

// 16 random points labelled by quadrant (XOR-like) through 2-4-1 with random parameters.
class TanhCase : public LayeredCase {
 public:
  TanhCase() {
    constexpr std::int64_t kM = 16;
    tg::Generator gen(241);
    const Matrix x = random_matrix(kM, 2, gen, 1.0);
    Matrix y(kM, 1);
    for (std::int64_t i = 0; i < kM; ++i) y(i, 0) = x(i, 0) * x(i, 1) > 0 ? 1 : 0;
    set_layers({random_layer(2, 4, gen), random_layer(4, 1, gen)});
    by_hand = tutorial_tanh_backprop(layers, x, y);
    x_ = to_tensor(x);
    y_ = to_tensor(y);
  }
  [[nodiscard]] tg::Tensor logits() const override { return apply(1, tg::tanh(apply(0, x_))); }
  [[nodiscard]] tg::Tensor loss(const tg::Tensor& z2) const override {
    return tg::nn::binary_cross_entropy(tg::sigmoid(z2), y_);
  }

 private:
  tg::Tensor x_;  // (16, 2)
  tg::Tensor y_;  // (16, 1) zeros and ones
};

TEST(TutorialTanhBce, DeltasMatchAutograd) { TanhCase().expect_backprop_matches("dZ2 / m = dL/dZ2"); }

TEST(TutorialTanhBce, SgdStepMatchesOptimizer) { TanhCase().expect_sgd_step_matches(1.2); }

}  // namespace
