#pragma once
// Loops shared by the op families (private to autograd/src): elementwise maps, NumPy broadcasting, and
// the checks every op opens with.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::detail {

[[noreturn]] void throw_undefined(const char* op);
[[noreturn]] void throw_dtype_mismatch(const Tensor& a, const Tensor& b, const char* op);

/// Throws std::invalid_argument naming op when t is undefined.
inline void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw_undefined(op);
}
/// Throws std::invalid_argument naming op and both dtypes when they differ.
inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype()) throw_dtype_mismatch(a, b, op);
}
/// Dimension d of an ndim-d tensor, counting from the back when negative; throws naming op.
[[nodiscard]] int normalize_dim(int d, int ndim, const char* op);

/// The NumPy broadcast of two shapes; throws "op: shapes cannot be broadcast: [2, 3] and [4]".
[[nodiscard]] Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// y[i] = f(x[i]) for every element, in x's dtype.
template <class F>
[[nodiscard]] Tensor map(const Tensor& x, F f) {
  Tensor y = empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) py[i] = f(px[i]);
  });
  return y;
}

/// z[i] = f(x[i], y[i]) for two tensors of the same shape and dtype.
template <class F>
[[nodiscard]] Tensor zip(const Tensor& x, const Tensor& y, F f) {
  Tensor z = empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* pz = z.data<T>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) pz[i] = f(px[i], py[i]);
  });
  return z;
}

/// A shape viewed as (outer, extent, inner) around dimension d: the layout that ops along one dimension
/// (slice, cat, softmax, argmax) walk.
struct Around {
  std::int64_t outer = 1;
  std::int64_t extent = 1;
  std::int64_t inner = 1;
};

[[nodiscard]] inline Around around(const Shape& shape, int d) {
  Around a;
  for (int i = 0; i < d; ++i) a.outer *= shape[i];
  a.extent = shape[d];
  for (int i = d + 1; i < shape.size(); ++i) a.inner *= shape[i];
  return a;
}

/// Strides of `shape` as seen from a broadcast `out` shape: 0 along dimensions it is repeated over.
void broadcast_strides(const Shape& shape, const Shape& out, std::int64_t* strides);

/// What a reduction over some dimensions of a shape makes, as the reductions (sum, max, var, norm...) share it.
struct Reduction {
  bool reduced[Shape::kMaxDims] = {};
  Shape kept;              // the input's shape with reduced extents set to 1
  Shape out;               // the result's shape (kept, or with the reduced dims removed)
  std::int64_t count = 1;  // elements folded into each output
};

/// The reduction of `shape` over dims (negative dims count from the back; an empty list reduces every
/// dimension); throws naming op for a dimension out of range or listed twice.
[[nodiscard]] Reduction plan_reduction(const Shape& shape, std::span<const int> dims, bool keepdim, const char* op);

/// Folds every element of x into out[slot] with combine(acc, value), walking x in memory order; the slot
/// of an element comes from the kept shape's strides (0 along reduced dimensions).
template <class T, class F>
void fold(const T* x, const Shape& shape, const Shape& kept, T* out, F combine) {
  const int nd = shape.size();
  if (nd == 0) {
    out[0] = combine(out[0], x[0]);
    return;
  }
  std::int64_t strides[Shape::kMaxDims];
  broadcast_strides(kept, shape, strides);
  std::int64_t idx[Shape::kMaxDims] = {};
  const std::int64_t inner = shape[nd - 1];
  const std::int64_t step = strides[nd - 1];
  const std::int64_t n = shape.numel();
  std::int64_t o = 0;
  for (std::int64_t i = 0; i < n; i += inner) {
    if (step == 0) {
      T acc = out[o];
      for (std::int64_t j = 0; j < inner; ++j) acc = combine(acc, x[i + j]);
      out[o] = acc;
    } else {
      for (std::int64_t j = 0; j < inner; ++j) out[o + j] = combine(out[o + j], x[i + j]);
    }
    for (int d = nd - 2; d >= 0; --d) {
      o += strides[d];
      if (++idx[d] < shape[d]) break;
      o -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/// x where keep is nonzero, 0 elsewhere (keep: a constant 0/1 tensor of x's shape). Unlike x * keep it
/// also zeroes an inf or NaN of x, as torch.where and masked_fill do in PyTorch's backward formulas; its
/// own gradient is itself. Defined in math.cpp.
[[nodiscard]] Tensor keep_where(const Tensor& x, const Tensor& keep);

/// out = f(a, b) elementwise over the broadcast shape of a and b (same dtype, checked by the caller).
template <class F>
[[nodiscard]] Tensor broadcast_zip(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out = empty(out_shape, a.dtype());
  visit_dtype(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const std::int64_t n = out.numel();
    if (a.shape() == out_shape && b.shape() == out_shape) {
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
      return;
    }
    if (b.numel() == 1 && a.shape() == out_shape) {
      const T s = pb[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
      return;
    }
    if (a.numel() == 1 && b.shape() == out_shape) {
      const T s = pa[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
      return;
    }
    // General case: walk the output with an odometer, the last dimension in an inner loop.
    const int nd = out_shape.size();
    std::int64_t sa[Shape::kMaxDims];
    std::int64_t sb[Shape::kMaxDims];
    broadcast_strides(a.shape(), out_shape, sa);
    broadcast_strides(b.shape(), out_shape, sb);
    std::int64_t idx[Shape::kMaxDims] = {};
    const std::int64_t inner = nd == 0 ? 1 : out_shape[nd - 1];
    const std::int64_t ia_step = nd == 0 ? 0 : sa[nd - 1];
    const std::int64_t ib_step = nd == 0 ? 0 : sb[nd - 1];
    std::int64_t oa = 0;
    std::int64_t ob = 0;
    for (std::int64_t o = 0; o < n; o += inner) {
      for (std::int64_t j = 0; j < inner; ++j) po[o + j] = f(pa[oa + j * ia_step], pb[ob + j * ib_step]);
      for (int d = nd - 2; d >= 0; --d) {  // advance the odometer over the outer dimensions
        oa += sa[d];
        ob += sb[d];
        if (++idx[d] < out_shape[d]) break;
        oa -= sa[d] * out_shape[d];
        ob -= sb[d] * out_shape[d];
        idx[d] = 0;
      }
    }
  });
  return out;
}

/// z = f(a, b) for the binary op `op`: checks both inputs, then zips them, broadcasting as NumPy does.
template <class F>
[[nodiscard]] Tensor binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_defined(a, op);
  check_defined(b, op);
  check_same_dtype(a, b, op);
  if (a.shape() == b.shape()) return zip(a, b, f);  // the common case needs no broadcast plan
  return broadcast_zip(a, b, broadcast_shapes(a.shape(), b.shape(), op), f);
}

}  // namespace tg::detail
