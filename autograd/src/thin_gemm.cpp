// thin_gemm (see thin_gemm.hpp): blocks of up to 16 rows of A, packed k-major so that each step of the
// k loop broadcasts 16 consecutive floats (rows of A 4 KB apart would share one L1 set), times 32 columns
// of B read straight from its rows, into 32 AVX-512 accumulators (16 rows x 2 registers). B is never
// copied. The sum over k runs in order, one fused multiply-add per term.

#include "thin_gemm.hpp"

#include <vector>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace tg::detail {

#ifdef __AVX512F__
namespace {

constexpr int kCols = 32;  // two registers of 16 floats: thin_gemm_fits

// C[0..R, 0..32) = packed A block (k-major, R per k) @ B[.., 0..32) (+ C).
template <int R>
void block(std::int64_t k, const float* ap, const float* b, std::int64_t ldb, float* c, std::int64_t ldc,
           bool accumulate) {
  __m512 s[R][2];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 2; ++q) s[r][q] = accumulate ? _mm512_loadu_ps(c + r * ldc + 16 * q) : _mm512_setzero_ps();
  for (std::int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b + p * ldb);
    const __m512 b1 = _mm512_loadu_ps(b + p * ldb + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 x = _mm512_set1_ps(ap[p * R + r]);
      s[r][0] = _mm512_fmadd_ps(x, b0, s[r][0]);
      s[r][1] = _mm512_fmadd_ps(x, b1, s[r][1]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < 2; ++q) _mm512_storeu_ps(c + r * ldc + 16 * q, s[r][q]);
}

// Rows m0 .. m0 + R of C, every column block.
template <int R>
void rows(std::int64_t m0, std::int64_t n, std::int64_t k, const float* a, const float* b, float* c, bool accumulate,
          std::vector<float>& packed) {
  packed.resize(static_cast<std::size_t>(R * k));
  for (std::int64_t p = 0; p < k; ++p)
    for (int r = 0; r < R; ++r) packed[static_cast<std::size_t>(p * R + r)] = a[(m0 + r) * k + p];
  for (std::int64_t j = 0; j < n; j += kCols) block<R>(k, packed.data(), b + j, n, c + m0 * n + j, n, accumulate);
}

}  // namespace

bool thin_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b, float* c,
               bool accumulate) {
  if (!thin_gemm_fits(n) || m <= 0 || m > kThinGemmMaxRows || k <= 0) return false;
  thread_local std::vector<float> packed;  // grows to 16 K floats once, then is reused
  std::int64_t m0 = 0;
  for (; m0 + 16 <= m; m0 += 16) rows<16>(m0, n, k, a, b, c, accumulate, packed);
  if (m - m0 >= 8) rows<8>(m0, n, k, a, b, c, accumulate, packed), m0 += 8;
  if (m - m0 >= 4) rows<4>(m0, n, k, a, b, c, accumulate, packed), m0 += 4;
  for (; m0 < m; ++m0) rows<1>(m0, n, k, a, b, c, accumulate, packed);
  return true;
}

#else

bool thin_gemm(std::int64_t, std::int64_t, std::int64_t, const float*, const float*, float*, bool) { return false; }

#endif

}  // namespace tg::detail
