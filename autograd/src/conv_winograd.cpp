// Winograd F(2x2, 3x3) kernels for 3x3 convolutions at stride 1, dilation 1, one group (conv_kernels.hpp);
// Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016). A 2x2 output tile is
// A^T [(G g G^T) . (B^T d B)] A for its 4x4 input patch d and a 3x3 filter g ("." elementwise), so the
// sum over channels becomes 16 matrix products, one per cell of the 4x4 transform, with 16 multiplies per
// tile and channel pair where im2col's product has 36:
//   forward      M_xi [o, tiles] = U_xi [o, c] @ V_xi [c, tiles], U = G g G^T, V = B^T d B; y = A^T M A
//   input grad   the forward run on dy, padded by 2 - padding, with each filter turned by 180 degrees and
//                the channel roles swapped (a full correlation)
//   weight grad  the forward's adjoint in g: dg = G^T [sum over tiles of (A dy A^T) . V] G, 16 products
//                [o, tiles] @ [tiles, c], summed over the batch by the product itself
// The transforms have coefficients 1 and 1/2, exact in binary, so the rounding is that of a few more adds.
// Tiles go a block of tile rows at a time, so that V and M stay in cache between transform and product.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "blas.hpp"
#include "conv_kernels.hpp"

namespace tg::detail {

namespace {

constexpr std::int64_t kCells = 16;  // the 4x4 transform of a tile

// Tiles per block: V and M of a block ([16, c, tiles] and [16, o, tiles]) stay in the core's cache
// between their transforms and the products. Measured on fashion_cnn's second layer (batch 128, 32 -> 64
// channels, 14 x 14, float32, one thread of a Zen 5 core, 2026-12-03), with the first, scalar version of
// the transforms: 256 tiles took the forward, input gradient and weight gradient in 8.5, 10.1 and 9.8 ms;
// 128 tiles 11.5, 14.7, 10.0; 512 tiles 9.8, 12.1, 10.2; 1024 tiles 12.9, 16.8, 14.7. With the vector
// transforms the three take 6.6, 6.8 and 8.2 ms at 256 (im2col: 14.7, 13.1, 13.9).
constexpr std::int64_t kBlockTiles = 256;

// A zero-padded correlation by 3x3 filters: out[n, oc, y, x] = sum over ic, i, j of
// in[n, ic, y - ph + i, x - pw + j] f[oc, ic, i, j] + bias[oc], reading zeros outside the input.
struct Plan {
  std::int64_t n, c, h, w;  // input planes [n, c, h, w]
  std::int64_t o, oh, ow;   // output planes [n, o, oh, ow]
  std::int64_t ph, pw;      // the input's first row and column sit at ph, pw in the padded plane
  std::int64_t th, tw;      // 2x2 tiles per output plane; the last row or column may be half outside
};

Plan make_plan(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t o, std::int64_t oh,
               std::int64_t ow, std::int64_t ph, std::int64_t pw) {
  return {n, c, h, w, o, oh, ow, ph, pw, (oh + 1) / 2, (ow + 1) / 2};
}

// A block: tile rows [r0, r1) of all n th tile rows (row r is tile row r % th of image r / th).
struct Block {
  std::int64_t r0, r1;
  [[nodiscard]] std::int64_t tiles(const Plan& p) const { return (r1 - r0) * p.tw; }
};

std::int64_t block_rows(const Plan& p) { return std::max<std::int64_t>(1, kBlockTiles / p.tw); }

constexpr std::int64_t kLanes = 8;  // tiles per vector in the transforms

// dst[i] = src[i] for i < n, or 0 without src: the short runs of a tile row (a dozen or two values),
// in fixed-size moves the compiler inlines; std::copy and std::fill call memmove and memset, whose
// calls cost more than the copying (perf: 9% of fashion_cnn's step).
template <class T>
[[gnu::always_inline]] inline void copy_run(T* dst, const T* src, std::int64_t n) {
  static constexpr T kZeros[8] = {};
  const auto move = [&](std::int64_t count) {
    std::memcpy(dst, src != nullptr ? src : kZeros, static_cast<std::size_t>(count) * sizeof(T));
    dst += count;
    if (src != nullptr) src += count;
  };
  for (; n >= 8; n -= 8) move(8);
  if ((n & 4) != 0) move(4);
  if ((n & 2) != 0) move(2);
  if ((n & 1) != 0) move(1);
}

// The padded length of one patch row buffer: every 8-tile group reads 18 values from its start.
std::int64_t row_length(const Plan& p) { return 2 * kLanes * ((p.tw + kLanes - 1) / kLanes) + 2 * kLanes; }

// The distance between two cells' matrices in s.v: c tiles plus kLanes, the most a tile row's last
// group of 8 writes past its row (into the next row, or the next channel, rewritten after it, or this
// gap), and reads past it in transform_output.
std::int64_t v_cell(const Plan& p, std::int64_t tiles) { return p.c * tiles + kLanes; }

// The same for s.m, whose cells transform_output_grad writes 8 tiles at a time.
std::int64_t m_cell(const Plan& p, std::int64_t tiles) { return p.o * tiles + kLanes; }

template <class T>
struct Scratch {
  T* u;     // [16, o, c]: transformed filters (forward) or summed products (weight grad)
  T* v;     // [16, c, tiles]: the block's transformed input patches, cells v_cell apart
  T* m;     // [16, o, tiles]: the block's products (forward) or transformed output gradients (weight grad),
            // cells m_cell apart
  T* rows;  // [4, row_length]: one tile row's four input rows, padded
};

template <class T>
Scratch<T> scratch_for(const Plan& p) {
  const std::int64_t tiles = block_rows(p) * p.tw;
  const std::int64_t u = kCells * p.o * p.c;
  const std::int64_t v = kCells * v_cell(p, tiles);
  const std::int64_t m = kCells * m_cell(p, tiles);
  T* base = conv_scratch<T>(static_cast<std::size_t>(u + v + m + 4 * row_length(p)));
  return {base, base + u, base + u + v, base + u + v + m};
}

// Zeros in the gaps after s.m's cells for a block of `tiles` tiles: transform_output reads into them (lanes
// it drops), which then hold no leftover of the buffer's first use.
template <class T>
void clear_gaps(const Plan& p, std::int64_t tiles, const Scratch<T>& s) {
  for (std::int64_t xi = 1; xi <= kCells; ++xi)
    std::fill(s.m + xi * m_cell(p, tiles) - kLanes, s.m + xi * m_cell(p, tiles), T(0));
}

// f(block) for the blocks of tile rows, in order.
template <class F>
void for_each_block(const Plan& p, F f) {
  const std::int64_t step = block_rows(p);
  for (std::int64_t r0 = 0; r0 < p.n * p.th; r0 += step) f(Block{r0, std::min(r0 + step, p.n * p.th)});
}

// U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], for the 3x3 filter g (g(i, j) its entries);
// cell xi goes to u[xi * stride].
template <class T, class Filter>
void transform_filter(Filter g, T* u, std::int64_t stride) {
  T t[4][3];  // G g
  for (int j = 0; j < 3; ++j) {
    t[0][j] = g(0, j);
    t[1][j] = (g(0, j) + g(1, j) + g(2, j)) / 2;
    t[2][j] = (g(0, j) - g(1, j) + g(2, j)) / 2;
    t[3][j] = g(2, j);
  }
  for (int i = 0; i < 4; ++i) {
    u[(4 * i + 0) * stride] = t[i][0];
    u[(4 * i + 1) * stride] = (t[i][0] + t[i][1] + t[i][2]) / 2;
    u[(4 * i + 2) * stride] = (t[i][0] - t[i][1] + t[i][2]) / 2;
    u[(4 * i + 3) * stride] = t[i][2];
  }
}

// Eight tiles' worth of one cell: a vector of the compiler's (GCC and Clang lower it to the widest
// registers the target has, or to several narrower ones). Passed by reference only: a vector argument's
// ABI would depend on the target.
template <class T>
struct LanesOf;
template <>
struct LanesOf<float> {
  typedef float type __attribute__((vector_size(8 * sizeof(float))));
};
template <>
struct LanesOf<double> {
  typedef double type __attribute__((vector_size(8 * sizeof(double))));
};
template <class T>
using Lanes = typename LanesOf<T>::type;

// even[t] = row[2 t] and odd[t] = row[2 t + 1] for t < 8.
template <class T>
void split(const T* row, Lanes<T>& even, Lanes<T>& odd) {
  Lanes<T> a;
  Lanes<T> b;
  std::memcpy(&a, row, sizeof a);
  std::memcpy(&b, row + kLanes, sizeof b);
  even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
  odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}

// s.v[xi, ic, t] = (B^T d B)[xi], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], for every input channel ic
// and tile t of the block, where d is the tile's 4x4 patch: input rows 2 ty - ph + k and columns
// 2 tx - pw + l, zeros outside. Eight tiles of a tile row at a time, in vectors: a row of the CNN's
// 14 x 14 layer has 7 tiles, too few for a loop the compiler vectorises itself.
template <class T>
void transform_input(const Plan& p, const T* in, const Block& b, const Scratch<T>& s) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t cell = v_cell(p, tiles);
  const std::int64_t length = row_length(p);
  const std::int64_t lo = std::min(p.pw, length);
  const std::int64_t hi = std::clamp(p.pw + p.w, lo, length);
  T* rows[4] = {s.rows, s.rows + length, s.rows + 2 * length, s.rows + 3 * length};
  std::fill(s.rows, s.rows + 4 * length, T(0));  // the padding columns [0, lo) and [hi, length) stay zero
  for (std::int64_t ic = 0; ic < p.c; ++ic)
    for (std::int64_t r = b.r0; r < b.r1; ++r) {
      const std::int64_t top = 2 * (r % p.th) - p.ph;  // the input row of the patches' first row
      const T* plane = in + ((r / p.th) * p.c + ic) * p.h * p.w;
      const bool below = r > b.r0 && r % p.th != 0;  // the last tile row's rows 2 and 3 are this one's 0 and 1
      if (below) {
        std::swap(rows[0], rows[2]);
        std::swap(rows[1], rows[3]);
      }
      for (std::int64_t k = below ? 2 : 0; k < 4; ++k) {  // rows[k][j] = plane[top + k, j - pw], zeros outside
        const std::int64_t iy = top + k;
        copy_run(rows[k] + lo, iy < 0 || iy >= p.h ? nullptr : plane + iy * p.w + (lo - p.pw), hi - lo);
      }
      T* out = s.v + ic * tiles + (r - b.r0) * p.tw;
      for (std::int64_t tx = 0; tx < p.tw; tx += kLanes) {
        Lanes<T> d[4][4];  // d[k][l][t] = patch cell (k, l) of tile tx + t
        for (std::int64_t k = 0; k < 4; ++k) {
          const T* row = rows[k] + 2 * tx;
          split(row, d[k][0], d[k][1]);
          split(row + 2, d[k][2], d[k][3]);
        }
        Lanes<T> h[4][4];  // B^T d
        for (int l = 0; l < 4; ++l) {
          h[0][l] = d[0][l] - d[2][l];
          h[1][l] = d[1][l] + d[2][l];
          h[2][l] = d[2][l] - d[1][l];
          h[3][l] = d[1][l] - d[3][l];
        }
        for (int i = 0; i < 4; ++i) {
          const Lanes<T> v[4] = {h[i][0] - h[i][2], h[i][1] + h[i][2], h[i][2] - h[i][1], h[i][1] - h[i][3]};
          for (int j = 0; j < 4; ++j) std::memcpy(out + (4 * i + j) * cell + tx, &v[j], sizeof v[j]);
        }
      }
    }
}

// y = A^T M A + bias, A^T = [1 1 1 0; 0 1 -1 -1], for every tile of the block and output channel; the
// half of a last tile that lies outside the output is dropped. Eight tiles at a time, as transform_input.
template <class T>
void transform_output(const Plan& p, const Block& b, const Scratch<T>& s, const T* bias, T* out) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t cell = m_cell(p, tiles);
  for (std::int64_t oc = 0; oc < p.o; ++oc) {
    const T add = bias != nullptr ? bias[oc] : T(0);
    for (std::int64_t r = b.r0; r < b.r1; ++r) {
      const std::int64_t top = 2 * (r % p.th);
      T* row0 = out + (((r / p.th) * p.o + oc) * p.oh + top) * p.ow;
      T* row1 = top + 1 < p.oh ? row0 + p.ow : nullptr;
      const T* m = s.m + oc * tiles + (r - b.r0) * p.tw;  // past the block's last tile: other cells, or m's gap
      for (std::int64_t tx = 0; tx < p.tw; tx += kLanes) {
        Lanes<T> c[16];
        for (int xi = 0; xi < 16; ++xi) std::memcpy(&c[xi], m + xi * cell + tx, sizeof c[xi]);
        Lanes<T> a[2][4];  // A^T M
        for (int j = 0; j < 4; ++j) {
          a[0][j] = c[j] + c[4 + j] + c[8 + j];
          a[1][j] = c[4 + j] - c[8 + j] - c[12 + j];
        }
        const std::int64_t count = std::min(2 * kLanes, p.ow - 2 * tx);  // the row's outputs these tiles make
        for (int i = 0; i < 2; ++i) {
          T* row = i == 0 ? row0 : row1;
          if (row == nullptr) continue;
          const Lanes<T> even = a[i][0] + a[i][1] + a[i][2] + add;  // columns 2 tx + 2 t
          const Lanes<T> odd = a[i][1] - a[i][2] - a[i][3] + add;   // columns 2 tx + 2 t + 1
          const Lanes<T> y[2] = {__builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11),
                                 __builtin_shufflevector(even, odd, 4, 12, 5, 13, 6, 14, 7, 15)};
          copy_run(row + 2 * tx, reinterpret_cast<const T*>(y), count);
        }
      }
    }
  }
}

