#pragma once
// The convolution kernels behind conv.cpp (private to autograd/src): im2col + gemm for a convolution
// and its two gradients, on raw float or double buffers. conv_transpose2d's forward is the input
// gradient of a convolution running the other way, so three kernels serve the whole family.

#include <cstdint>

namespace tg::detail {

/// Stride, padding and dilation per dimension (height, width), and the channel groups.
struct ConvGeometry {
  std::int64_t sh, sw, ph, pw, dh, dw, groups;
};

/// One convolution's sizes, in conv2d's direction: images x [n, c, h, w] and weight [o, c/groups, kh, kw]
/// make y [n, o, oh, ow]. oh and ow may be below what the formula gives (the input gradient of a
/// conv_transpose2d with output_padding), never above.
struct ConvShape {
  std::int64_t n, c, h, w;
  std::int64_t o, oh, ow;
  std::int64_t kh, kw;
  ConvGeometry g;
};

/// y = conv(x, weight) + bias (bias [o], or nullptr for none).
template <class T>
void conv_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y);

/// dx = the input gradient of conv for dy [n, o, oh, ow], plus bias [c] per channel (nullptr for none):
/// conv_transpose2d's forward.
template <class T>
void conv_input_grad(const ConvShape& s, const T* dy, const T* weight, const T* bias, T* dx);

/// dw [o, c/groups, kh, kw] = the weight gradient of conv for x and dy, summed over the batch.
template <class T>
void conv_weight_grad(const ConvShape& s, const T* x, const T* dy, T* dw);

/// db [o] = dy [n, o, oh, ow] summed over n, oh and ow.
template <class T>
void conv_bias_grad(std::int64_t n, std::int64_t o, std::int64_t ohw, const T* dy, T* db);

}  // namespace tg::detail
