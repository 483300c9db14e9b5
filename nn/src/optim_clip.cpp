// clip_grad_norm_ and clip_grad_value_, following torch.nn.utils (PyTorch 1.13).

#include "tapegrad/optim/clip.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "tapegrad/detail/impl.hpp"

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {
namespace {

// The gradient that op works on, or an undefined tensor when there is none.
Tensor grad_of(const Tensor& p, std::size_t i, const char* op) {
  if (!p.defined())
    throw std::invalid_argument(std::string(op) + ": parameter " + std::to_string(i) +
                                " is undefined (a default-constructed Tensor)");
  if (!p.requires_grad()) return Tensor();
  return p.grad();
}

// Folds |g|^p (or max |g| for p = inf) of every element into `acc`.
void accumulate_norm(const Tensor& g, double norm_type, double& acc) {
  visit_dtype(g.dtype(), [&]<class T>() {
    const T* x = g.data<T>();
    const std::int64_t n = g.numel();
    if (std::isinf(norm_type)) {
      for (std::int64_t i = 0; i < n; ++i) {
        const auto a = static_cast<double>(std::abs(x[i]));
        if (std::isnan(a) || a > acc) acc = a;  // a NaN sticks, as in PyTorch's max
      }
    } else if (norm_type == 2) {
      for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) acc += std::pow(std::abs(static_cast<double>(x[i])), norm_type);
    }
  });
}

void scale_(Tensor& g, double factor) {
  visit_dtype(g.dtype(), [&]<class T>() {
    T* x = g.data<T>();
    const T f = static_cast<T>(factor);
    for (std::int64_t i = 0, n = g.numel(); i < n; ++i) x[i] = x[i] * f;
  });
  tg::detail::bump_version(g.impl());  // an in-place write, as PyTorch's mul_
}

void clamp_(Tensor& g, double bound) {
  visit_dtype(g.dtype(), [&]<class T>() {
    // a bound past T's largest finite value clamps nothing; casting it would overflow
    const T hi = bound > static_cast<double>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::infinity()
                                                                            : static_cast<T>(bound);
    T* x = g.data<T>();
    for (std::int64_t i = 0, n = g.numel(); i < n; ++i) x[i] = x[i] < -hi ? -hi : x[i] > hi ? hi : x[i];  // NaN stays
  });
  tg::detail::bump_version(g.impl());  // an in-place write, as PyTorch's clamp_
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0) || std::isinf(max_norm))
    throw std::invalid_argument("clip_grad_norm_: max_norm must be a finite number >= 0, got " +
                                detail::shortest_text(max_norm));
  if (!(norm_type > 0))
    throw std::invalid_argument("clip_grad_norm_: norm_type must be > 0 (or infinity), got " +
                                detail::shortest_text(norm_type));
  double acc = 0;
  bool any = false;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor g = grad_of(params[i], i, "clip_grad_norm_");
    if (!g.defined()) continue;
    any = true;
    accumulate_norm(g, norm_type, acc);
  }
  if (!any) return 0.0;
  // ‖g‖_p = (Σ |g|^p)^(1/p); ‖g‖_∞ = max |g|
  const double total_norm = std::isinf(norm_type) ? acc
                            : norm_type == 2        ? std::sqrt(acc)
                                                    : std::pow(acc, 1 / norm_type);
  if (error_if_nonfinite && !std::isfinite(total_norm))
    throw std::runtime_error("clip_grad_norm_: the total norm of order " + detail::shortest_text(norm_type) +
                             " for gradients from `params` is non-finite (" + detail::shortest_text(total_norm) +
                             "), so it cannot be clipped. To disable this error and scale the gradients by the "
                             "non-finite norm anyway, set error_if_nonfinite = false");
  const double clip_coef = max_norm / (total_norm + 1e-6);
  // clamp(max = 1) keeps NaN, so a NaN norm poisons the gradients as in PyTorch (error_if_nonfinite=False)
  if (!(clip_coef >= 1)) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      Tensor g = grad_of(params[i], i, "clip_grad_norm_");
      if (g.defined()) scale_(g, clip_coef);  // g = g · clip_coef; multiplying by 1 is skipped as it changes nothing
    }
  }
  return total_norm;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0))
    throw std::invalid_argument("clip_grad_value_: clip_value must be >= 0, got " + detail::shortest_text(clip_value));
  for (std::size_t i = 0; i < params.size(); ++i) {
    Tensor g = grad_of(params[i], i, "clip_grad_value_");
    if (g.defined()) clamp_(g, clip_value);  // g = clamp(g, -clip_value, clip_value)
  }
}

}  // namespace tg::optim
