// Scans along one dimension (cumsum, cumprod), and prod, whose gradient with zeros in x is built from
// cumprod. Each scan runs either way along its dimension: the reverse scans are the backwards of the
// forward ones (cumsum's gradient is a cumsum from the back), so every backward here is written with
// differentiable ops and can be differentiated again.

#include "tapegrad/scan.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::Around;
using detail::keep_where;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_nothing;

namespace {

// The dimension a scan or prod runs along; a 0-d x has one, of extent 1 (dim 0 or -1), as in PyTorch.
int scan_dim(const Tensor& x, int dim, const char* op) { return detail::normalize_dim_or_scalar(dim, x.dim(), op); }

Around around_dim(const Tensor& x, int d) { return x.dim() == 0 ? Around{} : detail::around(x.shape(), d); }

// y = the running combine of x along d, from the back when reverse. With x viewed as (outer, extent,
// inner), row k of an outer block (inner contiguous elements) is combine(row k-1 of y, row k of x).
template <class F>
Tensor scan(const Tensor& x, int d, bool reverse, F combine) {
  Tensor y = empty(x.shape(), x.dtype());
  const Around a = around_dim(x, d);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t step = 0; step < a.extent; ++step) {
        const std::int64_t row = (o * a.extent + (reverse ? a.extent - 1 - step : step)) * a.inner;
        const std::int64_t prev = row + (reverse ? a.inner : -a.inner);
        if (step == 0) std::copy(px + row, px + row + a.inner, py + row);
        else
          for (std::int64_t i = 0; i < a.inner; ++i) py[row + i] = combine(py[prev + i], px[row + i]);
      }
  });
  return y;
}

bool has_zero(const Tensor& x) {
  bool found = false;
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    found = std::find(px, px + x.numel(), T(0)) != px + x.numel();
  });
  return found;
}

// Constant masks of x's shape along d, in scan order: `before` is 1 ahead of each slice's first zero (all
// of a slice without one), `first` is 1 at that zero.
struct ZeroMasks {
  Tensor before;
  Tensor first;
};

ZeroMasks zero_masks(const Tensor& x, int d, bool reverse) {
  ZeroMasks m{zeros(x.shape(), x.dtype()), zeros(x.shape(), x.dtype())};
  const Around a = around_dim(x, d);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* before = m.before.data<T>();
    T* first = m.first.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i)
        for (std::int64_t step = 0; step < a.extent; ++step) {
          const std::int64_t at = (o * a.extent + (reverse ? a.extent - 1 - step : step)) * a.inner + i;
          if (px[at] == 0) {
            first[at] = 1;
            break;
          }
          before[at] = 1;
        }
  });
  return m;
}

Tensor running_prod(const Tensor& x, int d, bool reverse);

Tensor running_sum(const Tensor& x, int d, bool reverse) {
  Tensor y = scan(x, d, reverse, [](auto acc, auto v) { return acc + v; });
  if (needs_grad(x))  // y_k = sum_{j <= k} x_j in scan order: dx_k = sum_{j >= k} dy_j, the scan the other way
    record(reverse ? "reverse_cumsum" : "cumsum", y, saves_nothing,
           [x, d, reverse](const Tensor& dy, const Tensor&) { accumulate_grad(x, running_sum(dy, d, !reverse)); });
  return y;
}

Tensor exclusive_prod(const Tensor& x, int d, bool reverse);

