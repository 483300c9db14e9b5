// Matrix products on OpenBLAS. Transposed operands are passed to gemm as flags, never copied; batched
// products are a loop of gemm calls over the batch with pointer offsets (Debian 12's OpenBLAS 0.3.21 has
// no batch API), a broadcast operand read with stride 0, never copied.

#include "tapegrad/linalg.hpp"

#include <algorithm>

#include "blas.hpp"
#include "kernels.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::gemm;
using detail::needs_grad;
using detail::record;
using detail::saves;

namespace {

std::string operand(const Tensor& t, bool transposed) { return t.shape().str() + (transposed ? "^T" : ""); }

// The sizes of y = op(a) @ op(b): y is [m, n] and the inner dimension is k.
struct GemmSizes {
  std::int64_t m, n, k;
};

// The product's sizes, after checking that a and b are 2-d matrices with matching inner dimensions.
GemmSizes check_matmul(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  detail::check_defined(a, op);
  detail::check_defined(b, op);
  if (a.dim() != 2 || b.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": expects 2-d matrices, got " + a.shape().str() + " x " +
                                b.shape().str());
  detail::check_same_dtype(a, b, op);
  const std::int64_t ka = ta ? a.shape()[0] : a.shape()[1];
  const std::int64_t kb = tb ? b.shape()[1] : b.shape()[0];
  if (ka != kb)
    throw std::invalid_argument(std::string(op) + ": inner dimensions differ: " + operand(a, ta) + " x " +
                                operand(b, tb));
  return {ta ? a.shape()[1] : a.shape()[0], tb ? b.shape()[0] : b.shape()[1], ka};
}

// y = op(a) @ op(b) (+ bias rows already in y when accumulate is set).
void gemm_into(Tensor& y, const Tensor& a, const Tensor& b, bool ta, bool tb, const GemmSizes& size,
               bool accumulate) {
  visit_dtype(a.dtype(), [&]<class T>() {
    gemm<T>(ta, tb, size.m, size.n, size.k, a.data<T>(), b.data<T>(), accumulate ? T(1) : T(0), y.data<T>());
  });
}

// sum(dy, {0}) for a matrix: linear's bias gradient. While the sweep is not recorded a direct loop
// replaces the general reduction (its planning costs more than the sum on small layers: zhou step).
Tensor column_sums(const Tensor& dy) {
  if (is_grad_enabled()) return sum(dy, {0});
  const std::int64_t n = dy.shape()[0];
  const std::int64_t o = dy.shape()[1];
  Tensor db = empty(Shape{o}, dy.dtype());
  visit_dtype(dy.dtype(), [&]<class T>() {
    const T* g = dy.data<T>();
    T* out = db.data<T>();
    std::fill(out, out + o, T(0));  // zeros for an empty batch (n = 0)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < o; ++j) out[j] += g[i * o + j];
  });
  return db;
}

// ---- matmul beyond two matrices ----

// The batch dimensions of a matmul operand: all but the last two (none for a matrix or a vector).
Shape batch_of(const Shape& s) {
  Shape batch;
  for (int d = 0; d + 2 < s.size(); ++d) batch.push_back(s[d]);
  return batch;
}

// The broadcast batch of y = a @ b, for operands already checked to broadcast.
Shape batch_shape(const Tensor& a, const Tensor& b) {
  return detail::broadcast_shapes(batch_of(a.shape()), batch_of(b.shape()), "matmul");
}

// The product of all extents but the last: the rows of x [*, D] seen as a matrix.
std::int64_t rows_of(const Shape& s) {
  std::int64_t rows = 1;
  for (int d = 0; d + 1 < s.size(); ++d) rows *= s[d];
  return rows;
}

std::string shapes_of(const Tensor& a, const Tensor& b) { return a.shape().str() + " x " + b.shape().str(); }

// The sizes of op(a) @ op(b) for a [*, ., .] and b [*, ., .], from their last two dimensions.
GemmSizes sizes_of(const Shape& a, const Shape& b, bool ta, bool tb) {
  const int ra = a.size() - 2;
  const int rb = b.size() - 2;
  return {ta ? a[ra + 1] : a[ra], tb ? b[rb] : b[rb + 1], ta ? a[ra] : a[ra + 1]};
}

// c[i] = op(a[i]) @ op(b[i]) for every index i of the broadcast of a's and b's batch dims; each operand
// is read in place, with stride 0 along the batch dims it is broadcast over. When c's own batch is smaller
// (the gradient of a broadcast operand) its matrices start at 0 and every product lands on top (beta = 1):
// the sum over the broadcast dims without an intermediate [batch, ., .].
void batched_gemm_into(Tensor& c, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const GemmSizes size = sizes_of(a.shape(), b.shape(), ta, tb);
  const Shape batch = batch_shape(a, b);
  const int nd = batch.size();
  std::int64_t sa[Shape::kMaxDims];  // strides in matrices, 0 where broadcast
  std::int64_t sb[Shape::kMaxDims];
  std::int64_t sc[Shape::kMaxDims];
  detail::broadcast_strides(batch_of(a.shape()), batch, sa);
  detail::broadcast_strides(batch_of(b.shape()), batch, sb);
  detail::broadcast_strides(batch_of(c.shape()), batch, sc);
  const bool summed = batch_of(c.shape()).numel() != batch.numel();  // not just batch dims of 1 dropped
  visit_dtype(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = c.data<T>();
    if (summed) std::fill(pc, pc + c.numel(), T(0));
    std::int64_t idx[Shape::kMaxDims] = {};
    std::int64_t ia = 0, ib = 0, ic = 0;
    for (std::int64_t i = 0, count = batch.numel(); i < count; ++i) {
      gemm<T>(ta, tb, size.m, size.n, size.k, pa + ia * size.m * size.k, pb + ib * size.k * size.n,
              summed ? T(1) : T(0), pc + ic * size.m * size.n);
      for (int d = nd - 1; d >= 0; --d) {  // advance the odometer over the batch, the last dim fastest
        ia += sa[d], ib += sb[d], ic += sc[d];
        if (++idx[d] < batch[d]) break;
        ia -= sa[d] * batch[d], ib -= sb[d] * batch[d], ic -= sc[d] * batch[d];
        idx[d] = 0;
      }
    }
  });
}

