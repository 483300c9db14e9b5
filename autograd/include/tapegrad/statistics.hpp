#pragma once
// Statistics over dimensions, with PyTorch's names, defaults and gradients: var and std (PyTorch 2's
// `correction`), var_mean and std_mean, vector norms (torch.linalg.vector_norm, and torch.norm's "fro"),
// and a stable logsumexp. dims as for sum: negative dims count from the back, an empty list reduces
// every dimension.
//
// correction is the number subtracted from each slice's count N: var = sum((x - mean)^2) / max(0, N - correction),
// so 1 (the default) is Bessel's unbiased estimate and 0 the population variance. A bool passed there
// means what libtorch's `unbiased` does (true = 1, false = 0). Where N <= correction the result is inf
// (NaN for a constant slice) and the gradient 2 dy (x - mean) / 0: +-inf, NaN where x is the mean. PyTorch
// gives that over given dims where N == correction; for N < correction there it divides by the negative
// N - correction, and over all of x it gives dy * inf without the sign of x - mean. Unlike PyTorch, which
// accepts it, a negative correction throws.

#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>

#include "tapegrad/tensor.hpp"

namespace tg {

/// Variance over dims with Bessel's correction by default. x:[...] -> the reduced shape.
[[nodiscard]] Tensor var(const Tensor& x);
[[nodiscard]] Tensor var(const Tensor& x, std::span<const int> dims, double correction = 1, bool keepdim = false);
[[nodiscard]] Tensor var(const Tensor& x, std::initializer_list<int> dims, double correction = 1, bool keepdim = false);
/// sqrt(var); the gradient of a slice whose std is 0 is 0 (PyTorch's), not NaN.
[[nodiscard]] Tensor std(const Tensor& x);
[[nodiscard]] Tensor std(const Tensor& x, std::span<const int> dims, double correction = 1, bool keepdim = false);
[[nodiscard]] Tensor std(const Tensor& x, std::initializer_list<int> dims, double correction = 1, bool keepdim = false);
/// (var, mean) from one mean, as torch.var_mean.
[[nodiscard]] std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::span<const int> dims = {}, double correction = 1,
                                                 bool keepdim = false);
[[nodiscard]] std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::initializer_list<int> dims, double correction = 1,
                                                 bool keepdim = false);
/// (std, mean), as torch.std_mean.
[[nodiscard]] std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::span<const int> dims = {}, double correction = 1,
                                                 bool keepdim = false);
[[nodiscard]] std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::initializer_list<int> dims, double correction = 1,
                                                 bool keepdim = false);

/// The 2-norm of all elements (0-d).
[[nodiscard]] Tensor norm(const Tensor& x);
/// The vector p-norm over dims, as torch.linalg.vector_norm(x, p, dims, keepdim): (sum |x|^p)^(1/p) for any
/// real p, max |x| for inf, min |x| for -inf, the count of nonzeros for 0. Gradients are PyTorch's
/// subgradients: 0 where the norm is 0 (p = 2 and other p > 1), sign(x) for p = 1, split evenly among the
/// tied extremes for +-inf. p = +-inf over an empty slice and a NaN p throw.
[[nodiscard]] Tensor norm(const Tensor& x, double p, std::span<const int> dims = {}, bool keepdim = false);
[[nodiscard]] Tensor norm(const Tensor& x, double p, std::initializer_list<int> dims, bool keepdim = false);
/// torch.norm's string p: only "fro", the 2-norm over at most 2 dims (or over all of x); "nuc" and the
/// other matrix norms are not implemented and throw, as does any other string.
[[nodiscard]] Tensor norm(const Tensor& x, std::string_view p, std::span<const int> dims = {}, bool keepdim = false);
[[nodiscard]] Tensor norm(const Tensor& x, std::string_view p, std::initializer_list<int> dims, bool keepdim = false);

/// log(sum(exp(x))) over dims, with the slice's maximum subtracted first so that exp never overflows; a
/// slice of -inf (or an empty one) gives -inf, not NaN, as in PyTorch. Its gradient is softmax over the slice.
[[nodiscard]] Tensor logsumexp(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor logsumexp(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);

}  // namespace tg
