#pragma once
// Tensor: an n-d, contiguous, row-major array of float32, float64, int64 or bool whose operations are
// recorded on the current thread's tape when it requires a gradient (only floating-point tensors can).
//
// A Tensor is a cheap handle: copying a Tensor copies a pointer, and the copies share the same storage
// and the same gradient (as torch::Tensor does). Use clone() for an independent copy. reshape() (with
// unsqueeze, squeeze, flatten and unflatten, which are reshapes) and detach() also share storage with
// their source; every other op allocates a fresh result.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/dtype.hpp"
#include "tapegrad/generator.hpp"
#include "tapegrad/shape.hpp"

namespace tg {

/// Thrown when a tensor's storage cannot be allocated. Derived from std::bad_alloc, so that handlers for
/// that still catch it; what() says how much and what for:
/// "cannot allocate 400000000000 bytes for a float32 tensor of shape [100000000, 1000]".
class AllocationError : public std::bad_alloc {
 public:
  explicit AllocationError(const std::string& message) : message_(message) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.what(); }

 private:
  std::runtime_error message_;  // copying an exception must not throw; runtime_error shares its string
};

class HookHandle;

class Tensor {
 public:
  /// An undefined tensor (defined() is false), like a default torch::Tensor.
  Tensor() = default;
  explicit Tensor(detail::TensorImpl* impl) : impl_(impl) {}  // adopts one reference
  Tensor(const Tensor& other) : impl_(other.impl_) {
    if (impl_ != nullptr) detail::impl_retain(impl_);
  }
  Tensor(Tensor&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
  Tensor& operator=(const Tensor& other) {
    if (other.impl_ != nullptr) detail::impl_retain(other.impl_);
    if (impl_ != nullptr) detail::impl_release(impl_);
    impl_ = other.impl_;
    return *this;
  }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      if (impl_ != nullptr) detail::impl_release(impl_);
      impl_ = other.impl_;
      other.impl_ = nullptr;
    }
    return *this;
  }
  ~Tensor() {
    if (impl_ != nullptr) detail::impl_release(impl_);
  }

  [[nodiscard]] bool defined() const { return impl_ != nullptr; }
  [[nodiscard]] const Shape& shape() const { return body("shape").shape; }
  /// Number of dimensions.
  [[nodiscard]] int dim() const { return shape().size(); }
  /// Extent of dimension d (negative counts from the back).
  [[nodiscard]] std::int64_t size(int d) const { return shape().at(d); }
  [[nodiscard]] std::int64_t numel() const { return body("numel").numel; }
  [[nodiscard]] Dtype dtype() const { return body("dtype").dtype; }

  /// Pointer to the elements (T is float, double, std::int64_t or bool); throws std::invalid_argument if
  /// T does not match dtype().
  template <class T>
  [[nodiscard]] T* data() const {
    static_assert(is_element_type_v<T>, "Tensor::data<T>: T must be float, double, std::int64_t or bool");
    const detail::TensorImpl& b = body("data");
    if (b.dtype != dtype_of<T>) throw_dtype_mismatch(dtype_of<T>);
    return static_cast<T*>(b.storage->data);
  }

  /// The single element of a one-element tensor, as double; throws std::invalid_argument otherwise.
  [[nodiscard]] double item() const;
  /// The single element converted to T (e.g. item<std::int64_t>() reads an int64 count exactly).
  template <class T>
  [[nodiscard]] T item() const {
    static_assert(is_element_type_v<T>, "Tensor::item<T>: T must be float, double, std::int64_t or bool");
    const void* p = single_element("item");
    return visit_all_dtypes(dtype(), [&]<class S>() { return static_cast<T>(*static_cast<const S*>(p)); });
  }
  /// Element at a full index (negative indices count from the back), as double.
  [[nodiscard]] double at(std::initializer_list<std::int64_t> index) const;
  /// Sets the element at a full index; a raw write, not recorded on the tape and allowed on any tensor
  /// (PyTorch's fill_ refuses a leaf that requires grad; these are how initialisers set one).
  void put_(std::initializer_list<std::int64_t> index, double value);
  /// Sets every element to value; a raw write like put_.
  Tensor& fill_(double value);
  /// Fills a float tensor with draws from N(mean, std^2) / U[from, to) / Bernoulli(p) (0 or 1); raw
  /// writes like put_. Without a generator they draw from this thread's default_generator().
  Tensor& normal_(double mean = 0.0, double std = 1.0, Generator& gen = default_generator());
  Tensor& uniform_(double from = 0.0, double to = 1.0, Generator& gen = default_generator());
  Tensor& bernoulli_(double p = 0.5, Generator& gen = default_generator());
  /// How many in-place writes the storage has had (PyTorch's _version): every write above and below,
  /// an optimizer's step and a checkpoint load bump it, for every tensor sharing the storage.
  [[nodiscard]] std::int64_t version() const;

  // ---- in-place arithmetic (inplace.cpp) ----
  // other broadcasts to this tensor's shape, which the result must keep, and has this tensor's dtype
  // (PyTorch would promote it; a double scalar takes the dtype, and for int64 must be a whole number). float32, float64 and int64, whose sums
  // and products wrap modulo 2^64 as PyTorch's; bool takes only zero_ and copy_ (and fill_). They bump
  // version() and are not recorded: with grad mode on, a tensor that requires grad, or an operand that
  // does, is refused with std::logic_error (PyTorch refuses a leaf that requires grad, and records the
  // op on a non-leaf; write x = x + y for that here). Under NoGradGuard they are allowed, as optimizers need.
  /// self += alpha * other.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double other, double alpha = 1.0);
  /// self -= alpha * other.
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(double other, double alpha = 1.0);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double other);
  /// True division; float tensors only (PyTorch's int64 / int64 is a float).
  Tensor& div_(const Tensor& other);
  Tensor& div_(double other);
  /// Every element set to 0 (bool: false); the autograd rules of add_.
  Tensor& zero_();
  /// Clamps into [min, max] (min <= max); float or int64 (whole-number bounds).
  Tensor& clamp_(double min, double max);
  /// Copies src, broadcast to this shape and converted to this dtype as to() converts; any dtypes.
  Tensor& copy_(const Tensor& src);
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(double other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(double other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(double other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(double other) { return div_(other); }
  /// All elements in row-major order, as doubles.
  [[nodiscard]] std::vector<double> to_vector() const;

  // ---- autograd ----
  /// Marks a leaf as needing a gradient; throws std::logic_error on a non-leaf and std::invalid_argument
  /// on an int64 or bool tensor (only floating-point tensors can require gradients).
  Tensor& requires_grad_(bool requires_grad = true);
  [[nodiscard]] bool requires_grad() const { return impl_ != nullptr && impl_->requires_grad; }
  /// True for tensors not produced by a recorded op (user-created, detached, or made under NoGradGuard).
  [[nodiscard]] bool is_leaf() const;
  /// Accumulated gradient of a leaf (undefined until the first backward reaches it). Throws
  /// std::logic_error for a tensor that does not require grad, or a non-leaf without retain_grad().
  [[nodiscard]] Tensor grad() const;
  /// Sets the gradient of a leaf (an undefined tensor clears it).
  void set_grad(const Tensor& grad);
  /// Drops the accumulated gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  /// Keeps the gradient of a non-leaf after backward(), readable with grad().
  Tensor& retain_grad();
  /// Sweeps the tape in reverse from this tensor, adding the gradients into the leaves' .grad (PyTorch's
  /// and LibTorch's signature). Without grad_output the tensor must hold one element. retain_graph keeps
  /// the records so that backward() can run again over them (backward({}, true) with an implicit
  /// gradient); it defaults to create_graph. create_graph records the sweep itself, so that the
  /// gradients have history and can be differentiated again (gradients of gradients, to any order).
  /// As in PyTorch, a leaf's .grad with history keeps the leaf's graph alive (the leaf holds its grad,
  /// whose records hold the leaf): zero_grad() after use, or use autograd::grad, which touches no .grad.
  void backward() const;
  void backward(const Tensor& grad_output, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  /// Calls hook(grad) with this tensor's gradient when a sweep has computed it (a leaf's: the whole of
  /// it for the sweep, before it is added to .grad). A hook may return a replacement gradient of the
  /// same shape and dtype, or nothing (void, or an undefined Tensor) to keep it. Hooks run in
  /// registration order; the handle removes one. Not run by autograd::grad for leaves.
  template <class F>
  HookHandle register_hook(F&& hook) const;
  /// Calls hook(tensor) on a leaf once its .grad is final for the sweep, while the sweep goes on through
  /// the rest of the graph (what data-parallel training uses to start communication early). A leaf's
  /// gradient is known final when the sweep has passed every record made since the tape last emptied,
  /// below its first use; otherwise the hook runs at the end of the sweep.
  HookHandle register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const;
  /// Same storage, no gradient history.
  [[nodiscard]] Tensor detach() const;
  /// A copy with its own storage; differentiable.
  [[nodiscard]] Tensor clone() const;
  /// Conversion to another dtype (the same handle when it already has it); differentiable between
  /// float32 and float64. To bool: non-zero is true; float to int64 truncates toward zero (as C++ and
  /// PyTorch); NaN or a value outside int64's range throws.
  [[nodiscard]] Tensor to(Dtype dtype) const;

  // ---- methods that mirror the free ops of ops.hpp ----
  [[nodiscard]] Tensor reshape(const Shape& shape) const;
  [[nodiscard]] Tensor transpose(int dim0 = 0, int dim1 = 1) const;
  [[nodiscard]] Tensor t() const { return transpose(0, 1); }
  [[nodiscard]] Tensor permute(std::initializer_list<int> dims) const;
  [[nodiscard]] Tensor unsqueeze(int dim) const;
  [[nodiscard]] Tensor squeeze() const;
  [[nodiscard]] Tensor squeeze(int dim) const;
  [[nodiscard]] Tensor flatten(int start_dim = 0, int end_dim = -1) const;
  [[nodiscard]] Tensor unflatten(int dim, const Shape& sizes) const;
  [[nodiscard]] Tensor select(int dim, std::int64_t index) const;
  /// select(0, i): the i-th slice along the first dimension (a copy), as x[i] in PyTorch.
  [[nodiscard]] Tensor operator[](std::int64_t i) const;
  [[nodiscard]] Tensor expand(const Shape& sizes) const;
  [[nodiscard]] Tensor repeat(std::initializer_list<std::int64_t> repeats) const;
  [[nodiscard]] Tensor flip(std::initializer_list<int> dims) const;
  [[nodiscard]] Tensor roll(std::initializer_list<std::int64_t> shifts, std::initializer_list<int> dims = {}) const;
  [[nodiscard]] std::vector<Tensor> unbind(int dim = 0) const;
  [[nodiscard]] std::vector<Tensor> split(std::int64_t split_size, int dim = 0) const;
  [[nodiscard]] std::vector<Tensor> split(std::initializer_list<std::int64_t> split_sizes, int dim = 0) const;
  [[nodiscard]] std::vector<Tensor> chunk(std::int64_t chunks, int dim = 0) const;
  [[nodiscard]] Tensor matmul(const Tensor& other) const;
  [[nodiscard]] Tensor sum() const;
  [[nodiscard]] Tensor sum(std::initializer_list<int> dims, bool keepdim = false) const;
  [[nodiscard]] Tensor mean() const;
  [[nodiscard]] Tensor mean(std::initializer_list<int> dims, bool keepdim = false) const;
  [[nodiscard]] Tensor max(std::initializer_list<int> dims, bool keepdim = false) const;
  [[nodiscard]] Tensor exp() const;
  [[nodiscard]] Tensor log() const;
  [[nodiscard]] Tensor pow(double exponent) const;
  [[nodiscard]] Tensor sqrt() const;
  [[nodiscard]] Tensor abs() const;
  [[nodiscard]] Tensor sigmoid() const;
  [[nodiscard]] Tensor tanh() const;
  [[nodiscard]] Tensor relu() const;
  [[nodiscard]] Tensor eq(const Tensor& other) const;
  [[nodiscard]] Tensor eq(double other) const;
  [[nodiscard]] Tensor ne(const Tensor& other) const;
  [[nodiscard]] Tensor ne(double other) const;
  [[nodiscard]] Tensor lt(const Tensor& other) const;
  [[nodiscard]] Tensor lt(double other) const;
  [[nodiscard]] Tensor le(const Tensor& other) const;
  [[nodiscard]] Tensor le(double other) const;
  [[nodiscard]] Tensor gt(const Tensor& other) const;
  [[nodiscard]] Tensor gt(double other) const;
  [[nodiscard]] Tensor ge(const Tensor& other) const;
  [[nodiscard]] Tensor ge(double other) const;
  [[nodiscard]] Tensor masked_fill(const Tensor& mask, double value) const;
  [[nodiscard]] Tensor logical_not() const;
  [[nodiscard]] Tensor any() const;
  [[nodiscard]] Tensor all() const;

  /// Multi-line, NumPy-like rendering with shape and dtype.
  [[nodiscard]] std::string str() const;

  [[nodiscard]] detail::TensorImpl* impl() const { return impl_; }

 private:
  [[nodiscard]] const detail::TensorImpl& body(const char* what) const {
    if (impl_ == nullptr) throw_undefined(what);
    return *impl_;
  }
  [[noreturn]] static void throw_undefined(const char* what);
  HookHandle add_grad_hook(std::function<Tensor(const Tensor&)> hook) const;
  [[noreturn]] void throw_dtype_mismatch(Dtype requested) const;
  /// The storage of a one-element tensor; throws naming `what` otherwise.
  [[nodiscard]] const void* single_element(const char* what) const;

  detail::TensorImpl* impl_ = nullptr;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

/// Removes the hook it was returned for (PyTorch's RemovableHandle); keeps its tensor alive until then.
/// Dropping the handle keeps the hook.
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(Tensor tensor, std::uint64_t id) : tensor_(std::move(tensor)), id_(id) {}
  /// Removes the hook (a second call does nothing).
  void remove();

 private:
  Tensor tensor_;
  std::uint64_t id_ = 0;
};

template <class F>
HookHandle Tensor::register_hook(F&& hook) const {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, const Tensor&>>)
    return add_grad_hook([fn = std::forward<F>(hook)](const Tensor& g) mutable {
      fn(g);
      return Tensor();
    });
  else
    return add_grad_hook(std::function<Tensor(const Tensor&)>(std::forward<F>(hook)));
}

// ---- factories (dtype defaults to float32) ----
/// Tensor of the given shape from values in row-major order; throws if the counts differ. Values convert
/// as to() converts them (int64 truncates toward zero, bool is value != 0).
[[nodiscard]] Tensor tensor(std::span<const double> values, const Shape& shape, Dtype dtype = kFloat32);
/// int64 tensor from integers (exact beyond 2^53, where doubles are not).
[[nodiscard]] Tensor tensor(std::span<const std::int64_t> values, const Shape& shape);
[[nodiscard]] Tensor tensor(std::initializer_list<double> values, const Shape& shape, Dtype dtype = kFloat32);
/// 1-d tensor from values.
[[nodiscard]] Tensor tensor(std::initializer_list<double> values, Dtype dtype = kFloat32);
/// 0-d tensor holding one value.
[[nodiscard]] Tensor scalar_tensor(double value, Dtype dtype = kFloat32);
/// Uninitialised storage: for kernels that overwrite every element.
[[nodiscard]] Tensor empty(const Shape& shape, Dtype dtype = kFloat32);
[[nodiscard]] Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
[[nodiscard]] Tensor ones(const Shape& shape, Dtype dtype = kFloat32);
[[nodiscard]] Tensor full(const Shape& shape, double value, Dtype dtype = kFloat32);
[[nodiscard]] Tensor zeros_like(const Tensor& t);
[[nodiscard]] Tensor ones_like(const Tensor& t);
/// [start, start + step, ...) up to but excluding end.
[[nodiscard]] Tensor arange(double start, double end, double step = 1.0, Dtype dtype = kFloat32);
[[nodiscard]] Tensor arange(std::int64_t end, Dtype dtype = kFloat32);

}  // namespace tg
