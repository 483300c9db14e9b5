// Reductions: sum and mean over dimensions, and sum_to (the inverse of broadcast_to). max, min, amax,
// amin, argmax and argmin are in extrema.cpp; prod in scan.cpp (its gradient is built from cumprod); var,
// std, norm and logsumexp in statistics.cpp.

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
using detail::saves_nothing;

Tensor sum(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "sum");
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "sum");
  if (!is_floating_point(x.dtype())) {  // int64 and bool sum to an int64 count, as in PyTorch
    const Tensor xi = x.to(kInt64);
    Tensor y = zeros(r.out, kInt64);
    fold(xi.data<std::int64_t>(), x.shape(), r.kept, y.data<std::int64_t>(),
         [](std::int64_t acc, std::int64_t v) { return acc + v; });
    return y;
  }
  Tensor y = zeros(r.out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    fold(x.data<T>(), x.shape(), r.kept, y.data<T>(), [](T acc, T v) { return acc + v; });
  });
  if (needs_grad(x))  // dx = dy repeated over the reduced dims
    record("sum", y, saves_nothing, [x, kept = r.kept](const Tensor& dy, const Tensor&) {
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
