#pragma once
// Elementwise ops. Binary ops broadcast as NumPy does; their gradients are summed back to each
// input's shape. Both operands must have the same dtype; scalars take the tensor's dtype.

#include "tapegrad/tensor.hpp"

namespace tg {

[[nodiscard]] Tensor add(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor sub(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor mul(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor div(const Tensor& a, const Tensor& b);
/// Elementwise maximum / minimum; at ties the gradient goes to a.
[[nodiscard]] Tensor maximum(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor minimum(const Tensor& a, const Tensor& b);

[[nodiscard]] Tensor add(const Tensor& a, double b);
[[nodiscard]] Tensor mul(const Tensor& a, double b);
[[nodiscard]] Tensor div(const Tensor& a, double b);
/// b - a.
[[nodiscard]] Tensor rsub(const Tensor& a, double b);
/// b / a.
[[nodiscard]] Tensor rdiv(const Tensor& a, double b);

[[nodiscard]] Tensor neg(const Tensor& x);
[[nodiscard]] Tensor exp(const Tensor& x);
[[nodiscard]] Tensor log(const Tensor& x);
/// log(1 + x), accurate for small x.
[[nodiscard]] Tensor log1p(const Tensor& x);
/// x ** exponent.
[[nodiscard]] Tensor pow(const Tensor& x, double exponent);
[[nodiscard]] Tensor sqrt(const Tensor& x);
/// |x|; the gradient at 0 is 0 (sign, floor, round and the other step functions are in math.hpp).
[[nodiscard]] Tensor abs(const Tensor& x);
/// Clamps into [low, high]; the gradient is 1 inside the interval (bounds included) and 0 outside.
[[nodiscard]] Tensor clamp(const Tensor& x, double low, double high);

[[nodiscard]] Tensor operator+(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator-(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator*(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator/(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator-(const Tensor& x);
[[nodiscard]] Tensor operator+(const Tensor& a, double b);
[[nodiscard]] Tensor operator+(double a, const Tensor& b);
[[nodiscard]] Tensor operator-(const Tensor& a, double b);
[[nodiscard]] Tensor operator-(double a, const Tensor& b);
[[nodiscard]] Tensor operator*(const Tensor& a, double b);
[[nodiscard]] Tensor operator*(double a, const Tensor& b);
[[nodiscard]] Tensor operator/(const Tensor& a, double b);
[[nodiscard]] Tensor operator/(double a, const Tensor& b);

}  // namespace tg
