#pragma once
// Element types a Tensor can hold, chosen at run time: float32 and float64 for values that carry
// gradients, int64 for indices, labels and counts, bool (one byte per element) for masks.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace tg {

enum class Dtype : std::uint8_t { Float32, Float64, Int64, Bool };

inline constexpr Dtype kFloat32 = Dtype::Float32;
inline constexpr Dtype kFloat64 = Dtype::Float64;
inline constexpr Dtype kInt64 = Dtype::Int64;
inline constexpr Dtype kBool = Dtype::Bool;

/// "float32", "float64", "int64" or "bool".
[[nodiscard]] constexpr std::string_view dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return "float32";
    case Dtype::Float64: return "float64";
    case Dtype::Int64: return "int64";
    case Dtype::Bool: return "bool";
  }
  return "unknown";
}

/// Bytes per element.
[[nodiscard]] constexpr std::size_t dtype_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return sizeof(float);
    case Dtype::Float64: return sizeof(double);
    case Dtype::Int64: return sizeof(std::int64_t);
    case Dtype::Bool: return sizeof(bool);
  }
  return 0;
}

/// True for float32 and float64, the dtypes that can require a gradient.
[[nodiscard]] constexpr bool is_floating_point(Dtype dtype) {
  return dtype == Dtype::Float32 || dtype == Dtype::Float64;
}

/// The Dtype whose elements are T: float, double, std::int64_t or bool.
template <class T>
inline constexpr Dtype dtype_of = std::is_same_v<T, float>          ? Dtype::Float32
                                  : std::is_same_v<T, double>       ? Dtype::Float64
                                  : std::is_same_v<T, std::int64_t> ? Dtype::Int64
                                                                    : Dtype::Bool;

template <class T>
inline constexpr bool is_element_type_v = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                          std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

namespace detail {
[[noreturn]] inline void throw_not_floating(Dtype dtype) {
  throw std::invalid_argument("this operation needs a float32 or float64 tensor, got " + std::string(dtype_name(dtype)) +
                              " (convert it with .to(tg::kFloat32) or .to(tg::kFloat64))");
}
}  // namespace detail

/// Calls `fn.template operator()<T>()` with T = float or double to match `dtype`; throws
/// std::invalid_argument for int64 and bool, which arithmetic kernels do not take.
template <class Fn>
decltype(auto) visit_dtype(Dtype dtype, Fn&& fn) {
  if (dtype == Dtype::Float32) return fn.template operator()<float>();
  if (dtype != Dtype::Float64) detail::throw_not_floating(dtype);
  return fn.template operator()<double>();
}

/// Calls `fn.template operator()<T>()` with T = float, double, std::int64_t or bool to match `dtype`:
/// for code that moves, converts or compares elements of every dtype.
template <class Fn>
decltype(auto) visit_all_dtypes(Dtype dtype, Fn&& fn) {
  switch (dtype) {
    case Dtype::Float32: return fn.template operator()<float>();
    case Dtype::Int64: return fn.template operator()<std::int64_t>();
    case Dtype::Bool: return fn.template operator()<bool>();
    case Dtype::Float64: break;
  }
  return fn.template operator()<double>();
}

}  // namespace tg
