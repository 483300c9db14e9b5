// Indexing: index_select, index_add, gather, scatter_add, scatter, take_along_dim, embedding,
// masked_select, one_hot. The forward kernels move elements of every dtype; each backward is another op
// of this family (index_select <-> index_add, gather <-> scatter_add), so that a recorded sweep can be
// differentiated again. Indices are validated before anything is written.

#include "tapegrad/indexing.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::Around;
using detail::gather_as;
using detail::needs_grad;
using detail::record;
using detail::saves;

namespace {

using Strides = std::array<std::int64_t, Shape::kMaxDims>;

// ---- checks ----

void check_int64(const Tensor& index, const char* op, const char* name) {
  detail::check_defined(index, op);
  if (index.dtype() != kInt64)
    throw std::invalid_argument(std::string(op) + ": " + name + " must be an int64 tensor, got " +
                                std::string(dtype_name(index.dtype())));
}

// PyTorch lets a 0-d tensor stand for a 1-d one of one element (dim 0 or -1, rank 1 in rank checks).
Shape at_least_1d(const Shape& shape) { return shape.empty() ? Shape{1} : shape; }
int rank(const Tensor& t) { return std::max(t.dim(), 1); }
int wrap_dim(int dim, const Tensor& x, const char* op) { return detail::normalize_dim_or_scalar(dim, x.dim(), op); }

// "3" for a position in a 0-d or 1-d index, "[1, 0]" in a 2-d one.
std::string position_str(std::int64_t flat, const Shape& shape) {
  if (shape.size() <= 1) return std::to_string(flat);
  Strides coords{};
  for (int d = shape.size() - 1; d >= 0; --d) {
    coords[static_cast<std::size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (int d = 0; d < shape.size(); ++d) s += (d > 0 ? ", " : "") + std::to_string(coords[static_cast<std::size_t>(d)]);
  return s + "]";
}

// Throws unless every value of index lies in [0, extent); `of` says what the extent is.
void check_range(const Tensor& index, std::int64_t extent, const char* op, const std::string& of) {
  const std::int64_t* p = index.data<std::int64_t>();
  for (std::int64_t i = 0, n = index.numel(); i < n; ++i)
    if (p[i] < 0 || p[i] >= extent)
      throw std::invalid_argument(std::string(op) + ": index " + std::to_string(p[i]) + " at position " +
                                  position_str(i, index.shape()) + " is out of range [0, " + std::to_string(extent) +
                                  ")" + of);
}

// Checks index's values against dimension d of x.
void check_range_along(const Tensor& index, const Tensor& x, int d, const char* op) {
  check_range(index, at_least_1d(x.shape())[d], op,
              " for dimension " + std::to_string(d) + " of x " + x.shape().str());
}

// index_select and index_add take a 1-d (or 0-d) index; a 0-d x takes exactly one.
void check_vector_index(const Tensor& index, const Tensor& x, const char* op) {
  if (index.dim() > 1)
    throw std::invalid_argument(std::string(op) + ": index must be 1-d or 0-d, got shape " + index.shape().str());
  if (x.dim() == 0 && index.numel() != 1)
    throw std::invalid_argument(std::string(op) + ": a 0-d x takes exactly one index, got " +
                                std::to_string(index.numel()));
}

// gather and scatter: t (named `name`) must have x's rank.
void check_rank(const Tensor& t, const char* name, const Tensor& x, const char* op) {
  if (rank(t) != rank(x))
    throw std::invalid_argument(std::string(op) + ": " + name + " must have as many dimensions as x " +
                                x.shape().str() + ", got " + t.shape().str());
}

// index.size(k) <= t.size(k) for every k but `free` (-1: every k).
void check_fits(const Tensor& index, const Tensor& t, const char* name, int free, const char* op) {
  const Shape is = at_least_1d(index.shape());
  const Shape ts = at_least_1d(t.shape());
  for (int k = 0; k < is.size(); ++k)
    if (k != free && is[k] > ts[k])
      throw std::invalid_argument(std::string(op) + ": index " + index.shape().str() + " is larger than " + name + " " +
                                  t.shape().str() + " at dimension " + std::to_string(k) + " (index.size(d) <= " +
                                  name + ".size(d) for " +
                                  (free < 0 ? std::string("every d") : "d != " + std::to_string(free)) + ")");
}

// ---- kernels (not recorded) ----

// Row-major strides of `shape`, with 0 at dimension `skip` (-1: none), whose offset an index supplies.
Strides strides_of(const Shape& shape, int skip) {
  Strides s{};
  std::int64_t stride = 1;
  for (int d = shape.size() - 1; d >= 0; --d) {
    s[static_cast<std::size_t>(d)] = d == skip ? 0 : stride;
    stride *= shape[d];
  }
  return s;
}

// f(i, oa, ob) for each element i of `shape` in row-major order, oa and ob its offsets under strides sa, sb.
template <class F>
void walk(const Shape& shape, const Strides& sa, const Strides& sb, F f) {
  const int nd = shape.size();
  Strides idx{};
  std::int64_t oa = 0;
  std::int64_t ob = 0;
  for (std::int64_t i = 0, n = shape.numel(); i < n; ++i) {
    f(i, oa, ob);
    for (int d = nd - 1; d >= 0; --d) {  // advance the odometer
      const auto u = static_cast<std::size_t>(d);
      oa += sa[u];
      ob += sb[u];
      if (++idx[u] < shape[d]) break;
      oa -= sa[u] * shape[d];
      ob -= sb[u] * shape[d];
      idx[u] = 0;
    }
  }
}

// y (outer, K, inner) = rows index[k] of x (outer, N, inner): whole rows moved by bytes, any dtype.
void select_rows(const Tensor& x, const Around& a, const Tensor& index, Tensor& y) {
  const std::size_t row = static_cast<std::size_t>(a.inner) * dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.impl()->storage->data);
  auto* dst = static_cast<std::byte*>(y.impl()->storage->data);
  const std::int64_t* idx = index.data<std::int64_t>();
  const std::int64_t k = index.numel();
  for (std::int64_t o = 0; o < a.outer; ++o)
    for (std::int64_t j = 0; j < k; ++j)
      std::memcpy(dst + static_cast<std::size_t>(o * k + j) * row,
                  src + static_cast<std::size_t>(o * a.extent + idx[j]) * row, row);
}

// dst += v; bool adds as logical or, as in PyTorch.
template <class T>
void add_to(T& dst, T v) {
  if constexpr (std::is_same_v<T, bool>) dst = dst || v;
  else dst += v;
}

// rows index[k] of out (outer, N, inner) += rows k of src (outer, K, inner).
void add_rows(Tensor& out, const Around& a, const Tensor& index, const Tensor& src) {
  const std::int64_t* idx = index.data<std::int64_t>();
  const std::int64_t k = index.numel();
  visit_all_dtypes(out.dtype(), [&]<class T>() {
    const T* s = src.data<T>();
    T* o = out.data<T>();
    for (std::int64_t b = 0; b < a.outer; ++b)
      for (std::int64_t j = 0; j < k; ++j)
        for (std::int64_t i = 0; i < a.inner; ++i)
          add_to(o[(b * a.extent + idx[j]) * a.inner + i], s[(b * k + j) * a.inner + i]);
  });
}

// y[p] = x[p with coordinate d replaced by index[p]] for every position p of index (y has index's shape).
Tensor gather_kernel(const Tensor& x, int d, const Tensor& index) {
  Tensor y = empty(index.shape(), x.dtype());
  const Shape xs = at_least_1d(x.shape());
  const Strides sx = strides_of(xs, d);
  const std::int64_t step = strides_of(xs, -1)[static_cast<std::size_t>(d)];
  const std::int64_t* idx = index.data<std::int64_t>();
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    walk(at_least_1d(index.shape()), sx, sx,
         [&](std::int64_t i, std::int64_t o, std::int64_t) { py[i] = px[o + idx[i] * step]; });
  });
  return y;
}