// dx_k = sum_{j >= k} dy_j prod_{i <= j, i != k} x_i (scan order) as E_k S_k, with E_k = prod_{i < k} x_i
// and S_k = sum_{j >= k} dy_j prod_{k < i <= j} x_i: no division and no mask, so that it holds with zeros
// in x and differentiates again to the right value (the masked form below does not: past a slice's first
// zero z its constant 0 drops d(dx_k)/dx_z). PyTorch's double-differentiable cumprod_backward does the
// same, in O(n^2) along d; it runs only in a recorded sweep with a zero in x.
Tensor running_prod_backward_composed(const Tensor& dy, const Tensor& x, int d, bool reverse) {
  if (x.dim() == 0) return reshape(running_prod_backward_composed(reshape(dy, {1}), reshape(x, {1}), 0, reverse), {});
  const std::int64_t n = x.shape()[d];
  Shape one = x.shape();
  one[d] = 1;
  const Tensor start = ones(one, x.dtype());
  std::vector<Tensor> s(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {  // the dy_j from k on, and 1, x_{k+1}, ... (scan order) beside them
    const Tensor later_dy = reverse ? slice(dy, d, 0, k + 1) : slice(dy, d, k, n);
    const Tensor later_x = reverse ? cat({slice(x, d, 0, k), start}, d) : cat({start, slice(x, d, k + 1, n)}, d);
    s[static_cast<std::size_t>(k)] = sum(later_dy * running_prod(later_x, d, reverse), {d}, true);
  }
  return exclusive_prod(x, d, reverse) * cat(s, d);
}

// y_k = prod_{i <= k} x_i in scan order: dx_k = sum_{j >= k} dy_j prod_{i <= j, i != k} x_i. With no zero
// in x that is rsum(dy y)_k / x_k, rsum being the sum scan the other way (PyTorch's formula). With z the
// first zero of a slice: ahead of z the same (y_j = 0 for j >= z, and x_k != 0); at z, rsum(dy y')_z with
// y' the running product of x with its zero at z replaced by 1; past z, 0 (every product holds x_z). A
// recorded sweep takes the composed form above instead: that 0 is right, its derivative is not.
Tensor running_prod_backward(const Tensor& dy, const Tensor& x, const Tensor& y, int d, bool reverse) {
  if (!has_zero(x)) return running_sum(dy * y, d, !reverse) / x;
  if (is_grad_enabled()) return running_prod_backward_composed(dy, x, d, reverse);
  const Tensor dy_y_rsum = running_sum(dy * y, d, !reverse);
  const ZeroMasks m = zero_masks(x, d, reverse);
  const Tensor x_ahead = keep_where(x, m.before) + (1.0 - m.before);  // x ahead of z, 1 from z on: never 0
  const Tensor x_skip = keep_where(x, 1.0 - m.first) + m.first;       // x with z's 0 replaced by a constant 1
  const Tensor at_first = running_sum(dy * running_prod(x_skip, d, reverse), d, !reverse);
  return dy_y_rsum / x_ahead * m.before + at_first * m.first;
}

Tensor running_prod(const Tensor& x, int d, bool reverse) {
  Tensor y = scan(x, d, reverse, [](auto acc, auto v) { return acc * v; });
  if (needs_grad(x))
    record(reverse ? "reverse_cumprod" : "cumprod", y, saves(x).and_output(),
           [x, d, reverse](const Tensor& dy, const Tensor& y) {
             accumulate_grad(x, running_prod_backward(dy, x, y, d, reverse));
           });
  return y;
}

// prod_{i < k} x_i along d (i > k when reverse): the running product shifted one place, 1 where it starts.
Tensor exclusive_prod(const Tensor& x, int d, bool reverse) {
  const std::int64_t n = x.shape()[d];
  Shape one = x.shape();
  one[d] = 1;
  const Tensor start = ones(one, x.dtype());
  const Tensor running = running_prod(x, d, reverse);
  return reverse ? cat({slice(running, d, 1, n), start}, d) : cat({start, slice(running, d, 0, n - 1)}, d);
}

// y = prod_k x_k along d, with dy and y kept (extent 1 along d): dx_k = dy prod_{i != k} x_i. That is
// dy y / x_k when x holds no zero (PyTorch's fast path), and otherwise the product of the exclusive running
// products from both ends (PyTorch's prod_safe_zeros_backward): exact with zeros, and differentiable again.
Tensor prod_backward(const Tensor& dy, const Tensor& x, const Tensor& y, int d) {
  if (!has_zero(x)) return dy * (y / x);
  return dy * (exclusive_prod(x, d, false) * exclusive_prod(x, d, true));
}

}  // namespace

Tensor cumsum(const Tensor& x, int dim) {
  detail::check_defined(x, "cumsum");
  return running_sum(x, scan_dim(x, dim, "cumsum"), false);
}

Tensor cumprod(const Tensor& x, int dim) {
  detail::check_defined(x, "cumprod");
  return running_prod(x, scan_dim(x, dim, "cumprod"), false);
}

Tensor prod(const Tensor& x, int dim, bool keepdim) {
  detail::check_defined(x, "prod");
  const int d = scan_dim(x, dim, "prod");
  if (x.dim() == 0) return prod(reshape(x, {1}), 0, false);  // PyTorch keeps a 0-d result 0-d, keepdim or not
  const detail::Reduction r = detail::plan_reduction(x.shape(), std::span<const int>(&d, 1), keepdim, "prod");
  const Around a = detail::around(x.shape(), d);
  Tensor y = ones(r.out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t k = 0; k < a.extent; ++k)
        for (std::int64_t i = 0; i < a.inner; ++i) py[o * a.inner + i] *= px[(o * a.extent + k) * a.inner + i];
  });
  if (needs_grad(x))
    record("prod", y, saves(x).and_output(), [x, d, kept = r.kept](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, prod_backward(reshape(dy, kept), x, reshape(y, kept), d));
    });
  return y;
}

Tensor prod(const Tensor& x) {
  detail::check_defined(x, "prod");
  return prod(reshape(x, {x.numel()}), 0, false);
}

}  // namespace tg
