#pragma once
// What the extrema (extrema.cpp) and sorting (sorting.cpp) ops share, private to autograd/src: PyTorch's
// NaN orders, the plan of an op along one dimension, a gather and a scatter along it (each the other's
// backward), and the even split of a gradient among tied elements.

#include <cstdint>

#include "kernels.hpp"
#include "tapegrad/extrema.hpp"

namespace tg::detail {

// PyTorch's orders. max, min, argmax and argmin propagate NaN: it beats every number in both directions
// (`beats` is a > b, `beats_below` a < b, each with NaN winning). sort, topk, kthvalue and median instead
// rank NaN above every number, which is `beats` again: b sorts before a ascending when beats(a, b).
// `ties` is a == b with NaN equal to NaN (and -0 equal to 0, as ==).
template <class T>
[[nodiscard]] bool beats(T a, T b) {
  return a > b || (a != a && b == b);
}
template <class T>
[[nodiscard]] bool beats_below(T a, T b) {
  return a < b || (a != a && b == b);
}
template <class T>
[[nodiscard]] bool ties(T a, T b) {
  return a == b || (a != a && b != b);
}

/// An op along one dimension of x. A 0-d x counts as [1] (dim 0 or -1), as in PyTorch.
struct Along {
  Tensor x;        // x, reshaped to [1] when 0-d
  int dim = 0;     // normalized against x
  Around a;        // x's layout around dim
  bool scalar = false;  // the input was 0-d: results are 0-d too
};

/// Throws "op: cannot reduce an empty tensor of shape [0, 3]" when x has no element.
void check_nonempty(const Tensor& x, const char* op);

/// Plans op along dim of x; throws naming op for a dim out of range, and for an empty dim when
/// `nonempty` (a reduction needs an element to pick).
[[nodiscard]] Along along(const Tensor& x, int dim, const char* op, bool nonempty);

/// The shape of t, a result of p's op with one entry per slice (extent 1 along p.dim), with that
/// dimension dropped unless keepdim; 0-d for a 0-d input.
[[nodiscard]] Shape reduced_shape(const Along& p, bool keepdim);

/// out[o, j, i] = x[o, index[o, j, i], i], x viewed as (outer, extent, inner) around dim and index
/// (int64, x's shape but for its extent m along dim) as (outer, m, inner); the result has index's shape
/// and x's dtype. Differentiable in x: dx = put_along(dy, dim, index, x.shape()). Recorded as op.
[[nodiscard]] Tensor take_along(const Tensor& x, int dim, const Tensor& index, const char* op);

/// The elements of p.x at index along p.dim (take_along, which records the gradient) and index itself,
/// both reshaped to out: the (values, indices) result of max(x, dim), sort, topk and the like.
[[nodiscard]] ValuesIndices pick_along(const Along& p, const Tensor& index, const Shape& out, const char* op);

/// zeros(shape) with src[o, j, i] added at [o, index[o, j, i], i], the inverse of take_along (its
/// backward takes along the same index). A stand-in for PyTorch's scatter_add until tapegrad has one.
[[nodiscard]] Tensor put_along(const Tensor& src, int dim, const Tensor& index, const Shape& shape, const char* op);

/// Records on y (x reduced to the kept shape, then reshaped) the backward of max(x), min(x) and
/// median(x): dy split evenly among the elements of each slice that tie the result, NaN tying NaN
/// (PyTorch's evenly_distribute_backward): dx = dy / count * mask, mask = ties(x, y) in x's shape.
void record_even_split(const char* op, const Tensor& x, const Tensor& y, const Shape& kept);

}  // namespace tg::detail
