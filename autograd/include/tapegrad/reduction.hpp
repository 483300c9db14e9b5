#pragma once
// Reductions over given dimensions (negative dims count from the back), with keepdim as in PyTorch.
// An empty dims list reduces over every dimension.

#include <initializer_list>
#include <span>

#include "tapegrad/tensor.hpp"

namespace tg {

/// int64 and bool tensors sum to int64 (counting a mask's true elements, as in PyTorch).
[[nodiscard]] Tensor sum(const Tensor& x);
[[nodiscard]] Tensor sum(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor sum(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
[[nodiscard]] Tensor mean(const Tensor& x);
[[nodiscard]] Tensor mean(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor mean(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
/// Maximum over dims; the gradient goes to the first maximal element of each reduced slice. NaN counts as
/// above every number (as in PyTorch): a slice holding one has NaN as its maximum, and its first NaN
/// takes the gradient.
[[nodiscard]] Tensor max(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor max(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
[[nodiscard]] Tensor max(const Tensor& x);

/// Index of the (first) maximum along dim, as an int64 tensor; the first NaN when there is one, as in
/// PyTorch; not differentiable.
[[nodiscard]] Tensor argmax(const Tensor& x, int dim, bool keepdim = false);

/// Sums x down to `shape`, the inverse of broadcast_to: x's shape must be shape broadcast. x is taken
/// by value and handed back when it already has that shape, so that a temporary gradient passed in
/// stays the only handle on its storage (and is adopted, not copied, by the gradient it joins).
[[nodiscard]] Tensor sum_to(Tensor x, const Shape& shape);

}  // namespace tg