// A copy of x with, for every position p of index in order, out[p with coordinate d replaced by index[p]]
// += src[p] (kAdd) or = src[p] (so the last of repeated indices wins).
template <bool kAdd>
Tensor scatter_kernel(const Tensor& x, int d, const Tensor& index, const Tensor& src) {
  Tensor out = x.detach().clone();
  const Shape xs = at_least_1d(x.shape());
  const Strides so = strides_of(xs, d);
  const Strides ss = strides_of(at_least_1d(src.shape()), -1);
  const std::int64_t step = strides_of(xs, -1)[static_cast<std::size_t>(d)];
  const std::int64_t* idx = index.data<std::int64_t>();
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    const T* ps = src.data<T>();
    T* po = out.data<T>();
    walk(at_least_1d(index.shape()), so, ss, [&](std::int64_t i, std::int64_t o, std::int64_t s) {
      if constexpr (kAdd) add_to(po[o + idx[i] * step], ps[s]);
      else po[o + idx[i] * step] = ps[s];
    });
  });
  return out;
}

// g (index's shape) zero-padded at the end of each dimension to src's `shape`, with cat so that it stays
// differentiable: the gradient of a src larger than its index is 0 where the index does not reach.
Tensor pad_to(Tensor g, const Shape& shape) {
  for (int k = 0; k < shape.size(); ++k)
    if (g.size(k) < shape[k]) {
      Shape rest = g.shape();
      rest[k] = shape[k] - g.size(k);
      g = cat({g, zeros(rest, g.dtype())}, k);
    }
  return g;
}

