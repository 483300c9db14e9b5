#include "tapegrad/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"
#include "tapegrad/ops.hpp"

namespace tg {

using detail::TensorImpl;

void Tensor::throw_undefined(const char* what) {
  throw std::logic_error(std::string(what) + ": the tensor is undefined (default-constructed)");
}

void Tensor::throw_dtype_mismatch(Dtype requested) const {
  throw std::invalid_argument("data: asked for " + std::string(dtype_name(requested)) + " elements of a " +
                              std::string(dtype_name(impl_->dtype)) + " tensor");
}

const void* Tensor::single_element(const char* what) const {
  const TensorImpl& b = body(what);
  if (b.numel != 1)
    throw std::invalid_argument(std::string(what) + ": the tensor has " + std::to_string(b.numel) + " elements (shape " +
                                b.shape.str() + "), " + what + "() needs exactly one");
  return b.storage->data;
}

namespace {

/// value as an element of type T: int64 truncates toward zero (throwing where C++'s conversion would be
/// undefined: NaN, infinities and values beyond int64's range), bool is value != 0.
template <class T>
T to_element(double value, const char* op) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (!(value > -0x1p63 - 1.0 && value < 0x1p63)) {
      std::ostringstream os;
      os << op << ": " << value << " cannot be converted to int64 (it is NaN or outside int64's range)";
      throw std::invalid_argument(os.str());
    }
  }
  if constexpr (std::is_same_v<T, bool>) return value != 0;
  return static_cast<T>(value);
}

/// Elements of src (type S) converted into dst (type D), with to_element's checks for float to int64.
template <class S, class D>
void convert(const S* src, D* dst, std::int64_t n, const char* op) {
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<S> && std::is_same_v<D, std::int64_t>) dst[i] = to_element<D>(src[i], op);
    else if constexpr (std::is_same_v<D, bool>) dst[i] = src[i] != S{};
    else dst[i] = static_cast<D>(src[i]);
  }
}

/// src's elements converted into dst (same numel), as to() does.
void convert_elements(const TensorImpl& src, const Tensor& dst) {
  visit_all_dtypes(src.dtype, [&]<class S>() {
    const S* from = static_cast<const S*>(src.storage->data);
    visit_all_dtypes(dst.dtype(), [&]<class D>() { convert(from, dst.data<D>(), src.numel, "to"); });
  });
}

std::int64_t flat_index(const Shape& shape, std::initializer_list<std::int64_t> index, const char* op) {
  if (static_cast<int>(index.size()) != shape.size())
    throw std::invalid_argument(std::string(op) + ": index has " + std::to_string(index.size()) +
                                " entries for a tensor of shape " + shape.str());
  std::int64_t flat = 0;
  int d = 0;
  for (std::int64_t i : index) {
    const std::int64_t extent = shape[d];
    const std::int64_t j = i < 0 ? i + extent : i;
    if (j < 0 || j >= extent)
      throw std::out_of_range(std::string(op) + ": index " + std::to_string(i) + " is out of range for dimension " +
                              std::to_string(d) + " of shape " + shape.str());
    flat = flat * extent + j;
    ++d;
  }
  return flat;
}

}  // namespace

double Tensor::item() const { return item<double>(); }

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  const TensorImpl& b = body("at");
  const std::int64_t i = flat_index(b.shape, index, "at");
  return visit_all_dtypes(b.dtype,
                          [&]<class T>() { return static_cast<double>(static_cast<const T*>(b.storage->data)[i]); });
}

void Tensor::put_(std::initializer_list<std::int64_t> index, double value) {
  const TensorImpl& b = body("put_");
  const std::int64_t i = flat_index(b.shape, index, "put_");
  visit_all_dtypes(b.dtype, [&]<class T>() { static_cast<T*>(b.storage->data)[i] = to_element<T>(value, "put_"); });
  detail::bump_version(&b);
}

namespace {
// Without the version bump: full() fills a tensor nobody else has seen, which stays at version 0.
void fill_elements(const TensorImpl& b, double value) {
  visit_all_dtypes(b.dtype, [&]<class T>() {
    T* p = static_cast<T*>(b.storage->data);
    std::fill(p, p + b.numel, to_element<T>(value, "fill_"));
  });
}
}  // namespace

Tensor& Tensor::fill_(double value) {
  const TensorImpl& b = body("fill_");
  fill_elements(b, value);
  detail::bump_version(&b);
  return *this;
}

std::int64_t Tensor::version() const { return detail::version_of(&body("version")); }

// The hint is what PyTorch users are told.
std::logic_error detail::modified_error(const TensorImpl* t, const std::string& which, std::uint32_t saved_version) {
  return std::logic_error("backward: one of the variables needed for gradient computation has been modified by an "
                          "inplace operation: [" + std::string(dtype_name(t->dtype)) + " " + t->shape.str() + "], " +
                          which + ", is at version " + std::to_string(version_of(t)) + "; expected version " +
                          std::to_string(saved_version) + " instead. Use .clone() before the in-place write, or do "
                          "it after backward()");
}

