#pragma once
// A matrix product for few rows (private to autograd/src): the per-time-step products of the recurrent
// scans, C [M, N] = A [M, K] @ B [K, N], with M the batch (tens of rows) and B a weight that every step
// reuses. OpenBLAS packs B again on every call, which for [32, 256] x [256, 1024] is as much memory
// traffic as the product itself. Measured on the project's Zen 4 core (2026-12-03, one thread, OpenBLAS
// Cooperlake) on [M, 256] x [256, 1024], [M, 1024] x [1024, 256] and [M, 128] x [128, 512]: for M = 8 to 64,
// sgemm 31-106 GFLOP/s, this kernel 92-106 (the core's sgemm peak); at M = 128 each wins one shape.

#include <cstdint>

namespace tg::detail {

/// At most this many rows (measured, above): B is read again for every 16 rows, so that with many rows
/// OpenBLAS's packing pays for itself.
inline constexpr std::int64_t kThinGemmMaxRows = 64;

/// Whether thin_gemm has a kernel for products N wide: a build with AVX-512 and N a multiple of 32.
[[nodiscard]] constexpr bool thin_gemm_fits(std::int64_t n) {
#ifdef __AVX512F__
  return n % 32 == 0;
#else
  return n < 0;  // never
#endif
}

/// C = A @ B (+ C when accumulate), row-major and dense (lda = K, ldb = ldc = N), float32. Returns false,
/// doing nothing, when it has no kernel for the case (not thin_gemm_fits(N), or more than kThinGemmMaxRows
/// rows): the caller then uses gemm.
[[nodiscard]] bool thin_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b, float* c,
                             bool accumulate);

}  // namespace tg::detail
