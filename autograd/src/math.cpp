// Elementwise math. Each backward is PyTorch's formula (tools/autograd/derivatives.yaml) written with
// tapegrad's own ops, so that a recorded sweep (create_graph) gives gradients of gradients.

#include "tapegrad/math.hpp"

#include <cmath>
#include <numbers>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/logic.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::binary;
using detail::keep_where;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_nothing;
using detail::saves_output;

namespace {

constexpr double kTwoOverSqrtPi = std::numbers::inv_sqrtpi * 2.0;  // d/dx erf(x) = 2/sqrt(pi) e^(-x^2)

template <class F>
Tensor unary(const char* op, const Tensor& x, F f) {
  detail::check_defined(x, op);
  return detail::map(x, f);
}

// A step function: the gradient is 0 wherever it is defined. Recorded all the same, as PyTorch does, so
// that y requires grad when x does and backward through y alone gives x a zero gradient, not an error.
template <class F>
Tensor step(const char* op, const Tensor& x, F f) {
  Tensor y = unary(op, x, f);
  if (needs_grad(x))
    record(op, y, saves_nothing, [x](const Tensor&, const Tensor&) { accumulate_grad(x, zeros_like(x)); });
  return y;
}

}  // namespace

namespace detail {

// where records the backward: dx = where(keep != 0, dy, 0), keep_where's own formula.
Tensor keep_where(const Tensor& x, const Tensor& keep) { return where(keep != 0.0, x, 0.0); }

}  // namespace detail

// ---- trigonometric ----

Tensor sin(const Tensor& x) {
  Tensor y = unary("sin", x, [](auto u) { return std::sin(u); });
  if (needs_grad(x))
    record("sin", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * cos(x)); });
  return y;
}

Tensor cos(const Tensor& x) {
  Tensor y = unary("cos", x, [](auto u) { return std::cos(u); });
  if (needs_grad(x))
    record("cos", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * -sin(x)); });
  return y;
}

Tensor tan(const Tensor& x) {
  Tensor y = unary("tan", x, [](auto u) { return std::tan(u); });
  if (needs_grad(x))  // dx = dy (1 + y^2)
    record("tan", y, saves_output,
           [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, dy * (1.0 + square(y))); });
  return y;
}

Tensor asin(const Tensor& x) {
  Tensor y = unary("asin", x, [](auto u) { return std::asin(u); });
  if (needs_grad(x))  // dx = dy / sqrt(1 - x^2)
    record("asin", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * rsqrt(1.0 - square(x))); });
  return y;
}

Tensor acos(const Tensor& x) {
  Tensor y = unary("acos", x, [](auto u) { return std::acos(u); });
  if (needs_grad(x))  // dx = -dy / sqrt(1 - x^2)
    record("acos", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * -rsqrt(1.0 - square(x))); });
  return y;
}

Tensor atan(const Tensor& x) {
  Tensor y = unary("atan", x, [](auto u) { return std::atan(u); });
  if (needs_grad(x))  // dx = dy / (1 + x^2)
    record("atan", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / (square(x) + 1.0)); });
  return y;
}

Tensor atan2(const Tensor& input, const Tensor& other) {
  const Tensor& a = input;
  const Tensor& b = other;
  Tensor y = binary("atan2", a, b, [](auto u, auto v) { return std::atan2(u, v); });
  if (needs_grad(a, b))  // y = atan2(a, b): da = dy b / (a^2 + b^2), db = -dy a / (a^2 + b^2), summed to shape
    record("atan2", y, saves(a, b), [a, b](const Tensor& dy, const Tensor&) {
      const Tensor r = reciprocal(square(a) + square(b));
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy * b * r, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(dy * -a * r, b.shape()));
    });
  return y;
}

// ---- hyperbolic ----

Tensor sinh(const Tensor& x) {
  Tensor y = unary("sinh", x, [](auto u) { return std::sinh(u); });
  if (needs_grad(x))
    record("sinh", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * cosh(x)); });
  return y;
}

Tensor cosh(const Tensor& x) {
  Tensor y = unary("cosh", x, [](auto u) { return std::cosh(u); });
  if (needs_grad(x))
    record("cosh", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * sinh(x)); });
  return y;
}

Tensor asinh(const Tensor& x) {
  Tensor y = unary("asinh", x, [](auto u) { return std::asinh(u); });
  if (needs_grad(x))  // dx = dy / sqrt(x^2 + 1)
    record("asinh", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * rsqrt(square(x) + 1.0)); });
  return y;
}

Tensor acosh(const Tensor& x) {
  Tensor y = unary("acosh", x, [](auto u) { return std::acosh(u); });
  if (needs_grad(x))  // dx = dy / sqrt(x^2 - 1)
    record("acosh", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * rsqrt(square(x) - 1.0)); });
  return y;
}

