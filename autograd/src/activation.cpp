// Activations. Forward passes are single loops; backwards are written with tapegrad's ops on the
// recorded output y (and input x), so that they can be differentiated again.

#include "tapegrad/activation.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <string_view>

#include "activation_kernels.hpp"
#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_output;
using detail::sigmoid_of;

namespace {

// 1 where x > 0, `below` elsewhere: the slope of the piecewise-linear activations. A raw constant, right
// for double backward: its derivative is 0 away from the kink.
Tensor slope(const Tensor& x, double below) {
  return detail::map(x, [below](auto u) { return static_cast<decltype(u)>(u > 0 ? 1.0 : below); });
}

}  // namespace

Tensor sigmoid(const Tensor& x) {
  detail::check_defined(x, "sigmoid");
  Tensor y = detail::map(x, [](auto u) { return sigmoid_of(u); });
  if (needs_grad(x))
    record("sigmoid", y, saves_output, [x](Tensor& dy, const Tensor& y) {
      // dx = dy * y * (1 - y). When the sweep is not recorded (every first-order backward) one fused pass
      // replaces three ops and their temporaries (measured on digits), written over dy when it is the
      // sweep's alone. A create_graph sweep runs with grad mode on and takes the composed form, which it
      // records.
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip_reusing(std::move(dy), y,
                                               [](auto g, auto s) { return g * s * (decltype(s)(1) - s); }));
      else
        accumulate_grad(x, dy * y * (1.0 - y));
    });
  return y;
}

Tensor tanh(const Tensor& x) {
  detail::check_defined(x, "tanh");
  Tensor y = detail::map(x, [](auto u) { return detail::tanh_of(u); });
  if (needs_grad(x))  // dx = dy * (1 - y^2), fused as sigmoid's when the sweep is not recorded
    record("tanh", y, saves_output, [x](Tensor& dy, const Tensor& y) {
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip_reusing(std::move(dy), y,
                                               [](auto g, auto t) { return g * (decltype(t)(1) - t * t); }));
      else
        accumulate_grad(x, dy * (1.0 - y * y));
    });
  return y;
}

Tensor relu(const Tensor& x) {
  detail::check_defined(x, "relu");
  Tensor y = detail::map(x, [](auto u) { return u > 0 ? u : decltype(u)(0); });
  if (needs_grad(x))  // dx = dy where x > 0 (the gradient at 0 is 0, as in PyTorch); fused as sigmoid's
    record("relu", y, saves(x), [x](Tensor& dy, const Tensor&) {
      if (!is_grad_enabled())
        accumulate_grad(x, detail::zip_reusing(std::move(dy), x,
                                               [](auto g, auto u) { return u > 0 ? g : decltype(g)(0); }));
      else
        accumulate_grad(x, dy * slope(x, 0.0));
    });
  return y;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  detail::check_defined(x, "leaky_relu");
  Tensor y = detail::map(x, [negative_slope](auto u) { return u > 0 ? u : u * static_cast<decltype(u)>(negative_slope); });
  if (needs_grad(x))  // dx = dy where x > 0, dy * negative_slope elsewhere
    record("leaky_relu", y, saves(x), [x, negative_slope](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy * slope(x, negative_slope));
    });
  return y;
}

