#pragma once
// Loops shared by the op families (private to autograd/src): elementwise maps, NumPy broadcasting, and
// the checks every op opens with.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

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
/// Throws std::invalid_argument naming op unless x is defined and float32 or float64 ("op: input must be
/// float32 or float64, got int64"), for the ops whose kernels take floating point only.
inline void check_float_input(const Tensor& x, const char* op) {
  check_defined(x, op);
  if (x.dtype() != kFloat32 && x.dtype() != kFloat64)
    throw std::invalid_argument(std::string(op) + ": input must be float32 or float64, got " +
                                std::string(dtype_name(x.dtype())));
}
/// Dimension d of an ndim-d tensor, counting from the back when negative; throws naming op.
[[nodiscard]] int normalize_dim(int d, int ndim, const char* op);
/// normalize_dim that also takes 0 and -1 for a 0-d tensor (and returns 0), as PyTorch does for the ops
/// along one dimension (squeeze, flatten, flip, max, sort, cumsum, gather, ...).
[[nodiscard]] int normalize_dim_or_scalar(int d, int ndim, const char* op);

/// A double as a message shows it: "-1", "0.5", "inf", "nan".
[[nodiscard]] std::string number_str(double v);

/// The NumPy broadcast of two shapes; throws "op: shapes cannot be broadcast: [2, 3] and [4]".
[[nodiscard]] Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// The same for any number of shapes; the message lists them all: "[2], [3] and [4]".
[[nodiscard]] Shape broadcast_shapes(std::initializer_list<const Shape*> shapes, const char* op);

// Output element types. Out = void (the default) keeps the input's dtype, float32 or float64 only (the
// arithmetic ops take no other); an explicit Out (bool for comparisons) accepts inputs of every dtype.

/// Runs fn.template operator()<T>() for x's element type T, as the output type Out allows (see above).
template <class Out, class Fn>
void visit_inputs(Dtype dtype, Fn&& fn) {
  if constexpr (std::is_void_v<Out>) visit_dtype(dtype, fn);
  else visit_all_dtypes(dtype, fn);
}

/// y[i] = f(x[i]) for every element, into x's dtype (Out = void) or Out's.
template <class Out = void, class F>
[[nodiscard]] Tensor map(const Tensor& x, F f) {
  Tensor y = empty(x.shape(), std::is_void_v<Out> ? x.dtype() : dtype_of<Out>);
  visit_inputs<Out>(x.dtype(), [&]<class T>() {
    using O = std::conditional_t<std::is_void_v<Out>, T, Out>;
    const T* px = x.data<T>();
    O* py = y.data<O>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) py[i] = f(px[i]);
  });
  return y;
}

/// z[i] = f(x[i], y[i]) for tensors of one shape and dtype; z may be x.
template <class F>
void zip_into(const Tensor& x, const Tensor& y, Tensor& z, F f) {
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* pz = z.data<T>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) pz[i] = f(px[i], py[i]);
  });
}

/// z[i] = f(x[i], y[i]) for two tensors of the same shape and dtype.
template <class F>
[[nodiscard]] Tensor zip(const Tensor& x, const Tensor& y, F f) {
  Tensor z = empty(x.shape(), x.dtype());
  zip_into(x, y, z, f);
  return z;
}

