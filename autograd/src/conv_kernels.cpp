// im2col + gemm convolution kernels (conv_kernels.hpp). One image at a time: its column matrix
// cols [c kh kw, oh ow] (row (ci, i, j) holds x[ci, oh sh - ph + i dh, ow sw - pw + j dw], 0 in the
// padding) goes into a per-thread scratch buffer, and per group g (rows g c/groups kh kw on):
//   forward        y_g  = W_g [o/groups, c/groups kh kw] @ cols_g
//   input grad     cols_g = W_g^T @ dy_g, then col2im adds each column entry back where it was read
//   weight grad    dW_g += dy_g @ cols_g^T
// A 1x1 kernel at stride 1 without padding reads each pixel once, in order: the image is its own
// column matrix, and no im2col runs. 3x3 kernels at stride 1 with enough channels go to the Winograd
// kernels of conv_winograd.cpp instead (winograd_fits).

#include "conv_kernels.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>

#include "blas.hpp"

namespace tg::detail {

namespace {

thread_local ConvKernel chosen_kernel = ConvKernel::kAuto;

// A 1x1 kernel at stride 1 without padding: the image is its own column matrix.
bool pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.g.sh == 1 && s.g.sw == 1 && s.g.ph == 0 && s.g.pw == 0 && s.oh == s.h &&
         s.ow == s.w;  // not an output cut short (see ConvShape)
}

// The output columns [lo, hi) whose input column ow sw + off lies inside [0, w).
struct Span {
  std::int64_t lo, hi;
};

Span inside(std::int64_t off, std::int64_t stride, std::int64_t w, std::int64_t ow) {
  const std::int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const std::int64_t hi = w - off <= 0 ? 0 : (w - off + stride - 1) / stride;
  return {std::min(lo, ow), std::clamp(hi, std::min(lo, ow), ow)};
}

// im2col (kToImage false): cols = the column matrix of the image x [c, h, w], zeros in the padding.
// col2im (kToImage true): the adjoint, x[ci, ih, iw] += every cols entry read from there (x holds its
// start values: zeros or a bias).
template <bool kToImage, class T>
void columns(const ConvShape& s, std::conditional_t<kToImage, T*, const T*> x, std::conditional_t<kToImage, const T*, T*> cols) {
  const std::int64_t ohw = s.oh * s.ow;
  for (std::int64_t ci = 0; ci < s.c; ++ci)
    for (std::int64_t i = 0; i < s.kh; ++i)
      for (std::int64_t j = 0; j < s.kw; ++j) {
        auto* row = cols + ((ci * s.kh + i) * s.kw + j) * ohw;
        const std::int64_t off = j * s.g.dw - s.g.pw;
        const Span in = inside(off, s.g.sw, s.w, s.ow);
        for (std::int64_t oh = 0; oh < s.oh; ++oh) {
          auto* out = row + oh * s.ow;
          const std::int64_t ih = oh * s.g.sh - s.g.ph + i * s.g.dh;
          const bool row_inside = ih >= 0 && ih < s.h;
          auto* image = x + (ci * s.h + (row_inside ? ih : 0)) * s.w;  // image[ow sw + off] is x[ci, ih, ow sw + off]
          if constexpr (kToImage) {
            if (!row_inside) continue;
            for (std::int64_t ow = in.lo; ow < in.hi; ++ow) image[ow * s.g.sw + off] += out[ow];
          } else {
            if (!row_inside) {
              std::fill(out, out + s.ow, T(0));
              continue;
            }
            std::fill(out, out + in.lo, T(0));
            if (s.g.sw == 1) std::copy(image + in.lo + off, image + in.hi + off, out + in.lo);
            else
              for (std::int64_t ow = in.lo; ow < in.hi; ++ow) out[ow] = image[ow * s.g.sw + off];
            std::fill(out + in.hi, out + s.ow, T(0));
          }
        }
      }
}

// Sets each of the `channels` planes of `plane` elements to bias[channel], or to 0 without a bias.
template <class T>
void fill_planes(T* y, std::int64_t channels, std::int64_t plane, const T* bias) {
  for (std::int64_t ch = 0; ch < channels; ++ch) std::fill(y + ch * plane, y + (ch + 1) * plane, bias ? bias[ch] : T(0));
}

}  // namespace

ConvKernel conv_kernel() { return chosen_kernel; }
void set_conv_kernel(ConvKernel kernel) { chosen_kernel = kernel; }

