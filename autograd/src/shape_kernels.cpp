#include "shape_kernels.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "kernels.hpp"

namespace tg::detail {

Index contiguous_strides(const Shape& shape) {
  Index strides{};
  std::int64_t stride = 1;
  for (int d = shape.size() - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

CopyPlan identity_plan(const Shape& shape) {
  const Index zero{};
  return box_plan(shape, shape, zero, shape, zero);
}

CopyPlan box_plan(const Shape& box, const Shape& src_shape, const Index& src_at, const Shape& dst_shape,
                  const Index& dst_at) {
  assert(box.size() == src_shape.size() && box.size() == dst_shape.size());
  const Index src_strides = contiguous_strides(src_shape);
  const Index dst_strides = contiguous_strides(dst_shape);
  CopyPlan plan;
  plan.ndim = box.size();
  for (int d = 0; d < plan.ndim; ++d) {
    CopyAxis& a = plan.axes[d];
    a.extent = box[d];
    a.period = std::max<std::int64_t>(a.extent, 1);
    a.src_stride = src_strides[d];
    a.dst_stride = dst_strides[d];
    plan.src_offset += src_at[d] * src_strides[d];
    plan.dst_offset += dst_at[d] * dst_strides[d];
  }
  return plan;
}

CopyPlan along_plan(const Shape& box, const Shape& src_shape, std::int64_t src_at, const Shape& dst_shape,
                    std::int64_t dst_at, int d) {
  Index src_index{};
  Index dst_index{};
  src_index[d] = src_at;
  dst_index[d] = dst_at;
  return box_plan(box, src_shape, src_index, dst_shape, dst_index);
}

namespace {

std::int64_t wrap(std::int64_t k, std::int64_t period) {
  if (k >= period) return k - period;
  return k < 0 ? k + period : k;
}

// Two neighbouring axes walk one run of both tensors when the inner one covers its whole period in
// order and the outer one's strides are the inner one's times its extent. The outer one may start
// anywhere and wrap: ((s + i) mod P) * E + k == (s * E + i * E + k) mod (P * E) for 0 <= k < E.
bool mergeable(const CopyAxis& outer, const CopyAxis& inner) {
  return outer.step == 1 && inner.step == 1 && inner.start == 0 && inner.period == inner.extent &&
         outer.src_stride == inner.extent * inner.src_stride && outer.dst_stride == inner.extent * inner.dst_stride;
}

// The same copy with axes of extent 1 folded into the offsets and mergeable neighbours merged.
CopyPlan simplify(const CopyPlan& plan) {
  CopyPlan out;
  out.src_offset = plan.src_offset;
  out.dst_offset = plan.dst_offset;
  for (int d = 0; d < plan.ndim; ++d) {
    const CopyAxis& a = plan.axes[d];
    if (a.extent == 1) {
      out.src_offset += a.start * a.src_stride;
      continue;
    }
    out.axes[out.ndim++] = a;
    // Merging as the axes arrive, outer to inner, lets a merged pair merge again with the one outside it.
    while (out.ndim >= 2 && mergeable(out.axes[out.ndim - 2], out.axes[out.ndim - 1])) {
      const CopyAxis inner = out.axes[--out.ndim];
      CopyAxis& outer = out.axes[out.ndim - 1];
      outer.start *= inner.extent;
      outer.period *= inner.extent;
      outer.extent *= inner.extent;
      outer.src_stride = inner.src_stride;
      outer.dst_stride = inner.dst_stride;
    }
  }
  return out;
}

// One row: the innermost axis. N is the element size in bytes; memcpy of N bytes compiles to one move.
template <std::size_t N>
void copy_row(const std::byte* src, std::byte* dst, const CopyAxis& a) {
  constexpr auto n = static_cast<std::int64_t>(N);
  std::int64_t k = a.start;
  if (a.step == 1 && a.src_stride == 1 && a.dst_stride == 1) {  // runs, cut where the source index wraps
    for (std::int64_t left = a.extent; left > 0; k = 0) {
      const std::int64_t len = std::min(left, a.period - k);
      std::memcpy(dst, src + k * n, static_cast<std::size_t>(len * n));
      dst += len * n;
      left -= len;
    }
    return;
  }
  if (a.src_stride == 0) {  // one element repeated (broadcast): a fill the compiler can vectorise
    std::byte value[N];
    std::memcpy(value, src, N);
    for (std::int64_t i = 0; i < a.extent; ++i) std::memcpy(dst + i * a.dst_stride * n, value, N);
    return;
  }
  for (std::int64_t i = 0; i < a.extent; ++i) {
    std::memcpy(dst + i * a.dst_stride * n, src + k * a.src_stride * n, N);
    k = wrap(k + a.step, a.period);
  }
}

// Rows over the outer axes with an odometer: k holds each axis's source index, s and t the element
// offsets of the current row in the source and the destination.
template <std::size_t N>
void run(const std::byte* src, std::byte* dst, const CopyPlan& p) {
  if (p.ndim == 0) {
    std::memcpy(dst, src, N);
    return;
  }
  const int outer = p.ndim - 1;
  std::int64_t k[Shape::kMaxDims] = {};
  std::int64_t i[Shape::kMaxDims] = {};
  std::int64_t s = 0;
  std::int64_t t = 0;
  std::int64_t rows = 1;
  for (int d = 0; d < outer; ++d) {
    k[d] = p.axes[d].start;
    s += k[d] * p.axes[d].src_stride;
    rows *= p.axes[d].extent;
  }
  constexpr auto n = static_cast<std::int64_t>(N);
  for (std::int64_t r = 0; r < rows; ++r) {
    copy_row<N>(src + s * n, dst + t * n, p.axes[outer]);
    for (int d = outer - 1; d >= 0; --d) {
      const CopyAxis& a = p.axes[d];
      if (++i[d] < a.extent) {
        const std::int64_t next = wrap(k[d] + a.step, a.period);
        s += (next - k[d]) * a.src_stride;
        t += a.dst_stride;
        k[d] = next;
        break;
      }
      s += (a.start - k[d]) * a.src_stride;
      t -= (a.extent - 1) * a.dst_stride;
      k[d] = a.start;
      i[d] = 0;
    }
  }
}

}  // namespace

void strided_copy(const Tensor& src, Tensor& dst, const CopyPlan& plan) {
  assert(src.dtype() == dst.dtype());
  for (int d = 0; d < plan.ndim; ++d)
    if (plan.axes[d].extent == 0) return;
  const CopyPlan p = simplify(plan);
  const std::size_t elem = dtype_size(src.dtype());
  const auto bytes = static_cast<std::int64_t>(elem);
  const auto* s = static_cast<const std::byte*>(src.impl()->storage->data) + p.src_offset * bytes;
  auto* t = static_cast<std::byte*>(dst.impl()->storage->data) + p.dst_offset * bytes;
  switch (elem) {
    case 1: return run<1>(s, t, p);
    case 2: return run<2>(s, t, p);
    case 4: return run<4>(s, t, p);
    case 8: return run<8>(s, t, p);
    default:
      throw std::logic_error("strided_copy: internal error: no copy for " + std::to_string(elem) + "-byte elements");
  }
}

int normalize_insert_dim(int d, int ndim, const char* op) {
  const int j = d < 0 ? d + ndim + 1 : d;
  if (j < 0 || j > ndim)
    throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(d) + " is out of range for a " +
                                std::to_string(ndim) + "-d tensor (a new dimension goes at -" +
                                std::to_string(ndim + 1) + " to " + std::to_string(ndim) + ")");
  return j;
}

int normalize_dim_or_scalar(int d, int ndim, const char* op) {
  if (ndim > 0) return normalize_dim(d, ndim, op);
  if (d != 0 && d != -1)
    throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(d) +
                                " is out of range for a 0-d tensor (which takes only 0 or -1)");
  return 0;
}

Shape insert_dim(const Shape& shape, int d, std::int64_t extent, const char* op) {
  if (shape.size() == Shape::kMaxDims)
    throw std::invalid_argument(std::string(op) + ": the result would have more than " +
                                std::to_string(Shape::kMaxDims) + " dimensions (the input has shape " + shape.str() +
                                ")");
  Shape out;
  for (int i = 0; i < d; ++i) out.push_back(shape[i]);
  out.push_back(extent);
  for (int i = d; i < shape.size(); ++i) out.push_back(shape[i]);
  return out;
}

Shape erase_dim(const Shape& shape, int d) {
  Shape out;
  for (int i = 0; i < shape.size(); ++i)
    if (i != d) out.push_back(shape[i]);
  return out;
}

namespace {

template <class T>
std::string join(std::span<const T> values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

}  // namespace

std::string list_str(std::span<const std::int64_t> values) { return join(values); }
std::string list_str(std::span<const int> values) { return join(values); }

}  // namespace tg::detail
