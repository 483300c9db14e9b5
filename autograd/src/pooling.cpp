// 2-d pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d. Each forward is one pass over the input
// planes (an input [N, C, H, W] is N * C planes of H * W). The backwards are linear in dy and written so
// that a recorded sweep can be differentiated again:
// - max pooling scatters dy to the saved argmax indices: a raw loop when the sweep is not recorded, else
//   scatter_add (whose backward is a gather through the same indices);
// - average pooling (a window mean, fixed or adaptive) and its backward (spreading dy / divisor over each
//   window) are recorded as each other's adjoint, as index_select and index_add are in indexing.cpp.

#include "tapegrad/pooling.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/indexing.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_nothing;

namespace {

std::string str(Size2 s) { return "[" + std::to_string(s.h) + ", " + std::to_string(s.w) + "]"; }

// An input viewed as planes of H x W: [N, C, H, W] or [C, H, W].
struct Planes {
  std::int64_t count = 0;
  std::int64_t h = 0;
  std::int64_t w = 0;
};

Planes check_input(const Tensor& x, const char* op) {
  detail::check_float_input(x, op);
  if (x.dim() != 3 && x.dim() != 4)
    throw std::invalid_argument(std::string(op) + ": expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got " +
                                x.shape().str());
  const int nd = x.dim();
  if (x.size(nd - 3) == 0 || x.size(nd - 2) == 0 || x.size(nd - 1) == 0)  // PyTorch allows only N = 0
    throw std::invalid_argument(std::string(op) + ": input " + x.shape().str() +
                                " has an empty channel or spatial dimension (only the batch may be empty)");
  return {x.numel() / (x.size(nd - 2) * x.size(nd - 1)), x.size(nd - 2), x.size(nd - 1)};
}

// x's shape with its last two extents replaced by (oh, ow).
Shape pooled_shape(const Shape& x, std::int64_t oh, std::int64_t ow) {
  Shape s = x;
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

// floor(a / b) for b > 0, as PyTorch's div_rtn.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// PyTorch's pooling_output_shape (see pooling.hpp).
std::int64_t pooled_extent(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t d, bool ceil) {
  std::int64_t out = floor_div(in + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0), s) + 1;
  if (ceil && (out - 1) * s >= in + p) --out;
  return out;
}

// The arguments of a max or average pooling, checked, and the output extents they give.
struct Window2d {
  Size2 k, s, p, d;
  std::int64_t oh = 0;
  std::int64_t ow = 0;
};

Window2d plan_windows(const char* op, const Tensor& x, const Planes& in, Size2 k, std::optional<Size2> stride,
                      Size2 p, Size2 d, bool ceil) {
  const Size2 s = stride.value_or(k);
  const auto positive = [op](Size2 v, const char* name) {
    if (v.h <= 0 || v.w <= 0)
      throw std::invalid_argument(std::string(op) + ": " + name + " must be positive, got " + str(v));
  };
  positive(k, "kernel_size");
  positive(s, "stride");
  positive(d, "dilation");
  if (p.h < 0 || p.w < 0) throw std::invalid_argument(std::string(op) + ": padding must be non-negative, got " + str(p));
  if (p.h > k.h / 2 || p.w > k.w / 2)
    throw std::invalid_argument(std::string(op) + ": padding must be at most half of kernel_size, got padding " +
                                str(p) + " and kernel_size " + str(k));
  Window2d g{k, s, p, d, pooled_extent(in.h, k.h, s.h, p.h, d.h, ceil), pooled_extent(in.w, k.w, s.w, p.w, d.w, ceil)};
  if (g.oh < 1 || g.ow < 1)
    throw std::invalid_argument(std::string(op) + ": the output would be empty: input " + x.shape().str() +
                                " with kernel_size " + str(k) + ", stride " + str(s) + ", padding " + str(p) +
                                ", dilation " + str(d) + " gives an output of " + std::to_string(g.oh) + " x " +
                                std::to_string(g.ow));
  return g;
}

// ---- max pooling ----

// y[p][o] = max of plane p's window o (padding is -inf), and with kIndices its flat index within the plane:
// the first maximum, or the last NaN, and the window's first in-bounds cell when all of it is -inf
// (PyTorch's cpu_max_pool).
template <bool kIndices, class T>
void max_pool_kernel(const T* x, T* y, std::int64_t* at, const Planes& in, const Window2d& g) {
  for (std::int64_t plane = 0; plane < in.count; ++plane) {
    const T* xp = x + plane * in.h * in.w;
    for (std::int64_t oh = 0; oh < g.oh; ++oh) {
      std::int64_t h0 = oh * g.s.h - g.p.h;
      const std::int64_t h1 = std::min(h0 + (g.k.h - 1) * g.d.h + 1, in.h);
      while (h0 < 0) h0 += g.d.h;
      for (std::int64_t ow = 0; ow < g.ow; ++ow) {
        std::int64_t w0 = ow * g.s.w - g.p.w;
        const std::int64_t w1 = std::min(w0 + (g.k.w - 1) * g.d.w + 1, in.w);
        while (w0 < 0) w0 += g.d.w;
        T best = -std::numeric_limits<T>::infinity();
        std::int64_t best_at = h0 * in.w + w0;
        for (std::int64_t h = h0; h < h1; h += g.d.h)
          for (std::int64_t w = w0; w < w1; w += g.d.w) {
            const T v = xp[h * in.w + w];
            const bool take = v > best || v != v;  // selects, not a branch: random data mispredicts it
            best = take ? v : best;
            best_at = take ? h * in.w + w : best_at;
          }
        *y++ = best;
        if constexpr (kIndices) *at++ = best_at;
      }
    }
  }
}

// ---- the CNN's kernel 2, stride 2, no padding or dilation ----
// Each window is cells (2i, 2j), (2i, 2j + 1), (2i + 1, 2j), (2i + 1, 2j + 1), compared in that order with
// max_pool_kernel's rule. The kernels below are written for GCC's vectoriser: compares and selects (random
// activations mispredict a branch), and a compile-time count of B windows per call, since the CNN's rows
// are short (14 and 7 windows): with a runtime count and AVX-512's 16 lanes, GCC 12 -O3 -march=native left
// whole rows to a scalar epilogue that branched on every compare. "#pragma GCC unroll 1" stops -O3 from
// unrolling a block's fixed count into scalar, branchy code before the vectoriser sees it.
// In the forward, a row's last block runs on into the next row while the memory is there (the next row
// rewrites what it wrote), so a row of 7 windows is one block of 8, not two overlapping blocks of 4 (twice
// as fast on [128, 64, 14, 14]).
// Measured 2026-12-03, 2-core AMD EPYC (Zen 5), float32, min of 40 runs, forward with indices / backward:
// [128, 32, 28, 28] 3.3-3.8 / 1.8-2.1 ms before, 0.9-1.2 / 1.1-1.3 ms after; [128, 64, 14, 14] 3.8-4.2 /
// 0.7-0.8 ms before, 0.3-0.4 / 0.5-0.6 ms after. The 28 x 28 forward is about as fast as memset and a read
// of the same bytes (0.85-1.0 ms). An AVX-512 version of the 14 x 14 forward (masked loads, a row per
// iteration) took 0.26-0.28 ms in a standalone harness, against 0.28-0.30 ms here: no intrinsics.

// The winner of a window as its cell's offset from the window's first (0, 1, w, w + 1), in an integer as
// wide as T: the compares, the selects and the code then share vector lanes. The fast path needs w + 1 to
// fit (see max_pool).
template <class T>
using WindowCode = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;

// Calls block.template operator()<kB>(j) for blocks of windows covering [0, n) of a row: at 0, B, 2B, ...
// A last block that would pass n runs on when `spill` says there is memory for it (into the next row's
// windows or cells, which are written after it), else moves back to end at n (overlapping the one before,
// writing the same values again), or with n < B, the windows go one by one.
template <int B, class Block>
void for_each_block(std::int64_t n, bool spill, const Block& block) {
  std::int64_t j = 0;
  for (; j + B <= n; j += B) block.template operator()<B>(j);
  if (j == n) return;
  if (spill) block.template operator()<B>(j);
  else if (n >= B) block.template operator()<B>(n - B);
  else
    for (; j < n; ++j) block.template operator()<1>(j);
}

// Where the 2 x 2 fast path puts each window's argmax: nowhere (At = void, no gradient wanted), its flat
// index in the plane (std::int64_t: max_pool2d_with_indices, PyTorch's indices), or its offset from the
// window's first cell, 0, 1, w or w + 1 (std::int32_t: max_pool2d's own backward). Offsets halve the bytes
// written and read back: int64 indices were a third of fashion_cnn's pooling time. Bytes 0..3 were
// slower: GCC 12 did not vectorise the backward's loop over them (3 ms became 8 on [128, 32, 28, 28]).
template <class At>
constexpr bool kWrites = !std::is_void_v<At>;

// B windows of one row: r0 and r1 point at the first window's top and bottom rows, whose top-left cell has
// flat index `base` in a plane of width w. y[j] is window j's maximum, at[j] where it is (see kWrites).
template <int B, class At, class T>
void max_pool_2x2_block(const T* __restrict r0, const T* __restrict r1, T* __restrict y, At* __restrict at,
                        std::int64_t base, std::int64_t w) {
  const auto w1 = static_cast<WindowCode<T>>(w);
  WindowCode<T> code[B];
#pragma GCC unroll 1
  for (int j = 0; j < B; ++j) {
    T best = r0[2 * j];
    WindowCode<T> k = 0;
    const auto consider = [&](T v, WindowCode<T> c) {
      const bool take = v > best || v != v;
      best = take ? v : best;
      k = take ? c : k;
    };
    consider(r0[2 * j + 1], 1);
    consider(r1[2 * j], w1);
    consider(r1[2 * j + 1], w1 + 1);
    y[j] = best;
    code[j] = k;
  }
  if constexpr (std::is_same_v<At, std::int32_t>) {  // separate passes, so that the loops vectorise
#pragma GCC unroll 1
    for (int j = 0; j < B; ++j) at[j] = static_cast<std::int32_t>(code[j]);
  } else if constexpr (kWrites<At>) {
#pragma GCC unroll 1
    for (int j = 0; j < B; ++j) at[j] = base + 2 * j + code[j];
  }
}

// max_pool_kernel for kernel 2, stride 2, no padding or dilation, windows inside the input. A row's blocks
// may run past its end while the reads stay inside x and the writes inside y and the indices.
template <int B, class At, class T>
void max_pool_2x2_blocks(const T* x, T* y, At* at, const Planes& in, const Window2d& g) {
  const T* x_end = x + in.count * in.h * in.w;
  const T* y_end = y + in.count * g.oh * g.ow;
  for (std::int64_t plane = 0; plane < in.count; ++plane) {
    const T* xp = x + plane * in.h * in.w;
    for (std::int64_t oh = 0; oh < g.oh; ++oh) {
      const T* r0 = xp + 2 * oh * in.w;
      const bool spill = x_end - (r0 + in.w + 2 * g.ow) >= 2 * B && y_end - (y + g.ow) >= B;
      for_each_block<B>(g.ow, spill, [&]<int kB>(std::int64_t j) {
        At* where = nullptr;
        if constexpr (kWrites<At>) where = at + j;
        max_pool_2x2_block<kB, At>(r0 + 2 * j, r0 + in.w + 2 * j, y + j, where, 2 * oh * in.w + 2 * j, in.w);
      });
      y += g.ow;
      if constexpr (kWrites<At>) at += g.ow;
    }
  }
}

template <class At, class T>
void max_pool_2x2(const T* x, T* y, At* at, const Planes& in, const Window2d& g) {
  if (g.ow > 4) max_pool_2x2_blocks<8>(x, y, at, in, g);
  else if (g.ow > 1) max_pool_2x2_blocks<4>(x, y, at, in, g);
  else max_pool_2x2_blocks<1>(x, y, at, in, g);
}

// The backward of B windows of one row (as max_pool_2x2_block): each writes its four cells of dx, dy[j] at
// its argmax and 0 at the others. dy + 0 is what the scatter into zeros gives (a -0 comes out +0).
template <int B, class At, class T>
void max_pool_2x2_backward_block(const T* __restrict dy, const At* __restrict at, T* __restrict dx0,
                                 T* __restrict dx1, std::int64_t base, std::int64_t w) {
  const auto w1 = static_cast<WindowCode<T>>(w);
#pragma GCC unroll 1
  for (int j = 0; j < B; ++j) {  // o: the argmax's offset from the window's first cell, 0, 1, w or w + 1
    WindowCode<T> o;
    if constexpr (std::is_same_v<At, std::int32_t>) o = at[j];
    else o = static_cast<WindowCode<T>>(at[j] - (base + 2 * j));
    const T v = dy[j] + T(0);
    dx0[2 * j] = o == 0 ? v : T(0);
    dx0[2 * j + 1] = o == 1 ? v : T(0);
    dx1[2 * j] = o == w1 ? v : T(0);
    dx1[2 * j + 1] = o == w1 + 1 ? v : T(0);
  }
}

// dx of the 2 x 2 fast path in one pass that writes each cell (no zero fill, then scatter): the windows'
// cells, then zeros in the last column and row that no window covers when W or H is odd. dy and at are
// [planes, oh, ow]. Here the blocks do not run past a row's end but overlap: a block writes both rows of
// its windows, and its top row's run-on would land on bottom-row cells an earlier block wrote (a pass per
// row of dx instead, which allows it, measured slower).
template <int B, class At, class T>
void max_pool_2x2_backward_blocks(const T* dy, const At* at, T* dx, const Planes& in, std::int64_t oh,
                                  std::int64_t ow) {
  for (std::int64_t plane = 0; plane < in.count; ++plane) {
    T* dp = dx + plane * in.h * in.w;
    for (std::int64_t i = 0; i < oh; ++i, dy += ow, at += ow) {
      T* r0 = dp + 2 * i * in.w;
      for_each_block<B>(ow, false, [&]<int kB>(std::int64_t j) {
        max_pool_2x2_backward_block<kB>(dy + j, at + j, r0 + 2 * j, r0 + in.w + 2 * j, 2 * i * in.w + 2 * j, in.w);
      });
      std::fill(r0 + 2 * ow, r0 + in.w, T(0));
      std::fill(r0 + in.w + 2 * ow, r0 + 2 * in.w, T(0));
    }
    std::fill(dp + 2 * oh * in.w, dp + in.h * in.w, T(0));
  }
}

template <class At, class T>
void max_pool_2x2_backward(const T* dy, const At* at, T* dx, const Planes& in, std::int64_t oh,
                           std::int64_t ow) {
  if (ow >= 8) max_pool_2x2_backward_blocks<8>(dy, at, dx, in, oh, ow);
  else if (ow >= 4) max_pool_2x2_backward_blocks<4>(dy, at, dx, in, oh, ow);
  else max_pool_2x2_backward_blocks<1>(dy, at, dx, in, oh, ow);
}

// The fast path's argmax offsets (kWrites) live in an int64 tensor's storage, viewed as int32: tapegrad
// has no int32 dtype, and a tensor comes from the storage cache and carries the version the tape checks.
// Only these functions touch that storage.
Tensor empty_offsets(std::int64_t windows) { return empty({(windows + 1) / 2}, kInt64); }
const std::int32_t* offsets_of(const Tensor& offsets) {
  return static_cast<const std::int32_t*>(static_cast<const void*>(offsets.data<std::int64_t>()));
}
std::int32_t* offsets_of(Tensor& offsets) {
  return static_cast<std::int32_t*>(static_cast<void*>(offsets.data<std::int64_t>()));
}

// PyTorch's flat indices [..., oh, ow] from the fast path's offsets, for a recorded backward.
Tensor indices_from_offsets(const Tensor& offsets, const Shape& out_shape, const Planes& in) {
  Tensor indices = empty(out_shape, kInt64);
  const int nd = out_shape.size();
  const std::int64_t oh = out_shape[nd - 2], ow = out_shape[nd - 1];
  const std::int32_t* offset = offsets_of(offsets);
  std::int64_t* at = indices.data<std::int64_t>();
  for (std::int64_t plane = 0; plane < in.count; ++plane)
    for (std::int64_t i = 0; i < oh; ++i)
      for (std::int64_t j = 0; j < ow; ++j) *at++ = 2 * i * in.w + 2 * j + *offset++;
  return indices;
}

// dx of x's shape: 0, with dx[plane][indices[plane][j]] += dy[plane][j]. One raw pass when the sweep is not
// recorded (for the 2 x 2 fast path, a pass that writes every cell of dx, without the zero fill); else
// scatter_add over [planes, H * W], which a second sweep differentiates (a gather of the gradient through
// the same indices). `saved` holds the indices, or with `offsets` the fast path's offsets.
Tensor scatter_to_argmax(const Tensor& dy, const Tensor& saved, bool offsets, const Shape& x_shape, const Planes& in,
                         bool two_by_two) {
  const int nd = dy.dim();
  if (!is_grad_enabled() && two_by_two) {
    Tensor dx = empty(x_shape, dy.dtype());
    visit_dtype(dy.dtype(), [&]<class T>() {
      if (offsets)
        max_pool_2x2_backward(dy.data<T>(), offsets_of(saved), dx.data<T>(), in, dy.size(nd - 2), dy.size(nd - 1));
      else
        max_pool_2x2_backward(dy.data<T>(), saved.data<std::int64_t>(), dx.data<T>(), in, dy.size(nd - 2),
                              dy.size(nd - 1));
    });
    return dx;
  }
  const Tensor indices = offsets ? indices_from_offsets(saved, dy.shape(), in) : saved;
  const std::int64_t per_plane = indices.numel() / std::max<std::int64_t>(in.count, 1);
  if (!is_grad_enabled()) {
    Tensor dx = zeros(x_shape, dy.dtype());
    visit_dtype(dy.dtype(), [&]<class T>() {
      const T* g = dy.data<T>();
      const std::int64_t* at = indices.data<std::int64_t>();
      T* out = dx.data<T>();
      for (std::int64_t plane = 0; plane < in.count; ++plane, out += in.h * in.w)
        for (std::int64_t j = 0; j < per_plane; ++j) out[*at++] += *g++;
    });
    return dx;
  }
  const Tensor flat = zeros({in.count, in.h * in.w}, dy.dtype());
  return reshape(scatter_add(flat, 1, reshape(indices, {in.count, per_plane}), reshape(dy, {in.count, per_plane})),
                 x_shape);
}

std::pair<Tensor, Tensor> max_pool(const char* op, const Tensor& x, Size2 k, std::optional<Size2> stride, Size2 p,
                                   Size2 d, bool ceil, bool want_indices) {
  const Planes in = check_input(x, op);
  const Window2d g = plan_windows(op, x, in, k, stride, p, d, ceil);
  const Shape out_shape = pooled_shape(x.shape(), g.oh, g.ow);
  const bool grad = needs_grad(x);
  const bool two_by_two = g.k == Size2(2) && g.s == Size2(2) && g.p == Size2(0) && g.d == Size2(1) &&
                          2 * g.oh <= in.h && 2 * g.ow <= in.w &&  // no ceil_mode window past the input
                          in.w < std::numeric_limits<std::int32_t>::max();  // w + 1 fits a WindowCode
  const bool offsets = two_by_two && grad && !want_indices;
  Tensor y = empty(out_shape, x.dtype());
  Tensor saved = offsets               ? empty_offsets(out_shape.numel())
                 : grad || want_indices ? empty(out_shape, kInt64)
                                        : Tensor();
  visit_dtype(x.dtype(), [&]<class T>() {
    if (offsets) max_pool_2x2(x.data<T>(), y.data<T>(), offsets_of(saved), in, g);
    else if (two_by_two && saved.defined()) max_pool_2x2(x.data<T>(), y.data<T>(), saved.data<std::int64_t>(), in, g);
    else if (two_by_two) max_pool_2x2<void, T>(x.data<T>(), y.data<T>(), nullptr, in, g);
    else if (saved.defined()) max_pool_kernel<true>(x.data<T>(), y.data<T>(), saved.data<std::int64_t>(), in, g);
    else max_pool_kernel<false, T>(x.data<T>(), y.data<T>(), nullptr, in, g);
  });
  if (grad)  // y = max over windows: dx[argmax] += dy (what locates them is saved: overwriting it is an error)
    record(op, y, saves(saved), [x, saved, offsets, in, two_by_two](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, scatter_to_argmax(dy, saved, offsets, x.shape(), in, two_by_two));
    });
  return {y, offsets ? Tensor() : saved};
}

