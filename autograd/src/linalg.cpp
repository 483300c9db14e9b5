// Matrix products on OpenBLAS. Transposed operands are passed to gemm as flags, never copied.

#include "tapegrad/linalg.hpp"

#include <cblas.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>

#include "kernels.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;

namespace {

// At or below this many multiply-adds a plain loop beats the call into OpenBLAS. Measured 2026-11-24
// (bench: matmul/tapegrad/<n>, train_step/autograd/zhou): the zhou step, whose products are 1x2x2 and
// 1x2x1, takes 0.80 us with the loop and 0.99 us without; at 4x4x4 (64) OpenBLAS already wins, 55 ns
// against 78, and at 16x16x16 by 13x.
constexpr std::int64_t kTinyGemm = 32;

// Debian 12's OpenBLAS 0.3.21 falls back to its generic Prescott kernel on CPUs it does not recognise,
// where sgemm runs several times slower (on the project's Zen 5 machines it picks Cooperlake by itself,
// so this has not fired there); the fix (OPENBLAS_CORETYPE) must be in the environment before the
// library loads, so all we can do is say so, once. TAPEGRAD_QUIET_BLAS=1 silences it.
void warn_if_generic_blas_kernel() {
  static const bool warned = [] {
    const char* core = openblas_get_corename();
    const bool generic = core != nullptr && (std::strcmp(core, "Prescott") == 0 || std::strcmp(core, "prescott") == 0);
    const bool capable = __builtin_cpu_supports("avx2") || __builtin_cpu_supports("avx512f");
    if (generic && capable && std::getenv("TAPEGRAD_QUIET_BLAS") == nullptr) {
      const char* fix = __builtin_cpu_supports("avx512f") ? "SkylakeX (or Cooperlake)" : "Haswell";
      std::fprintf(stderr,
                   "tapegrad: warning: OpenBLAS picked its generic '%s' kernel on a CPU with %s; matrix products run "
                   "several times slower. Set OPENBLAS_CORETYPE=%s before starting the program (scripts/env.sh "
                   "does this).\n",
                   core, __builtin_cpu_supports("avx512f") ? "AVX-512" : "AVX2", fix);
    }
    return true;
  }();
  (void)warned;
}

// C = op(A) @ op(B) + beta * C, row-major; op(A) is (M, K), op(B) is (K, N).
template <class T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, const T* b, T beta, T* c) {
  const std::int64_t lda = ta ? m : k;
  const std::int64_t ldb = tb ? k : n;
  if (m * n * k <= kTinyGemm) {
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (std::int64_t p = 0; p < k; ++p) acc += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * n + j] = beta == T(0) ? acc : acc + beta * c[i * n + j];
      }
    return;
  }
  warn_if_generic_blas_kernel();
  const auto opa = ta ? CblasTrans : CblasNoTrans;
  const auto opb = tb ? CblasTrans : CblasNoTrans;
  const auto bi = [](std::int64_t v) { return static_cast<blasint>(v); };
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, opa, opb, bi(m), bi(n), bi(k), 1.0F, a, bi(lda), b, bi(ldb), beta, c, bi(n));
  else
    cblas_dgemm(CblasRowMajor, opa, opb, bi(m), bi(n), bi(k), 1.0, a, bi(lda), b, bi(ldb), beta, c, bi(n));
}

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
    record("matmul", y, [a, b, transpose_a, transpose_b](const Tensor& dy, const Tensor&) {
      // y = A @ B with A = op(a), B = op(b): dA = dy @ B^T, dB = A^T @ dy; then undo op on each.
      if (a.requires_grad())
        accumulate_grad(a, transpose_a ? matmul(b, dy, transpose_b, true) : matmul(dy, b, false, !transpose_b));
      if (b.requires_grad())
        accumulate_grad(b, transpose_b ? matmul(dy, a, true, transpose_a) : matmul(a, dy, !transpose_a, false));
    });
  return y;
}

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul(a, b, false, false); }

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
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
    record("linear", y, [x, w, bias](const Tensor& dy, const Tensor&) {
      // y = x @ w + b, x:[N,D] w:[D,O] b:[O]: dx = dy @ wT, dw = xT @ dy, db = sum of dy over rows
      if (x.requires_grad()) accumulate_grad(x, matmul(dy, w, false, true));
      if (w.requires_grad()) accumulate_grad(w, matmul(x, dy, true, false));
      if (bias.defined() && bias.requires_grad()) accumulate_grad(bias, column_sums(dy));
    });
  return y;
}

}  // namespace tg
