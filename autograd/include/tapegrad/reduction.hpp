#pragma once
// Reductions over given dimensions (negative dims count from the back), with keepdim as in PyTorch.
// An empty dims list reduces over every dimension.

#include <initializer_list>
#include <span>

#include "tapegrad/tensor.hpp"

namespace tg {

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

/// Maximum over dims (PyTorch's amax); unlike max the gradient is split evenly among the tied maxima of a
/// slice. NaN propagates: a slice holding one gives NaN, and (as in PyTorch) a NaN gradient over that slice.
/// A reduced dimension of extent 0 throws.
[[nodiscard]] Tensor amax(const Tensor& x);
[[nodiscard]] Tensor amax(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor amax(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
/// Minimum over dims, as amax: ties share the gradient evenly, NaN propagates.
[[nodiscard]] Tensor amin(const Tensor& x);
[[nodiscard]] Tensor amin(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor amin(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);

/// Product of all elements (0-d result; 1 for an empty tensor). The gradient of each element is the
/// product of the others, exact with zeros: one zero gets the product of the rest, two or more give 0.
[[nodiscard]] Tensor prod(const Tensor& x);
/// Product along one dimension (a 0-d x counts as 1-d, as in PyTorch), gradient as above per slice.
[[nodiscard]] Tensor prod(const Tensor& x, int dim, bool keepdim = false);

/// Index of the (first) maximum along dim, as a tensor of x's dtype holding whole numbers; the first NaN
/// when there is one, as in PyTorch; not differentiable.
[[nodiscard]] Tensor argmax(const Tensor& x, int dim, bool keepdim = false);

/// Sums x down to `shape`, the inverse of broadcast_to: x's shape must be shape broadcast. x is taken
/// by value and handed back when it already has that shape, so that a temporary gradient passed in
/// stays the only handle on its storage (and is adopted, not copied, by the gradient it joins).
[[nodiscard]] Tensor sum_to(Tensor x, const Shape& shape);

}  // namespace tg
