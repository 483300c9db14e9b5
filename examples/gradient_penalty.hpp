#pragma once
// Shared by examples/gradient_penalty.cpp and tests/test_gradient_penalty.cpp: a loss with input-gradient
// regularisation (double backpropagation, Drucker and LeCun 1992),
//   total = mean_i l_i + lambda * mean_i ||d l_i / d x_i||^2,
// the gradient term computed by tg::autograd::grad with create_graph, so that total.backward() reaches
// the weights through it.

#include <functional>

#include "tapegrad/tapegrad.hpp"

namespace examples::gradient_penalty {

struct PenalizedLoss {
  tg::Tensor total;    // () data + lambda * penalty, to call backward() on
  tg::Tensor data;     // () mean_i l_i
  tg::Tensor penalty;  // () mean_i ||d l_i / d x_i||^2
};

/// Softmax cross-entropy of each row of logits (N, C) at its class (N, int64): logsumexp(z_i) - z_i[y_i],
/// composed of ops whose backward is twice differentiable. tg::nn::cross_entropy gives the same values,
/// but its fused backward is not yet differentiable again: under create_graph the penalty's gradient
/// misses the softmax's dependence on the weights (on main as of this example; tests/test_gradient_penalty
/// checks the composed form against finite differences).
inline tg::Tensor cross_entropy_per_row(const tg::Tensor& logits, const tg::Tensor& labels) {
  const tg::Tensor picked = tg::one_hot(labels, logits.size(1), logits.dtype());  // constant: no gradient
  return tg::logsumexp(logits, {1}) - tg::sum(picked * logits, {1});
}

/// per_sample(model(x), target) gives l (N), one loss per row of x (N, D); each l_i must depend on row i
/// of x alone (no batch statistics), so that row i of d(sum_i l_i)/dx is d l_i / d x_i.
inline PenalizedLoss penalized_loss(const std::function<tg::Tensor(const tg::Tensor&)>& model,
                                    const std::function<tg::Tensor(const tg::Tensor&, const tg::Tensor&)>& per_sample,
                                    const tg::Tensor& x, const tg::Tensor& target, double lambda) {
  tg::Tensor input = x.detach();
  input.requires_grad_();  // a leaf of its own, so that the gradient with respect to it can be asked for
  const tg::Tensor l = per_sample(model(input), target);
  // recorded (create_graph): dx has history back to the weights; the forward's records stay for total
  const tg::Tensor dx = tg::autograd::grad({tg::sum(l)}, {input}, {}, {}, true)[0];
  const tg::Tensor data = tg::mean(l);
  const tg::Tensor penalty = tg::mean(tg::sum(dx * dx, {1}));
  return {data + lambda * penalty, data, penalty};
}

}  // namespace examples::gradient_penalty
