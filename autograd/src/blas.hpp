#pragma once
// The matrix product on OpenBLAS that the op families share (private to autograd/src): linalg.cpp's
// matmul, bmm and linear, and conv.cpp's convolutions. Row-major throughout; transposes are flags.

#include <cblas.h>
#include <strings.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace tg::detail {

// At or below this many multiply-adds a plain loop beats the call into OpenBLAS. Measured 2026-11-24
// (bench: matmul/tapegrad/<n>, train_step/autograd/zhou): the zhou step, whose products are 1x2x2 and
// 1x2x1, takes 0.80 us with the loop and 0.99 us without; at 4x4x4 (64) OpenBLAS already wins, 55 ns
// against 78, and at 16x16x16 by 13x.
inline constexpr std::int64_t kTinyGemm = 32;

// Debian 12's OpenBLAS 0.3.21 falls back to its generic Prescott kernel on CPUs it does not recognise,
// where sgemm runs several times slower (on the project's Zen 5 machines it picks Cooperlake by itself,
// so this has not fired there); the fix (OPENBLAS_CORETYPE) must be in the environment before the
// library loads, so all we can do is say so, once. TAPEGRAD_QUIET_BLAS=1 silences it.
inline void warn_if_generic_blas_kernel() {
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

// Whether OpenBLAS has its small-matrix kernels here (0.3.21: the SkylakeX, Cooperlake and SapphireRapids
// kernels, float32 and float64), which run small products straight from their operands, without packing them.
inline bool blas_has_small_kernels() {
  static const bool yes = [] {
    const char* core = openblas_get_corename();
    if (core == nullptr) return false;
    for (const char* name : {"skylakex", "cooperlake", "sapphirerapids"})
      if (strcasecmp(core, name) == 0) return true;
    return false;
  }();
  return yes;
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

}  // namespace tg::detail
