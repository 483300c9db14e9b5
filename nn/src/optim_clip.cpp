// clip_grad_norm, following torch.nn.utils.clip_grad_norm_ (PyTorch 1.13).

#include "tapegrad/optim/clip.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {
namespace {

// The gradient clip_grad_norm works on, or an undefined tensor when there is none.
Tensor grad_of(const Tensor& p, std::size_t i) {
  if (!p.defined())
    throw std::invalid_argument("clip_grad_norm: parameter " + std::to_string(i) +
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
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  if (!(max_norm >= 0) || std::isinf(max_norm))
    throw std::invalid_argument("clip_grad_norm: max_norm must be a finite number >= 0, got " +
                                detail::shortest_text(max_norm));
  if (!(norm_type > 0))
    throw std::invalid_argument("clip_grad_norm: norm_type must be > 0 (or infinity), got " +
                                detail::shortest_text(norm_type));
  double acc = 0;
  bool any = false;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor g = grad_of(params[i], i);
    if (!g.defined()) continue;
    any = true;
    accumulate_norm(g, norm_type, acc);
  }
  if (!any) return 0.0;
  // ‖g‖_p = (Σ |g|^p)^(1/p); ‖g‖_∞ = max |g|
  const double total_norm = std::isinf(norm_type) ? acc
                            : norm_type == 2        ? std::sqrt(acc)
                                                    : std::pow(acc, 1 / norm_type);
  const double clip_coef = max_norm / (total_norm + 1e-6);
  // clamp(max = 1) keeps NaN, so a NaN norm poisons the gradients as in PyTorch (error_if_nonfinite=False)
  if (!(clip_coef >= 1)) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      Tensor g = grad_of(params[i], i);
      if (g.defined()) scale_(g, clip_coef);  // g = g · clip_coef; multiplying by 1 is skipped as it changes nothing
    }
  }
  return total_norm;
}

}  // namespace tg::optim