// 1 where element p of src is the write that scatter(x, d, index, src) keeps (the last one to its place),
// 0 where a later one overwrote it: scatter the positions themselves and read back who won.
Tensor kept_writes(const Tensor& x, int d, const Tensor& index, Dtype dtype) {
  const Tensor order = reshape(arange(index.numel(), kInt64), index.shape());
  const Tensor last = gather_kernel(scatter_kernel<false>(full(x.shape(), -1, kInt64), d, index, order), d, index);
  const std::int64_t* pl = last.data<std::int64_t>();
  Tensor keep = empty(index.shape(), dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* pk = keep.data<T>();
    for (std::int64_t i = 0, n = keep.numel(); i < n; ++i) pk[i] = pl[i] == i ? T(1) : T(0);
  });
  return keep;
}

// index_add's shape rule: source is x with the index's length at dimension d.
void check_source(const Tensor& x, int d, const Tensor& index, const Tensor& source) {
  Shape expected = x.shape();
  if (x.dim() > 0) expected[d] = index.numel();
  if (source.shape() != expected)
    throw std::invalid_argument("index_add: source must have shape " + expected.str() + " (x's " + x.shape().str() +
                                " with the index's length at dimension " + std::to_string(d) + "), got " +
                                source.shape().str());
}

}  // namespace

namespace detail {

Tensor gather_as(const char* op, const char* index_name, const Tensor& x, int dim, const Tensor& index) {
  detail::check_defined(x, op);
  check_int64(index, op, index_name);
  const int d = wrap_dim(dim, x, op);
  check_rank(index, index_name, x, op);
  check_fits(index, x, "x", d, op);
  check_range_along(index, x, d, op);
  Tensor y = gather_kernel(x, d, index);
  if (needs_grad(x))  // y = x[index] along d, y:index.shape: dx = scatter_add(zeros_like(x), d, index, dy)
    record(op, y, saves(index), [x, d, index](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, scatter_add(zeros_like(x), d, index, dy));
    });
  return y;
}

}  // namespace detail

namespace {

// The checks scatter_add and scatter share; returns the wrapped dim.
int check_scatter(const Tensor& x, int dim, const Tensor& index, const Tensor& src, const char* op) {
  detail::check_defined(x, op);
  detail::check_defined(src, op);
  check_int64(index, op, "index");
  detail::check_same_dtype(x, src, op);
  const int d = wrap_dim(dim, x, op);
  check_rank(index, "index", x, op);
  check_rank(src, "src", x, op);
  check_fits(index, x, "x", d, op);
  check_fits(index, src, "src", -1, op);
  check_range_along(index, x, d, op);
  return d;
}

// embedding's padding_idx as a row of weight (negative counts from the back, as in PyTorch).
std::optional<std::int64_t> wrap_padding_idx(std::optional<std::int64_t> padding_idx, const Tensor& weight) {
  if (!padding_idx) return std::nullopt;
  const std::int64_t rows = weight.size(0);
  if (*padding_idx < -rows || *padding_idx >= rows)
    throw std::invalid_argument("embedding: padding_idx " + std::to_string(*padding_idx) + " is out of range [" +
                                std::to_string(-rows) + ", " + std::to_string(rows) + ") for weight " +
                                weight.shape().str());
  return *padding_idx < 0 ? *padding_idx + rows : *padding_idx;
}

// float [K, 1]: 0 at the entries of flat that are padding_idx, 1 elsewhere (embedding's backward mask).
Tensor not_padding(const Tensor& flat, std::int64_t padding_idx, Dtype dtype) {
  Tensor keep = empty(Shape{flat.numel(), 1}, dtype);
  const std::int64_t* p = flat.data<std::int64_t>();
  visit_dtype(dtype, [&]<class T>() {
    T* pk = keep.data<T>();
    for (std::int64_t i = 0, n = flat.numel(); i < n; ++i) pk[i] = p[i] == padding_idx ? T(0) : T(1);
  });
  return keep;
}

}  // namespace

