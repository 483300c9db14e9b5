// In-place ops: Tensor's add_ sub_ mul_ div_ zero_ clamp_ copy_ (the compound assignments call them).
// Each writes this tensor's storage and bumps its version, so that a recorded backward which reads the
// old values refuses to run (Tape::sweep); none is recorded itself, hence the autograd rules below.

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {
namespace {

// Element types an op takes: kAll adds bool to the numbers (float32, float64, int64); kFloats is float only.
enum class Kinds { kAll, kNumbers, kFloats };

// An op's name, and the out-of-place form its autograd messages suggest.
struct InPlace {
  const char* op;
  const char* instead;
};

// With grad mode on, refuses what tapegrad cannot record: writing a tensor that requires grad (PyTorch's
// own error for a leaf; PyTorch would record the op on a non-leaf), or one whose operand requires grad.
void check_autograd(const Tensor& self, const Tensor* other, const InPlace& in) {
  if (!is_grad_enabled()) return;
  const std::string op = in.op;
  if (self.requires_grad() && self.is_leaf())
    throw std::logic_error(op + ": a leaf Variable that requires grad is being used in an in-place operation. Do it "
                                "under tg::NoGradGuard (as optimizers and initialisers do), or write " +
                           in.instead + " for a new tensor");
  if (self.requires_grad())
    throw std::logic_error(op + ": this tensor has recorded history (a non-leaf that requires grad), and tapegrad "
                                "does not record in-place operations; write " + in.instead + " instead");
  if (other != nullptr && other->requires_grad())
    throw std::logic_error(op + ": the other operand requires grad, and tapegrad does not record in-place "
                                "operations; write " + in.instead +
                           " instead (or run it under tg::NoGradGuard to leave the gradient out)");
}

[[noreturn]] void throw_kind(const char* op, Kinds kinds, Dtype dtype) {
  const std::string wanted = kinds == Kinds::kFloats ? "a float32 or float64" : "a float32, float64 or int64";
  const std::string hint = kinds == Kinds::kFloats && dtype == kInt64
                               ? " (int64 / int64 is a float in PyTorch too: convert with .to(tg::kFloat64) first)"
                               : "";
  throw std::invalid_argument(std::string(op) + ": needs " + wanted + " tensor, got " +
                              std::string(dtype_name(dtype)) + hint);
}

// fn.template operator()<T>() for dtype's element type T, among the Kinds K (others throw).
template <Kinds K, class Fn>
void visit_kinds(Dtype dtype, const char* op, Fn&& fn) {
  if ((dtype == kBool && K != Kinds::kAll) || (dtype == kInt64 && K == Kinds::kFloats)) throw_kind(op, K, dtype);
  visit_all_dtypes(dtype, [&]<class T>() {
    if constexpr (std::is_same_v<T, bool> && K != Kinds::kAll) return;
    else if constexpr (std::is_same_v<T, std::int64_t> && K == Kinds::kFloats) return;
    else fn.template operator()<T>();
  });
}

// A double as an element of type T; for int64 it must be a whole number in range, as PyTorch refuses
// to cast a float result into an integer tensor.
template <class T>
T scalar_as(double value, const char* op, const char* what) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (!(value == std::floor(value) && value >= -0x1p63 && value < 0x1p63)) {
      std::ostringstream os;
      os << op << ": " << what << " " << value << " is not a whole number in int64's range, so the int64 tensor "
         << "cannot hold the result; convert it with .to(tg::kFloat64) first";
      throw std::invalid_argument(os.str());
    }
  }
  return static_cast<T>(value);
}

// u + v and u * v; for int64 modulo 2^64 (signed overflow is undefined in C++; PyTorch's int64 wraps).
template <class T>
T plus(T u, T v) {
  using U = std::uint64_t;
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<U>(u) + static_cast<U>(v));
  else return u + v;
}
template <class T>
T times(T u, T v) {
  using U = std::uint64_t;
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<U>(u) * static_cast<U>(v));
  else return u * v;
}

// An in-place result keeps self's shape: other must broadcast to it.
void check_broadcasts_to(const Shape& self, const Shape& other, const char* op) {
  const Shape out = detail::broadcast_shapes(self, other, op);  // throws when they do not broadcast at all
  if (out != self)
    throw std::invalid_argument(std::string(op) + ": output with shape " + self.str() +
                                " doesn't match the broadcast shape " + out.str() + " (other is " + other.str() +
                                "); an in-place result keeps this tensor's shape");
}

void check_operands(const Tensor& self, const Tensor& other, const InPlace& in) {
  detail::check_defined(self, in.op);
  detail::check_defined(other, in.op);
  check_autograd(self, &other, in);
  if (other.shape() != self.shape()) check_broadcasts_to(self.shape(), other.shape(), in.op);
}

