#include "kernels.hpp"

#include <algorithm>

namespace tg::detail {

void throw_undefined(const char* op) {
  throw std::invalid_argument(std::string(op) + ": an input tensor is undefined (default-constructed)");
}

void throw_dtype_mismatch(const Tensor& a, const Tensor& b, const char* op) {
  throw std::invalid_argument(std::string(op) + ": dtypes differ: " + std::string(dtype_name(a.dtype())) + " and " +
                                std::string(dtype_name(b.dtype())) + "; convert one with .to()");
}

namespace {

[[noreturn]] void throw_not_broadcastable(std::initializer_list<const Shape*> shapes, const char* op) {
  std::string listed;
  std::size_t k = 0;
  for (const Shape* s : shapes) {
    if (k > 0) listed += k + 1 == shapes.size() ? " and " : ", ";
    listed += s->str();
    ++k;
  }
  throw std::invalid_argument(std::string(op) + ": shapes cannot be broadcast: " + listed);
}

}  // namespace

int normalize_dim(int d, int ndim, const char* op) {
  const int j = d < 0 ? d + ndim : d;
  if (j < 0 || j >= ndim)
    throw std::invalid_argument(std::string(op) + ": dimension " + std::to_string(d) + " is out of range for a " +
                                std::to_string(ndim) + "-d tensor");
  return j;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  return broadcast_shapes({&a, &b}, op);
}

Shape broadcast_shapes(std::initializer_list<const Shape*> shapes, const char* op) {
  int nd = 0;
  for (const Shape* s : shapes) nd = std::max(nd, s->size());
  Shape out;
  for (int i = 0; i < nd; ++i) {
    std::int64_t extent = 1;
    for (const Shape* s : shapes) {
      const int j = s->size() - nd + i;
      const std::int64_t d = j >= 0 ? (*s)[j] : 1;
      if (d != extent && d != 1 && extent != 1) throw_not_broadcastable(shapes, op);
      if (d != 1) extent = d;
    }
    out.push_back(extent);
  }
  return out;
}

void broadcast_strides(const Shape& shape, const Shape& out, std::int64_t* strides) {
  const int nd = out.size();
  const int offset = nd - shape.size();
  std::int64_t stride = 1;
  for (int i = nd - 1; i >= 0; --i) {
    const int j = i - offset;
    if (j < 0 || shape[j] == 1) {
      strides[i] = 0;
    } else {
      strides[i] = stride;
    }
    if (j >= 0) stride *= shape[j];
  }
}

Reduction plan_reduction(const Shape& shape, std::span<const int> dims, bool keepdim, const char* op) {
  Reduction r;
  const int nd = shape.size();
  if (dims.empty())
    for (int d = 0; d < nd; ++d) r.reduced[d] = true;
  for (int d : dims) {
    const int j = normalize_dim(d, nd, op);
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

}  // namespace tg::detail
