#pragma once
// The convolution kernels behind conv.cpp (private to autograd/src): im2col + gemm, or Winograd
// F(2x2, 3x3) + gemm where winograd_fits, for a convolution and its two gradients, on raw float or
// double buffers. conv_transpose2d's forward is the input
// gradient of a convolution running the other way, so three kernels serve the whole family.

#include <cstddef>
#include <cstdint>

#include "tapegrad/conv.hpp"

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

/// This thread's scratch buffer for the kernels, at least `count` elements; grown when a call needs more,
/// never shrunk, so that a training step in steady state allocates nothing here.
template <class T>
[[nodiscard]] T* conv_scratch(std::size_t count);

// ---- Winograd F(2x2, 3x3), in conv_winograd.cpp: the same three results for the shapes it serves ----

/// The channels in and out below which Winograd is not reliably faster: the products [o, c] @ [c, tiles]
/// get too thin to pay for the transforms. Measured (batch 128, float32, one Zen 5 thread, 2026-12-03; Winograd's time
/// over im2col's for forward, input grad, weight grad): 16 -> 16 channels 0.64, 0.62, 0.54 at 28 x 28 and
/// 0.66, 0.49, 0.34 at 14 x 14; 32 -> 64 at 14 x 14 0.45, 0.52, 0.59; 8 -> 8 0.80, 0.79, 0.72 but 8 -> 32
/// 1.20, 1.05, 0.88 and 4 -> 8 1.26, 1.07, 0.88; 1 -> 32 (the first layer) 2.5-5.0.
inline constexpr std::int64_t kWinogradMinChannels = 16;

/// Whether the Winograd kernels serve s (a 3x3 kernel at stride 1, dilation 1, one group, padding <= 2,
/// enough channels), as conv_kernel() allows.
[[nodiscard]] bool winograd_fits(const ConvShape& s);
template <class T>
void winograd_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y);
template <class T>
void winograd_input_grad(const ConvShape& s, const T* dy, const T* weight, const T* bias, T* dx);
template <class T>
void winograd_weight_grad(const ConvShape& s, const T* x, const T* dy, T* dw);

/// db [o] = dy [n, o, oh, ow] summed over n, oh and ow.
template <class T>
void conv_bias_grad(std::int64_t n, std::int64_t o, std::int64_t ohw, const T* dy, T* db);

}  // namespace tg::detail
