#pragma once
// Elementwise math with PyTorch's names and domains: trigonometric and hyperbolic functions, exp/log
// variants, erf, atan2 and pow with a tensor exponent, and the step functions (sign, floor, ceil, round,
// trunc). Outside an op's domain the value is NaN, at a pole +-inf, as in PyTorch (asin(2), acosh(0.5)
// are NaN; log2(0) is -inf; rsqrt(0) and reciprocal(0) are inf). Binary ops broadcast as add does.

#include "tapegrad/tensor.hpp"

namespace tg {

[[nodiscard]] Tensor sin(const Tensor& x);
[[nodiscard]] Tensor cos(const Tensor& x);
[[nodiscard]] Tensor tan(const Tensor& x);
/// arcsin, NaN outside [-1, 1]; the gradient 1/sqrt(1 - x^2) is inf at +-1.
[[nodiscard]] Tensor asin(const Tensor& x);
/// arccos, NaN outside [-1, 1].
[[nodiscard]] Tensor acos(const Tensor& x);
[[nodiscard]] Tensor atan(const Tensor& x);
[[nodiscard]] Tensor sinh(const Tensor& x);
[[nodiscard]] Tensor cosh(const Tensor& x);
[[nodiscard]] Tensor asinh(const Tensor& x);
/// arcosh, NaN below 1.
[[nodiscard]] Tensor acosh(const Tensor& x);
/// artanh, +-inf at +-1 and NaN beyond.
[[nodiscard]] Tensor atanh(const Tensor& x);
/// exp(x) - 1, accurate for small x.
[[nodiscard]] Tensor expm1(const Tensor& x);
[[nodiscard]] Tensor log2(const Tensor& x);
[[nodiscard]] Tensor log10(const Tensor& x);
/// 1 / sqrt(x).
[[nodiscard]] Tensor rsqrt(const Tensor& x);
/// 1 / x.
[[nodiscard]] Tensor reciprocal(const Tensor& x);
/// x * x.
[[nodiscard]] Tensor square(const Tensor& x);
/// The error function 2/sqrt(pi) * integral of e^(-t^2) from 0 to x.
[[nodiscard]] Tensor erf(const Tensor& x);
/// 1 - erf(x), accurate where erf(x) is close to 1.
[[nodiscard]] Tensor erfc(const Tensor& x);

/// The angle of the point (other, input) in (-pi, pi], as torch.atan2(input, other); broadcasts. Both
/// gradients are NaN at the origin, as in PyTorch.
[[nodiscard]] Tensor atan2(const Tensor& input, const Tensor& other);
/// input ** exponent elementwise; broadcasts. As PyTorch: the gradient for input is 0 where exponent is 0,
/// and the gradient for exponent is 0 where input is 0 and exponent >= 0 (elsewhere input^exponent log input).
[[nodiscard]] Tensor pow(const Tensor& input, const Tensor& exponent);

// Step functions. Their gradient is 0, and, as in PyTorch, they are recorded: the result requires grad
// when x does, and backward through them leaves zeros (not nothing) in x's gradient.

/// -1, 0 or 1 (0 for NaN, as PyTorch).
[[nodiscard]] Tensor sign(const Tensor& x);
[[nodiscard]] Tensor floor(const Tensor& x);
[[nodiscard]] Tensor ceil(const Tensor& x);
/// Rounds half to even, as torch.round: round(0.5) = 0, round(1.5) = 2, round(-2.5) = -2.
[[nodiscard]] Tensor round(const Tensor& x);
/// Rounds toward zero.
[[nodiscard]] Tensor trunc(const Tensor& x);

}  // namespace tg
