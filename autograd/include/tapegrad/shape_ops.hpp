#pragma once
// Ops that rearrange elements without arithmetic, with PyTorch's names, arguments and rules. Negative
// dimensions count from the back. They work for every dtype (they move elements by size); their
// gradients, like all of tapegrad's, are float32 or float64.
//
// Where tapegrad differs from PyTorch: tensors are always contiguous, so PyTorch's views are copies
// here, except reshape and what is built on it (unsqueeze, squeeze, flatten, unflatten), which share
// storage; an op that changes nothing (a permutation in order, an expand to the same shape) hands back
// x itself, as reshape to the same shape does. split, chunk and unbind record each piece as its own
// op, so a backward through k pieces of x makes k zero-padded gradients of x's size.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg {

// ---- same elements, new shape ----

/// Same elements in a new shape with the same numel; one extent may be -1 (inferred). Shares storage.
[[nodiscard]] Tensor reshape(const Tensor& x, const Shape& shape);
/// x with a dimension of extent 1 inserted at dim (-x.dim()-1 <= dim <= x.dim()); a reshape.
[[nodiscard]] Tensor unsqueeze(const Tensor& x, int dim);
/// x without its dimensions of extent 1; a reshape.
[[nodiscard]] Tensor squeeze(const Tensor& x);
/// x without dimension dim if its extent is 1, else x itself; a reshape.
[[nodiscard]] Tensor squeeze(const Tensor& x, int dim);
/// Dimensions start_dim..end_dim of x merged into one, e.g. [2, 3, 4] -> [2, 12] for (1, -1); a 0-d x
/// becomes [1]; a reshape.
[[nodiscard]] Tensor flatten(const Tensor& x, int start_dim = 0, int end_dim = -1);
/// Dimension dim of x split into `sizes` (their product its extent; one may be -1, inferred), e.g.
/// [2, 12] -> [2, 3, 4] for (1, {3, -1}); a reshape.
[[nodiscard]] Tensor unflatten(const Tensor& x, int dim, const Shape& sizes);

// ---- reorder ----

/// Swaps two dimensions (a copy: tensors are always contiguous).
[[nodiscard]] Tensor transpose(const Tensor& x, int dim0 = 0, int dim1 = 1);
/// y's dimension d is x's dimension dims[d]; dims is a permutation of x's dimensions.
[[nodiscard]] Tensor permute(const Tensor& x, std::span<const int> dims);
[[nodiscard]] Tensor permute(const Tensor& x, std::initializer_list<int> dims);
/// x with the order of elements reversed along each of dims (no repeats; empty dims: a plain copy).
[[nodiscard]] Tensor flip(const Tensor& x, std::span<const int> dims);
[[nodiscard]] Tensor flip(const Tensor& x, std::initializer_list<int> dims);
/// Elements shifted by shifts[i] along dims[i], wrapping around: y[(j + shift) mod n] = x[j]. With no
/// dims, x is rolled as if flattened by its one shift. A repeated dimension takes the sum of its shifts.
[[nodiscard]] Tensor roll(const Tensor& x, std::span<const std::int64_t> shifts, std::span<const int> dims = {});
[[nodiscard]] Tensor roll(const Tensor& x, std::initializer_list<std::int64_t> shifts,
                          std::initializer_list<int> dims = {});

// ---- repeat ----

/// Repeats x along dimensions of extent 1 (and new leading ones) to reach `shape`; NumPy rules.
[[nodiscard]] Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// broadcast_to with PyTorch's name and rule: a size of -1 keeps that dimension's extent (not allowed
/// for new leading dimensions), e.g. [3, 1] -> [2, 3, 4] for {2, -1, 4}.
[[nodiscard]] Tensor expand(const Tensor& x, const Shape& sizes);
/// x tiled repeats[d] times along each dimension d (PyTorch's repeat, NumPy's tile); more repeats than
/// dimensions add leading ones: [2, 3] -> [4, 2, 9] for {4, 1, 3}.
[[nodiscard]] Tensor repeat(const Tensor& x, std::span<const std::int64_t> repeats);
[[nodiscard]] Tensor repeat(const Tensor& x, std::initializer_list<std::int64_t> repeats);
/// torch.nn.functional.pad in constant mode: pads holds (before, after) pairs from the last dimension
/// backwards, (left, right, top, bottom, ...); the new elements are `value`; negative pads crop.
/// A result extent of 0 is allowed (as in PyTorch 2; 1.13 refused it).
[[nodiscard]] Tensor pad(const Tensor& x, std::span<const std::int64_t> pads, double value = 0.0);
[[nodiscard]] Tensor pad(const Tensor& x, std::initializer_list<std::int64_t> pads, double value = 0.0);

// ---- pick ----

/// Elements start .. end-1 (step 1) along dim; negative start/end count from the back, as in Python.
[[nodiscard]] Tensor slice(const Tensor& x, int dim, std::int64_t start, std::int64_t end);
/// The slice at `index` along dim, without that dimension: [2, 3] -> [2] for (1, i). A negative index
/// counts from the back. x[i] is select(x, 0, i).
[[nodiscard]] Tensor select(const Tensor& x, int dim, std::int64_t index);
/// Rows of x picked by index (x is (N, ...), the result (len(index), ...)); gradients are scattered back.
[[nodiscard]] Tensor index_select(const Tensor& x, std::span<const std::int64_t> index);
/// out[i] = x[i, index[i]] for x of shape (N, C); gradients are scattered back.
[[nodiscard]] Tensor gather_rows(const Tensor& x, std::span<const std::int64_t> index);

// ---- join and split ----

/// Joins tensors along dim; all other extents must agree. 0-d tensors cannot be joined (as in PyTorch:
/// stack them).
[[nodiscard]] Tensor cat(std::span<const Tensor> tensors, int dim = 0);
[[nodiscard]] Tensor cat(std::initializer_list<Tensor> tensors, int dim = 0);
/// Joins tensors of one shape along a new dimension dim (-ndim-1 <= dim <= ndim): k tensors of shape
/// [2, 3] give [k, 2, 3] for dim 0, [2, 3, k] for dim -1; k 0-d tensors give [k].
[[nodiscard]] Tensor stack(std::span<const Tensor> tensors, int dim = 0);
[[nodiscard]] Tensor stack(std::initializer_list<Tensor> tensors, int dim = 0);
/// The inverse of stack: select(x, dim, i) for every i.
[[nodiscard]] std::vector<Tensor> unbind(const Tensor& x, int dim = 0);
/// Pieces of split_size along dim (the last one smaller when the extent does not divide evenly).
[[nodiscard]] std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim = 0);
/// Pieces of the given sizes along dim, which must add up to its extent (PyTorch's split_with_sizes).
[[nodiscard]] std::vector<Tensor> split(const Tensor& x, std::span<const std::int64_t> split_sizes, int dim = 0);
[[nodiscard]] std::vector<Tensor> split(const Tensor& x, std::initializer_list<std::int64_t> split_sizes, int dim = 0);
/// At most `chunks` pieces along dim, each of ceil(extent / chunks) but the last: an extent of 6 in 4
/// chunks gives 3 pieces of 2, as in PyTorch.
[[nodiscard]] std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim = 0);

}  // namespace tg
