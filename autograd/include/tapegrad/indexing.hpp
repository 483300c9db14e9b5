#pragma once
// Indexing with int64 index tensors and bool masks, with PyTorch's names, argument orders and rules.
// Values of every dtype are moved (float32, float64, int64, bool); gradients flow to float values only,
// never to an index. Index values must lie in [0, extent): a negative one is an error, as in PyTorch.
// Every bad input throws std::invalid_argument naming the op, e.g. "gather: index 5 at position [1, 0] is
// out of range [0, 3) for dimension 0 of x [3, 2]" or "index_select: index must be an int64 tensor, got
// float32". The backwards are each other: index_select <-> index_add, gather <-> scatter_add (scatter's
// backward is a scatter and a gather), so that a recorded backward can itself be differentiated.
// Ops save the index by handle, as PyTorch does: do not overwrite it in place before backward().
// Where tapegrad differs from PyTorch: index_add has no alpha; scatter with repeated indices keeps the last
// write (PyTorch leaves it unspecified) and sends src's gradient to that write only; a src larger than its
// index gets a zero gradient where the index does not reach (PyTorch 1.13 fails there); index_select of a
// 0-d x takes exactly one index; embedding has no max_norm; one_hot takes an optional dtype (PyTorch's is
// always int64). Index tensors are int64 only (no int32 dtype exists).

#include <cstdint>
#include <optional>

#include "tapegrad/tensor.hpp"

namespace tg {

/// x [..., N, ...] (N at dim), index [K] or 0-d (K = 1) -> [..., K, ...]: out[..., k, ...] = x[..., index[k], ...].
[[nodiscard]] Tensor index_select(const Tensor& x, int dim, const Tensor& index);
/// torch.index_add (out of place, alpha 1): x [..., N, ...], index [K], source [..., K, ...] -> x's shape,
/// out = x with out[..., index[k], ...] += source[..., k, ...] (repeated indices add up).
[[nodiscard]] Tensor index_add(const Tensor& x, int dim, const Tensor& index, const Tensor& source);
/// x and index of the same rank, index.size(d) <= x.size(d) for d != dim -> index's shape:
/// out[i][j] = x[index[i][j]][j] (dim 0), x[i][index[i][j]] (dim 1), and so on.
[[nodiscard]] Tensor gather(const Tensor& x, int dim, const Tensor& index);
/// torch.scatter_add (out of place): x, index, src of the same rank, index.size(d) <= src.size(d) for every d
/// and <= x.size(d) for d != dim -> x's shape: out = x with out[index[i][j]][j] += src[i][j] (dim 0).
[[nodiscard]] Tensor scatter_add(const Tensor& x, int dim, const Tensor& index, const Tensor& src);
/// torch.scatter (out of place), the same rules as scatter_add: out[index[i][j]][j] = src[i][j] (dim 0).
[[nodiscard]] Tensor scatter(const Tensor& x, int dim, const Tensor& index, const Tensor& src);
/// torch.scatter with a scalar: out[index[i][j]][j] = value (dim 0).
[[nodiscard]] Tensor scatter(const Tensor& x, int dim, const Tensor& index, double value);
/// torch.take_along_dim: gather(x, dim, indices) after broadcasting x and indices (of the same rank) against
/// each other outside dim; without dim, x and indices are flattened first (the result is 1-d).
[[nodiscard]] Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int> dim = std::nullopt);
/// torch.nn.functional.embedding: input int64 of any shape, weight [V, D] -> input.shape + [D], rows of weight.
/// The row padding_idx (negative counts from the back) receives no gradient.
[[nodiscard]] Tensor embedding(const Tensor& input, const Tensor& weight,
                               std::optional<std::int64_t> padding_idx = std::nullopt);
/// x and a bool mask broadcast against each other -> 1-d: the elements of x where mask is true, row-major.
[[nodiscard]] Tensor masked_select(const Tensor& x, const Tensor& mask);
/// torch.nn.functional.one_hot: int64 index of any shape -> index.shape + [num_classes], 1 at each index
/// value; num_classes -1 infers max + 1. dtype (a tapegrad extension) gives e.g. a float32 one-hot.
[[nodiscard]] Tensor one_hot(const Tensor& index, std::int64_t num_classes = -1, Dtype dtype = kInt64);

}  // namespace tg