// s.m[xi, oc, t] = (A q A^T)[xi] for each tile's 2x2 output gradient q (zeros outside the output),
// A = [1 0; 1 1; 1 -1; 0 -1]. Eight tiles at a time, as transform_input.
template <class T>
void transform_output_grad(const Plan& p, const T* dy, const Block& b, const Scratch<T>& s) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t cell = m_cell(p, tiles);
  const std::int64_t length = row_length(p);
  T* rows[2] = {s.rows, s.rows + length};  // a tile row's two output rows, zero-padded
  std::fill(s.rows, s.rows + 2 * length, T(0));  // the padding [ow, length) stays zero
  for (std::int64_t oc = 0; oc < p.o; ++oc)
    for (std::int64_t r = b.r0; r < b.r1; ++r) {
      const std::int64_t top = 2 * (r % p.th);
      const T* plane = dy + ((r / p.th) * p.o + oc) * p.oh * p.ow;
      for (std::int64_t i = 0; i < 2; ++i) copy_run(rows[i], top + i < p.oh ? plane + (top + i) * p.ow : nullptr, p.ow);
      T* z = s.m + oc * tiles + (r - b.r0) * p.tw;  // 8 tiles past a row: rewritten after, or m's gap
      for (std::int64_t tx = 0; tx < p.tw; tx += kLanes) {
        Lanes<T> q[2][2];  // q[i][j][t] = tile tx + t's output gradient at (i, j)
        split(rows[0] + 2 * tx, q[0][0], q[0][1]);
        split(rows[1] + 2 * tx, q[1][0], q[1][1]);
        const Lanes<T> e[4][2] = {{q[0][0], q[0][1]},
                                  {q[0][0] + q[1][0], q[0][1] + q[1][1]},
                                  {q[0][0] - q[1][0], q[0][1] - q[1][1]},
                                  {-q[1][0], -q[1][1]}};  // A q
        for (int i = 0; i < 4; ++i) {
          const Lanes<T> cells[4] = {e[i][0], e[i][0] + e[i][1], e[i][0] - e[i][1], -e[i][1]};  // (A q) A^T
          for (int j = 0; j < 4; ++j) std::memcpy(z + (4 * i + j) * cell + tx, &cells[j], sizeof cells[j]);
        }
      }
    }
}

