// Statistics over dimensions: var, std, var_mean, std_mean, norm and logsumexp.
//
// Each op computes its forward with tapegrad's ops without recording and records one op whose backward is
// PyTorch's formula written with tapegrad's ops (so it can be differentiated again), each for a reason
// stated beside it: var's composition goes NaN where N <= correction; norm's subgradients at 0 are masks
// that no composition of sqrt, pow and abs gives; logsumexp keeps x and y on the tape instead of three
// temporaries of x's size. std is var followed by a sqrt whose gradient is 0 where std is 0 (PyTorch's
// std_backward masks it).

#include "tapegrad/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::keep_where;
using detail::needs_grad;
using detail::number_str;
using detail::record;
using detail::saves;
using detail::saves_output;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::span<const int> as_span(std::initializer_list<int> dims) { return {dims.begin(), dims.size()}; }

// 1 where t is nonzero (NaN included), 0 where it is 0: a constant mask of t's shape.
Tensor nonzero(const Tensor& t) {
  return detail::map(t, [](auto u) { return static_cast<decltype(u)>(u != 0); });
}

// var over dims, recorded as one op with PyTorch's var_backward: dx = 2 dy (x - mean) / (N - correction).
// Composing var from mean, sub, square and sum gives the same gradient in exact arithmetic (the mean's
// own path sums to 0), but where N <= correction (1 / 0 = inf) that path is inf - inf and turns the
// slice's gradient into NaN, where PyTorch's is +-inf; the one record also keeps no temporaries.
Tensor variance(const char* op, const Tensor& x, std::span<const int> dims, double correction, bool keepdim) {
  detail::check_defined(x, op);
  if (!(correction >= 0))
    throw std::invalid_argument(std::string(op) + ": correction must be a non-negative number, got " +
                                number_str(correction));
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, op);
  const double dof = std::max(0.0, static_cast<double>(r.count) - correction);  // 0: inf, or NaN for 0 / 0
  Tensor y;
  {
    const NoGradGuard no_grad;
    y = sum(square(x - mean(x, dims, true)), dims, keepdim) / dof;
  }
  if (needs_grad(x))
    record("var", y, saves(x), [x, kept = r.kept, dof, count = r.count](const Tensor& dy, const Tensor&) {
      const Tensor centred = x - sum_to(x, kept) / static_cast<double>(count);
      accumulate_grad(x, reshape(dy, kept) * centred * (2.0 / dof));
    });
  return y;
}

// sqrt(v) whose gradient is 0 where the result is 0, where sqrt's is inf (PyTorch's std_backward: the std
// of a constant slice has gradient 0, not inf * 0 = NaN).
Tensor sqrt_flat_at_zero(const Tensor& v) {
  Tensor y = detail::map(v, [](auto u) { return std::sqrt(u); });
  if (needs_grad(v))  // dv = dy / (2 y), 0 where y = 0
    record("std", y, saves_output,
           [v](const Tensor& dy, const Tensor& y) { accumulate_grad(v, keep_where(dy * 0.5 / y, nonzero(y))); });
  return y;
}

}  // namespace

// ---- var, std ----

Tensor var(const Tensor& x, std::span<const int> dims, double correction, bool keepdim) {
  return variance("var", x, dims, correction, keepdim);
}
Tensor var(const Tensor& x) { return var(x, std::span<const int>()); }
Tensor var(const Tensor& x, std::initializer_list<int> dims, double correction, bool keepdim) {
  return var(x, as_span(dims), correction, keepdim);
}

Tensor std(const Tensor& x, std::span<const int> dims, double correction, bool keepdim) {
  return sqrt_flat_at_zero(variance("std", x, dims, correction, keepdim));
}
Tensor std(const Tensor& x) { return std(x, std::span<const int>()); }
Tensor std(const Tensor& x, std::initializer_list<int> dims, double correction, bool keepdim) {
  return std(x, as_span(dims), correction, keepdim);
}

// The gradient of the pair is the sum of var's and mean's, as PyTorch's var_mean_backward.
std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::span<const int> dims, double correction, bool keepdim) {
  Tensor v = variance("var_mean", x, dims, correction, keepdim);
  return {v, mean(x, dims, keepdim)};
}
std::pair<Tensor, Tensor> var_mean(const Tensor& x, std::initializer_list<int> dims, double correction, bool keepdim) {
  return var_mean(x, as_span(dims), correction, keepdim);
}

std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::span<const int> dims, double correction, bool keepdim) {
  Tensor s = sqrt_flat_at_zero(variance("std_mean", x, dims, correction, keepdim));
  return {s, mean(x, dims, keepdim)};
}
std::pair<Tensor, Tensor> std_mean(const Tensor& x, std::initializer_list<int> dims, double correction, bool keepdim) {
  return std_mean(x, as_span(dims), correction, keepdim);
}

// ---- norm ----

