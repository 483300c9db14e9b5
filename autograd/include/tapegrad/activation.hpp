#pragma once
// Activations. softmax and log_softmax subtract the maximum first, so large inputs do not overflow.

#include "tapegrad/tensor.hpp"

namespace tg {

[[nodiscard]] Tensor sigmoid(const Tensor& x);
[[nodiscard]] Tensor tanh(const Tensor& x);
[[nodiscard]] Tensor relu(const Tensor& x);
[[nodiscard]] Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
[[nodiscard]] Tensor elu(const Tensor& x, double alpha = 1.0);
/// log(1 + exp(x)), stable for large |x|.
[[nodiscard]] Tensor softplus(const Tensor& x);
[[nodiscard]] Tensor softmax(const Tensor& x, int dim = -1);
[[nodiscard]] Tensor log_softmax(const Tensor& x, int dim = -1);

}  // namespace tg