// Output channels per product in the weight gradient's [o, tiles] @ [c, tiles]^T. OpenBLAS's small-matrix
// kernels (blas_has_small_kernels) take this form only for a small result: measured 2026-12-04 on a Zen 5
// core, Cooperlake kernel, one thread, 256 tiles: o 64 x c 32 in one product 8.1 us, as two of 32 rows 6.0 us
// (float32; float64 18.5 and 11.4 us with 16 rows); 64 x 64 14.9 against 11.7 us (16 rows), 128 x 128 51.3
// against 46.8 (8 rows). Without those kernels the split is slower (Haswell: 10.0 against 11.4 us), so
// there it stays one product.
std::int64_t weight_grad_rows(const Plan& p) {
  if (!blas_has_small_kernels()) return p.o;
  return std::max<std::int64_t>(8, 1024 / std::max<std::int64_t>(1, p.c));
}

// The correlation of p on transformed filters s.u [16, o, c]: out [n, o, oh, ow].
template <class T>
void correlate(const Plan& p, const T* in, const Scratch<T>& s, const T* bias, T* out) {
  for_each_block(p, [&](const Block& b) {
    const std::int64_t tiles = b.tiles(p);
    transform_input(p, in, b, s);
    for (std::int64_t xi = 0; xi < kCells; ++xi)
      gemm<T>(false, false, p.o, tiles, p.c, s.u + xi * p.o * p.c, s.v + xi * v_cell(p, tiles), T(0),
              s.m + xi * m_cell(p, tiles));
    clear_gaps(p, tiles, s);
    transform_output(p, b, s, bias, out);
  });
}

}  // namespace