/// zip(x, y, f) written over x when nobody else holds x: a backward that takes its dy (tape.hpp) saves
/// the new buffer and the memory traffic of filling it. Measured on fashion_cnn's first ReLU (3.2 M
/// floats, 2026-12-03): 1.5 ms into a new buffer, 0.6 ms in place.
template <class F>
[[nodiscard]] Tensor zip_reusing(Tensor&& x, const Tensor& y, F f) {
  if (!uniquely_owned(x)) return zip(x, y, f);
  zip_into(x, y, x, f);
  return std::move(x);
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

/// x where keep is nonzero, 0 elsewhere (keep: a constant 0/1 tensor of x's shape): where(keep != 0, x, 0).
/// Unlike x * keep it also zeroes an inf or NaN of x, as torch.where and masked_fill do in PyTorch's
/// backward formulas; its own gradient is itself. Defined in math.cpp.
[[nodiscard]] Tensor keep_where(const Tensor& x, const Tensor& keep);

/// gather(x, dim, index) recorded as op, its messages naming op and index_name: take_along_dim's
/// "indices", or the index a sort or max computed (its backward is scatter_add). Defined in indexing.cpp.
[[nodiscard]] Tensor gather_as(const char* op, const char* index_name, const Tensor& x, int dim, const Tensor& index);

/// Strides of `shape` as seen from a broadcast `out` shape: 0 along dimensions it is repeated over.
void broadcast_strides(const Shape& shape, const Shape& out, std::int64_t* strides);

/// Walks out_shape row by row (a row: the last dimension) with N inputs broadcast to it: calls
/// row(o, inner, offset, step) for the `inner` outputs from flat index o, where input k's elements for
/// that row start at offset[k] and advance by step[k] (0 when input k is repeated along the row).
template <std::size_t N, class Row>
void broadcast_walk(const std::array<const Shape*, N>& shapes, const Shape& out_shape, Row row) {
  const int nd = out_shape.size();
  std::int64_t strides[N][Shape::kMaxDims];
  std::array<std::int64_t, N> offset{};
  std::array<std::int64_t, N> step{};
  for (std::size_t k = 0; k < N; ++k) {
    broadcast_strides(*shapes[k], out_shape, strides[k]);
    step[k] = nd == 0 ? 0 : strides[k][nd - 1];
  }
  std::int64_t idx[Shape::kMaxDims] = {};
  const std::int64_t inner = nd == 0 ? 1 : out_shape[nd - 1];
  for (std::int64_t o = 0, n = out_shape.numel(); o < n; o += inner) {
    row(o, inner, offset, step);
    for (int d = nd - 2; d >= 0; --d) {  // advance the odometer over the outer dimensions
      for (std::size_t k = 0; k < N; ++k) offset[k] += strides[k][d];
      if (++idx[d] < out_shape[d]) break;
      for (std::size_t k = 0; k < N; ++k) offset[k] -= strides[k][d] * out_shape[d];
      idx[d] = 0;
    }
  }
}

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

/// po = f(a, b) over out_shape, a and b broadcast to it; element types may differ (e.g. x and a bool mask).
template <class A, class B, class O, class F>
void broadcast_zip_into(const A* pa, const Shape& a_shape, const B* pb, const Shape& b_shape, O* po,
                        const Shape& out_shape, F f) {
  const std::int64_t n = out_shape.numel();
  if (a_shape == out_shape && b_shape == out_shape) {
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
  } else if (b_shape.numel() == 1 && a_shape == out_shape) {
    const B s = pb[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
  } else if (a_shape.numel() == 1 && b_shape == out_shape) {
    const A s = pa[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
  } else {
    const std::array<const Shape*, 2> shapes = {&a_shape, &b_shape};
    broadcast_walk(shapes, out_shape, [&](std::int64_t o, std::int64_t inner, const auto& offset, const auto& step) {
      const A* ra = pa + offset[0];
      const B* rb = pb + offset[1];
      const std::int64_t sa = step[0];
      const std::int64_t sb = step[1];
      for (std::int64_t j = 0; j < inner; ++j) po[o + j] = f(ra[j * sa], rb[j * sb]);
    });
  }
}

/// po = f(a, b, c) over out_shape, the three broadcast to it (where, clamp with tensor bounds).
template <class A, class B, class C, class O, class F>
void broadcast_zip3_into(const A* pa, const Shape& a_shape, const B* pb, const Shape& b_shape, const C* pc,
                         const Shape& c_shape, O* po, const Shape& out_shape, F f) {
  if (a_shape == out_shape && b_shape == out_shape && c_shape == out_shape) {
    for (std::int64_t i = 0, n = out_shape.numel(); i < n; ++i) po[i] = f(pa[i], pb[i], pc[i]);
    return;
  }
  const std::array<const Shape*, 3> shapes = {&a_shape, &b_shape, &c_shape};
  broadcast_walk(shapes, out_shape, [&](std::int64_t o, std::int64_t inner, const auto& offset, const auto& step) {
    const A* ra = pa + offset[0];
    const B* rb = pb + offset[1];
    const C* rc = pc + offset[2];
    const std::int64_t sa = step[0];
    const std::int64_t sb = step[1];
    const std::int64_t sc = step[2];
    for (std::int64_t j = 0; j < inner; ++j) po[o + j] = f(ra[j * sa], rb[j * sb], rc[j * sc]);
  });
}

/// out = f(a, b) elementwise over the broadcast shape of a and b (same dtype, checked by the caller), into
/// a's dtype (Out = void) or Out's.
template <class Out = void, class F>
[[nodiscard]] Tensor broadcast_zip(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out = empty(out_shape, std::is_void_v<Out> ? a.dtype() : dtype_of<Out>);
  visit_inputs<Out>(a.dtype(), [&]<class T>() {
    using O = std::conditional_t<std::is_void_v<Out>, T, Out>;
    broadcast_zip_into(a.data<T>(), a.shape(), b.data<T>(), b.shape(), out.data<O>(), out_shape, f);
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
