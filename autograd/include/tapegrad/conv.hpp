#pragma once
// Convolutions, as torch.nn.functional's: NCHW, PyTorch's weight layouts (so its weights load as they
// are), zero padding given as integers (PyTorch's 'same' and 'valid' strings are not taken). Forward and
// both gradients are OpenBLAS gemm products: Winograd F(2x2, 3x3) for 3x3 kernels at stride 1 and dilation
// 1, one group, padding <= 2 and enough channels (an infinite input there gives NaN where im2col gives
// infinities: the transforms subtract it from itself), im2col for the rest. Every gradient is itself a
// recorded convolution, so the family is differentiable to any order.
//
// Output sizes, per spatial dimension (input size I, kernel k):
//   conv:            O = floor((I + 2 padding - dilation (k - 1) - 1) / stride) + 1
//   conv_transpose:  O = (I - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1

#include <cstdint>

#include "tapegrad/spatial.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// F.conv2d: input [N, C, H, W] (or unbatched [C, H, W]), weight [O, C/groups, kh, kw], bias [O] or
/// undefined: [N, O, OH, OW] (unbatched: [O, OH, OW]).
[[nodiscard]] Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1,
                            Size2 padding = 0, Size2 dilation = 1, std::int64_t groups = 1);

/// F.conv1d: input [N, C, L] (or unbatched [C, L]), weight [O, C/groups, k], bias [O] or undefined:
/// [N, O, OL]. Runs as conv2d on a height of 1.
[[nodiscard]] Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
                            std::int64_t padding = 0, std::int64_t dilation = 1, std::int64_t groups = 1);

/// F.conv_transpose2d, the adjoint of conv2d in its input (conv2d's input gradient): input [N, C, H, W]
/// (or unbatched [C, H, W]), weight [C, O/groups, kh, kw], bias [O] or undefined: [N, O, OH, OW].
/// output_padding (below stride or dilation) adds rows and columns at the bottom and right.
[[nodiscard]] Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                                      Size2 stride = 1, Size2 padding = 0, Size2 output_padding = 0,
                                      std::int64_t groups = 1, Size2 dilation = 1);

namespace detail {

/// Which kernel serves the convolutions on this thread. kAuto takes Winograd F(2x2, 3x3) for a 3x3 kernel at
/// stride 1, dilation 1, one group and padding <= 2 with at least kWinogradMinChannels channels in and out,
/// and im2col for the rest; kIm2col and kWinograd force one (kWinograd still only where it applies), for
/// tests that compare the two.
enum class ConvKernel { kAuto, kIm2col, kWinograd };
[[nodiscard]] ConvKernel conv_kernel();
void set_conv_kernel(ConvKernel kernel);

}  // namespace detail

}  // namespace tg
