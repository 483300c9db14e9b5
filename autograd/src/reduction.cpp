// Reductions: sum, mean, max, amax and amin over dimensions, argmax, and sum_to (the inverse of broadcast_to).
// prod is in scan.cpp (its gradient is built from cumprod); var, std, norm and logsumexp in statistics.cpp.

#include "tapegrad/reduction.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::fold;
using detail::needs_grad;
using detail::record;

Tensor sum(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "sum");
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "sum");
  Tensor y = zeros(r.out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    fold(x.data<T>(), x.shape(), r.kept, y.data<T>(), [](T acc, T v) { return acc + v; });
  });
  if (needs_grad(x))
    record("sum", y, [x, kept = r.kept](const Tensor& dy, const Tensor&) {  // dx = dy repeated over the reduced dims
      accumulate_grad(x, broadcast_to(reshape(dy, kept), x.shape()));
    });
  return y;
}

Tensor sum(const Tensor& x) { return sum(x, std::span<const int>(), false); }
Tensor sum(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return sum(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

Tensor mean(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "mean");
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "mean");
  return sum(x, dims, keepdim) / static_cast<double>(r.count);
}

Tensor mean(const Tensor& x) { return mean(x, std::span<const int>(), false); }
Tensor mean(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return mean(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

namespace {

// The order max and argmax use, PyTorch's: NaN above every number, so that a slice holding a NaN has NaN
// as its maximum and its first NaN as the argmax. `beats` is a > b; `ties` is a == b with NaN equal to NaN.
template <class T>
bool beats(T a, T b) {
  return a > b || (a != a && b == b);
}
template <class T>
bool ties(T a, T b) {
  return a == b || (a != a && b != b);
}
// amin's order: a < b, with NaN again beating every number (amin propagates NaN as amax does).
template <class T>
bool beats_below(T a, T b) {
  return a < b || (a != a && b == b);
}

// The maximum (largest) or minimum of x over r's dimensions; a slice holding a NaN gives NaN.
Tensor extreme(const Tensor& x, const detail::Reduction& r, bool largest) {
  Tensor y = full(r.out, (largest ? -1 : 1) * std::numeric_limits<double>::infinity(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    if (largest)
      fold(x.data<T>(), x.shape(), r.kept, y.data<T>(), [](T acc, T v) { return beats(v, acc) ? v : acc; });
    else
      fold(x.data<T>(), x.shape(), r.kept, y.data<T>(), [](T acc, T v) { return beats_below(v, acc) ? v : acc; });
  });
  return y;
}

// 1 at the first maximal element of each reduced slice of x (y holds the maxima, in the kept shape).
Tensor first_max_mask(const Tensor& x, const Tensor& y_kept) {
  Tensor mask = zeros(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    const T* py = y_kept.data<T>();
    T* pm = mask.data<T>();
    std::vector<char> taken(static_cast<std::size_t>(y_kept.numel()), 0);
    std::int64_t strides[Shape::kMaxDims];
    detail::broadcast_strides(y_kept.shape(), x.shape(), strides);
    const int nd = x.dim();
    std::int64_t idx[Shape::kMaxDims] = {};
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
      std::int64_t o = 0;
      for (int d = 0; d < nd; ++d) o += idx[d] * strides[d];
      if (!taken[static_cast<std::size_t>(o)] && ties(px[i], py[o])) {
        taken[static_cast<std::size_t>(o)] = 1;
        pm[i] = 1;
      }
      for (int d = nd - 1; d >= 0; --d) {
        if (++idx[d] < x.shape()[d]) break;
        idx[d] = 0;
      }
    }
  });
  return mask;
}

}  // namespace

Tensor max(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "max");
  if (x.numel() == 0) throw std::invalid_argument("max: cannot reduce an empty tensor of shape " + x.shape().str());
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "max");
  Tensor y = extreme(x, r, true);
  if (needs_grad(x))
    record("max", y, [x, kept = r.kept](const Tensor& dy, const Tensor& y) {
      // dx = dy at the first maximal element of each slice, 0 elsewhere
      const Tensor mask = first_max_mask(x, reshape(y.detach(), kept));
      accumulate_grad(x, broadcast_to(reshape(dy, kept), x.shape()) * mask);
    });
  return y;
}

Tensor max(const Tensor& x) { return max(x, std::span<const int>(), false); }
Tensor max(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return max(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

namespace {

Tensor amax_or_amin(const char* op, const Tensor& x, std::span<const int> dims, bool keepdim, bool largest) {
  detail::check_defined(x, op);
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, op);
  if (r.count == 0)
    throw std::invalid_argument(std::string(op) + ": cannot reduce over an empty dimension of a tensor of shape " +
                                x.shape().str());
  Tensor y = extreme(x, r, largest);
  if (needs_grad(x))
    record(op, y, [x, kept = r.kept](const Tensor& dy, const Tensor& y) {
      // dx = dy / n at each of the n elements equal to their slice's result, 0 elsewhere (PyTorch's
      // scale_grad_by_count). A NaN result equals no element: dy / 0 * 0, NaN over its slice, as in PyTorch.
      const Tensor at = detail::broadcast_zip(x, reshape(y, kept), x.shape(),
                                              [](auto u, auto v) { return static_cast<decltype(u)>(u == v); });
      accumulate_grad(x, reshape(dy, kept) / sum_to(at, kept) * at);
    });
  return y;
}

}  // namespace

Tensor amax(const Tensor& x, std::span<const int> dims, bool keepdim) { return amax_or_amin("amax", x, dims, keepdim, true); }
Tensor amax(const Tensor& x) { return amax(x, std::span<const int>(), false); }
Tensor amax(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return amax(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

Tensor amin(const Tensor& x, std::span<const int> dims, bool keepdim) { return amax_or_amin("amin", x, dims, keepdim, false); }
Tensor amin(const Tensor& x) { return amin(x, std::span<const int>(), false); }
Tensor amin(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return amin(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

Tensor argmax(const Tensor& x, int dim, bool keepdim) {
  detail::check_defined(x, "argmax");
  const int d = detail::normalize_dim(dim, x.dim(), "argmax");
  const detail::Around a = detail::around(x.shape(), d);
  if (a.extent == 0) throw std::invalid_argument("argmax: dimension " + std::to_string(dim) + " is empty");
  const detail::Reduction r = detail::plan_reduction(x.shape(), std::span<const int>(&d, 1), keepdim, "argmax");
  Tensor y = empty(r.out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const T* slice = px + o * a.extent * a.inner + i;
        std::int64_t best = 0;
        for (std::int64_t k = 1; k < a.extent; ++k)
          if (beats(slice[k * a.inner], slice[best * a.inner])) best = k;
        py[o * a.inner + i] = static_cast<T>(best);
      }
  });
  return y;
}

Tensor sum_to(Tensor x, const Shape& shape) {
  detail::check_defined(x, "sum_to");
  if (x.shape() == shape) return x;
  const int nd = x.dim();
  const int lead = nd - shape.size();
  if (lead < 0 || detail::broadcast_shapes(shape, x.shape(), "sum_to") != x.shape())
    throw std::invalid_argument("sum_to: shape " + x.shape().str() + " is not a broadcast of " + shape.str());
  int dims[Shape::kMaxDims];
  int count = 0;
  for (int d = 0; d < nd; ++d)
    if (d < lead || (shape[d - lead] == 1 && x.shape()[d] != 1)) dims[count++] = d;
  return reshape(sum(x, std::span<const int>(dims, static_cast<std::size_t>(count)), true), shape);
}

}  // namespace tg