// ---- average pooling ----

// The span of one output along one axis: input cells [start, end) and the count its divisor takes.
struct Span {
  std::int64_t start;
  std::int64_t end;
  std::int64_t count;
};

// The windows of a (fixed or adaptive) average pooling: rows x cols, and a divisor that replaces
// rows[i].count * cols[j].count when non-zero (divisor_override).
struct MeanPlan {
  Planes in;
  Shape in_shape;
  Shape out_shape;
  std::vector<Span> rows;
  std::vector<Span> cols;
  std::int64_t divisor = 0;
  const char* op;
};
using MeanPlanPtr = std::shared_ptr<const MeanPlan>;

// f(y_index, x_offset_of_row_start, span_rows, span_cols, divisor) for every output of one plane.
template <class F>
void for_each_window(const MeanPlan& m, F f) {
  std::int64_t o = 0;
  for (const Span& r : m.rows)
    for (const Span& c : m.cols) f(o++, r, c, m.divisor != 0 ? m.divisor : r.count * c.count);
}

Tensor window_mean_adjoint(const Tensor& dy, const MeanPlanPtr& m);

// y[p][i, j] = sum of plane p over rows[i] x cols[j], over its divisor.
Tensor window_mean(const Tensor& x, const MeanPlanPtr& m) {
  Tensor y = empty(m->out_shape, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const std::int64_t per_out = m->out_shape.numel() / std::max<std::int64_t>(m->in.count, 1);
    for (std::int64_t plane = 0; plane < m->in.count; ++plane, px += m->in.h * m->in.w, py += per_out)
      for_each_window(*m, [&](std::int64_t o, const Span& r, const Span& c, std::int64_t divisor) {
        T acc = 0;
        for (std::int64_t h = r.start; h < r.end; ++h)
          for (std::int64_t w = c.start; w < c.end; ++w) acc += px[h * m->in.w + w];
        py[o] = acc / static_cast<T>(divisor);
      });
  });
  if (needs_grad(x))  // linear: dx is the adjoint map of dy
    record(m->op, y, saves_nothing,
           [x, m](const Tensor& dy, const Tensor&) { accumulate_grad(x, window_mean_adjoint(dy, m)); });
  return y;
}