Tensor index_select(const Tensor& x, int dim, const Tensor& index) {
  detail::check_defined(x, "index_select");
  check_int64(index, "index_select", "index");
  const int d = wrap_dim(dim, x, "index_select");
  check_vector_index(index, x, "index_select");
  check_range_along(index, x, d, "index_select");
  Shape out = x.shape();
  if (x.dim() > 0) out[d] = index.numel();
  Tensor y = empty(out, x.dtype());
  select_rows(x, detail::around(at_least_1d(x.shape()), d), index, y);
  if (needs_grad(x))  // y = x[..., index, ...]: dx = index_add(zeros_like(x), d, index, dy)
    record("index_select", y, saves(index), [x, d, index](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, index_add(zeros_like(x), d, index, dy));
    });
  return y;
}

Tensor index_add(const Tensor& x, int dim, const Tensor& index, const Tensor& source) {
  detail::check_defined(x, "index_add");
  detail::check_defined(source, "index_add");
  check_int64(index, "index_add", "index");
  detail::check_same_dtype(x, source, "index_add");
  const int d = wrap_dim(dim, x, "index_add");
  check_vector_index(index, x, "index_add");
  check_source(x, d, index, source);
  check_range_along(index, x, d, "index_add");
  Tensor y = x.detach().clone();
  add_rows(y, detail::around(at_least_1d(x.shape()), d), index, source);
  if (needs_grad(x, source))  // y = x + source at rows index: dx = dy, dsource = index_select(dy, d, index)
    record("index_add", y, saves(index), [x, d, index, source](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy);
      if (source.requires_grad()) accumulate_grad(source, index_select(dy, d, index));
    });
  return y;
}

Tensor gather(const Tensor& x, int dim, const Tensor& index) { return gather_as("gather", "index", x, dim, index); }

Tensor scatter_add(const Tensor& x, int dim, const Tensor& index, const Tensor& src) {
  const int d = check_scatter(x, dim, index, src, "scatter_add");
  Tensor y = scatter_kernel<true>(x, d, index, src);
  if (needs_grad(x, src))  // y = x + src scattered along d: dx = dy, dsrc = gather(dy, d, index) padded to src
    record("scatter_add", y, saves(index), [x, d, index, src](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy);
      if (src.requires_grad()) accumulate_grad(src, pad_to(gather(dy, d, index), src.shape()));
    });
  return y;
}

Tensor scatter(const Tensor& x, int dim, const Tensor& index, const Tensor& src) {
  const int d = check_scatter(x, dim, index, src, "scatter");
  Tensor y = scatter_kernel<false>(x, d, index, src);
  if (needs_grad(x, src)) {
    // y = x with src written along d: dx = dy with the written places zeroed (a scatter of 0), dsrc =
    // gather(dy, d, index) for the writes y kept (the last of repeated indices), 0 for those overwritten.
    const Tensor kept = src.requires_grad() ? kept_writes(x, d, index, src.dtype()) : Tensor();
    record("scatter", y, saves(index, kept), [x, d, index, src, kept](const Tensor& dy, const Tensor&) {
      if (x.requires_grad()) accumulate_grad(x, scatter(dy, d, index, 0.0));
      if (src.requires_grad()) accumulate_grad(src, pad_to(gather(dy, d, index) * kept, src.shape()));
    });
  }
  return y;
}

