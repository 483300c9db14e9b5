#pragma once
// Extrema, with PyTorch's names and rules: max and min of a whole tensor or over dims (values only), along
// one dim with their indices (torch.max(x, dim)), and argmax / argmin. Negative dims count from the back;
// a 0-d tensor takes dim 0 or -1. int64 and bool tensors work too (they carry no gradient; PyTorch 1.13
// refuses bool in argmax and argmin, tapegrad orders false < true).
//
// NaN beats every number in both directions, as in PyTorch: a slice holding a NaN has NaN as its max and
// its min, and its first NaN as the index. Of tied elements the index is the first.
//
// Gradients: max(x, dim) and min(x, dim) send dy to the element at the returned index (PyTorch's
// value_selecting_reduction_backward). max(x) and min(x) split dy evenly among the elements equal to the
// result, NaN counting as equal to NaN (PyTorch 1.7+'s evenly_distribute_backward), and the dims forms do
// the same within each slice. Those are PyTorch's amax and amin (torch.max takes one int dim only), which
// split ties in the same way but give a NaN gradient to every element of a slice whose result is NaN.
//
// Overloads: max(x, 1) is the (values, indices) form, as torch.max(x, 1); max(x, {1}) and max(x, span)
// are the values-only form over a list of dims.

#include <initializer_list>
#include <span>

#include "tapegrad/tensor.hpp"

namespace tg {

/// PyTorch's (values, indices) named tuple, returned by max(x, dim), min(x, dim), sort, topk, kthvalue
/// and median(x, dim); indices are int64 positions along the dim. A plain struct, so that
/// `auto [values, indices] = tg::max(x, 1);` works (LibTorch returns std::tuple<Tensor, Tensor>).
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

/// Maximum of every element (0-d); x must not be empty.
[[nodiscard]] Tensor max(const Tensor& x);
/// Maximum over dims (all of them when empty); x must not be empty.
[[nodiscard]] Tensor max(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor max(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
/// Maximum along dim and its index: both x's shape without dim (extent 1 there with keepdim).
[[nodiscard]] ValuesIndices max(const Tensor& x, int dim, bool keepdim = false);

/// The same for the minimum.
[[nodiscard]] Tensor min(const Tensor& x);
[[nodiscard]] Tensor min(const Tensor& x, std::span<const int> dims, bool keepdim = false);
[[nodiscard]] Tensor min(const Tensor& x, std::initializer_list<int> dims, bool keepdim = false);
[[nodiscard]] ValuesIndices min(const Tensor& x, int dim, bool keepdim = false);

/// Index of the maximum of x flattened in row-major order (0-d int64); x must not be empty.
[[nodiscard]] Tensor argmax(const Tensor& x);
/// Index of the maximum along dim (int64, x's shape without dim); not differentiable.
[[nodiscard]] Tensor argmax(const Tensor& x, int dim, bool keepdim = false);
/// The same for the minimum.
[[nodiscard]] Tensor argmin(const Tensor& x);
[[nodiscard]] Tensor argmin(const Tensor& x, int dim, bool keepdim = false);

}  // namespace tg
