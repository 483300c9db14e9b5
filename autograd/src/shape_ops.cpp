// Shape ops that pick or reorder elements: reshape, transpose, permute, broadcast_to, expand, slice,
// select. Their backwards are each other: reshape <-> reshape, transpose and permute <-> the inverse
// permutation, broadcast_to <-> sum_to, slice and select <-> a zero-padded copy. Data moves by element
// size (shape_kernels.hpp), so these serve every dtype; the backward that adds (sum_to) is arithmetic
// and takes float32 and float64. The joins (cat, stack, split, ...) are in shape_join.cpp, the rest
// (unsqueeze, flip, pad, ...) in shape_dims.cpp; index_select and gather are indexing ops (indexing.cpp).

#include "tapegrad/shape_ops.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels.hpp"
#include "shape_kernels.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::along_plan;
using detail::CopyPlan;
using detail::list_str;
using detail::needs_grad;
using detail::record;
using detail::saves_nothing;
using detail::strided_copy;

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
    record("reshape", y, saves_nothing,
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, reshape(dy, x.shape())); });
  return y;
}

namespace {

// x with its dimensions reordered: y's dimension d is x's dimension perm[d].
Tensor permuted(const Tensor& x, const int* perm) {
  Shape out;
  for (int d = 0; d < x.dim(); ++d) out.push_back(x.shape()[perm[d]]);
  Tensor y = empty(out, x.dtype());
  CopyPlan plan = detail::identity_plan(out);
  const detail::Index strides = detail::contiguous_strides(x.shape());
  for (int d = 0; d < x.dim(); ++d) plan.axes[d].src_stride = strides[perm[d]];
  strided_copy(x, y, plan);
  return y;
}

}  // namespace

Tensor transpose(const Tensor& x, int dim0, int dim1) {
  detail::check_defined(x, "transpose");
  const int d0 = detail::normalize_dim(dim0, x.dim(), "transpose");
  const int d1 = detail::normalize_dim(dim1, x.dim(), "transpose");
  if (d0 == d1) return x;
  int perm[Shape::kMaxDims];
  for (int d = 0; d < x.dim(); ++d) perm[d] = d;
  std::swap(perm[d0], perm[d1]);
  Tensor y = permuted(x, perm);
  if (needs_grad(x))  // a swap is its own inverse
    record("transpose", y, saves_nothing,
           [x, d0, d1](const Tensor& dy, const Tensor&) { accumulate_grad(x, transpose(dy, d0, d1)); });
  return y;
}

Tensor permute(const Tensor& x, std::span<const int> dims) {
  detail::check_defined(x, "permute");
  const int nd = x.dim();
  std::array<int, Shape::kMaxDims> perm{};
  bool seen[Shape::kMaxDims] = {};
  bool ok = static_cast<int>(dims.size()) == nd;
  for (int d = 0; ok && d < nd; ++d) {
    const int j = dims[d] < 0 ? dims[d] + nd : dims[d];
    ok = j >= 0 && j < nd && !seen[j];
    if (ok) {
      seen[j] = true;
      perm[d] = j;
    }
  }
  if (!ok)
    throw std::invalid_argument("permute: dims " + list_str(dims) + " are not a permutation of " + std::to_string(nd) +
                                " dimensions");
  bool identity = true;
  for (int d = 0; d < nd; ++d) identity = identity && perm[d] == d;
  if (identity) return x;
  Tensor y = permuted(x, perm.data());
  if (needs_grad(x)) {  // y's dimension d is x's perm[d]: dx = dy permuted by the inverse, inverse[perm[d]] = d
    std::array<int, Shape::kMaxDims> inverse{};
    for (int d = 0; d < nd; ++d) inverse[perm[d]] = d;
    record("permute", y, saves_nothing, [x, inverse, nd](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, permute(dy, std::span<const int>(inverse.data(), static_cast<std::size_t>(nd))));
    });
  }
  return y;
}

