#pragma once
// Reductions over given dimensions (negative dims count from the back), with keepdim as in PyTorch.
// An empty dims list reduces over every dimension. max, min, amax, amin, argmax and argmin are declared
// in extrema.hpp, included here; var, std, norm, logsumexp in statistics.hpp; cumsum, cumprod in scan.hpp.

#include <initializer_list>
#include <span>

#include "tapegrad/extrema.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// int64 and bool tensors sum to int64 (counting a mask's true elements, as in PyTorch).
[[nodiscard]] Tensor sum(const Tensor& x);
[[nodiscard]] Tensor sum(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor sum(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
[[nodiscard]] Tensor mean(const Tensor& x);
[[nodiscard]] Tensor mean(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor mean(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
/// Product of all elements (0-d result; 1 for an empty tensor). The gradient of each element is the
/// product of the others, exact with zeros: one zero gets the product of the rest, two or more give 0.
[[nodiscard]] Tensor prod(const Tensor& x);
/// Product along one dimension (a 0-d x counts as 1-d, as in PyTorch), gradient as above per slice.
[[nodiscard]] Tensor prod(const Tensor& x, int dim, bool keepdim = false);

/// Sums x down to `shape`, the inverse of broadcast_to: x's shape must be shape broadcast. x is taken
/// by value and handed back when it already has that shape, so that a temporary gradient passed in
/// stays the only handle on its storage (and is adopted, not copied, by the gradient it joins).
[[nodiscard]] Tensor sum_to(Tensor x, const Shape& shape);

}  // namespace tg