namespace {

// t * c, without an op when c is 1 (elu's case), so that elu's backward stays as short as it was.
Tensor scaled(const Tensor& t, double c) { return c == 1.0 ? t : t * c; }

// The ELU family as PyTorch's elu kernel writes it: y = scale x for x > 0, scale alpha (e^(input_scale x) - 1)
// elsewhere. elu is (alpha, 1, 1), celu (alpha, 1, 1/alpha), selu (its two constants, 1).
Tensor elu_family(const char* op, const Tensor& x, double alpha, double scale, double input_scale) {
  detail::check_defined(x, op);
  Tensor y = detail::map(x, [alpha, scale, input_scale](auto u) {
    using T = decltype(u);
    if (u > 0) return static_cast<T>(scale) * u;
    return static_cast<T>(scale * alpha) * std::expm1(u * static_cast<T>(input_scale));
  });
  // dx = dy scale for x > 0, dy input_scale scale alpha e^(input_scale x) = dy input_scale (y + scale alpha)
  // elsewhere (x = 0 included, as PyTorch: selu's gradient at 0 is scale alpha)
  if (needs_grad(x))
    record(op, y, saves(x).and_output(), [x, alpha, scale, input_scale](const Tensor& dy, const Tensor& y) {
      const Tensor positive = slope(x, 0.0);
      accumulate_grad(x, dy * (scaled(positive, scale) + (1.0 - positive) * scaled(y + scale * alpha, input_scale)));
    });
  return y;
}

}  // namespace

Tensor elu(const Tensor& x, double alpha) { return elu_family("elu", x, alpha, 1.0, 1.0); }

Tensor celu(const Tensor& x, double alpha) {
  if (alpha == 0.0) throw std::invalid_argument("celu: alpha must not be 0 (it divides x)");
  return elu_family("celu", x, alpha, 1.0, 1.0 / alpha);
}

Tensor selu(const Tensor& x) {
  // The constants of Klambauer et al. (2017), to the digits PyTorch uses.
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  return elu_family("selu", x, kAlpha, kScale, 1.0);
}

Tensor softplus(const Tensor& x) {
  detail::check_defined(x, "softplus");
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no lost digits for very negative x.
  Tensor y = detail::map(x, [](auto u) { return std::max(u, decltype(u)(0)) + std::log1p(std::exp(-std::abs(u))); });
  if (needs_grad(x))  // dx = dy * sigmoid(x)
    record("softplus", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * sigmoid(x)); });
  return y;
}

Tensor logsigmoid(const Tensor& x) {
  detail::check_defined(x, "logsigmoid");
  // log sigmoid(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|): finite for every finite x.
  Tensor y = detail::map(x, [](auto u) { return std::min(u, decltype(u)(0)) - std::log1p(std::exp(-std::abs(u))); });
  if (needs_grad(x))  // dx = dy * sigmoid(-x)
    record("logsigmoid", y, saves(x), [x](const Tensor& dy, const Tensor&) { accumulate_grad(x, dy * sigmoid(-x)); });
  return y;
}

Tensor softsign(const Tensor& x) {
  detail::check_defined(x, "softsign");
  Tensor y = detail::map(x, [](auto u) { return u / (decltype(u)(1) + std::abs(u)); });
  if (needs_grad(x))  // dx = dy / (1 + |x|)^2
    record("softsign", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy / square(1.0 + abs(x)));
    });
  return y;
}

Tensor silu(const Tensor& x) {
  detail::check_defined(x, "silu");
  Tensor y = detail::map(x, [](auto u) { return u * sigmoid_of(u); });
  if (needs_grad(x))  // y = x s with s = sigmoid(x): dx = dy s (1 + x (1 - s))
    record("silu", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      const Tensor s = sigmoid(x);
      accumulate_grad(x, dy * s * (1.0 + x * (1.0 - s)));
    });
  return y;
}

namespace {

// f evaluated in float64 and rounded once: the formulas of gelu and mish compound several roundings
// (and gelu's polynomial cancels), which in float32 would cost more than a few ulp.
template <class T, class F>
T in_float64(T u, F f) {
  return static_cast<T>(f(static_cast<double>(u)));
}

}  // namespace

Tensor mish(const Tensor& x) {
  detail::check_defined(x, "mish");
  Tensor y = detail::map(x, [](auto u) {
    return in_float64(u, [](double v) { return v * std::tanh(std::max(v, 0.0) + std::log1p(std::exp(-std::abs(v)))); });
  });
  if (needs_grad(x))  // y = x t with t = tanh(softplus(x)): dx = dy (t + x sigmoid(x) (1 - t^2))
    record("mish", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      const Tensor t = tanh(softplus(x));
      accumulate_grad(x, dy * (t + x * sigmoid(x) * (1.0 - square(t))));
    });
  return y;
}

