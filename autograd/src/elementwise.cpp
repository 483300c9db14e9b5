// Elementwise ops. Each backward is written with tapegrad's own ops, so that a recorded sweep
// (create_graph) gives gradients of gradients.

#include "tapegrad/elementwise.hpp"

#include <cmath>

#include "kernels.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::binary;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_nothing;
using detail::saves_output;

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary("add", a, b, [](auto u, auto v) { return u + v; });
  if (needs_grad(a, b))  // y = a + b: da = dy, db = dy, each summed to its shape
    record("add", y, saves_nothing, [a, b](const Tensor& dy, const Tensor&) {
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(dy, b.shape()));
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary("sub", a, b, [](auto u, auto v) { return u - v; });
  if (needs_grad(a, b))
    record("sub", y, saves_nothing, [a, b](const Tensor& dy, const Tensor&) {  // y = a - b: da = dy, db = -dy
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(neg(dy), b.shape()));
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary("mul", a, b, [](auto u, auto v) { return u * v; });
  if (needs_grad(a, b))
    record("mul", y, saves(a, b), [a, b](const Tensor& dy, const Tensor&) {  // y = a * b: da = dy * b, db = dy * a
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy * b, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(dy * a, b.shape()));
    });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary("div", a, b, [](auto u, auto v) { return u / v; });
  if (needs_grad(a, b))  // y = a / b: da = dy / b, db = -dy * a / b^2
    record("div", y, saves(a, b), [a, b](const Tensor& dy, const Tensor&) {
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy / b, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(neg(dy) * a / (b * b), b.shape()));
    });
  return y;
}

namespace {

// Shared by maximum and minimum: the gradient follows whichever input was picked (a at ties). The mask
// from_a is a raw constant, right for double backward: its derivative is 0 away from the ties.
Tensor pick(const char* op, const Tensor& a, const Tensor& b, bool take_max) {
  Tensor y = binary(op, a, b, [take_max](auto u, auto v) { return (take_max ? u >= v : u <= v) ? u : v; });
  if (needs_grad(a, b))
    record(op, y, saves(a, b), [a, b, take_max](const Tensor& dy, const Tensor&) {
      const Shape& out = dy.shape();
      const Tensor from_a = detail::broadcast_zip(a, b, out, [take_max](auto u, auto v) {
        return static_cast<decltype(u)>((take_max ? u >= v : u <= v) ? 1 : 0);
      });
      if (a.requires_grad()) accumulate_grad(a, sum_to(dy * from_a, a.shape()));
      if (b.requires_grad()) accumulate_grad(b, sum_to(dy * (1.0 - from_a), b.shape()));
    });
  return y;
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return pick("maximum", a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return pick("minimum", a, b, false); }

// ---- with a scalar ----

Tensor add(const Tensor& a, double b) {
  detail::check_defined(a, "add");
  Tensor y = detail::map(a, [b](auto u) { return u + static_cast<decltype(u)>(b); });
  if (needs_grad(a))  // da = dy
    record("add", y, saves_nothing, [a](const Tensor& dy, const Tensor&) { accumulate_grad(a, dy); });
  return y;
}

Tensor mul(const Tensor& a, double b) {
  detail::check_defined(a, "mul");
  Tensor y = detail::map(a, [b](auto u) { return u * static_cast<decltype(u)>(b); });
  if (needs_grad(a))  // da = dy * b
    record("mul", y, saves_nothing, [a, b](const Tensor& dy, const Tensor&) { accumulate_grad(a, dy * b); });
  return y;
}

Tensor div(const Tensor& a, double b) {
  detail::check_defined(a, "div");
  Tensor y = detail::map(a, [b](auto u) { return u / static_cast<decltype(u)>(b); });
  if (needs_grad(a))  // da = dy / b
    record("div", y, saves_nothing, [a, b](const Tensor& dy, const Tensor&) { accumulate_grad(a, dy / b); });
  return y;
}

Tensor rsub(const Tensor& a, double b) {
  detail::check_defined(a, "rsub");
  Tensor y = detail::map(a, [b](auto u) { return static_cast<decltype(u)>(b) - u; });
  if (needs_grad(a))  // da = -dy
    record("rsub", y, saves_nothing, [a](const Tensor& dy, const Tensor&) { accumulate_grad(a, neg(dy)); });
  return y;
}

Tensor rdiv(const Tensor& a, double b) {
  detail::check_defined(a, "rdiv");
  Tensor y = detail::map(a, [b](auto u) { return static_cast<decltype(u)>(b) / u; });
  if (needs_grad(a))  // y = b / a: da = -dy * b / a^2
    record("rdiv", y, saves(a), [a, b](const Tensor& dy, const Tensor&) { accumulate_grad(a, dy * (-b) / (a * a)); });
  return y;
}

// ---- unary ----

Tensor neg(const Tensor& x) {
  detail::check_defined(x, "neg");
  Tensor y = detail::map(x, [](auto u) { return -u; });
  if (needs_grad(x))
    record("neg", y, saves_nothing, [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, neg(dy)); });
  return y;
}

Tensor exp(const Tensor& x) {
  detail::check_defined(x, "exp");
  Tensor y = detail::map(x, [](auto u) { return std::exp(u); });
  if (needs_grad(x))
    record("exp", y, saves_output, [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, dy * y); });
  return y;
}

