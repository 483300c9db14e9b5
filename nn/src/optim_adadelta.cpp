// Adadelta, following torch.optim.Adadelta (PyTorch 1.13, _single_tensor_adadelta) line by line.

#include "tapegrad/optim/adadelta.hpp"

#include <cmath>
#include <cstdint>

namespace tg::optim {
namespace {

// Element type T throughout, as PyTorch does for a tensor of dtype T (float math for float32).
template <class T>
void adadelta_update(T* p, const T* g, T* square_avg, T* acc_delta, std::int64_t n, const AdadeltaOptions& o,
                     double lr) {
  const T rho = static_cast<T>(o.rho);
  const T one_minus_rho = static_cast<T>(1 - o.rho);
  const T eps = static_cast<T>(o.eps);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T neg_lr = static_cast<T>(-lr);
  for (std::int64_t i = 0; i < n; ++i) {
    T grad = g[i];
    if (o.weight_decay != 0) grad = grad + weight_decay * p[i];                 // g = g + λθ
    square_avg[i] = square_avg[i] * rho + one_minus_rho * grad * grad;         // v = ρ v + (1 - ρ) g²
    const T std_dev = std::sqrt(square_avg[i] + eps);                          // std = √(v + ε)
    const T delta = std::sqrt(acc_delta[i] + eps) / std_dev * grad;            // Δ = √(u + ε) / std · g
    acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta;         // u = ρ u + (1 - ρ) Δ²
    p[i] = p[i] + neg_lr * delta;                                              // θ = θ - γ Δ
  }
}

}  // namespace

Adadelta::Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options)
    : Optimizer("Adadelta", std::move(params), options.lr, true, {"square_avg", "acc_delta"}), options_(options) {
  check_in_range("rho", options.rho, 0.0, 1.0, false);
  check_non_negative("eps", options.eps);
  check_non_negative("weight_decay", options.weight_decay);
}

void Adadelta::update(Tensor& p, const Tensor& g, State& state, bool /*first*/) {
  visit_dtype(p.dtype(), [&]<class T>() {
    adadelta_update<T>(p.data<T>(), g.data<T>(), state.buffers[0].data<T>(), state.buffers[1].data<T>(), p.numel(),
                       options_, lr());
  });
}

}  // namespace tg::optim