template <class T>
T* conv_scratch(std::size_t count) {
  struct Buffer {
    void* data = nullptr;
    std::size_t bytes = 0;
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
  if (bytes > buffer.bytes) {
    std::free(buffer.data);
    buffer.data = std::aligned_alloc(64, bytes);
    buffer.bytes = buffer.data == nullptr ? 0 : bytes;
    if (buffer.data == nullptr) throw std::bad_alloc();
  }
  return static_cast<T*>(buffer.data);
}

template <class T>
void conv_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y) {
  if (winograd_fits(s)) return winograd_forward(s, x, weight, bias, y);
  const std::int64_t og = s.o / s.g.groups;
  const std::int64_t ck = s.c / s.g.groups * s.kh * s.kw;
  const std::int64_t ohw = s.oh * s.ow;
  const bool direct = pointwise(s);
  T* cols = direct ? nullptr : conv_scratch<T>(static_cast<std::size_t>(s.c * s.kh * s.kw * ohw));
  for (std::int64_t n = 0; n < s.n; ++n) {
    const T* xn = x + n * s.c * s.h * s.w;
    T* yn = y + n * s.o * ohw;
    if (bias != nullptr) fill_planes(yn, s.o, ohw, bias);  // gemm adds onto it (beta = 1)
    if (!direct) columns<false, T>(s, xn, cols);
    const T* src = direct ? xn : cols;
    for (std::int64_t g = 0; g < s.g.groups; ++g)
      gemm<T>(false, false, og, ohw, ck, weight + g * og * ck, src + g * ck * ohw, bias ? T(1) : T(0), yn + g * og * ohw);
  }
}

template <class T>
void conv_input_grad(const ConvShape& s, const T* dy, const T* weight, const T* bias, T* dx) {
  if (winograd_fits(s)) return winograd_input_grad(s, dy, weight, bias, dx);
  const std::int64_t og = s.o / s.g.groups;
  const std::int64_t ck = s.c / s.g.groups * s.kh * s.kw;
  const std::int64_t ohw = s.oh * s.ow;
  const std::int64_t hw = s.h * s.w;
  const bool direct = pointwise(s);
  T* cols = direct ? nullptr : conv_scratch<T>(static_cast<std::size_t>(s.c * s.kh * s.kw * ohw));
  for (std::int64_t n = 0; n < s.n; ++n) {
    const T* dyn = dy + n * s.o * ohw;
    T* dxn = dx + n * s.c * hw;
    if (direct) {
      if (bias != nullptr) fill_planes(dxn, s.c, hw, bias);
      for (std::int64_t g = 0; g < s.g.groups; ++g)
        gemm<T>(true, false, ck, ohw, og, weight + g * og * ck, dyn + g * og * ohw, bias ? T(1) : T(0), dxn + g * ck * ohw);
      continue;
    }
    for (std::int64_t g = 0; g < s.g.groups; ++g)
      gemm<T>(true, false, ck, ohw, og, weight + g * og * ck, dyn + g * og * ohw, T(0), cols + g * ck * ohw);
    fill_planes(dxn, s.c, hw, bias);
    columns<true, T>(s, dxn, cols);
  }
}

template <class T>
void conv_weight_grad(const ConvShape& s, const T* x, const T* dy, T* dw) {
  if (winograd_fits(s)) return winograd_weight_grad(s, x, dy, dw);
  const std::int64_t og = s.o / s.g.groups;
  const std::int64_t ck = s.c / s.g.groups * s.kh * s.kw;
  const std::int64_t ohw = s.oh * s.ow;
  const bool direct = pointwise(s);
  T* cols = direct ? nullptr : conv_scratch<T>(static_cast<std::size_t>(s.c * s.kh * s.kw * ohw));
  std::fill(dw, dw + s.o * ck, T(0));
  for (std::int64_t n = 0; n < s.n; ++n) {
    const T* xn = x + n * s.c * s.h * s.w;
    if (!direct) columns<false, T>(s, xn, cols);
    const T* src = direct ? xn : cols;
    for (std::int64_t g = 0; g < s.g.groups; ++g)
      gemm<T>(false, true, og, ck, ohw, dy + (n * s.o + g * og) * ohw, src + g * ck * ohw, T(1), dw + g * og * ck);
  }
}

template <class T>
void conv_bias_grad(std::int64_t n, std::int64_t o, std::int64_t ohw, const T* dy, T* db) {
  std::fill(db, db + o, T(0));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < o; ++ch) {
      const T* plane = dy + (i * o + ch) * ohw;
      // 16 partial sums, so that the loop vectorises (one running sum is a chain of dependent adds:
      // it made the first fashion_cnn layer's backward several times slower than its gemms)
      constexpr std::int64_t kLanes = 16;
      T lanes[kLanes] = {};
      std::int64_t p = 0;
      for (; p + kLanes <= ohw; p += kLanes)
        for (std::int64_t l = 0; l < kLanes; ++l) lanes[l] += plane[p + l];
      T acc = 0;
      for (; p < ohw; ++p) acc += plane[p];
      for (const T lane : lanes) acc += lane;
      db[ch] += acc;
    }
}

template float* conv_scratch<float>(std::size_t);
template double* conv_scratch<double>(std::size_t);
template void conv_forward<float>(const ConvShape&, const float*, const float*, const float*, float*);
template void conv_forward<double>(const ConvShape&, const double*, const double*, const double*, double*);
template void conv_input_grad<float>(const ConvShape&, const float*, const float*, const float*, float*);
template void conv_input_grad<double>(const ConvShape&, const double*, const double*, const double*, double*);
template void conv_weight_grad<float>(const ConvShape&, const float*, const float*, float*);
template void conv_weight_grad<double>(const ConvShape&, const double*, const double*, double*);
template void conv_bias_grad<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*);
template void conv_bias_grad<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*);

}  // namespace tg::detail