// The adjoint of window_mean: dx[p] = 0 with rows[i] x cols[j] += dy[p][i, j] / divisor. Its own gradient
// is window_mean of the incoming one.
Tensor window_mean_adjoint(const Tensor& dy, const MeanPlanPtr& m) {
  Tensor dx = zeros(m->in_shape, dy.dtype());
  visit_dtype(dy.dtype(), [&]<class T>() {
    const T* g = dy.data<T>();
    T* out = dx.data<T>();
    const std::int64_t per_out = m->out_shape.numel() / std::max<std::int64_t>(m->in.count, 1);
    for (std::int64_t plane = 0; plane < m->in.count; ++plane, out += m->in.h * m->in.w, g += per_out)
      for_each_window(*m, [&](std::int64_t o, const Span& r, const Span& c, std::int64_t divisor) {
        const T share = g[o] / static_cast<T>(divisor);
        for (std::int64_t h = r.start; h < r.end; ++h)
          for (std::int64_t w = c.start; w < c.end; ++w) out[h * m->in.w + w] += share;
      });
  });
  if (needs_grad(dy))
    record("avg_pool2d_backward", dx, saves_nothing,
           [dy, m](const Tensor& ddx, const Tensor&) { accumulate_grad(dy, window_mean(ddx, m)); });
  return dx;
}