Tensor log(const Tensor& x) {
  detail::check_defined(x, "log");
  Tensor y = detail::map(x, [](auto u) { return std::log(u); });
  if (needs_grad(x))  // dx = dy / x
    record("log", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / x); });
  return y;
}

Tensor log1p(const Tensor& x) {
  detail::check_defined(x, "log1p");
  Tensor y = detail::map(x, [](auto u) { return std::log1p(u); });
  if (needs_grad(x))  // dx = dy / (1 + x)
    record("log1p", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy / (x + 1.0)); });
  return y;
}

Tensor pow(const Tensor& x, double exponent) {
  detail::check_defined(x, "pow");
  Tensor y = detail::map(x, [exponent](auto u) { return std::pow(u, static_cast<decltype(u)>(exponent)); });
  if (needs_grad(x))  // dx = dy * p * x^(p-1); x^0 is constant: zeros, not 0 * 0^-1 = nan at x = 0
    record("pow", y, saves(x), [x, exponent](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, exponent == 0.0 ? zeros_like(x) : dy * exponent * pow(x, exponent - 1.0));
    });
  return y;
}

Tensor sqrt(const Tensor& x) {
  detail::check_defined(x, "sqrt");
  Tensor y = detail::map(x, [](auto u) { return std::sqrt(u); });
  if (needs_grad(x))  // dx = dy / (2 sqrt(x))
    record("sqrt", y, saves_output, [x](const Tensor& dy, const Tensor& y) { accumulate_grad(x, dy * 0.5 / y); });
  return y;
}

Tensor abs(const Tensor& x) {
  detail::check_defined(x, "abs");
  Tensor y = detail::map(x, [](auto u) { return std::abs(u); });
  if (needs_grad(x))
    record("abs", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * sign(x)); });
  return y;
}

Tensor clamp(const Tensor& x, double low, double high) {
  detail::check_defined(x, "clamp");
  if (!(low <= high))
    throw std::invalid_argument("clamp: low (" + std::to_string(low) + ") must not exceed high (" +
                                std::to_string(high) + ")");
  Tensor y = detail::map(x, [low, high](auto u) {
    using T = decltype(u);
    return u < static_cast<T>(low) ? static_cast<T>(low) : (u > static_cast<T>(high) ? static_cast<T>(high) : u);
  });
  if (needs_grad(x))  // dx = dy where low <= x <= high, else 0; the mask is a constant (derivative 0 off the bounds)
    record("clamp", y, saves(x), [x, low, high](const Tensor& dy, const Tensor&) {
      const Tensor inside = detail::map(x, [low, high](auto u) {
        using T = decltype(u);
        return static_cast<T>(u >= static_cast<T>(low) && u <= static_cast<T>(high) ? 1 : 0);
      });
      accumulate_grad(x, dy * inside);
    });
  return y;
}

// ---- operators ----

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }

}  // namespace tg
