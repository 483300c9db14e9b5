// The plan of an op along one dimension, the (values, indices) it picks, and the even split of a
// gradient among tied elements: the pieces extrema.cpp and sorting.cpp share (declared in select.hpp).

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
  p.dim = normalize_dim_or_scalar(dim, x.dim(), op);
  p.x = p.scalar ? reshape(x, {1}) : x;
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

ValuesIndices pick_along(const Along& p, const Tensor& index, const Shape& out, const char* op) {
  // values = gather(p.x, p.dim, index) recorded as op: dx = scatter_add(zeros_like(x), dim, index, dy)
  return {reshape(gather_as(op, "index", p.x, p.dim, index), out), reshape(index, out)};
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
