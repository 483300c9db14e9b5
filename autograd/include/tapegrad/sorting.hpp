#pragma once
// Sorting and selection along one dimension with PyTorch's names, argument orders and defaults: sort,
// argsort, topk, kthvalue, median. Negative dims count from the back; a 0-d tensor takes dim 0 or -1.
//
// NaN ranks above every number, as in PyTorch: last ascending, first descending, first among topk's
// largest. median propagates it instead: a slice holding a NaN has its first NaN as the median.
// Ties keep their index order, with or without `stable` (std::stable_sort with it, an index tie-break
// without), so every result is deterministic where PyTorch leaves the order of ties unspecified.
// topk returns its elements sorted even with sorted = false (PyTorch leaves the order unspecified).
//
// Gradients go back to the elements at the returned indices (a scatter of dy); median(x) splits dy
// evenly among the elements equal to the median, as PyTorch does. int64 and bool tensors work too (no
// gradient); PyTorch 1.13 refuses bool in topk, kthvalue and median, tapegrad orders false < true.

#include <cstdint>

#include "tapegrad/extrema.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// x sorted along dim, and the index along dim each value came from: both x's shape.
[[nodiscard]] ValuesIndices sort(const Tensor& x, int dim = -1, bool descending = false, bool stable = false);
/// sort(x, dim, descending, stable).indices, computed without the values; not differentiable.
[[nodiscard]] Tensor argsort(const Tensor& x, int dim = -1, bool descending = false, bool stable = false);
/// The k largest (or smallest) elements along dim, best first, and their indices: x's shape with
/// extent k along dim; 0 <= k <= x.size(dim).
[[nodiscard]] ValuesIndices topk(const Tensor& x, std::int64_t k, int dim = -1, bool largest = true,
                                 bool sorted = true);
/// The k-th smallest element along dim (k from 1) and its index: x's shape without dim (extent 1 there
/// with keepdim); 1 <= k <= x.size(dim).
[[nodiscard]] ValuesIndices kthvalue(const Tensor& x, std::int64_t k, int dim = -1, bool keepdim = false);
/// The lower median along dim (the ((n + 1) / 2)-th smallest of n) and its index, shaped as kthvalue's.
[[nodiscard]] ValuesIndices median(const Tensor& x, int dim, bool keepdim = false);
/// The lower median of every element (0-d); x must not be empty (PyTorch returns NaN for an empty x).
[[nodiscard]] Tensor median(const Tensor& x);

}  // namespace tg
