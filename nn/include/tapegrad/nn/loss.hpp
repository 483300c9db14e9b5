#pragma once
// Losses, as functions. Each takes a reduction: Mean (the default), Sum, or None (per-element or
// per-sample losses).
//
// Class-index targets (cross_entropy, nll_loss) are 1-d int64 tensors (N) of classes in [0, C), as in
// PyTorch; the readers and the DataLoader make labels so. A sample whose target equals ignore_index
// (default -100, as PyTorch's) counts 0, sends no gradient, and is left out of Mean's count (Mean over
// no counted samples is nan, as in PyTorch). The losses copy the indices in the forward, so the target
// may be overwritten before backward().
// A floating-point (or bool) 1-d target is refused, as PyTorch refuses it ("expected scalar type Long"),
// with a message naming the fix: `cross_entropy: class-index targets must be int64, got a float32 tensor
// of shape [8]; convert with .to(tg::kInt64)`. (Before int64 existed they were whole numbers in the
// input's dtype; refusing them, rather than truncating, keeps a label of 2.5 or a float32 index above
// 2^24 from silently naming another class.)
// Every loss throws std::invalid_argument naming itself and what it got: shapes that disagree (both are
// named), differing dtypes, a class index out of range (its value and position), or a probability
// outside [0, 1] (the offending element).
// Every loss can be differentiated twice (backward with create_graph) in its floating-point arguments.

#include <cstdint>

#include "tapegrad/tensor.hpp"

namespace tg::nn {

enum class Reduction { Mean, Sum, None };

/// The class-index target that cross_entropy and nll_loss skip by default (PyTorch's ignore_index, which
/// PyTorch passes by keyword; here it follows the reduction that every loss takes).
inline constexpr std::int64_t kIgnoreIndex = -100;

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
/// (N) int64 class indices or (N, C) class probabilities in the logits' dtype (ignore_index applies to
/// indices only, as in PyTorch). Mean averages over the samples not ignored.
[[nodiscard]] Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean,
                                   std::int64_t ignore_index = kIgnoreIndex);
/// Negative log-likelihood -log_probs[i, target[i]] of log-probabilities (N, C) at (N) int64 class indices;
/// Mean averages over the samples not ignored.
[[nodiscard]] Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::Mean,
                              std::int64_t ignore_index = kIgnoreIndex);
/// KL(target || exp(input)) = sum target * (log target - input) for input log-probabilities; terms with
/// target 0 count 0 (there the gradient with respect to target is -input). target must lie in [0, 1].
/// Mean averages over all elements (PyTorch's 'mean'); BatchMean divides the sum by N = input.size(0).
enum class KLReduction { Mean, BatchMean, Sum, None };
[[nodiscard]] Tensor kl_div(const Tensor& input, const Tensor& target, KLReduction reduction = KLReduction::Mean);

}  // namespace tg::nn