// The spans of avg_pool2d along one axis (PyTorch's cpu_avg_pool): the window clipped to the input and
// the right padding, counted with or without its padding.
std::vector<Span> fixed_spans(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                              bool count_include_pad) {
  std::vector<Span> spans(static_cast<std::size_t>(out));
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t start = o * s - p;
    const std::int64_t end = std::min(start + k, in + p);
    const std::int64_t a = std::max<std::int64_t>(start, 0);
    const std::int64_t b = std::min(end, in);
    spans[static_cast<std::size_t>(o)] = {a, b, count_include_pad ? end - start : b - a};
  }
  return spans;
}

// Adaptive spans: floor(o * in / out) .. ceil((o + 1) * in / out), in integers (PyTorch rounds a float).
std::vector<Span> adaptive_spans(std::int64_t in, std::int64_t out) {
  std::vector<Span> spans(static_cast<std::size_t>(out));
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t a = o * in / out;
    const std::int64_t b = ((o + 1) * in + out - 1) / out;
    spans[static_cast<std::size_t>(o)] = {a, b, b - a};
  }
  return spans;
}

}  // namespace

Tensor max_pool2d(const Tensor& input, Size2 kernel_size, std::optional<Size2> stride, Size2 padding, Size2 dilation,
                  bool ceil_mode) {
  return max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, false).first;
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Size2 kernel_size, std::optional<Size2> stride,
                                                  Size2 padding, Size2 dilation, bool ceil_mode) {
  return max_pool("max_pool2d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode, true);
}

Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, std::optional<Size2> stride, Size2 padding, bool ceil_mode,
                  bool count_include_pad, std::optional<std::int64_t> divisor_override) {
  const char* op = "avg_pool2d";
  const Planes in = check_input(input, op);
  const Window2d g = plan_windows(op, input, in, kernel_size, stride, padding, 1, ceil_mode);
  if (divisor_override && *divisor_override == 0)
    throw std::invalid_argument("avg_pool2d: divisor_override must be non-zero, got 0");
  auto m = std::make_shared<MeanPlan>();
  *m = {in, input.shape(), pooled_shape(input.shape(), g.oh, g.ow),
        fixed_spans(in.h, g.oh, g.k.h, g.s.h, g.p.h, count_include_pad),
        fixed_spans(in.w, g.ow, g.k.w, g.s.w, g.p.w, count_include_pad), divisor_override.value_or(0), op};
  return window_mean(input, m);
}

Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size) {
  const char* op = "adaptive_avg_pool2d";
  const Planes in = check_input(input, op);
  if (output_size.h < 0 || output_size.w < 0)
    throw std::invalid_argument("adaptive_avg_pool2d: output_size must be non-negative, got " + str(output_size));
  auto m = std::make_shared<MeanPlan>();
  *m = {in, input.shape(), pooled_shape(input.shape(), output_size.h, output_size.w),
        adaptive_spans(in.h, output_size.h), adaptive_spans(in.w, output_size.w), 0, op};
  return window_mean(input, m);
}

}  // namespace tg