Tensor product_to(const Shape& shape, const Tensor& a, const Tensor& b, bool ta, bool tb);

// a @ b per matrix for a [*A, M, K] and b [*B, K, N] whose batch dims broadcast (checked by the caller):
// [broadcast(*A, *B), M, N]. Recorded under op's name.
Tensor batched_matmul(const char* op, const Tensor& a, const Tensor& b) {
  const GemmSizes size = sizes_of(a.shape(), b.shape(), false, false);
  Shape out = batch_shape(a, b);
  out.push_back(size.m);
  out.push_back(size.n);
  Tensor y = empty(out, a.dtype());
  batched_gemm_into(y, a, b, false, false);
  if (needs_grad(a, b))
    record(op, y, saves(a, b), [a, b](const Tensor& dy, const Tensor&) {
      // y[i] = a[i] @ b[i], a:[*A,M,K] b:[*B,K,N] dy:[*,M,N]: da[i] = dy[i] @ b[i]^T, db[i] = a[i]^T @ dy[i],
      // each summed down to its operand's own batch (sum_to [*A,M,K] and [*B,K,N]).
      if (a.requires_grad()) accumulate_grad(a, product_to(a.shape(), dy, b, false, true));
      if (b.requires_grad()) accumulate_grad(b, product_to(b.shape(), a, dy, true, false));
    });
  return y;
}

// op(a) @ op(b) summed down to `shape` (a broadcast operand's gradient). When the sweep is not recorded
// (first-order training) the sum happens inside the gemm loop and the transposes are gemm flags; a
// create_graph sweep composes the same from recorded ops (transpose, matmul, sum_to), so that the
// gradient is differentiable again.
Tensor product_to(const Shape& shape, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  if (is_grad_enabled()) {
    const auto op = [](const Tensor& t, bool transposed) { return transposed ? transpose(t, -2, -1) : t; };
    return sum_to(batched_matmul("matmul", op(a, ta), op(b, tb)), shape);
  }
  Tensor c = empty(shape, a.dtype());
  batched_gemm_into(c, a, b, ta, tb);
  return c;
}

// Checks matmul(a, b) for operands that are not both 2-d (PyTorch's rules), naming both shapes as given.
void check_matmul_nd(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "matmul");
  detail::check_defined(b, "matmul");
  if (a.dim() == 0 || b.dim() == 0)
    throw std::invalid_argument("matmul: both arguments to matmul need to be at least 1D, got " + shapes_of(a, b));
  detail::check_same_dtype(a, b, "matmul");
  if (a.size(-1) != (b.dim() == 1 ? b.size(0) : b.size(-2)))
    throw std::invalid_argument("matmul: inner dimensions differ: " + shapes_of(a, b));
  try {
    static_cast<void>(batch_shape(a, b));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("matmul: batch dimensions cannot be broadcast: " + shapes_of(a, b));
  }
}

// matmul(a, b) when a and b are not both matrices. A 1-d operand becomes a matrix ([K] -> [1, K] on the
// left, [K] -> [K, 1] on the right) and its added dimension is left out of the result. When b has no batch
// dims, a [*, M, K]'s fold into the rows of one [rows, K] @ [K, N] product (the 2-d backward's
// db = a_rows^T @ dy_rows is then already the sum over a's batch); otherwise a loop of gemm over the batch.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  check_matmul_nd(a, b);
  const std::int64_t k = a.size(-1);
  Shape out = batch_shape(a, b);
  if (a.dim() >= 2) out.push_back(a.size(-2));
  if (b.dim() >= 2) out.push_back(b.size(-1));
  if (b.dim() <= 2) {
    const Tensor b2 = b.dim() == 1 ? reshape(b, {k, 1}) : b;
    return reshape(matmul(reshape(a, {rows_of(a.shape()), k}), b2, false, false), out);
  }
  const Tensor a2 = a.dim() == 1 ? reshape(a, {1, k}) : a;
  return reshape(batched_matmul("matmul", a2, b), out);
}

