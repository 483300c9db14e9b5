// Extrema: max and min over everything, over dims, and along one dim with their indices; argmax and
// argmin. PyTorch's NaN rule (NaN beats every number both ways) and gradient rules: see extrema.hpp.

#include "tapegrad/extrema.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels.hpp"
#include "select.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::Along;
using detail::beats;
using detail::beats_below;

namespace {

// The maximum (largest) or minimum of x over r's dimensions, in x's dtype; a slice holding a NaN gives NaN.
Tensor extreme(const Tensor& x, const detail::Reduction& r, bool largest) {
  Tensor y = empty(r.out, x.dtype());
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    using Limits = std::numeric_limits<T>;
    const T start = Limits::has_infinity ? (largest ? -Limits::infinity() : Limits::infinity())
                                         : (largest ? Limits::lowest() : Limits::max());
    T* py = y.data<T>();
    std::fill(py, py + y.numel(), start);
    if (largest)
      detail::fold(x.data<T>(), x.shape(), r.kept, py, [](T acc, T v) { return beats(v, acc) ? v : acc; });
    else
      detail::fold(x.data<T>(), x.shape(), r.kept, py, [](T acc, T v) { return beats_below(v, acc) ? v : acc; });
  });
  return y;
}

Tensor reduce_extreme(const char* op, const Tensor& x, std::span<const int> dims, bool keepdim, bool largest) {
  detail::check_nonempty(x, op);
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, op);
  Tensor y = extreme(x, r, largest);
  detail::record_even_split(op, x, y, r.kept);  // dx = dy shared evenly by the elements tied with y
  return y;
}

// Index along p.dim of the first maximum (largest) or minimum of each slice, NaN winning; p.x's shape
// with extent 1 along p.dim.
Tensor arg_extreme(const Along& p, bool largest) {
  Shape kept = p.x.shape();
  kept[p.dim] = 1;
  Tensor y = empty(kept, kInt64);
  const detail::Around& a = p.a;
  visit_all_dtypes(p.x.dtype(), [&]<class T>() {
    const T* px = p.x.data<T>();
    std::int64_t* py = y.data<std::int64_t>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const T* slice = px + o * a.extent * a.inner + i;
        std::int64_t best = 0;
        for (std::int64_t k = 1; k < a.extent; ++k) {
          const T v = slice[k * a.inner];
          const T b = slice[best * a.inner];
          if (largest ? beats(v, b) : beats_below(v, b)) best = k;
        }
        py[o * a.inner + i] = best;
      }
  });
  return y;
}

ValuesIndices select_extreme(const char* op, const Tensor& x, int dim, bool keepdim, bool largest) {
  const Along p = detail::along(x, dim, op, true);
  // values = x at the index along dim: the gather records dx = dy put back at the index, 0 elsewhere
  return detail::pick_along(p, arg_extreme(p, largest), detail::reduced_shape(p, keepdim), op);
}

Tensor arg(const char* op, const Tensor& x, int dim, bool keepdim, bool largest) {
  detail::check_defined(x, op);
  const Along p = detail::along(x.detach(), dim, op, true);  // an index has no gradient: record nothing
  return reshape(arg_extreme(p, largest), detail::reduced_shape(p, keepdim));
}

Tensor arg_flat(const char* op, const Tensor& x, bool largest) {
  detail::check_nonempty(x, op);
  return arg(op, reshape(x.detach(), {x.numel()}), 0, false, largest);
}

// amax and amin: the values of max and min over dims, with PyTorch's amax gradient: dx = dy / n at each
// of the n elements equal to their slice's result, 0 elsewhere (scale_grad_by_count). A NaN result equals
// no element: dy / 0 * 0, NaN over its slice, as in PyTorch (max instead shares dy among the NaNs).
Tensor amax_or_amin(const char* op, const Tensor& x, std::span<const int> dims, bool keepdim, bool largest) {
  detail::check_defined(x, op);
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, op);
  if (r.count == 0)
    throw std::invalid_argument(std::string(op) + ": cannot reduce over an empty dimension of a tensor of shape " +
                                x.shape().str());
  Tensor y = extreme(x, r, largest);
  if (detail::needs_grad(x))
    detail::record(op, y, detail::saves(x).and_output(), [x, kept = r.kept](const Tensor& dy, const Tensor& y) {
      const Tensor at = detail::broadcast_zip(x, reshape(y, kept), x.shape(),
                                              [](auto u, auto v) { return static_cast<decltype(u)>(u == v); });
      detail::accumulate_grad(x, reshape(dy, kept) / sum_to(at, kept) * at);
    });
  return y;
}

}  // namespace

Tensor max(const Tensor& x) { return max(x, std::span<const int>(), false); }
Tensor max(const Tensor& x, std::span<const int> dims, bool keepdim) { return reduce_extreme("max", x, dims, keepdim, true); }
Tensor max(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return max(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}
ValuesIndices max(const Tensor& x, int dim, bool keepdim) { return select_extreme("max", x, dim, keepdim, true); }

Tensor min(const Tensor& x) { return min(x, std::span<const int>(), false); }
Tensor min(const Tensor& x, std::span<const int> dims, bool keepdim) { return reduce_extreme("min", x, dims, keepdim, false); }
Tensor min(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return min(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}
ValuesIndices min(const Tensor& x, int dim, bool keepdim) { return select_extreme("min", x, dim, keepdim, false); }

Tensor argmax(const Tensor& x) { return arg_flat("argmax", x, true); }
Tensor argmax(const Tensor& x, int dim, bool keepdim) { return arg("argmax", x, dim, keepdim, true); }
Tensor argmin(const Tensor& x) { return arg_flat("argmin", x, false); }
Tensor argmin(const Tensor& x, int dim, bool keepdim) { return arg("argmin", x, dim, keepdim, false); }

Tensor amax(const Tensor& x) { return amax(x, std::span<const int>(), false); }
Tensor amax(const Tensor& x, std::span<const int> dims, bool keepdim) { return amax_or_amin("amax", x, dims, keepdim, true); }
Tensor amax(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return amax(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}
Tensor amin(const Tensor& x) { return amin(x, std::span<const int>(), false); }
Tensor amin(const Tensor& x, std::span<const int> dims, bool keepdim) { return amax_or_amin("amin", x, dims, keepdim, false); }
Tensor amin(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return amin(x, std::span<const int>(dims.begin(), dims.size()), keepdim);
}

}  // namespace tg
