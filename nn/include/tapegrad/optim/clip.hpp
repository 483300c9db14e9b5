#pragma once
// Gradient clipping by total norm (torch.nn.utils.clip_grad_norm_).

#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::optim {

/// Scales the gradients of `params` in place so that their total norm (as if concatenated into one
/// vector) is at most about max_norm, and returns the total norm before clipping. As PyTorch:
/// clip_coef = max_norm / (total_norm + 1e-6), clamped to 1; parameters without a gradient are skipped
/// and an empty set gives 0. norm_type > 0, or infinity for the largest absolute value. The norm is
/// accumulated in double for float32 gradients too. Not [[nodiscard]]: it is called for its effect,
/// and the norm is there for logging.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

}  // namespace tg::optim
