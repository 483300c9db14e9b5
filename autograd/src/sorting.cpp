// Sorting and selection along one dimension: sort, argsort, topk, kthvalue, median. Each computes the
// indices first, then takes the values at them (take_along, which records the gradient): see sorting.hpp.

#include "tapegrad/sorting.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "kernels.hpp"
#include "select.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::Along;

namespace {

// Calls f(order, before, total, nans, o, i) for every slice [o, :, i] of p.x along p.dim, with `order`
// holding 0..n-1. before(u, v): element u of the slice sorts before element v, by value (ascending
// with NaN last, or descending with NaN first); total(u, v) breaks before's ties by index, a strict
// total order. nans: the count of NaNs in the slice.
template <class F>
void for_each_slice(const Along& p, bool descending, F f) {
  const detail::Around& a = p.a;
  std::vector<std::int64_t> order(static_cast<std::size_t>(a.extent));
  visit_all_dtypes(p.x.dtype(), [&]<class T>() {
    const T* px = p.x.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const T* slice = px + o * a.extent * a.inner + i;
        const auto before = [slice, descending, step = a.inner](std::int64_t u, std::int64_t v) {
          const T x = slice[u * step];
          const T y = slice[v * step];
          return descending ? detail::beats(x, y) : detail::beats(y, x);
        };
        const auto total = [&before](std::int64_t u, std::int64_t v) {
          return before(u, v) || (!before(v, u) && u < v);
        };
        std::int64_t nans = 0;
        for (std::int64_t k = 0; k < a.extent; ++k) nans += slice[k * a.inner] != slice[k * a.inner];
        std::iota(order.begin(), order.end(), 0);
        f(order, before, total, nans, o, i);
      }
  });
}

// The first m indices of each slice in sorted order: p.x's shape with extent m along p.dim.
Tensor sorted_indices(const Along& p, std::int64_t m, bool descending, bool stable) {
  Shape shape = p.x.shape();
  shape[p.dim] = m;
  Tensor index = empty(shape, kInt64);
  std::int64_t* pi = index.data<std::int64_t>();
  const detail::Around& a = p.a;
  for_each_slice(p, descending, [&](std::vector<std::int64_t>& order, auto before, auto total, std::int64_t,
                                    std::int64_t o, std::int64_t i) {
    if (stable) std::stable_sort(order.begin(), order.end(), before);
    else if (m < a.extent) std::partial_sort(order.begin(), order.begin() + m, order.end(), total);
    else std::sort(order.begin(), order.end(), total);
    for (std::int64_t r = 0; r < m; ++r) pi[(o * m + r) * a.inner + i] = order[static_cast<std::size_t>(r)];
  });
  return index;
}

// The index of the element at ascending position position(n, nans) of each slice (NaN last, ties in
// index order): p.x's shape with extent 1 along p.dim.
template <class Position>
Tensor ranked_index(const Along& p, Position position) {
  Shape shape = p.x.shape();
  shape[p.dim] = 1;
  Tensor index = empty(shape, kInt64);
  std::int64_t* pi = index.data<std::int64_t>();
  for_each_slice(p, false, [&](std::vector<std::int64_t>& order, auto, auto total, std::int64_t nans, std::int64_t o,
                               std::int64_t i) {
    const auto nth = order.begin() + position(p.a.extent, nans);
    std::nth_element(order.begin(), nth, order.end(), total);
    pi[o * p.a.inner + i] = *nth;
  });
  return index;
}

// The lower median's position among n sorted elements, or the first NaN's (sorted last) if there is one.
std::int64_t median_position(std::int64_t n, std::int64_t nans) { return nans > 0 ? n - nans : (n - 1) / 2; }

// The shape of sort's and topk's results: the index's, or 0-d for a 0-d input.
Shape sorted_shape(const Along& p, const Tensor& index) { return p.scalar && index.numel() == 1 ? Shape{} : index.shape(); }

}  // namespace

ValuesIndices sort(const Tensor& x, int dim, bool descending, bool stable) {
  const Along p = detail::along(x, dim, "sort", false);
  const Tensor index = sorted_indices(p, p.a.extent, descending, stable);
  return detail::pick_along(p, index, sorted_shape(p, index), "sort");  // dx = dy put back where it came from
}

Tensor argsort(const Tensor& x, int dim, bool descending, bool stable) {
  detail::check_defined(x, "argsort");
  const Along p = detail::along(x.detach(), dim, "argsort", false);  // an index has no gradient
  const Tensor index = sorted_indices(p, p.a.extent, descending, stable);
  return reshape(index, sorted_shape(p, index));
}

ValuesIndices topk(const Tensor& x, std::int64_t k, int dim, bool largest, bool sorted) {
  const Along p = detail::along(x, dim, "topk", false);
  if (k < 0 || k > p.a.extent)
    throw std::invalid_argument("topk: k must be in [0, " + std::to_string(p.a.extent) + "] (the size of dimension " +
                                std::to_string(dim) + " of a tensor of shape " + x.shape().str() + "), got " +
                                std::to_string(k));
  static_cast<void>(sorted);  // always sorted: unsorted order is unspecified in PyTorch, so sorted is one
  const Tensor index = sorted_indices(p, k, largest, false);
  return detail::pick_along(p, index, sorted_shape(p, index), "topk");  // dx = dy put back at the index
}

ValuesIndices kthvalue(const Tensor& x, std::int64_t k, int dim, bool keepdim) {
  const Along p = detail::along(x, dim, "kthvalue", true);
  if (k < 1 || k > p.a.extent)
    throw std::invalid_argument("kthvalue: k must be in [1, " + std::to_string(p.a.extent) +
                                "] (the size of dimension " + std::to_string(dim) + " of a tensor of shape " +
                                x.shape().str() + "), got " + std::to_string(k));
  const Tensor index = ranked_index(p, [k](std::int64_t, std::int64_t) { return k - 1; });
  return detail::pick_along(p, index, detail::reduced_shape(p, keepdim), "kthvalue");  // dx = dy at the index
}

ValuesIndices median(const Tensor& x, int dim, bool keepdim) {
  const Along p = detail::along(x, dim, "median", true);
  const Tensor index = ranked_index(p, median_position);
  return detail::pick_along(p, index, detail::reduced_shape(p, keepdim), "median");  // dx = dy at the index
}

Tensor median(const Tensor& x) {
  detail::check_nonempty(x, "median");
  const Tensor flat = reshape(x.detach(), {x.numel()});
  const Along p = detail::along(flat, 0, "median", true);
  Tensor y = reshape(detail::take_along(flat, 0, ranked_index(p, median_position), "median"), {});
  detail::record_even_split("median", x, y, detail::plan_reduction(x.shape(), {}, true, "median").kept);
  return y;
}

}  // namespace tg