bool winograd_fits(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  const bool shape = s.kh == 3 && s.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.groups == 1 &&
                     g.ph <= 2 && g.pw <= 2;  // the input gradient pads by 2 - padding
  const bool empty = s.n == 0 || s.c == 0 || s.o == 0 || s.h == 0 || s.w == 0 || s.oh == 0 || s.ow == 0;
  if (empty) return false;  // im2col's loops do nothing there, and its weight gradient is zeros
  switch (conv_kernel()) {
    case ConvKernel::kIm2col: return false;
    case ConvKernel::kWinograd: return shape;
    case ConvKernel::kAuto: break;
  }
  return shape && s.c >= kWinogradMinChannels && s.o >= kWinogradMinChannels;
}

template <class T>
void winograd_forward(const ConvShape& s, const T* x, const T* weight, const T* bias, T* y) {
  const Plan p = make_plan(s.n, s.c, s.h, s.w, s.o, s.oh, s.ow, s.g.ph, s.g.pw);
  const Scratch<T> sc = scratch_for<T>(p);
  for (std::int64_t oc = 0; oc < s.o; ++oc)
    for (std::int64_t ic = 0; ic < s.c; ++ic) {
      const T* g = weight + (oc * s.c + ic) * 9;
      transform_filter<T>([g](int i, int j) { return g[3 * i + j]; }, sc.u + oc * s.c + ic, s.o * s.c);
    }
  correlate(p, x, sc, bias, y);
}