Tensor permute(const Tensor& x, std::initializer_list<int> dims) {
  return permute(x, std::span<const int>(dims.begin(), dims.size()));
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::check_defined(x, "broadcast_to");
  if (x.shape() == shape) return x;
  if (x.dim() > shape.size() || detail::broadcast_shapes(x.shape(), shape, "broadcast_to") != shape)
    throw std::invalid_argument("broadcast_to: cannot broadcast " + x.shape().str() + " to " + shape.str());
  Tensor y = empty(shape, x.dtype());
  CopyPlan plan = detail::identity_plan(shape);
  std::int64_t strides[Shape::kMaxDims];
  detail::broadcast_strides(x.shape(), shape, strides);  // 0 along the dimensions x is repeated over
  for (int d = 0; d < shape.size(); ++d) plan.axes[d].src_stride = strides[d];
  strided_copy(x, y, plan);
  if (needs_grad(x))
    record("broadcast_to", y, saves_nothing,
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, sum_to(dy, x.shape())); });
  return y;
}

Tensor expand(const Tensor& x, const Shape& sizes) {
  detail::check_defined(x, "expand");
  const int lead = sizes.size() - x.dim();  // new leading dimensions
  const auto where = [&] { return " (sizes " + sizes.str() + " for shape " + x.shape().str() + ")"; };
  if (lead < 0)
    throw std::invalid_argument("expand: sizes " + sizes.str() + " are fewer than the " + std::to_string(x.dim()) +
                                " dimensions of shape " + x.shape().str() + "; give at least one per dimension");
  Shape target;
  for (int d = 0; d < sizes.size(); ++d) {
    const std::int64_t have = d < lead ? 1 : x.shape()[d - lead];
    if (d < lead && sizes[d] == -1)
      throw std::invalid_argument("expand: size -1 (keep the extent) cannot be given for the new leading dimension " +
                                  std::to_string(d) + where());
    if (sizes[d] != -1 && sizes[d] != have && have != 1)
      throw std::invalid_argument("expand: size " + std::to_string(sizes[d]) + " at dimension " + std::to_string(d) +
                                  " does not match the extent " + std::to_string(have) +
                                  ", and only extents of 1 can be expanded" + where());
    target.push_back(sizes[d] == -1 ? have : sizes[d]);
  }
  return broadcast_to(x, target);
}

namespace {

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
  strided_copy(x, y, along_plan(out, x.shape(), s, out, 0, d));
  if (needs_grad(x))
    record("slice", y, saves_nothing,
           [x, d, s](const Tensor& dy, const Tensor&) { accumulate_grad(x, slice_backward(dy, x.shape(), d, s)); });
  return y;
}

namespace {

Tensor slice_backward(const Tensor& dy, const Shape& shape, int d, std::int64_t start) {
  Tensor dx = zeros(shape, dy.dtype());
  strided_copy(dy, dx, along_plan(dy.shape(), dy.shape(), 0, shape, start, d));
  if (needs_grad(dy)) {  // only when the sweep itself is recorded: the inverse is slicing dx back out
    const std::int64_t len = dy.shape()[d];
    record("slice_backward", dx, saves_nothing, [dy, d, start, len](const Tensor& ddx, const Tensor&) {
      accumulate_grad(dy, slice(ddx, d, start, start + len));
    });
  }
  return dx;
}

}  // namespace

Tensor select(const Tensor& x, int dim, std::int64_t index) {
  detail::check_defined(x, "select");
  if (x.dim() == 0) throw std::invalid_argument("select: cannot select from a 0-d tensor (it has no dimension)");
  const int d = detail::normalize_dim(dim, x.dim(), "select");
  const std::int64_t extent = x.shape()[d];
  const std::int64_t i = index < 0 ? index + extent : index;
  if (i < 0 || i >= extent)
    throw std::invalid_argument("select: index " + std::to_string(index) + " is out of range for dimension " +
                                std::to_string(d) + " of size " + std::to_string(extent) + " (shape " +
                                x.shape().str() + ")");
  Shape box = x.shape();  // x's shape with 1 at d: y's elements as they lie in x
  box[d] = 1;
  Tensor y = empty(detail::erase_dim(x.shape(), d), x.dtype());
  strided_copy(x, y, along_plan(box, x.shape(), i, box, 0, d));
  if (needs_grad(x))  // y = x[.., i, ..] along d: dx is slice's backward of dy given back its dimension d
    record("select", y, saves_nothing, [x, d, i](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, slice_backward(unsqueeze(dy, d), x.shape(), d, i));
    });
  return y;
}

}  // namespace tg
