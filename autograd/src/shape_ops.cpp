// Shape ops: reshape, transpose, broadcast_to, slice, cat, index_select, gather_rows. Their backwards
// are each other: reshape <-> reshape, broadcast_to <-> sum_to, slice <-> a zero-padded copy, cat <-> slices.

#include "tapegrad/shape_ops.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::Around;
using detail::around;
using detail::needs_grad;
using detail::record;

Tensor reshape(const Tensor& x, const Shape& shape) {
  detail::check_defined(x, "reshape");
  Shape target = shape;
  int inferred = -1;
  std::int64_t known = 1;
  for (int d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (inferred >= 0) throw std::invalid_argument("reshape: only one dimension can be -1, got " + shape.str());
      inferred = d;
    } else {
      known *= shape[d];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw std::invalid_argument("reshape: cannot reshape " + x.shape().str() + " into " + shape.str());
    target[inferred] = x.numel() / known;
  }
  if (target.numel() != x.numel())
    throw std::invalid_argument("reshape: cannot reshape " + x.shape().str() + " (" + std::to_string(x.numel()) +
                                " elements) into " + shape.str());
  if (target == x.shape()) return x;
  Tensor y(detail::impl_alloc_shared(target, x.dtype(), x.impl()->storage));
  if (needs_grad(x))
    record("reshape", y, [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, reshape(dy, x.shape())); });
  return y;
}

Tensor transpose(const Tensor& x, int dim0, int dim1) {
  detail::check_defined(x, "transpose");
  const int d0 = detail::normalize_dim(dim0, x.dim(), "transpose");
  const int d1 = detail::normalize_dim(dim1, x.dim(), "transpose");
  if (d0 == d1) return x;
  Shape out = x.shape();
  std::swap(out[d0], out[d1]);
  Tensor y = empty(out, x.dtype());
  // Walk the output in order; the source index uses x's strides with d0 and d1 swapped.
  const int nd = x.dim();
  std::int64_t xs[Shape::kMaxDims];
  std::int64_t stride = 1;
  for (int d = nd - 1; d >= 0; --d) {
    xs[d] = stride;
    stride *= x.shape()[d];
  }
  std::swap(xs[d0], xs[d1]);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::int64_t idx[Shape::kMaxDims] = {};
    std::int64_t src = 0;
    for (std::int64_t i = 0, n = y.numel(); i < n; ++i) {
      py[i] = px[src];
      for (int d = nd - 1; d >= 0; --d) {
        src += xs[d];
        if (++idx[d] < out[d]) break;
        src -= xs[d] * out[d];
        idx[d] = 0;
      }
    }
  });
  if (needs_grad(x))
    record("transpose", y, [x, d0, d1](const Tensor& dy, const Tensor&) { accumulate_grad(x, transpose(dy, d0, d1)); });
  return y;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::check_defined(x, "broadcast_to");
  if (x.shape() == shape) return x;
  if (x.dim() > shape.size() || detail::broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
    throw std::invalid_argument("broadcast_to: cannot broadcast " + x.shape().str() + " to " + shape.str());
  // The broadcast copy is the zip of x with itself read through broadcast strides.
  Tensor y = detail::broadcast_zip(x, x, shape, [](auto u, auto) { return u; });
  if (needs_grad(x))
    record("broadcast_to", y, [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, sum_to(dy, x.shape())); });
  return y;
}