std::vector<double> Tensor::to_vector() const {
  const TensorImpl& b = body("to_vector");
  return visit_all_dtypes(b.dtype, [&]<class T>() {
    const T* p = static_cast<const T*>(b.storage->data);
    return std::vector<double>(p, p + b.numel);
  });
}

// ---- autograd ----

Tensor& Tensor::requires_grad_(bool requires_grad) {
  TensorImpl& b = const_cast<TensorImpl&>(body("requires_grad_"));
  if (b.record_serial != 0)
    throw std::logic_error(
        "requires_grad_: only leaf tensors can be marked; this tensor was produced by a recorded op "
        "(use detach().requires_grad_() for a new leaf)");
  if (requires_grad && !is_floating_point(b.dtype))
    throw std::invalid_argument("requires_grad_: only float32 and float64 tensors can require gradients; this " +
                                std::string(dtype_name(b.dtype)) + " tensor of shape " + b.shape.str() +
                                " cannot (convert it with .to(tg::kFloat32) first)");
  b.requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const { return body("is_leaf").record_serial == 0; }

Tensor Tensor::grad() const {
  const TensorImpl& b = body("grad");
  if (!b.requires_grad)
    throw std::logic_error("grad: this tensor of shape " + b.shape.str() +
                           " does not require grad; call requires_grad_() on it before the forward pass");
  if (b.record_serial != 0 && !b.retains_grad)
    throw std::logic_error("grad: this tensor of shape " + b.shape.str() +
                           " is not a leaf, so backward() does not keep its gradient; call retain_grad() on it "
                           "before backward()");
  if (b.grad == nullptr) return Tensor();
  detail::impl_retain(b.grad);
  return Tensor(b.grad);
}

void Tensor::set_grad(const Tensor& grad) {
  TensorImpl& b = const_cast<TensorImpl&>(body("set_grad"));
  if (grad.defined() && (grad.shape() != b.shape || grad.dtype() != b.dtype))
    throw std::invalid_argument("set_grad: gradient " + grad.shape().str() + " " + std::string(dtype_name(grad.dtype())) +
                                " does not match tensor " + b.shape.str() + " " + std::string(dtype_name(b.dtype)));
  if (grad.impl_ != nullptr) detail::impl_retain(grad.impl_);
  if (b.grad != nullptr) detail::impl_release(b.grad);
  b.grad = grad.impl_;
}

void Tensor::zero_grad() {
  TensorImpl& b = const_cast<TensorImpl&>(body("zero_grad"));
  if (b.grad != nullptr) detail::impl_release(b.grad);
  b.grad = nullptr;
}

Tensor& Tensor::retain_grad() {
  TensorImpl& b = const_cast<TensorImpl&>(body("retain_grad"));
  if (!b.requires_grad)
    throw std::logic_error("retain_grad: this tensor does not require grad, so it will never have a gradient");
  b.retains_grad = true;
  return *this;
}

void Tensor::backward() const { backward(Tensor()); }

void Tensor::backward(const Tensor& grad_output, std::optional<bool> retain_graph, bool create_graph) const {
  static_cast<void>(body("backward"));
  const detail::SweepOptions options(retain_graph, create_graph);
  detail::current_tape().backward({this, 1}, {&grad_output, 1}, options);
}

Tensor Tensor::detach() const {
  const TensorImpl& b = body("detach");
  return Tensor(detail::impl_alloc_shared(b.shape, b.dtype, b.storage));
}

Tensor Tensor::clone() const {
  const TensorImpl& b = body("clone");
  Tensor y = empty(b.shape, b.dtype);
  std::memcpy(y.impl_->storage->data, b.storage->data, static_cast<std::size_t>(b.numel) * dtype_size(b.dtype));
  if (detail::needs_grad(*this)) {
    const Tensor x = *this;
    detail::record("clone", y, detail::saves_nothing,
                   [x](const Tensor& dy, const Tensor&) { detail::accumulate_grad(x, dy); });
  }
  return y;
}

Tensor Tensor::to(Dtype dtype) const {
  const TensorImpl& b = body("to");
  if (b.dtype == dtype) return *this;
  Tensor y = empty(b.shape, dtype);
  convert_elements(b, y);
  if (is_floating_point(dtype) && detail::needs_grad(*this)) {
    const Tensor x = *this;
    detail::record("to", y, detail::saves_nothing,
                   [x](const Tensor& dy, const Tensor&) { detail::accumulate_grad(x, dy.to(x.dtype())); });
  }
  return y;
}

namespace detail {

void convert_leaf_(TensorImpl* t, Dtype dtype) {
  if (t->record_serial != 0)
    throw std::logic_error("to: this tensor of shape " + t->shape.str() +
                           " was produced by a recorded op, so it cannot be converted in place (only a leaf can); "
                           "convert a copy with .to(dtype)");
  if (t->requires_grad && !is_floating_point(dtype))
    throw std::invalid_argument("to: a tensor that requires grad must stay float32 or float64, got " +
                                std::string(dtype_name(dtype)));
  if (t->dtype == dtype) return;
  const Tensor fresh = empty(t->shape, dtype);  // allocated first: if that throws, t is unchanged
  convert_elements(*t, fresh);
  // A new version, not 0: a record that saved t compares versions and must see that t changed.
  fresh.impl()->storage->version.store(version_of(t) + 1, std::memory_order_relaxed);
  std::swap(t->storage, fresh.impl()->storage);
  std::swap(t->dtype, fresh.impl()->dtype);  // `fresh` now owns the old storage, released at the end
}

}  // namespace detail

Tensor Tensor::reshape(const Shape& shape) const { return tg::reshape(*this, shape); }
Tensor Tensor::transpose(int dim0, int dim1) const { return tg::transpose(*this, dim0, dim1); }
Tensor Tensor::permute(std::initializer_list<int> dims) const { return tg::permute(*this, dims); }
Tensor Tensor::unsqueeze(int dim) const { return tg::unsqueeze(*this, dim); }
Tensor Tensor::squeeze() const { return tg::squeeze(*this); }
Tensor Tensor::squeeze(int dim) const { return tg::squeeze(*this, dim); }
Tensor Tensor::flatten(int start_dim, int end_dim) const { return tg::flatten(*this, start_dim, end_dim); }
Tensor Tensor::unflatten(int dim, const Shape& sizes) const { return tg::unflatten(*this, dim, sizes); }
Tensor Tensor::select(int dim, std::int64_t index) const { return tg::select(*this, dim, index); }
Tensor Tensor::operator[](std::int64_t i) const { return tg::select(*this, 0, i); }
Tensor Tensor::expand(const Shape& sizes) const { return tg::expand(*this, sizes); }
Tensor Tensor::repeat(std::initializer_list<std::int64_t> repeats) const { return tg::repeat(*this, repeats); }
Tensor Tensor::flip(std::initializer_list<int> dims) const { return tg::flip(*this, dims); }
Tensor Tensor::roll(std::initializer_list<std::int64_t> shifts, std::initializer_list<int> dims) const {
  return tg::roll(*this, shifts, dims);
}
std::vector<Tensor> Tensor::unbind(int dim) const { return tg::unbind(*this, dim); }
std::vector<Tensor> Tensor::split(std::int64_t split_size, int dim) const { return tg::split(*this, split_size, dim); }
std::vector<Tensor> Tensor::split(std::initializer_list<std::int64_t> split_sizes, int dim) const {
  return tg::split(*this, split_sizes, dim);
}
std::vector<Tensor> Tensor::chunk(std::int64_t chunks, int dim) const { return tg::chunk(*this, chunks, dim); }
Tensor Tensor::matmul(const Tensor& other) const { return tg::matmul(*this, other); }
Tensor Tensor::sum() const { return tg::sum(*this); }
Tensor Tensor::sum(std::initializer_list<int> dims, bool keepdim) const { return tg::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return tg::mean(*this); }
Tensor Tensor::mean(std::initializer_list<int> dims, bool keepdim) const { return tg::mean(*this, dims, keepdim); }
Tensor Tensor::max(std::initializer_list<int> dims, bool keepdim) const { return tg::max(*this, dims, keepdim); }
Tensor Tensor::exp() const { return tg::exp(*this); }
Tensor Tensor::log() const { return tg::log(*this); }
Tensor Tensor::pow(double exponent) const { return tg::pow(*this, exponent); }
Tensor Tensor::sqrt() const { return tg::sqrt(*this); }
Tensor Tensor::abs() const { return tg::abs(*this); }
Tensor Tensor::sigmoid() const { return tg::sigmoid(*this); }
Tensor Tensor::tanh() const { return tg::tanh(*this); }
Tensor Tensor::relu() const { return tg::relu(*this); }
Tensor Tensor::eq(const Tensor& other) const { return tg::eq(*this, other); }
Tensor Tensor::eq(double other) const { return tg::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return tg::ne(*this, other); }
Tensor Tensor::ne(double other) const { return tg::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return tg::lt(*this, other); }
Tensor Tensor::lt(double other) const { return tg::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return tg::le(*this, other); }
Tensor Tensor::le(double other) const { return tg::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return tg::gt(*this, other); }
Tensor Tensor::gt(double other) const { return tg::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return tg::ge(*this, other); }
Tensor Tensor::ge(double other) const { return tg::ge(*this, other); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return tg::masked_fill(*this, mask, value); }
Tensor Tensor::logical_not() const { return tg::logical_not(*this); }
Tensor Tensor::any() const { return tg::any(*this); }
Tensor Tensor::all() const { return tg::all(*this); }

// ---- printing ----

namespace {

template <class T>
void print_element(std::ostream& os, T value) {
  if constexpr (std::is_same_v<T, bool>) os << (value ? "true" : "false");
  else os << value;
}

template <class T>
void print_block(std::ostream& os, const T* v, const Shape& shape, int dim, std::int64_t offset, int indent) {
  if (shape.size() == 0) {
    print_element(os, v[0]);
    return;
  }
  const std::int64_t extent = shape[dim];
  std::int64_t stride = 1;
  for (int d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  os << '[';
  for (std::int64_t i = 0; i < extent; ++i) {
    if (i > 0) {
      os << ',';
      if (dim + 1 < shape.size()) os << '\n' << std::string(static_cast<std::size_t>(indent + 1), ' ');
      else os << ' ';
    }
    if (dim + 1 == shape.size()) print_element(os, v[offset + i]);
    else print_block(os, v, shape, dim + 1, offset + i * stride, indent + 1);
  }
  os << ']';
}

}  // namespace

std::string Tensor::str() const {
  if (impl_ == nullptr) return "tensor(undefined)";
  std::ostringstream os;
  os << std::setprecision(impl_->dtype == kFloat32 ? 7 : 15);
  os << "tensor(";
  visit_all_dtypes(impl_->dtype,
                   [&]<class T>() { print_block(os, static_cast<const T*>(impl_->storage->data), impl_->shape, 0, 0, 7); });
  os << ", shape=" << impl_->shape.str() << ", dtype=" << dtype_name(impl_->dtype);
  if (impl_->requires_grad) os << ", requires_grad";
  os << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

// ---- factories ----

Tensor empty(const Shape& shape, Dtype dtype) { return Tensor(detail::impl_alloc(shape, dtype)); }
Tensor zeros(const Shape& shape, Dtype dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, Dtype dtype) { return full(shape, 1.0, dtype); }
Tensor full(const Shape& shape, double value, Dtype dtype) {
  Tensor t = empty(shape, dtype);
  fill_elements(*t.impl(), value);
  return t;
}
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }

namespace {

/// Throws unless `count` values fill `shape` exactly, as both tensor() factories require.
void check_fills(std::size_t count, const Shape& shape) {
  if (static_cast<std::int64_t>(count) != shape.numel())
    throw std::invalid_argument("tensor: " + std::to_string(count) + " values do not fill shape " + shape.str() +
                                " (" + std::to_string(shape.numel()) + " elements)");
}

}  // namespace

Tensor tensor(std::span<const double> values, const Shape& shape, Dtype dtype) {
  check_fills(values.size(), shape);
  Tensor t = empty(shape, dtype);
  visit_all_dtypes(dtype, [&]<class T>() { convert(values.data(), t.data<T>(), t.numel(), "tensor"); });
  return t;
}
Tensor tensor(std::span<const std::int64_t> values, const Shape& shape) {
  check_fills(values.size(), shape);
  Tensor t = empty(shape, kInt64);
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}
Tensor tensor(std::initializer_list<double> values, const Shape& shape, Dtype dtype) {
  return tensor(std::span<const double>(values.begin(), values.size()), shape, dtype);
}
Tensor tensor(std::initializer_list<double> values, Dtype dtype) {
  return tensor(values, Shape{static_cast<std::int64_t>(values.size())}, dtype);
}
Tensor scalar_tensor(double value, Dtype dtype) { return full(Shape{}, value, dtype); }

Tensor arange(double start, double end, double step, Dtype dtype) {
  const auto range = [&] {
    std::ostringstream os;
    os << "[" << start << ", " << end << ") in steps of " << step;
    return os.str();
  };
  if (step == 0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
    throw std::invalid_argument("arange: step must be non-zero and the bounds finite, got " + range());
  // Counted in double: converting a count past int64's range to an integer is undefined behaviour, and
  // end - start may itself overflow to infinity.
  const double count = std::max(0.0, std::ceil((end - start) / step));
  if (!(count < 0x1p63))
    throw std::invalid_argument("arange: " + range() + " has more elements than an int64 can count");
  const auto n = static_cast<std::int64_t>(count);
  if (dtype == kBool) throw std::invalid_argument("arange: bool is not a dtype arange can produce");
  Tensor t = empty(Shape{n}, dtype);
  visit_all_dtypes(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = to_element<T>(start + static_cast<double>(i) * step, "arange");
  });
  return t;
}
Tensor arange(std::int64_t end, Dtype dtype) { return arange(0.0, static_cast<double>(end), 1.0, dtype); }

}  // namespace tg
