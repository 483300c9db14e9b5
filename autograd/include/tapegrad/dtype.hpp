#pragma once
// Element types a Tensor can hold, chosen at run time.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tg {

enum class Dtype : std::uint8_t { Float32, Float64 };

inline constexpr Dtype kFloat32 = Dtype::Float32;
inline constexpr Dtype kFloat64 = Dtype::Float64;

/// "float32" or "float64".
[[nodiscard]] constexpr std::string_view dtype_name(Dtype dtype) {
  return dtype == Dtype::Float32 ? "float32" : "float64";
}

/// Bytes per element.
[[nodiscard]] constexpr std::size_t dtype_size(Dtype dtype) {
  return dtype == Dtype::Float32 ? sizeof(float) : sizeof(double);
}

/// Calls `fn.template operator()<T>()` with T = float or double to match `dtype`.
template <class Fn>
decltype(auto) visit_dtype(Dtype dtype, Fn&& fn) {
  if (dtype == Dtype::Float32) return fn.template operator()<float>();
  return fn.template operator()<double>();
}

}  // namespace tg