namespace {

// Copies rows [src_at, src_at + count) of src's (outer, src_extent, inner) layout to rows
// [dst_at, dst_at + count) of dst's (outer, dst_extent, inner) layout.
void copy_block(const Tensor& src, std::int64_t src_extent, std::int64_t src_at, Tensor& dst,
                std::int64_t dst_extent, std::int64_t dst_at, std::int64_t count, const Around& a) {
  const std::size_t elem = dtype_size(src.dtype());
  const auto* s = static_cast<const std::byte*>(src.impl()->storage->data);
  auto* t = static_cast<std::byte*>(dst.impl()->storage->data);
  const std::size_t row = static_cast<std::size_t>(count * a.inner) * elem;
  for (std::int64_t o = 0; o < a.outer; ++o)
    std::memcpy(t + static_cast<std::size_t>((o * dst_extent + dst_at) * a.inner) * elem,
                s + static_cast<std::size_t>((o * src_extent + src_at) * a.inner) * elem, row);
}

// The gradient of slice: dy placed at [start, start+len) along d of a zero tensor of x's shape.
Tensor slice_backward(const Tensor& dy, const Shape& shape, int d, std::int64_t start);

}  // namespace

Tensor slice(const Tensor& x, int dim, std::int64_t start, std::int64_t end) {
  detail::check_defined(x, "slice");
  const int d = detail::normalize_dim(dim, x.dim(), "slice");
  const std::int64_t extent = x.shape()[d];
  const std::int64_t s = std::clamp<std::int64_t>(start < 0 ? start + extent : start, 0, extent);
  const std::int64_t e = std::clamp<std::int64_t>(end < 0 ? end + extent : end, s, extent);
  Shape out = x.shape();
  out[d] = e - s;
  Tensor y = empty(out, x.dtype());
  copy_block(x, extent, s, y, e - s, 0, e - s, around(x.shape(), d));
  if (needs_grad(x))
    record("slice", y, [x, d, s](const Tensor& dy, const Tensor&) { accumulate_grad(x, slice_backward(dy, x.shape(), d, s)); });
  return y;
}

namespace {

Tensor slice_backward(const Tensor& dy, const Shape& shape, int d, std::int64_t start) {
  Tensor dx = zeros(shape, dy.dtype());
  copy_block(dy, dy.shape()[d], 0, dx, shape[d], start, dy.shape()[d], around(shape, d));
  if (needs_grad(dy)) {  // only when the sweep itself is recorded: the inverse is slicing dx back out
    const std::int64_t len = dy.shape()[d];
    record("slice_backward", dx, [dy, d, start, len](const Tensor& ddx, const Tensor&) {
      accumulate_grad(dy, slice(ddx, d, start, start + len));
    });
  }
  return dx;
}

}  // namespace

Tensor cat(std::span<const Tensor> tensors, int dim) {
  if (tensors.empty()) throw std::invalid_argument("cat: needs at least one tensor");
  const Tensor& first = tensors[0];
  detail::check_defined(first, "cat");
  const int d = detail::normalize_dim(dim, first.dim(), "cat");
  Shape out = first.shape();
  out[d] = 0;
  for (const Tensor& t : tensors) {
    detail::check_defined(t, "cat");
    detail::check_same_dtype(first, t, "cat");
    bool same = t.dim() == first.dim();
    for (int i = 0; same && i < t.dim(); ++i) same = i == d || t.shape()[i] == first.shape()[i];
    if (!same)
      throw std::invalid_argument("cat: shapes " + first.shape().str() + " and " + t.shape().str() +
                                  " differ outside dimension " + std::to_string(dim));
    out[d] += t.shape()[d];
  }
  Tensor y = empty(out, first.dtype());
  bool any_grad = false;
  std::int64_t at = 0;
  for (const Tensor& t : tensors) {
    copy_block(t, t.shape()[d], 0, y, out[d], at, t.shape()[d], around(t.shape(), d));
    at += t.shape()[d];
    any_grad = any_grad || t.requires_grad();
  }
  if (is_grad_enabled() && any_grad)
    record("cat", y, [inputs = std::vector<Tensor>(tensors.begin(), tensors.end()), d](const Tensor& dy, const Tensor&) {
      std::int64_t offset = 0;
      for (const Tensor& t : inputs) {  // each input's gradient is its slice of dy
        const std::int64_t len = t.shape()[d];
        if (t.requires_grad()) accumulate_grad(t, slice(dy, d, offset, offset + len));
        offset += len;
      }
    });
  return y;
}

