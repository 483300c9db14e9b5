#pragma once
// Matrix products on OpenBLAS (sgemm / dgemm), with a direct loop for tiny matrices. matmul follows
// torch.matmul: 1-d operands are promoted to matrices and the added dimension removed afterwards, and
// batch dimensions (all but the last two) broadcast; a broadcast operand is read in place, never copied.

#include "tapegrad/tensor.hpp"

namespace tg {

/// torch.matmul: [K]·[K] -> [] (dot), [K] @ [K, N] -> [N], [M, K] @ [K] -> [M], [M, K] @ [K, N] -> [M, N],
/// [*A, M, K] @ [*B, K, N] -> [broadcast(*A, *B), M, N] (a 1-d operand on either side as above).
[[nodiscard]] Tensor matmul(const Tensor& a, const Tensor& b);
/// op(a) @ op(b) for 2-d a and b, where op transposes when the flag is set: no transposed copy is made.
/// (tapegrad's own; 2-d only, unlike matmul(a, b).)
[[nodiscard]] Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);
/// torch.bmm: [B, M, K] @ [B, K, N] -> [B, M, N], strictly 3-d with the same B, no broadcast.
[[nodiscard]] Tensor bmm(const Tensor& a, const Tensor& b);
/// Threads that matrix products use (OpenBLAS's pool; tapegrad's other kernels run on the calling
/// thread). The launch scripts start with OPENBLAS_NUM_THREADS=1, or TAPEGRAD_THREADS when set.
void set_num_threads(int threads);
[[nodiscard]] int num_threads();

/// x @ w + bias for x [*, D] (any leading dims, or none: [D] -> [O]), w (D, O) and bias (O) or undefined:
/// [*, O], the fully connected layer, fused. Unlike torch.nn.functional.linear, w is (D, O), not (O, D).
[[nodiscard]] Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias);

}  // namespace tg