// self[i] = f(self[i], other[i]), other broadcast to self; make<T>() builds f for element type T.
template <Kinds K, class Make>
Tensor& zip_into_self(Tensor& self, const Tensor& other, const InPlace& in, Make make) {
  check_operands(self, other, in);
  detail::check_same_dtype(self, other, in.op);
  const Shape& shape = self.shape();
  visit_kinds<K>(self.dtype(), in.op, [&]<class T>() {
    T* p = self.data<T>();
    detail::broadcast_zip_into(p, shape, other.data<T>(), other.shape(), p, shape, make.template operator()<T>());
  });
  detail::bump_version(self.impl());
  return self;
}

// self[i] = f(self[i]); make<T>() builds f for element type T.
template <Kinds K, class Make>
Tensor& map_self(Tensor& self, const InPlace& in, Make make) {
  detail::check_defined(self, in.op);
  check_autograd(self, nullptr, in);
  visit_kinds<K>(self.dtype(), in.op, [&]<class T>() {
    T* p = self.data<T>();
    const auto f = make.template operator()<T>();
    for (std::int64_t i = 0, n = self.numel(); i < n; ++i) p[i] = f(p[i]);
  });
  detail::bump_version(self.impl());
  return self;
}

constexpr InPlace kAdd{"add_", "x = x + y"};
constexpr InPlace kSub{"sub_", "x = x - y"};
constexpr InPlace kMul{"mul_", "x = x * y"};
constexpr InPlace kDiv{"div_", "x = x / y"};

// self + sign * alpha * other, other a tensor (add_ and sub_).
Tensor& add_scaled(Tensor& self, const Tensor& other, double alpha, double sign, const InPlace& in) {
  return zip_into_self<Kinds::kNumbers>(self, other, in, [&]<class T>() {
    const T a = times(scalar_as<T>(alpha, in.op, "alpha"), static_cast<T>(sign));
    return [a](T u, T v) { return plus(u, times(a, v)); };
  });
}

// self + sign * alpha * other, other a scalar.
Tensor& add_scaled(Tensor& self, double other, double alpha, double sign, const InPlace& in) {
  return map_self<Kinds::kNumbers>(self, in, [&]<class T>() {
    const T a = times(scalar_as<T>(alpha, in.op, "alpha"), static_cast<T>(sign));
    const T s = times(a, scalar_as<T>(other, in.op, "the scalar"));
    return [s](T u) { return plus(u, s); };
  });
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) { return add_scaled(*this, other, alpha, 1.0, kAdd); }
Tensor& Tensor::add_(double other, double alpha) { return add_scaled(*this, other, alpha, 1.0, kAdd); }
Tensor& Tensor::sub_(const Tensor& other, double alpha) { return add_scaled(*this, other, alpha, -1.0, kSub); }
Tensor& Tensor::sub_(double other, double alpha) { return add_scaled(*this, other, alpha, -1.0, kSub); }

Tensor& Tensor::mul_(const Tensor& other) {
  return zip_into_self<Kinds::kNumbers>(*this, other, kMul,
                                        []<class T>() { return [](T u, T v) { return times(u, v); }; });
}

Tensor& Tensor::mul_(double other) {
  return map_self<Kinds::kNumbers>(*this, kMul, [&]<class T>() {
    const T s = scalar_as<T>(other, "mul_", "the scalar");
    return [s](T u) { return times(u, s); };
  });
}

Tensor& Tensor::div_(const Tensor& other) {
  return zip_into_self<Kinds::kFloats>(*this, other, kDiv, []<class T>() { return [](T u, T v) { return u / v; }; });
}

Tensor& Tensor::div_(double other) {
  return map_self<Kinds::kFloats>(*this, kDiv, [&]<class T>() {
    const T s = static_cast<T>(other);
    return [s](T u) { return u / s; };
  });
}

Tensor& Tensor::zero_() {
  return map_self<Kinds::kAll>(*this, {"zero_", "x = zeros_like(x)"}, []<class T>() { return [](T) { return T{}; }; });
}

Tensor& Tensor::clamp_(double min, double max) {
  if (!(min <= max)) {
    std::ostringstream os;
    os << "clamp_: min (" << min << ") must not exceed max (" << max << ")";
    throw std::invalid_argument(os.str());
  }
  return map_self<Kinds::kNumbers>(*this, {"clamp_", "x = clamp(x, min, max)"}, [&]<class T>() {
    const T lo = scalar_as<T>(min, "clamp_", "min");
    const T hi = scalar_as<T>(max, "clamp_", "max");
    return [lo, hi](T u) { return u < lo ? lo : (u > hi ? hi : u); };  // NaN stays NaN, as in clamp
  });
}

Tensor& Tensor::copy_(const Tensor& src) {
  const InPlace in{"copy_", "x = y.to(x.dtype())"};
  check_operands(*this, src, in);
  // Converted as to() converts; not recorded, as check_operands refused a src that requires grad
  // unless grad mode is off. The same handle when the dtypes agree.
  const Tensor s = src.to(dtype());
  const Shape& shape = this->shape();
  visit_kinds<Kinds::kAll>(dtype(), in.op, [&]<class T>() {
    T* p = data<T>();
    detail::broadcast_zip_into(p, shape, s.data<T>(), s.shape(), p, shape, [](T, T v) { return v; });
  });
  detail::bump_version(impl());
  return *this;
}

}  // namespace tg
