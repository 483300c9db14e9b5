#pragma once
// Activations, with PyTorch's names, defaults and gradients at the kinks. softmax and log_softmax
// subtract the maximum first, so large inputs do not overflow; softplus and logsigmoid are stable too.

#include <string_view>

#include "tapegrad/tensor.hpp"

namespace tg {

[[nodiscard]] Tensor sigmoid(const Tensor& x);
[[nodiscard]] Tensor tanh(const Tensor& x);
[[nodiscard]] Tensor relu(const Tensor& x);
[[nodiscard]] Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
[[nodiscard]] Tensor elu(const Tensor& x, double alpha = 1.0);
/// max(0, x) + min(0, alpha (e^(x/alpha) - 1)); alpha must not be 0.
[[nodiscard]] Tensor celu(const Tensor& x, double alpha = 1.0);
/// scale * elu(x, alpha) with PyTorch's self-normalising constants; the gradient at 0 is scale * alpha.
[[nodiscard]] Tensor selu(const Tensor& x);
/// log(1 + exp(x)), stable for large |x|.
[[nodiscard]] Tensor softplus(const Tensor& x);
/// log(sigmoid(x)), stable for large |x|.
[[nodiscard]] Tensor logsigmoid(const Tensor& x);
/// x / (1 + |x|).
[[nodiscard]] Tensor softsign(const Tensor& x);
/// x * sigmoid(x) (swish).
[[nodiscard]] Tensor silu(const Tensor& x);
/// x * tanh(softplus(x)).
[[nodiscard]] Tensor mish(const Tensor& x);
/// x * Phi(x) with the normal CDF Phi; approximate = "tanh" is PyTorch's
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Any other string throws std::invalid_argument.
[[nodiscard]] Tensor gelu(const Tensor& x, std::string_view approximate = "none");
/// Clamps into [min_val, max_val]; the gradient is 1 strictly inside and 0 at the bounds and outside, as
/// PyTorch's (clamp passes it at the bounds).
[[nodiscard]] Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// hardtanh(x, 0, 6): the gradient is 0 at 0 and at 6.
[[nodiscard]] Tensor relu6(const Tensor& x);
/// clamp(x + 3, 0, 6) / 6; the gradient is 1/6 on (-3, 3) and 0 elsewhere, at +-3 too.
[[nodiscard]] Tensor hardsigmoid(const Tensor& x);
/// x * hardsigmoid(x); the gradient is 0 at -3 and 1 at 3 (PyTorch's current values).
[[nodiscard]] Tensor hardswish(const Tensor& x);
[[nodiscard]] Tensor softmax(const Tensor& x, int dim = -1);
[[nodiscard]] Tensor log_softmax(const Tensor& x, int dim = -1);

}  // namespace tg
