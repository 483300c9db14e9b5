// Shape ops that join tensors or split one: cat, stack, unbind, split, chunk. Their backwards are each
// other: cat <-> slices of dy, stack <-> selects of dy. The pieces of split and chunk are slices of x and
// those of unbind selects, each recorded on its own, so that their backwards are slice's and select's.

#include <algorithm>
#include <string>
#include <vector>

#include "kernels.hpp"
#include "shape_kernels.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::record;
using detail::saves_nothing;

namespace {

// Copies t, seen as `box` (its shape, or for stack its shape with a 1 inserted at d), into y from
// `at` along d.
void place(const Tensor& t, const Shape& box, Tensor& y, int d, std::int64_t at) {
  detail::strided_copy(t, y, detail::along_plan(box, box, 0, y.shape(), at, d));
}

}  // namespace

Tensor cat(std::span<const Tensor> tensors, int dim) {
  if (tensors.empty()) throw std::invalid_argument("cat: needs at least one tensor");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    detail::check_defined(tensors[i], "cat");
    if (tensors[i].dim() == 0)  // PyTorch's rule: there is no dimension to join 0-d tensors along
      throw std::invalid_argument("cat: tensor " + std::to_string(i) +
                                  " is 0-d and cannot be concatenated; stack() joins 0-d tensors");
  }
  const Tensor& first = tensors[0];
  const int d = detail::normalize_dim(dim, first.dim(), "cat");
  Shape out = first.shape();
  out[d] = 0;
  for (const Tensor& t : tensors) {
    detail::check_same_dtype(first, t, "cat");
    bool same = t.dim() == first.dim();
    for (int i = 0; same && i < t.dim(); ++i) same = i == d || t.shape()[i] == first.shape()[i];
    if (!same)
      throw std::invalid_argument("cat: shapes " + first.shape().str() + " and " + t.shape().str() +
                                  " differ outside dimension " + std::to_string(dim));
    out[d] += t.shape()[d];
  }
  Tensor y = empty(out, first.dtype());
  std::int64_t at = 0;
  for (const Tensor& t : tensors) {
    place(t, t.shape(), y, d, at);
    at += t.shape()[d];
  }
  if (detail::needs_grad(tensors))
    record("cat", y, saves_nothing,
           [inputs = std::vector(tensors.begin(), tensors.end()), d](const Tensor& dy, const Tensor&) {
             std::int64_t offset = 0;
             for (const Tensor& t : inputs) {  // each input's gradient is its slice of dy
               const std::int64_t len = t.shape()[d];
               if (t.requires_grad()) accumulate_grad(t, slice(dy, d, offset, offset + len));
               offset += len;
             }
           });
  return y;
}

Tensor cat(std::initializer_list<Tensor> tensors, int dim) {
  return cat(std::span<const Tensor>(tensors.begin(), tensors.size()), dim);
}

Tensor stack(std::span<const Tensor> tensors, int dim) {
  if (tensors.empty()) throw std::invalid_argument("stack: needs at least one tensor");
  const Tensor& first = tensors[0];
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined(t, "stack");
    detail::check_same_dtype(first, t, "stack");
    if (t.shape() != first.shape())
      throw std::invalid_argument("stack: tensor " + std::to_string(i) + " has shape " + t.shape().str() +
                                  " but tensor 0 has " + first.shape().str());
  }
  const int d = detail::normalize_insert_dim(dim, first.dim(), "stack");
  const auto count = static_cast<std::int64_t>(tensors.size());
  const Shape box = detail::insert_dim(first.shape(), d, 1, "stack");
  Tensor y = empty(detail::insert_dim(first.shape(), d, count, "stack"), first.dtype());
  for (std::int64_t i = 0; i < count; ++i) place(tensors[static_cast<std::size_t>(i)], box, y, d, i);
  if (detail::needs_grad(tensors))
    record("stack", y, saves_nothing,
           [inputs = std::vector(tensors.begin(), tensors.end()), d](const Tensor& dy, const Tensor&) {
             for (std::size_t i = 0; i < inputs.size(); ++i)  // input i's gradient is dy's slot i along d
               if (inputs[i].requires_grad()) accumulate_grad(inputs[i], select(dy, d, static_cast<std::int64_t>(i)));
           });
  return y;
}