// linear on x [*, D] other than [N, D]: the leading dims fold into rows (a reshape shares storage), the
// fused 2-d layer runs on them, and the rows unfold into [*, O].
Tensor linear_nd(const Tensor& x, const Tensor& w, const Tensor& bias) {
  detail::check_defined(w, "linear");
  if (x.dim() == 0 || w.dim() != 2)
    throw std::invalid_argument("linear: expects x [*, D] of at least 1 dimension and a 2-d weight (D, O), got " +
                                shapes_of(x, w));
  const std::int64_t d = x.size(-1);
  if (d != w.size(0)) throw std::invalid_argument("linear: inner dimensions differ: " + shapes_of(x, w));
  Shape out = x.shape();
  out[out.size() - 1] = w.size(1);
  return reshape(linear(reshape(x, {rows_of(x.shape()), d}), w, bias), out);
}

}  // namespace

void set_num_threads(int threads) {
  if (threads < 1) throw std::invalid_argument("set_num_threads: needs at least 1 thread, got " + std::to_string(threads));
  openblas_set_num_threads(threads);
}

int num_threads() { return openblas_get_num_threads(); }

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const GemmSizes size = check_matmul("matmul", a, b, transpose_a, transpose_b);
  Tensor y = empty(Shape{size.m, size.n}, a.dtype());
  gemm_into(y, a, b, transpose_a, transpose_b, size, false);
  if (needs_grad(a, b))
    record("matmul", y, saves(a, b), [a, b, transpose_a, transpose_b](const Tensor& dy, const Tensor&) {
      // y = A @ B with A = op(a), B = op(b): dA = dy @ B^T, dB = A^T @ dy; then undo op on each.
      if (a.requires_grad())
        accumulate_grad(a, transpose_a ? matmul(b, dy, transpose_b, true) : matmul(dy, b, false, !transpose_b));
      if (b.requires_grad())
        accumulate_grad(b, transpose_b ? matmul(dy, a, true, transpose_a) : matmul(a, dy, !transpose_a, false));
    });
  return y;
}

// Two matrices take the 2-d path unchanged (the hot path of every benchmark); only other shapes pay for
// the general rules.
Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.defined() && b.defined() && a.dim() == 2 && b.dim() == 2) return matmul(a, b, false, false);
  return matmul_nd(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "bmm");
  detail::check_defined(b, "bmm");
  if (a.dim() != 3 || b.dim() != 3)
    throw std::invalid_argument("bmm: expects 3-d tensors [B, M, K] and [B, K, N], got " + shapes_of(a, b));
  detail::check_same_dtype(a, b, "bmm");
  if (a.size(0) != b.size(0)) throw std::invalid_argument("bmm: batch sizes differ: " + shapes_of(a, b));
  if (a.size(2) != b.size(1)) throw std::invalid_argument("bmm: inner dimensions differ: " + shapes_of(a, b));
  return batched_matmul("bmm", a, b);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  if (x.defined() && x.dim() != 2) return linear_nd(x, w, bias);  // [*, D] other than [N, D]
  const GemmSizes size = check_matmul("linear", x, w, false, false);
  const std::int64_t n = size.m;
  const std::int64_t o = size.n;
  Tensor y = empty(Shape{n, o}, x.dtype());
  if (bias.defined()) {
    detail::check_same_dtype(x, bias, "linear");
    if (bias.dim() != 1 || bias.shape()[0] != o)
      throw std::invalid_argument("linear: bias " + bias.shape().str() + " does not match the output width " +
                                  std::to_string(o) + " of weight " + w.shape().str());
    // Fused: the bias rows go into y first and gemm adds x @ w on top (beta = 1), saving a pass over y.
    visit_dtype(x.dtype(), [&]<class T>() {
      const T* pb = bias.data<T>();
      T* py = y.data<T>();
      for (std::int64_t i = 0; i < n; ++i) std::copy(pb, pb + o, py + i * o);
    });
  }
  gemm_into(y, x, w, false, false, size, bias.defined());
  if (needs_grad(x, w) || (bias.defined() && needs_grad(bias)))
    record("linear", y, saves(x, w), [x, w, bias](const Tensor& dy, const Tensor&) {
      // y = x @ w + b, x:[N,D] w:[D,O] b:[O]: dx = dy @ wT, dw = xT @ dy, db = sum of dy over rows
      if (x.requires_grad()) accumulate_grad(x, matmul(dy, w, false, true));
      if (w.requires_grad()) accumulate_grad(w, matmul(x, dy, true, false));
      if (bias.defined() && bias.requires_grad()) accumulate_grad(bias, column_sums(dy));
    });
  return y;
}

}  // namespace tg
