// Reductions: sum, mean, max over dimensions, argmax, and sum_to (the inverse of broadcast_to).

#include "tapegrad/reduction.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;

namespace {

struct Reduction {
  bool reduced[Shape::kMaxDims] = {};
  Shape kept;     // x's shape with reduced extents set to 1
  Shape out;      // the result's shape (kept, or with reduced dims removed)
  std::int64_t count = 1;  // elements folded into each output
};

Reduction plan(const Shape& shape, std::span<const int> dims, bool keepdim, const char* op) {
  Reduction r;
  const int nd = shape.size();
  if (dims.empty())
    for (int d = 0; d < nd; ++d) r.reduced[d] = true;
  for (int d : dims) {
    const int j = detail::normalize_dim(d, nd, op);
    if (r.reduced[j]) throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(d) + " is listed twice");
    r.reduced[j] = true;
  }
  for (int d = 0; d < nd; ++d) {
    r.kept.push_back(r.reduced[d] ? 1 : shape[d]);
    if (r.reduced[d]) r.count *= shape[d];
    if (!r.reduced[d] || keepdim) r.out.push_back(r.reduced[d] ? 1 : shape[d]);
  }
  return r;
}

// Folds every element of x into out[slot] with combine(acc, value), walking x in memory order; the slot
// of an element comes from the kept shape's strides (0 along reduced dimensions).
template <class T, class F>
void fold(const T* x, const Shape& shape, const Shape& kept, T* out, F combine) {
  const int nd = shape.size();
  if (nd == 0) {
    out[0] = combine(out[0], x[0]);
    return;
  }
  std::int64_t strides[Shape::kMaxDims];
  detail::broadcast_strides(kept, shape, strides);
  std::int64_t idx[Shape::kMaxDims] = {};
  const std::int64_t inner = shape[nd - 1];
  const std::int64_t step = strides[nd - 1];
  const std::int64_t n = shape.numel();
  std::int64_t o = 0;
  for (std::int64_t i = 0; i < n; i += inner) {
    if (step == 0) {
      T acc = out[o];
      for (std::int64_t j = 0; j < inner; ++j) acc = combine(acc, x[i + j]);
      out[o] = acc;
    } else {
      for (std::int64_t j = 0; j < inner; ++j) out[o + j] = combine(out[o + j], x[i + j]);
    }
    for (int d = nd - 2; d >= 0; --d) {
      o += strides[d];
      if (++idx[d] < shape[d]) break;
      o -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor sum(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "sum");
  const Reduction r = plan(x.shape(), dims, keepdim, "sum");
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
  const Reduction r = plan(x.shape(), dims, keepdim, "mean");
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
  const Reduction r = plan(x.shape(), dims, keepdim, "max");
  Tensor y = full(r.out, -std::numeric_limits<double>::infinity(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    fold(x.data<T>(), x.shape(), r.kept, y.data<T>(), [](T acc, T v) { return beats(v, acc) ? v : acc; });
  });
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

Tensor argmax(const Tensor& x, int dim, bool keepdim) {
  detail::check_defined(x, "argmax");
  const int d = detail::normalize_dim(dim, x.dim(), "argmax");
  const detail::Around a = detail::around(x.shape(), d);
  if (a.extent == 0) throw std::invalid_argument("argmax: dimension " + std::to_string(dim) + " is empty");
  const Reduction r = plan(x.shape(), std::span<const int>(&d, 1), keepdim, "argmax");
  Tensor y = empty(r.out, kInt64);
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    std::int64_t* py = y.data<std::int64_t>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const T* slice = px + o * a.extent * a.inner + i;
        std::int64_t best = 0;
        for (std::int64_t k = 1; k < a.extent; ++k)
          if (beats(slice[k * a.inner], slice[best * a.inner])) best = k;
        py[o * a.inner + i] = best;
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
