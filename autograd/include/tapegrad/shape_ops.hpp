#pragma once
// Ops that rearrange elements without arithmetic.

#include <cstdint>
#include <span>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg {

/// Same elements in a new shape with the same numel; one extent may be -1 (inferred). Shares storage.
[[nodiscard]] Tensor reshape(const Tensor& x, const Shape& shape);
/// Swaps two dimensions (a copy: tensors are always contiguous).
[[nodiscard]] Tensor transpose(const Tensor& x, int dim0 = 0, int dim1 = 1);
/// Repeats x along dimensions of extent 1 (and new leading ones) to reach `shape`; NumPy rules.
[[nodiscard]] Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Elements start .. end-1 (step 1) along dim; negative start/end count from the back, as in Python.
[[nodiscard]] Tensor slice(const Tensor& x, int dim, std::int64_t start, std::int64_t end);
/// Joins tensors along dim; all other extents must agree.
[[nodiscard]] Tensor cat(std::span<const Tensor> tensors, int dim = 0);
[[nodiscard]] Tensor cat(std::initializer_list<Tensor> tensors, int dim = 0);
/// Rows of x picked by index (x is (N, ...), the result (len(index), ...)); gradients are scattered back.
[[nodiscard]] Tensor index_select(const Tensor& x, std::span<const std::int64_t> index);
/// out[i] = x[i, index[i]] for x of shape (N, C); gradients are scattered back.
[[nodiscard]] Tensor gather_rows(const Tensor& x, std::span<const std::int64_t> index);

}  // namespace tg
