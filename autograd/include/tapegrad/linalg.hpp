#pragma once
// Matrix products on OpenBLAS (sgemm / dgemm), with a direct loop for tiny matrices.

#include "tapegrad/tensor.hpp"

namespace tg {

/// a @ b for 2-d a (M, K) and b (K, N): (M, N).
[[nodiscard]] Tensor matmul(const Tensor& a, const Tensor& b);
/// op(a) @ op(b) where op transposes when the flag is set: no transposed copy is made.
[[nodiscard]] Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
/// Threads that matrix products use (OpenBLAS's pool; tapegrad's other kernels run on the calling
/// thread). The launch scripts start with OPENBLAS_NUM_THREADS=1, or TAPEGRAD_THREADS when set.
void set_num_threads(int threads);
[[nodiscard]] int num_threads();

/// x @ w + bias for x (N, D), w (D, O) and bias (O) or undefined: the fully connected layer, fused.
[[nodiscard]] Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias);

}  // namespace tg