Tensor scatter(const Tensor& x, int dim, const Tensor& index, double value) {
  detail::check_defined(x, "scatter");
  check_int64(index, "scatter", "index");
  return scatter(x, dim, index, full(index.shape(), value, x.dtype()));
}

Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::optional<int> dim) {
  constexpr const char* op = "take_along_dim";
  detail::check_defined(x, op);
  check_int64(indices, op, "indices");
  if (!dim) return gather_as(op, "indices", reshape(x, Shape{x.numel()}), 0, reshape(indices, Shape{indices.numel()}));
  if (x.dim() != indices.dim())
    throw std::invalid_argument("take_along_dim: x and indices must have the same number of dimensions, got x " +
                                x.shape().str() + " and indices " + indices.shape().str());
  const int d = wrap_dim(*dim, x, op);
  Shape x_shape = x.shape();
  Shape index_shape = indices.shape();
  for (int k = 0; k < x.dim(); ++k) {  // broadcast outside d; along d x keeps its extent, indices theirs
    const std::int64_t a = x.size(k);
    const std::int64_t b = indices.size(k);
    if (k == d) continue;
    if (a != b && a != 1 && b != 1)
      throw std::invalid_argument("take_along_dim: x " + x.shape().str() + " and indices " + indices.shape().str() +
                                  " cannot be broadcast at dimension " + std::to_string(k) + " (only dimension " +
                                  std::to_string(d) + ", the one taken along, may differ)");
    x_shape[k] = index_shape[k] = a == 1 ? b : a;
  }
  return gather_as(op, "indices", broadcast_to(x, x_shape), d, broadcast_to(indices, index_shape));
}

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
  detail::check_defined(input, "embedding");
  detail::check_defined(weight, "embedding");
  if (input.dtype() != kInt64)
    throw std::invalid_argument("embedding: input must be an int64 tensor of indices, got " +
                                std::string(dtype_name(input.dtype())) +
                                " (the arguments are embedding(input, weight), as in F.embedding)");
  if (weight.dim() != 2)
    throw std::invalid_argument("embedding: weight must be 2-d [num_embeddings, embedding_dim], got " +
                                weight.shape().str());
  const std::optional<std::int64_t> padding_row = wrap_padding_idx(padding_idx, weight);
  check_range(input, weight.size(0), "embedding", " for the rows of weight " + weight.shape().str());
  Shape out = input.shape();
  out.push_back(weight.size(1));
  Tensor y = empty(out, weight.dtype());
  const Tensor flat = reshape(input, Shape{input.numel()});
  select_rows(weight, detail::around(weight.shape(), 0), flat, y);
  if (needs_grad(weight)) {
    // y = weight[input], y:input.shape+[D]: dweight = index_add(zeros_like(weight), 0, flat, dy as [K, D]),
    // with the rows of dy that read padding_idx zeroed first.
    const Tensor keep = padding_row ? not_padding(flat, *padding_row, weight.dtype()) : Tensor();
    record("embedding", y, saves(flat, keep), [weight, flat, keep](const Tensor& dy, const Tensor&) {
      Tensor rows_grad = reshape(dy, Shape{flat.numel(), weight.size(1)});
      if (keep.defined()) rows_grad = rows_grad * keep;
      accumulate_grad(weight, index_add(zeros_like(weight), 0, flat, rows_grad));
    });
  }
  return y;
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  detail::check_defined(x, "masked_select");
  detail::check_defined(mask, "masked_select");
  if (mask.dtype() != kBool)
    throw std::invalid_argument("masked_select: mask must be a bool tensor, got " +
                                std::string(dtype_name(mask.dtype())));
  const Shape shape = detail::broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const Tensor m = broadcast_to(mask, shape);
  const bool* pm = m.data<bool>();
  Tensor positions = empty(Shape{std::count(pm, pm + m.numel(), true)}, kInt64);
  std::int64_t* pp = positions.data<std::int64_t>();
  for (std::int64_t i = 0, n = m.numel(); i < n; ++i)
    if (pm[i]) *pp++ = i;
  // y = flat(broadcast x)[positions]: index_select's, reshape's and broadcast_to's backwards make dx.
  return index_select(reshape(broadcast_to(x, shape), Shape{shape.numel()}), 0, positions);
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes, Dtype dtype) {
  check_int64(index, "one_hot", "index");
  if (num_classes < -1)
    throw std::invalid_argument("one_hot: num_classes must be -1 (inferred) or non-negative, got " +
                                std::to_string(num_classes));
  const std::int64_t* p = index.data<std::int64_t>();
  const std::int64_t n = index.numel();
  std::int64_t classes = num_classes;
  std::string of = " (num_classes " + std::to_string(num_classes) + ")";
  if (num_classes == -1) {
    if (n == 0) throw std::invalid_argument("one_hot: cannot infer num_classes from an empty index; pass it");
    const std::int64_t top = *std::max_element(p, p + n);
    // max + 1, unless that overflows: then check_range reports the largest index itself.
    classes = top < std::numeric_limits<std::int64_t>::max() ? top + 1 : top;
    of = " (num_classes inferred as the largest index + 1)";
  }
  check_range(index, classes, "one_hot", of);
  Shape out = index.shape();
  out.push_back(classes);
  Tensor y = zeros(out, dtype);
  visit_all_dtypes(dtype, [&]<class T>() {
    T* py = y.data<T>();
    for (std::int64_t i = 0; i < n; ++i) py[i * classes + p[i]] = T(1);
  });
  return y;
}

}  // namespace tg
