#pragma once
// Losses, as functions. Each takes a reduction: Mean (the default), Sum, or None (per-element or
// per-sample losses). Class-index targets are 1-d tensors of whole numbers in the input's dtype; in
// float32 at most 2^24 + 1 classes (above 2^24 not every whole number is a float32 number). The losses
// copy the indices in the forward, so the target may be overwritten before backward().
// Every loss throws std::invalid_argument naming itself and what it got: shapes that disagree (both are
// named), differing dtypes, a class index that is out of range or not whole, more classes than float32
// indices can name, or a probability outside [0, 1] (each names the offending element).

#include "tapegrad/tensor.hpp"

namespace tg::nn {

enum class Reduction { Mean, Sum, None };

/// mean((input - target)^2); shapes must match.
[[nodiscard]] Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// -(t log p + (1 - t) log(1 - p)) on probabilities p in [0, 1] (and targets in [0, 1]); each log is
/// clamped at -100, as in PyTorch, so p = 0 or 1 gives a finite loss. Where the clamp holds the gradient
/// with respect to p is 0.
[[nodiscard]] Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target,
                                          Reduction reduction = Reduction::Mean);
/// binary_cross_entropy(sigmoid(logits), target), computed stably: max(x, 0) - x t + log1p(e^-|x|).
[[nodiscard]] Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                                      Reduction reduction = Reduction::Mean);
/// Cross-entropy of logits (N, C) fused with log-softmax (finite for any finite logits). target is either
/// (N) class indices or (N, C) class probabilities. Mean averages over the N samples.
[[nodiscard]] Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean);
/// Negative log-likelihood of log-probabilities (N, C) at (N) class indices.
[[nodiscard]] Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean);
/// KL(target || exp(input)) = sum target * (log target - input) for input log-probabilities; terms with
/// target 0 count 0 (there the gradient with respect to target is -input). target must lie in [0, 1].
/// Mean averages over all elements (PyTorch's 'mean'); BatchMean divides the sum by N = input.size(0).
enum class KLReduction { Mean, BatchMean, Sum, None };
[[nodiscard]] Tensor kl_div(const Tensor& input, const Tensor& target, KLReduction reduction = KLReduction::Mean);

}  // namespace tg::nn