namespace {

constexpr double kSqrt2OverPi = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
constexpr double kInvSqrt2Pi = std::numbers::inv_sqrtpi / std::numbers::sqrt2;  // the normal density at 0
constexpr double kGeluCubic = 0.044715;
constexpr double kSqrtHalf = std::numbers::sqrt2 / 2;

// The exact gelu x Phi(x), with the normal CDF Phi(x) = erfc(-x/sqrt2) / 2 rather than (1 + erf(x/sqrt2)) / 2,
// which cancels to 0 for x below about -6 where x Phi(x) is still a normal number.
Tensor gelu_exact(const Tensor& x) {
  Tensor y = detail::map(x, [](auto u) {
    return in_float64(u, [](double v) { return 0.5 * v * std::erfc(-v * kSqrtHalf); });
  });
  if (needs_grad(x))  // dx = dy (Phi(x) + x phi(x)), phi(x) = e^(-x^2/2) / sqrt(2 pi)
    record("gelu", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      const Tensor cdf = 0.5 * erfc(x * -kSqrtHalf);
      accumulate_grad(x, dy * (cdf + x * (kInvSqrt2Pi * exp(-0.5 * square(x)))));
    });
  return y;
}

// PyTorch's tanh approximation 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as the equal
// x sigmoid(2u), which does not cancel for negative x.
Tensor gelu_tanh(const Tensor& x) {
  Tensor y = detail::map(x, [](auto u) {
    return in_float64(u, [](double v) { return v * sigmoid_of(2 * kSqrt2OverPi * (v + kGeluCubic * v * v * v)); });
  });
  if (needs_grad(x))  // y = x s, s = sigmoid(2u): dx = dy (s + x s (1 - s) 2 du/dx), du/dx = sqrt(2/pi) (1 + 3k x^2)
    record("gelu", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      const Tensor x2 = square(x);
      const Tensor s = sigmoid((x + kGeluCubic * x * x2) * (2 * kSqrt2OverPi));
      const Tensor du = (1.0 + 3 * kGeluCubic * x2) * (2 * kSqrt2OverPi);
      accumulate_grad(x, dy * (s + x * (s * (1.0 - s)) * du));
    });
  return y;
}

}  // namespace

Tensor gelu(const Tensor& x, std::string_view approximate) {
  detail::check_defined(x, "gelu");
  if (approximate == "none") return gelu_exact(x);
  if (approximate == "tanh") return gelu_tanh(x);
  throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" + std::string(approximate) +
                              "\"");
}

// ---- piecewise linear ----

namespace {

// 1 where lo < x < hi (open: PyTorch's hardtanh and hardsigmoid pass no gradient at their corners), else 0;
// a constant, as slope's.
Tensor inside(const Tensor& x, double lo, double hi) {
  return detail::map(x, [lo, hi](auto u) { return static_cast<decltype(u)>(u > lo && u < hi ? 1 : 0); });
}

Tensor hardtanh_named(const char* op, const Tensor& x, double min_val, double max_val) {
  detail::check_defined(x, op);
  if (!(min_val <= max_val))
    throw std::invalid_argument(std::string(op) + ": min_val (" + std::to_string(min_val) +
                                ") must not exceed max_val (" + std::to_string(max_val) + ")");
  Tensor y = detail::map(x, [min_val, max_val](auto u) {
    using T = decltype(u);
    return std::min(std::max(u, static_cast<T>(min_val)), static_cast<T>(max_val));
  });
  if (needs_grad(x))  // dx = dy where min_val < x < max_val, 0 elsewhere (at the bounds too, unlike clamp)
    record(op, y, saves(x), [x, min_val, max_val](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy * inside(x, min_val, max_val));
    });
  return y;
}

}  // namespace

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  return hardtanh_named("hardtanh", x, min_val, max_val);
}