template <class T>
void winograd_input_grad(const ConvShape& s, const T* dy, const T* weight, const T* bias, T* dx) {
  // dx[ic, y, x] = sum over oc, i, j of dy[oc, y + ph - i, x + pw - j] w[oc, ic, i, j]: the correlation of dy,
  // padded by 2 - ph and 2 - pw, with the filters w[oc, ic] turned by 180 degrees as filters [ic, oc]
  const Plan p = make_plan(s.n, s.o, s.oh, s.ow, s.c, s.h, s.w, 2 - s.g.ph, 2 - s.g.pw);
  const Scratch<T> sc = scratch_for<T>(p);
  for (std::int64_t ic = 0; ic < s.c; ++ic)
    for (std::int64_t oc = 0; oc < s.o; ++oc) {
      const T* g = weight + (oc * s.c + ic) * 9;
      transform_filter<T>([g](int i, int j) { return g[3 * (2 - i) + (2 - j)]; }, sc.u + ic * s.o + oc, s.c * s.o);
    }
  correlate(p, dy, sc, bias, dx);
}

template <class T>
void winograd_weight_grad(const ConvShape& s, const T* x, const T* dy, T* dw) {
  const Plan p = make_plan(s.n, s.c, s.h, s.w, s.o, s.oh, s.ow, s.g.ph, s.g.pw);
  const Scratch<T> sc = scratch_for<T>(p);
  const std::int64_t rows = weight_grad_rows(p);
  for_each_block(p, [&](const Block& b) {  // sc.u[xi] = sum over tiles of Z_xi V_xi^T
    const std::int64_t tiles = b.tiles(p);
    transform_input(p, x, b, sc);
    transform_output_grad(p, dy, b, sc);
    for (std::int64_t xi = 0; xi < kCells; ++xi)
      for (std::int64_t o0 = 0; o0 < p.o; o0 += rows)
        gemm<T>(false, true, std::min(rows, p.o - o0), p.c, tiles, sc.m + xi * m_cell(p, tiles) + o0 * tiles,
                sc.v + xi * v_cell(p, tiles), b.r0 == 0 ? T(0) : T(1), sc.u + (xi * p.o + o0) * p.c);
  });
  // dw[oc, ic] = G^T S G for the summed products S (cell xi at sc.u[xi, oc, ic]),
  // G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]
  const std::int64_t cell = s.o * s.c;
  for (std::int64_t k = 0; k < cell; ++k) {
    const auto m = [&](int i, int j) { return sc.u[(4 * i + j) * cell + k]; };
    T t[3][4];  // G^T S
    for (int j = 0; j < 4; ++j) {
      t[0][j] = m(0, j) + (m(1, j) + m(2, j)) / 2;
      t[1][j] = (m(1, j) - m(2, j)) / 2;
      t[2][j] = (m(1, j) + m(2, j)) / 2 + m(3, j);
    }
    T* g = dw + k * 9;
    for (int i = 0; i < 3; ++i) {
      g[3 * i + 0] = t[i][0] + (t[i][1] + t[i][2]) / 2;
      g[3 * i + 1] = (t[i][1] - t[i][2]) / 2;
      g[3 * i + 2] = (t[i][1] + t[i][2]) / 2 + t[i][3];
    }
  }
}

template void winograd_forward<float>(const ConvShape&, const float*, const float*, const float*, float*);
template void winograd_forward<double>(const ConvShape&, const double*, const double*, const double*, double*);
template void winograd_input_grad<float>(const ConvShape&, const float*, const float*, const float*, float*);
template void winograd_input_grad<double>(const ConvShape&, const double*, const double*, const double*, double*);
template void winograd_weight_grad<float>(const ConvShape&, const float*, const float*, float*);
template void winograd_weight_grad<double>(const ConvShape&, const double*, const double*, double*);

}  // namespace tg::detail
