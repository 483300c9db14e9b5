#pragma once
// Reductions over given dimensions (negative dims count from the back), with keepdim as in PyTorch.
// An empty dims list reduces over every dimension. max, min, argmax and argmin are declared in
// extrema.hpp, included here.

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

/// Sums x down to `shape`, the inverse of broadcast_to: x's shape must be shape broadcast. x is taken
/// by value and handed back when it already has that shape, so that a temporary gradient passed in
/// stays the only handle on its storage (and is adopted, not copied, by the gradient it joins).
[[nodiscard]] Tensor sum_to(Tensor x, const Shape& shape);

}  // namespace tg