Tensor cat(std::initializer_list<Tensor> tensors, int dim) {
  return cat(std::span<const Tensor>(tensors.begin(), tensors.size()), dim);
}

namespace {

void check_index(std::int64_t i, std::int64_t extent, std::size_t pos, const char* op) {
  if (i < 0 || i >= extent)
    throw std::invalid_argument(std::string(op) + ": index " + std::to_string(i) + " at position " +
                                std::to_string(pos) + " is out of range [0, " + std::to_string(extent) + ")");
}

// dx = zeros(shape); dx[index[i]] += dy[i] row by row (rows of `row` elements): the inverse of index_select.
Tensor index_add_rows(const Tensor& dy, const Shape& shape, std::span<const std::int64_t> index, std::int64_t row) {
  Tensor dx = zeros(shape, dy.dtype());
  visit_dtype(dy.dtype(), [&]<class T>() {
    const T* src = dy.data<T>();
    T* dst = dx.data<T>();
    for (std::size_t i = 0; i < index.size(); ++i)
      for (std::int64_t j = 0; j < row; ++j) dst[index[i] * row + j] += src[static_cast<std::int64_t>(i) * row + j];
  });
  return dx;
}

}  // namespace

Tensor index_select(const Tensor& x, std::span<const std::int64_t> index) {
  detail::check_defined(x, "index_select");
  if (x.dim() < 1) throw std::invalid_argument("index_select: needs a tensor with at least one dimension");
  const std::int64_t rows = x.shape()[0];
  const std::int64_t row = rows == 0 ? 0 : x.numel() / rows;
  Shape out = x.shape();
  out[0] = static_cast<std::int64_t>(index.size());
  Tensor y = empty(out, x.dtype());
  const std::size_t bytes = static_cast<std::size_t>(row) * dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.impl()->storage->data);
  auto* dst = static_cast<std::byte*>(y.impl()->storage->data);
  for (std::size_t i = 0; i < index.size(); ++i) {
    check_index(index[i], rows, i, "index_select");
    std::memcpy(dst + i * bytes, src + static_cast<std::size_t>(index[i]) * bytes, bytes);
  }
  if (needs_grad(x))
    record("index_select", y, [x, idx = std::vector<std::int64_t>(index.begin(), index.end()), row](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, index_add_rows(dy, x.shape(), idx, row));
    });
  return y;
}

Tensor gather_rows(const Tensor& x, std::span<const std::int64_t> index) {
  detail::check_defined(x, "gather_rows");
  if (x.dim() != 2 || static_cast<std::int64_t>(index.size()) != x.shape()[0])
    throw std::invalid_argument("gather_rows: needs x of shape (N, C) and N indices, got " + x.shape().str() + " and " +
                                std::to_string(index.size()) + " indices");
  const std::int64_t c = x.shape()[1];
  for (std::size_t i = 0; i < index.size(); ++i) check_index(index[i], c, i, "gather_rows");
  Tensor y = empty(Shape{x.shape()[0]}, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::size_t i = 0; i < index.size(); ++i) py[i] = px[static_cast<std::int64_t>(i) * c + index[i]];
  });
  if (needs_grad(x))
    record("gather_rows", y, [x, idx = std::vector<std::int64_t>(index.begin(), index.end())](const Tensor& dy, const Tensor&) {
      // dx[i, index[i]] = dy[i], 0 elsewhere: a one-hot mask scaled by dy
      Tensor onehot = zeros(x.shape(), x.dtype());
      for (std::size_t i = 0; i < idx.size(); ++i) onehot.put_({static_cast<std::int64_t>(i), idx[i]}, 1.0);
      accumulate_grad(x, onehot * reshape(dy, Shape{dy.numel(), 1}));
    });
  return y;
}

}  // namespace tg
