#pragma once
// Shared by examples/hessian.cpp and tests/test_hessian_example.cpp: the tutorial's 2-2-1 sigmoid network
// (examples/gender.cpp: its four people, its seed-4 normal(0, 1) initial weights) as a function of its 9
// parameters laid out flat, its full-batch MSE loss, a five-point finite-difference Hessian of the
// autograd gradient, and the output neuron's 3x3 block of the Hessian in closed form.

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/nn.hpp"
#include "tapegrad/tapegrad.hpp"

namespace examples::hessian_221 {

/// The 9 parameters in the network's parameters() order, flattened row-major: hidden.weight (in, out) is
/// [[w1, w3], [w2, w4]], then hidden.bias [b1, b2], output.weight [[w5], [w6]], output.bias [b3] (the
/// tutorial's names, as tests/test_tutorials.cpp maps them).
inline const std::vector<std::string> kNames = {"w1", "w3", "w2", "w4", "b1", "b2", "w5", "w6", "b3"};
inline constexpr std::int64_t kOutputBlock = 6;  // w5, w6, b3: the output neuron's weights and bias

/// gender.cpp's data: [weight - 135, height - 66] for Alice, Bob, Charlie, Diana (4, 2), and 1 for female (4, 1).
inline tg::Tensor people() { return tg::tensor({-2, -1, 25, 6, 17, 4, -15, -6}, {4, 2}, tg::kFloat64); }
inline tg::Tensor is_female() { return tg::tensor({1, 0, 0, 1}, {4, 1}, tg::kFloat64); }

/// gender.cpp's initial weights: its Sequential's parameters, each drawn from normal(0, 1) in order with
/// Generator(seed), flattened into one float64 tensor of 9.
inline tg::Tensor initial_parameters(std::uint64_t seed = 4) {
  const tg::nn::LinearOptions f64{.dtype = tg::kFloat64};
  tg::nn::Sequential network(std::make_shared<tg::nn::Linear>(2, 2, f64), std::make_shared<tg::nn::Sigmoid>(),
                             std::make_shared<tg::nn::Linear>(2, 1, f64), std::make_shared<tg::nn::Sigmoid>());
  tg::Generator gen(seed);
  std::vector<tg::Tensor> flat;
  for (tg::Tensor& p : network.parameters()) {
    tg::nn::init::normal_(p, gen);
    flat.push_back(p.detach().reshape({p.numel()}));
  }
  return tg::cat(flat).clone();
}

/// The network's predictions (4, 1) for the people (4, 2) with the flat parameters theta (9).
inline tg::Tensor predict(const tg::Tensor& theta, const tg::Tensor& x) {
  const tg::Tensor w_hidden = tg::slice(theta, 0, 0, 4).reshape({2, 2});
  const tg::Tensor b_hidden = tg::slice(theta, 0, 4, 6);
  const tg::Tensor w_output = tg::slice(theta, 0, 6, 8).reshape({2, 1});
  const tg::Tensor b_output = tg::slice(theta, 0, 8, 9);
  const tg::Tensor h = tg::sigmoid(tg::matmul(x, w_hidden) + b_hidden);  // (4, 2): h1, h2 per person
  return tg::sigmoid(tg::matmul(h, w_output) + b_output);                // (4, 1): y_pred
}

/// gender.cpp's logged loss: the mean over the four people of (y_true - y_pred)^2.
inline tg::Tensor loss(const tg::Tensor& theta) { return tg::nn::mse_loss(predict(theta, people()), is_female()); }

/// dL/dtheta by autograd at theta, as plain numbers.
inline std::vector<double> gradient(const std::vector<double>& theta) {
  const tg::Tensor t = tg::tensor(theta, {static_cast<std::int64_t>(theta.size())}, tg::kFloat64);
  return tg::autograd::vjp([](const tg::Tensor& p) { return loss(p); }, t).second.to_vector();
}

/// H[i][j] = d(grad_i)/d(theta_j) by the five-point stencil on the gradient, column by column:
/// (-g(x + 2h e_j) + 8 g(x + h e_j) - 8 g(x - h e_j) + g(x - 2h e_j)) / 12h, truncation error h^4 g^(5) / 30.
/// h = 1e-4 suits the network: its inputs reach 25, so fifth derivatives carry factors up to 25^5.
inline std::vector<std::vector<double>> finite_difference_hessian(
    const std::function<std::vector<double>(const std::vector<double>&)>& grad, const std::vector<double>& x,
    double h = 1e-4) {
  const std::size_t n = x.size();
  std::vector<std::vector<double>> hess(n, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    const auto at = [&](double step) {
      std::vector<double> shifted = x;
      shifted[j] += step;
      return grad(shifted);
    };
    const std::vector<double> p2 = at(2 * h), p1 = at(h), m1 = at(-h), m2 = at(-2 * h);
    for (std::size_t i = 0; i < n; ++i) hess[i][j] = (-p2[i] + 8 * p1[i] - 8 * m1[i] + m2[i]) / (12 * h);
  }
  return hess;
}

/// The 3x3 block of the Hessian for the output neuron's (w5, w6, b3), derived by hand the tutorials' way:
///   L        = (1/N) sum_n (y_pred_n - y_n)^2,  N = 4 people
///   y_pred   = sigmoid(s),  s = w5 h1 + w6 h2 + b3, and h1, h2 do not depend on w5, w6, b3
///   z        = (h1, h2, 1) = (ds/dw5, ds/dw6, ds/db3)
///   p'       = dy_pred/ds = y_pred (1 - y_pred)                       (sigmoid' = sigmoid (1 - sigmoid))
///   p''      = d2y_pred/ds2 = p' (1 - 2 y_pred)                       (the product rule on y_pred - y_pred^2)
///   dL/da    = (2/N) sum_n (y_pred - y) p' z_a                        (chain rule, a in w5, w6, b3)
///   d2L/dadb = (2/N) sum_n d/db[(y_pred - y) p'] z_a                  (z_a is constant in b)
///            = (2/N) sum_n [p' p' + (y_pred - y) p''] z_a z_b         (product rule; dy_pred/db = p' z_b)
inline std::vector<std::vector<double>> output_block_closed_form(const std::vector<double>& theta) {
  const double w1 = theta[0], w3 = theta[1], w2 = theta[2], w4 = theta[3], b1 = theta[4], b2 = theta[5];
  const double w5 = theta[6], w6 = theta[7], b3 = theta[8];
  const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const std::vector<double> x = people().to_vector(), y = is_female().to_vector();
  const double n_people = static_cast<double>(y.size());
  std::vector<std::vector<double>> block(3, std::vector<double>(3, 0.0));
  for (std::size_t n = 0; n < y.size(); ++n) {
    const double x1 = x[2 * n], x2 = x[2 * n + 1];
    const double h1 = sigmoid(w1 * x1 + w2 * x2 + b1), h2 = sigmoid(w3 * x1 + w4 * x2 + b2);
    const double y_pred = sigmoid(w5 * h1 + w6 * h2 + b3);
    const double d1 = y_pred * (1 - y_pred);  // p'
    const double d2 = d1 * (1 - 2 * y_pred);  // p''
    const double z[3] = {h1, h2, 1.0};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) block[a][b] += 2.0 / n_people * (d1 * d1 + (y_pred - y[n]) * d2) * z[a] * z[b];
  }
  return block;
}

}  // namespace examples::hessian_221
