#pragma once
// Gradient clipping: torch.nn.utils.clip_grad_norm_ and clip_grad_value_ (PyTorch 1.13), in tg::optim
// beside the optimizers whose step() they precede. Both change the gradients in place and skip parameters
// without a gradient (not requiring one, or not reached by backward()).
//
// Where tapegrad differs: clip_grad_norm_ returns the total norm as a double, not a 0-d tensor (it is
// accumulated in double over float32 and float64 gradients alike, and a double is what logging wants; make
// a tensor with tg::scalar_tensor if needed), and both functions reject hyper-parameters PyTorch accepts
// silently (a negative max_norm or clip_value, norm_type <= 0).

#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::optim {

/// Scales the gradients of `params` so that their total norm (as if concatenated into one vector) is at
/// most about max_norm, and returns the total norm before clipping (0 for no gradients). As PyTorch:
/// clip_coef = max_norm / (total_norm + 1e-6), clamped to 1, multiplies every gradient. norm_type > 0, or
/// infinity for the largest absolute value. A NaN or infinite total norm throws std::runtime_error, before
/// any gradient changes, when error_if_nonfinite; otherwise it scales them anyway (to NaN or 0), as PyTorch.
/// Not [[nodiscard]]: it is called for its effect, and the norm is there for logging.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element of `params` into [-clip_value, clip_value] (clip_value >= 0; infinity
/// leaves them as they are). A NaN element stays NaN, as in PyTorch's clamp.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace tg::optim