Tensor atanh(const Tensor& x) {
  Tensor y = unary("atanh", x, [](auto u) { return std::atanh(u); });
  if (needs_grad(x))  // dx = dy / (1 - x^2)
    record("atanh", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / (1.0 - square(x))); });
  return y;
}

// ---- exponential and logarithmic ----

Tensor expm1(const Tensor& x) {
  Tensor y = unary("expm1", x, [](auto u) { return std::expm1(u); });
  if (needs_grad(x))  // dx = dy e^x = dy (y + 1)
    record("expm1", y, saves_output, [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, dy * (y + 1.0)); });
  return y;
}

Tensor log2(const Tensor& x) {
  Tensor y = unary("log2", x, [](auto u) { return std::log2(u); });
  if (needs_grad(x))  // dx = dy / (x ln 2)
    record("log2", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / (x * std::numbers::ln2)); });
  return y;
}

Tensor log10(const Tensor& x) {
  Tensor y = unary("log10", x, [](auto u) { return std::log10(u); });
  if (needs_grad(x))  // dx = dy / (x ln 10)
    record("log10", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / (x * std::numbers::ln10)); });
  return y;
}

Tensor rsqrt(const Tensor& x) {
  Tensor y = unary("rsqrt", x, [](auto u) { return decltype(u)(1) / std::sqrt(u); });
  if (needs_grad(x))  // dx = -dy / (2 x^1.5) = -0.5 dy y^3
    record("rsqrt", y, saves_output,
           [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, dy * -0.5 * (y * y * y)); });
  return y;
}

Tensor reciprocal(const Tensor& x) {
  Tensor y = unary("reciprocal", x, [](auto u) { return decltype(u)(1) / u; });
  if (needs_grad(x))  // dx = -dy / x^2 = -dy y^2
    record("reciprocal", y, saves_output,
           [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, -dy * (y * y)); });
  return y;
}

Tensor square(const Tensor& x) {
  Tensor y = unary("square", x, [](auto u) { return u * u; });
  if (needs_grad(x))
    record("square", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * 2.0 * x); });
  return y;
}

Tensor erf(const Tensor& x) {
  Tensor y = unary("erf", x, [](auto u) { return std::erf(u); });
  if (needs_grad(x))  // dx = dy 2/sqrt(pi) e^(-x^2)
    record("erf", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * kTwoOverSqrtPi * exp(-square(x))); });
  return y;
}

Tensor erfc(const Tensor& x) {
  Tensor y = unary("erfc", x, [](auto u) { return std::erfc(u); });
  if (needs_grad(x))  // dx = -dy 2/sqrt(pi) e^(-x^2)
    record("erfc", y, saves(x),
           [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * -kTwoOverSqrtPi * exp(-square(x))); });
  return y;
}

Tensor pow(const Tensor& input, const Tensor& exponent) {
  const Tensor& a = input;
  const Tensor& b = exponent;
  Tensor y = binary("pow", a, b, [](auto u, auto v) { return std::pow(u, v); });
  if (needs_grad(a, b))
    record("pow", y, saves(a, b).and_output(), [a, b](const Tensor& dy, const Tensor& y) {
      // y = a^b: da = dy b a^(b-1), 0 where b = 0 (a^0 is constant, even at a = 0 where a^-1 is inf);
      // db = dy y log(a), 0 where a = 0 and b >= 0 (y is then 0 or 1 for every nearby b >= 0).
      // The masks are constants, as PyTorch's where in pow_backward: where b = 0 (for da) or a = 0 (for db)
      // the second derivatives are 0 too.
      const Shape& out = dy.shape();
      if (a.requires_grad()) {
        const Tensor b_nonzero = detail::broadcast_zip(a, b, out, [](auto, auto v) { return decltype(v)(v != 0); });
        accumulate_grad(a, sum_to(keep_where(dy * b * pow(a, b - 1.0), b_nonzero), a.shape()));
      }
      if (b.requires_grad()) {
        const Tensor has_log =
            detail::broadcast_zip(a, b, out, [](auto u, auto v) { return decltype(u)(u != 0 || v < 0); });
        accumulate_grad(b, sum_to(keep_where(dy * y * log(a), has_log), b.shape()));
      }
    });
  return y;
}

// ---- step functions ----

Tensor sign(const Tensor& x) {
  return step("sign", x, [](auto u) { return static_cast<decltype(u)>((u > 0) - (u < 0)); });
}
Tensor floor(const Tensor& x) { return step("floor", x, [](auto u) { return std::floor(u); }); }
Tensor ceil(const Tensor& x) { return step("ceil", x, [](auto u) { return std::ceil(u); }); }
// nearbyint rounds in the current rounding mode, which is to nearest, ties to even, unless a caller has
// changed it with fesetround; PyTorch's CPU kernel relies on the same.
Tensor round(const Tensor& x) { return step("round", x, [](auto u) { return std::nearbyint(u); }); }
Tensor trunc(const Tensor& x) { return step("trunc", x, [](auto u) { return std::trunc(u); }); }

}  // namespace tg