Tensor stack(std::initializer_list<Tensor> tensors, int dim) {
  return stack(std::span<const Tensor>(tensors.begin(), tensors.size()), dim);
}

std::vector<Tensor> unbind(const Tensor& x, int dim) {
  detail::check_defined(x, "unbind");
  const int d = detail::normalize_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> pieces;
  pieces.reserve(static_cast<std::size_t>(x.shape()[d]));
  for (std::int64_t i = 0; i < x.shape()[d]; ++i) pieces.push_back(select(x, d, i));
  return pieces;
}

namespace {

// The dimension split and chunk cut x along; they need one.
int split_dim(const Tensor& x, int dim, const char* op) {
  detail::check_defined(x, op);
  if (x.dim() == 0)
    throw std::invalid_argument(std::string(op) + ": needs a tensor with at least one dimension, got a 0-d tensor");
  return detail::normalize_dim(dim, x.dim(), op);
}

}  // namespace

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim) {
  const int d = split_dim(x, dim, "split");
  const std::int64_t extent = x.shape()[d];
  if (split_size < 0)
    throw std::invalid_argument("split: split_size must be non-negative, got " + std::to_string(split_size));
  if (split_size == 0 && extent > 0)
    throw std::invalid_argument("split: split_size 0 can only split a dimension of size 0, but dimension " +
                                std::to_string(d) + " has size " + std::to_string(extent) + " (shape " +
                                x.shape().str() + ")");
  // ceil(extent / split_size) pieces, and one (empty) piece of an empty dimension, as in PyTorch
  const std::int64_t count = extent == 0 ? 1 : (extent - 1) / split_size + 1;
  std::vector<Tensor> pieces;
  pieces.reserve(static_cast<std::size_t>(count));
  for (std::int64_t start = 0, i = 0; i < count; ++i, start += split_size)
    pieces.push_back(slice(x, d, start, start + std::min(split_size, extent - start)));
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, std::span<const std::int64_t> split_sizes, int dim) {
  const int d = split_dim(x, dim, "split");
  std::int64_t total = 0;
  bool overflow = false;
  for (const std::int64_t size : split_sizes) {
    if (size < 0)
      throw std::invalid_argument("split: split_sizes must be non-negative, got " + detail::list_str(split_sizes));
    overflow = overflow || __builtin_add_overflow(total, size, &total);
  }
  if (overflow || total != x.shape()[d])
    throw std::invalid_argument("split: split_sizes " + detail::list_str(split_sizes) + " add up to " +
                                (overflow ? "more than an int64 holds" : std::to_string(total)) +
                                ", not to the size " + std::to_string(x.shape()[d]) + " of dimension " +
                                std::to_string(d) + " (shape " + x.shape().str() + ")");
  std::vector<Tensor> pieces;
  pieces.reserve(split_sizes.size());
  std::int64_t start = 0;
  for (const std::int64_t size : split_sizes) {
    pieces.push_back(slice(x, d, start, start + size));
    start += size;
  }
  return pieces;
}

std::vector<Tensor> split(const Tensor& x, std::initializer_list<std::int64_t> split_sizes, int dim) {
  return split(x, std::span<const std::int64_t>(split_sizes.begin(), split_sizes.size()), dim);
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim) {
  const int d = split_dim(x, dim, "chunk");
  if (chunks <= 0) throw std::invalid_argument("chunk: chunks must be positive, got " + std::to_string(chunks));
  const std::int64_t extent = x.shape()[d];
  if (extent > 0) return split(x, (extent - 1) / chunks + 1, d);  // pieces of ceil(extent / chunks)
  std::vector<Tensor> pieces;  // an empty dimension still gives `chunks` (empty) pieces, as in PyTorch
  for (std::int64_t i = 0; i < chunks; ++i) pieces.push_back(slice(x, d, 0, 0));
  return pieces;
}

}  // namespace tg
