// The plan of an op along one dimension, gather and scatter along it, and the even split of a gradient
// among tied elements: the pieces extrema.cpp and sorting.cpp share (declared in select.hpp).

#include "select.hpp"

#include <string>

#include "tapegrad/elementwise.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::detail {

void check_nonempty(const Tensor& x, const char* op) {
  check_defined(x, op);
  if (x.numel() == 0)
    throw std::invalid_argument(std::string(op) + ": cannot reduce an empty tensor of shape " + x.shape().str());
}

Along along(const Tensor& x, int dim, const char* op, bool nonempty) {
  check_defined(x, op);
  Along p;
  p.scalar = x.dim() == 0;
  if (p.scalar && dim != 0 && dim != -1)
    throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(dim) +
                                " is out of range for a 0-d tensor (which takes 0 or -1)");
  p.x = p.scalar ? reshape(x, {1}) : x;
  p.dim = normalize_dim(dim, p.x.dim(), op);
  p.a = around(p.x.shape(), p.dim);
  if (nonempty && p.a.extent == 0)
    throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(dim) + " of a tensor of shape " +
                                x.shape().str() + " is empty: there is nothing to select from it");
  return p;
}

Shape reduced_shape(const Along& p, bool keepdim) {
  Shape out;
  if (p.scalar) return out;
  for (int d = 0; d < p.x.dim(); ++d)
    if (d != p.dim || keepdim) out.push_back(d == p.dim ? 1 : p.x.shape()[d]);
  return out;
}

namespace {

// Calls f(j, k) for every element j of index (shape (outer, m, inner) around dim) and the element k of
// a tensor of `shape` it points at: [o, index[j], i].
template <class F>
void walk_along(const Shape& shape, int dim, const Tensor& index, F f) {
  const Around a = around(shape, dim);
  const std::int64_t m = index.shape()[dim];
  const std::int64_t* pi = index.data<std::int64_t>();
  for (std::int64_t o = 0; o < a.outer; ++o)
    for (std::int64_t r = 0; r < m; ++r)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const std::int64_t j = (o * m + r) * a.inner + i;
        f(j, (o * a.extent + pi[j]) * a.inner + i);
      }
}

}  // namespace

Tensor take_along(const Tensor& x, int dim, const Tensor& index, const char* op) {
  Tensor y = empty(index.shape(), x.dtype());
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    walk_along(x.shape(), dim, index, [&](std::int64_t j, std::int64_t k) { py[j] = px[k]; });
  });
  if (needs_grad(x))  // y = x[index] along dim: dx = dy added back at index (a scatter_add)
    record(op, y, saves(index), [x, dim, index, op](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, put_along(dy, dim, index, x.shape(), op));
    });
  return y;
}

ValuesIndices pick_along(const Along& p, const Tensor& index, const Shape& out, const char* op) {
  return {reshape(take_along(p.x, p.dim, index, op), out), reshape(index, out)};
}

Tensor put_along(const Tensor& src, int dim, const Tensor& index, const Shape& shape, const char* op) {
  Tensor y = zeros(shape, src.dtype());
  visit_dtype(src.dtype(), [&]<class T>() {
    const T* ps = src.data<T>();
    T* py = y.data<T>();
    walk_along(shape, dim, index, [&](std::int64_t j, std::int64_t k) { py[k] += ps[j]; });
  });
  if (needs_grad(src))  // only when the sweep itself is recorded: y[index] += src, so dsrc = dy[index]
    record(op, y, saves(index), [src, dim, index, op](const Tensor& dy, const Tensor&) {
      accumulate_grad(src, take_along(dy, dim, index, op));
    });
  return y;
}

void record_even_split(const char* op, const Tensor& x, const Tensor& y, const Shape& kept) {
  if (!needs_grad(x)) return;
  record(op, y, saves(x).and_output(), [x, kept](const Tensor& dy, const Tensor& y) {
    // y = the extreme of each slice, x:[...] y:kept: dx = dy / count * mask, mask = ties(x, y), count = sum over the slice
    const Tensor mask = broadcast_zip(x, reshape(y.detach(), kept), x.shape(),
                                      [](auto u, auto v) { return static_cast<decltype(u)>(ties(u, v)); });
    accumulate_grad(x, reshape(dy, kept) / sum_to(mask, kept) * mask);
  });
}

}  // namespace tg::detail