namespace {

// ||x||_p over dims, not recorded (norm records itself).
Tensor norm_forward(const Tensor& x, double p, std::span<const int> dims, bool keepdim) {
  const NoGradGuard no_grad;
  if (p == 2) return sqrt(sum(square(x), dims, keepdim));
  if (p == 1) return sum(abs(x), dims, keepdim);
  if (p == kInf) return amax(abs(x), dims, keepdim);
  if (p == -kInf) return amin(abs(x), dims, keepdim);
  if (p == 0) return sum(nonzero(x), dims, keepdim);
  return pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p);
}

// PyTorch's norm_backward, with dy and y = ||x||_p in the kept shape (1 along the reduced dims):
//   p = 0: 0 (a count);  p = 1: sign(x) dy;  p = 2: dy x / y, 0 where y = 0;
//   p = +-inf: sign(x) dy / n at the n elements with |x| = y (or |x| NaN), 0 elsewhere;
//   other p: s = sign(x) |x|^(p-1) (0 where x = 0); p < 1: s dy y^(1-p); p > 1: s dy / y^(p-1), 0 where y = 0.
Tensor norm_backward(const Tensor& dy, const Tensor& x, const Tensor& y, double p) {
  if (p == 0) return zeros_like(x);
  if (p == 1) return sign(x) * dy;
  if (p == 2) {
    const Tensor y_nonzero = detail::broadcast_zip(x, y, x.shape(), [](auto, auto v) { return decltype(v)(v != 0); });
    return dy * keep_where(x / y, y_nonzero);
  }
  if (std::isinf(p)) {
    const Tensor at = detail::broadcast_zip(x, y, x.shape(), [](auto u, auto v) {
      const auto a = std::abs(u);
      return static_cast<decltype(u)>(a == v || a != a);
    });
    return sign(x) * (dy / sum_to(at, y.shape()) * at);
  }
  const Tensor s = sign(x) * keep_where(pow(abs(x), p - 1), nonzero(x));
  if (p < 1) return s * dy * pow(y, 1 - p);
  return s * keep_where(dy / pow(y, p - 1), nonzero(y));
}

}  // namespace

Tensor norm(const Tensor& x, double p, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "norm");
  if (std::isnan(p)) throw std::invalid_argument("norm: p must be a number or +-inf, got nan");
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "norm");
  if (std::isinf(p) && r.count == 0)
    throw std::invalid_argument("norm: the " + number_str(p) + "-norm of an empty slice is undefined (x has shape " +
                                x.shape().str() + ")");
  Tensor y = norm_forward(x, p, dims, keepdim);
  if (needs_grad(x))
    record("norm", y, saves(x).and_output(), [x, p, kept = r.kept](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, norm_backward(reshape(dy, kept), x, reshape(y, kept), p));
    });
  return y;
}
Tensor norm(const Tensor& x) { return norm(x, 2.0); }
Tensor norm(const Tensor& x, double p, std::initializer_list<int> dims, bool keepdim) {
  return norm(x, p, as_span(dims), keepdim);
}

Tensor norm(const Tensor& x, std::string_view p, std::span<const int> dims, bool keepdim) {
  if (p != "fro")
    throw std::invalid_argument("norm: p must be a number or \"fro\", got \"" + std::string(p) +
                                "\" (tapegrad has no nuclear or other matrix norms)");
  if (dims.size() > 2)
    throw std::invalid_argument("norm: \"fro\" takes at most 2 dimensions, got " + std::to_string(dims.size()));
  return norm(x, 2.0, dims, keepdim);
}
Tensor norm(const Tensor& x, std::string_view p, std::initializer_list<int> dims, bool keepdim) {
  return norm(x, p, as_span(dims), keepdim);
}

// ---- logsumexp ----

Tensor logsumexp(const Tensor& x, std::span<const int> dims, bool keepdim) {
  detail::check_defined(x, "logsumexp");
  const detail::Reduction r = detail::plan_reduction(x.shape(), dims, keepdim, "logsumexp");
  Tensor y;
  {
    const NoGradGuard no_grad;
    // m: each slice's largest element, or 0 where that is +-inf (or the slice is empty), so that x - m is never
    // inf - inf: a slice of -inf gives log(0) + 0 = -inf and one holding +inf gives inf, as in PyTorch.
    Tensor m = full(r.kept, -kInf, x.dtype());
    visit_dtype(x.dtype(), [&]<class T>() {
      detail::fold(x.data<T>(), x.shape(), r.kept, m.data<T>(), [](T acc, T v) { return v > acc ? v : acc; });
    });
    m = detail::map(m, [](auto u) { return std::isinf(u) ? decltype(u)(0) : u; });
    y = reshape(log(sum(exp(x - m), dims, true)) + m, r.out);
  }
  if (needs_grad(x))  // dx = dy exp(x - y): the softmax of each slice
    record("logsumexp", y, saves(x).and_output(), [x, kept = r.kept](const Tensor& dy, const Tensor& y) {
      accumulate_grad(x, reshape(dy, kept) * exp(x - reshape(y, kept)));
    });
  return y;
}
Tensor logsumexp(const Tensor& x, std::initializer_list<int> dims, bool keepdim) {
  return logsumexp(x, as_span(dims), keepdim);
}

}  // namespace tg
