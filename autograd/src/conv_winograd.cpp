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

#include "blas.hpp"
#include "conv_kernels.hpp"

namespace tg::detail {

namespace {

constexpr std::int64_t kCells = 16;  // the 4x4 transform of a tile

// Tiles per block: V and M of a block ([16, c, tiles] and [16, o, tiles]) stay in the core's cache
// between their transforms and the products. Measured on fashion_cnn's second layer (batch 128, 32 -> 64
// channels, 14 x 14, float32, one thread of a Zen 5 core, 2026-12-03): 256 tiles took the forward,
// input gradient and weight gradient in 8.5, 10.1 and 9.8 ms (im2col: 12.9, 13.1, 13.7); 128 tiles
// 11.5, 14.7, 10.0; 512 tiles 9.8, 12.1, 10.2; 1024 tiles 12.9, 16.8, 14.7.
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

template <class T>
struct Scratch {
  T* u;     // [16, o, c]: transformed filters (forward) or summed products (weight grad)
  T* v;     // [16, c, tiles]: the block's transformed input patches
  T* m;     // [16, o, tiles]: the block's products (forward) or transformed output gradients (weight grad)
  T* work;  // [32, tiles]: one channel's patches and their half-transformed rows, tile by tile
  T* rows;  // [4, 2 tw + 2]: one tile row's four input rows, padded
};

template <class T>
Scratch<T> scratch_for(const Plan& p) {
  const std::int64_t tiles = block_rows(p) * p.tw;
  const std::int64_t u = kCells * p.o * p.c;
  const std::int64_t v = kCells * p.c * tiles;
  const std::int64_t m = kCells * p.o * tiles;
  const std::int64_t work = 2 * kCells * tiles;
  T* base = conv_scratch<T>(static_cast<std::size_t>(u + v + m + work + 4 * (2 * p.tw + 2)));
  return {base, base + u, base + u + v, base + u + v + m, base + u + v + m + work};
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

// The transforms below run on arrays over the block's tiles (one array per cell of a tile), so that
// every loop is a contiguous elementwise pass the compiler vectorises: a tile row holds only
// ceil(width / 2) tiles, too few for vectors of 8 or 16. The passes take restrict pointers: with a
// dozen arrays in flight GCC would not vectorise behind its alias checks (measured: scalar code).

// out[t] = f(a[t], b[t]) for t < n.
template <class T, class F>
void each(std::int64_t n, T* __restrict out, const T* __restrict a, const T* __restrict b, F f) {
  for (std::int64_t t = 0; t < n; ++t) out[t] = f(a[t], b[t]);
}

// out[t] = f(a[t], b[t], c[t]) for t < n.
template <class T, class F>
void each(std::int64_t n, T* __restrict out, const T* __restrict a, const T* __restrict b, const T* __restrict c, F f) {
  for (std::int64_t t = 0; t < n; ++t) out[t] = f(a[t], b[t], c[t]);
}

// out[t] = in[2 t] for t < n.
template <class T>
void every_other(std::int64_t n, const T* __restrict in, T* __restrict out) {
  for (std::int64_t t = 0; t < n; ++t) out[t] = in[2 * t];
}

// out[2 t] = even[t], out[2 t + 1] = odd[t] for the n entries of out.
template <class T>
void interleave(std::int64_t n, const T* __restrict even, const T* __restrict odd, T* __restrict out) {
  for (std::int64_t t = 0; t < n / 2; ++t) {
    out[2 * t] = even[t];
    out[2 * t + 1] = odd[t];
  }
  if (n % 2 != 0) out[n - 1] = even[n / 2];
}

// even[t] = in[2 t], odd[t] = in[2 t + 1] for the n entries of in; odd's last is 0 when n is odd.
template <class T>
void deinterleave(std::int64_t n, const T* __restrict in, T* __restrict even, T* __restrict odd) {
  for (std::int64_t t = 0; t < n / 2; ++t) {
    even[t] = in[2 * t];
    odd[t] = in[2 * t + 1];
  }
  if (n % 2 != 0) {
    even[n / 2] = in[n - 1];
    odd[n / 2] = T(0);
  }
}

constexpr auto kAdd = [](auto a, auto b) { return a + b; };
constexpr auto kSub = [](auto a, auto b) { return a - b; };

// d[4 k + l][t] = the input plane ic's patch cell (k, l) of the block's tile t: rows 2 ty - ph + k,
// columns 2 tx - pw + l, zeros outside.
template <class T>
void gather_patches(const Plan& p, const T* in, std::int64_t ic, const Block& b, const Scratch<T>& s, T* d) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t span = 2 * p.tw + 2;  // the padded columns one tile row reads
  const std::int64_t lo = std::min(p.pw, span);
  const std::int64_t hi = std::clamp(p.pw + p.w, lo, span);
  for (std::int64_t r = b.r0; r < b.r1; ++r) {
    const std::int64_t top = 2 * (r % p.th) - p.ph;  // the input row of the patches' first row
    const T* plane = in + ((r / p.th) * p.c + ic) * p.h * p.w;
    for (std::int64_t k = 0; k < 4; ++k) {
      T* row = s.rows + k * span;  // row[j] = plane[top + k, j - pw]
      const std::int64_t iy = top + k;
      if (iy < 0 || iy >= p.h) {
        std::fill(row, row + span, T(0));
      } else {
        std::fill(row, row + lo, T(0));
        std::copy(plane + iy * p.w + (lo - p.pw), plane + iy * p.w + (hi - p.pw), row + lo);
        std::fill(row + hi, row + span, T(0));
      }
      for (std::int64_t l = 0; l < 4; ++l) every_other(p.tw, row + l, d + (4 * k + l) * tiles + (r - b.r0) * p.tw);
    }
  }
}

// v[xi * stride + t] = (B^T d B)[xi] for the patches d [16, tiles], through h [16, tiles] = B^T d,
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
template <class T>
void transform_patches(const T* d, T* h, std::int64_t tiles, T* v, std::int64_t stride) {
  const auto at = [tiles](auto* a, int cell) { return a + cell * tiles; };
  for (int l = 0; l < 4; ++l) {
    const T* d0 = at(d, l);
    const T* d1 = at(d, 4 + l);
    const T* d2 = at(d, 8 + l);
    const T* d3 = at(d, 12 + l);
    T* h0 = at(h, l);
    T* h1 = at(h, 4 + l);
    T* h2 = at(h, 8 + l);
    T* h3 = at(h, 12 + l);
    each(tiles, h0, d0, d2, kSub);
    each(tiles, h1, d1, d2, kAdd);
    each(tiles, h2, d2, d1, kSub);
    each(tiles, h3, d1, d3, kSub);
  }
  for (int i = 0; i < 4; ++i) {
    const T* h0 = at(h, 4 * i);
    const T* h1 = h0 + tiles;
    const T* h2 = h1 + tiles;
    const T* h3 = h2 + tiles;
    T* v0 = v + (4 * i) * stride;
    T* v1 = v0 + stride;
    T* v2 = v1 + stride;
    T* v3 = v2 + stride;
    each(tiles, v0, h0, h2, kSub);
    each(tiles, v1, h1, h2, kAdd);
    each(tiles, v2, h2, h1, kSub);
    each(tiles, v3, h1, h3, kSub);
  }
}

// s.v[xi, ic, t] = (B^T d B)[xi] for every input channel ic and tile t of the block.
template <class T>
void transform_input(const Plan& p, const T* in, const Block& b, const Scratch<T>& s) {
  const std::int64_t tiles = b.tiles(p);
  for (std::int64_t ic = 0; ic < p.c; ++ic) {
    gather_patches(p, in, ic, b, s, s.work);
    transform_patches(s.work, s.work + kCells * tiles, tiles, s.v + ic * tiles, p.c * tiles);
  }
}

// y = A^T M A + bias, A^T = [1 1 1 0; 0 1 -1 -1], for every tile of the block and output channel; the
// half of a last tile that lies outside the output is dropped.
template <class T>
void transform_output(const Plan& p, const Block& b, const Scratch<T>& s, const T* bias, T* out) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t cell = p.o * tiles;
  T* a = s.work;                  // [2, 4, tiles]: A^T M
  T* y = s.work + 8 * tiles;      // [2, 2, tiles]: A^T M A + bias
  for (std::int64_t oc = 0; oc < p.o; ++oc) {
    const T* m = s.m + oc * tiles;
    for (int j = 0; j < 4; ++j) {
      const T* m0 = m + j * cell;
      const T* m1 = m + (4 + j) * cell;
      const T* m2 = m + (8 + j) * cell;
      const T* m3 = m + (12 + j) * cell;
      T* a0 = a + j * tiles;
      T* a1 = a + (4 + j) * tiles;
      each(tiles, a0, m0, m1, m2, [](T x, T y, T z) { return x + y + z; });
      each(tiles, a1, m1, m2, m3, [](T x, T y, T z) { return x - y - z; });
    }
    const T add = bias != nullptr ? bias[oc] : T(0);
    for (int i = 0; i < 2; ++i) {
      const T* a0 = a + 4 * i * tiles;
      const T* a1 = a0 + tiles;
      const T* a2 = a1 + tiles;
      const T* a3 = a2 + tiles;
      T* y0 = y + 2 * i * tiles;
      T* y1 = y0 + tiles;
      each(tiles, y0, a0, a1, a2, [add](T x, T y, T z) { return x + y + z + add; });
      each(tiles, y1, a1, a2, a3, [add](T x, T y, T z) { return x - y - z + add; });
    }
    for (std::int64_t r = b.r0; r < b.r1; ++r) {  // each tile's 2x2 outputs where they fall in the plane
      const std::int64_t top = 2 * (r % p.th);
      T* plane = out + ((r / p.th) * p.o + oc) * p.oh * p.ow;
      const std::int64_t t0 = (r - b.r0) * p.tw;
      for (std::int64_t i = 0; i < 2 && top + i < p.oh; ++i) {
        T* row = plane + (top + i) * p.ow;
        const T* even = y + 2 * i * tiles + t0;
        interleave(p.ow, even, even + tiles, row);
      }
    }
  }
}

// s.m[xi, oc, t] = (A q A^T)[xi] for each tile's 2x2 output gradient q (zeros outside the output),
// A = [1 0; 1 1; 1 -1; 0 -1].
template <class T>
void transform_output_grad(const Plan& p, const T* dy, const Block& b, const Scratch<T>& s) {
  const std::int64_t tiles = b.tiles(p);
  const std::int64_t cell = p.o * tiles;
  T* q = s.work;              // [2, 2, tiles]: each tile's q
  T* e = s.work + 4 * tiles;  // [4, 2, tiles]: A q
  for (std::int64_t oc = 0; oc < p.o; ++oc) {
    for (std::int64_t r = b.r0; r < b.r1; ++r) {
      const std::int64_t top = 2 * (r % p.th);
      const T* plane = dy + ((r / p.th) * p.o + oc) * p.oh * p.ow;
      const std::int64_t t0 = (r - b.r0) * p.tw;
      for (std::int64_t i = 0; i < 2; ++i) {
        T* even = q + 2 * i * tiles + t0;
        T* odd = even + tiles;
        if (top + i >= p.oh) {
          std::fill(even, even + p.tw, T(0));
          std::fill(odd, odd + p.tw, T(0));
          continue;
        }
        deinterleave(p.ow, plane + (top + i) * p.ow, even, odd);
      }
    }
    for (int j = 0; j < 2; ++j) {
      const T* q0 = q + j * tiles;        // q[0][j]
      const T* q1 = q + (2 + j) * tiles;  // q[1][j]
      T* e0 = e + j * tiles;
      T* e1 = e + (2 + j) * tiles;
      T* e2 = e + (4 + j) * tiles;
      T* e3 = e + (6 + j) * tiles;
      std::copy(q0, q0 + tiles, e0);
      each(tiles, e1, q0, q1, kAdd);
      each(tiles, e2, q0, q1, kSub);
      each(tiles, e3, q1, q1, [](T, T y) { return -y; });
    }
    for (int i = 0; i < 4; ++i) {
      const T* e0 = e + 2 * i * tiles;
      const T* e1 = e0 + tiles;
      T* z = s.m + (4 * i) * cell + oc * tiles;
      std::copy(e0, e0 + tiles, z);
      each(tiles, z + cell, e0, e1, kAdd);
      each(tiles, z + 2 * cell, e0, e1, kSub);
      each(tiles, z + 3 * cell, e1, e1, [](T, T y) { return -y; });
    }
  }
}

// The correlation of p on transformed filters s.u [16, o, c]: out [n, o, oh, ow].
template <class T>
void correlate(const Plan& p, const T* in, const Scratch<T>& s, const T* bias, T* out) {
  const std::int64_t step = block_rows(p);
  for (std::int64_t r0 = 0; r0 < p.n * p.th; r0 += step) {
    const Block b{r0, std::min(r0 + step, p.n * p.th)};
    const std::int64_t tiles = b.tiles(p);
    transform_input(p, in, b, s);
    for (std::int64_t xi = 0; xi < kCells; ++xi)
      gemm<T>(false, false, p.o, tiles, p.c, s.u + xi * p.o * p.c, s.v + xi * p.c * tiles, T(0), s.m + xi * p.o * tiles);
    transform_output(p, b, s, bias, out);
  }
}

}  // namespace

bool winograd_fits(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  const bool shape = s.kh == 3 && s.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.groups == 1 &&
                     g.ph <= 2 && g.pw <= 2;  // the input gradient pads by 2 - padding
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
  const std::int64_t step = block_rows(p);
  for (std::int64_t r0 = 0; r0 < p.n * p.th; r0 += step) {  // sc.u[xi] = sum over tiles of Z_xi V_xi^T
    const Block b{r0, std::min(r0 + step, p.n * p.th)};
    const std::int64_t tiles = b.tiles(p);
    transform_input(p, x, b, sc);
    transform_output_grad(p, dy, b, sc);
    for (std::int64_t xi = 0; xi < kCells; ++xi)
      gemm<T>(false, true, p.o, p.c, tiles, sc.m + xi * p.o * tiles, sc.v + xi * p.c * tiles, r0 == 0 ? T(0) : T(1),
              sc.u + xi * p.o * p.c);
  }
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