Tensor relu6(const Tensor& x) { return hardtanh_named("relu6", x, 0.0, 6.0); }  // PyTorch's relu6 is hardtanh(x, 0, 6)

Tensor hardsigmoid(const Tensor& x) {
  detail::check_defined(x, "hardsigmoid");
  Tensor y = detail::map(x, [](auto u) {
    using T = decltype(u);
    return std::min(std::max(u + T(3), T(0)), T(6)) / T(6);
  });
  if (needs_grad(x))  // y = clamp(x + 3, 0, 6) / 6: dx = dy / 6 where -3 < x < 3, else 0
    record("hardsigmoid", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, dy * inside(x, -3.0, 3.0) / 6.0);
    });
  return y;
}

Tensor hardswish(const Tensor& x) {
  detail::check_defined(x, "hardswish");
  Tensor y = detail::map(x, [](auto u) {
    using T = decltype(u);
    return u * std::min(std::max(u + T(3), T(0)), T(6)) / T(6);
  });
  // y = x clamp(x + 3, 0, 6) / 6: dx = 0 for x <= -3, dy (x/3 + 1/2) for -3 < x < 3, dy for x >= 3 (PyTorch's
  // hardswish_backward since pytorch#148049; 1.13 gives -0.5 at -3 and 1.5 at 3)
  if (needs_grad(x))
    record("hardswish", y, saves(x), [x](const Tensor& dy, const Tensor&) {
      const Tensor above = detail::map(x, [](auto u) { return static_cast<decltype(u)>(u >= 3 ? 1 : 0); });
      accumulate_grad(x, dy * (inside(x, -3.0, 3.0) * (x / 3.0 + 0.5) + above));
    });
  return y;
}

namespace {

// Softmax or log-softmax along dimension d, viewing x as (outer, extent, inner); the row maximum is
// subtracted first so that exp never overflows.
Tensor softmax_forward(const Tensor& x, int d, bool log) {
  const detail::Around a = detail::around(x.shape(), d);
  Tensor y = empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t o = 0; o < a.outer; ++o)
      for (std::int64_t i = 0; i < a.inner; ++i) {
        const std::int64_t base = o * a.extent * a.inner + i;
        T m = -std::numeric_limits<T>::infinity();
        for (std::int64_t k = 0; k < a.extent; ++k) m = std::max(m, px[base + k * a.inner]);
        if (!std::isfinite(m)) m = 0;  // all -inf (or +inf) rows: leave the arithmetic to produce nan/0
        T total = 0;
        for (std::int64_t k = 0; k < a.extent; ++k) {
          const T e = std::exp(px[base + k * a.inner] - m);
          py[base + k * a.inner] = e;
          total += e;
        }
        const T log_total = std::log(total);
        for (std::int64_t k = 0; k < a.extent; ++k) {
          T& v = py[base + k * a.inner];
          v = log ? px[base + k * a.inner] - m - log_total : v / total;
        }
      }
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int dim) {
  detail::check_defined(x, "softmax");
  const int d = detail::normalize_dim(dim, x.dim(), "softmax");
  Tensor y = softmax_forward(x, d, false);
  if (needs_grad(x))  // dx = y * (dy - sum(dy * y, d))
    record("softmax", y, saves_output, [x, d](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, y * (dy - sum(dy * y, {d}, true)));
    });
  return y;
}

Tensor log_softmax(const Tensor& x, int dim) {
  detail::check_defined(x, "log_softmax");
  const int d = detail::normalize_dim(dim, x.dim(), "log_softmax");
  Tensor y = softmax_forward(x, d, true);
  if (needs_grad(x))  // dx = dy - exp(y) * sum(dy, d)
    record("log_softmax", y, saves_output, [x, d](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, dy - exp(y) * sum(dy, {d}, true));
    });
  return y;
}

}  // namespace tg
