// Adam and AdamW, following torch.optim.Adam and torch.optim.AdamW (PyTorch 1.13, _single_tensor_adam
// and _single_tensor_adamw) line by line.

#include "tapegrad/optim/adam.hpp"

#include <cmath>
#include <cstdint>

namespace tg::detail {
namespace {

std::vector<std::string> adam_state_keys(bool amsgrad) {
  if (amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

// Scalars of one step, computed in double as PyTorch computes them in Python.
struct AdamScalars {
  double decay_factor;           // AdamW: 1 - γλ
  double step_size;              // γ / (1 - β1^t)
  double bias_correction2_sqrt;  // √(1 - β2^t)
};

template <class T>
struct AdamBuffers {
  T* exp_avg;
  T* exp_avg_sq;
  T* max_exp_avg_sq;  // null unless amsgrad
};

// Element type T throughout, as PyTorch does for a tensor of dtype T (float math for float32).
template <class T>
void adam_update(T* p, const T* g, const AdamBuffers<T>& b, std::int64_t n, const AdamHyper& h,
                 const AdamScalars& s) {
  const T beta1 = static_cast<T>(h.betas.first), one_minus_beta1 = static_cast<T>(1 - h.betas.first);
  const T beta2 = static_cast<T>(h.betas.second), one_minus_beta2 = static_cast<T>(1 - h.betas.second);
  const T weight_decay = static_cast<T>(h.weight_decay), decay_factor = static_cast<T>(s.decay_factor);
  const T eps = static_cast<T>(h.eps), neg_step_size = static_cast<T>(-s.step_size);
  const T bias_correction2_sqrt = static_cast<T>(s.bias_correction2_sqrt);
  const bool l2 = !h.decoupled && h.weight_decay != 0;
  for (std::int64_t i = 0; i < n; ++i) {
    T grad = g[i];
    if (h.decoupled) p[i] = p[i] * decay_factor;                                      // θ = θ (1 - γλ) (AdamW)
    if (l2) grad = grad + weight_decay * p[i];                                        // g = g + λθ (Adam)
    b.exp_avg[i] = b.exp_avg[i] * beta1 + one_minus_beta1 * grad;                    // m = β1 m + (1 - β1) g
    b.exp_avg_sq[i] = b.exp_avg_sq[i] * beta2 + one_minus_beta2 * grad * grad;       // v = β2 v + (1 - β2) g²
    T v = b.exp_avg_sq[i];
    if (h.amsgrad) {
      T& v_max = b.max_exp_avg_sq[i];
      if (std::isnan(v) || v > v_max) v_max = v;                                     // v̂ = max(v̂, v), NaN wins
      v = v_max;
    }
    const T denom = std::sqrt(v) / bias_correction2_sqrt + eps;                      // d = √v / √(1 - β2^t) + ε
    p[i] = p[i] + neg_step_size * b.exp_avg[i] / denom;                              // θ = θ - γ/(1 - β1^t) m / d
  }
}

}  // namespace

AdamBase::AdamBase(std::string name, std::vector<Tensor> params, double lr, const AdamHyper& hyper)
    : Optimizer(std::move(name), std::move(params), lr, true, adam_state_keys(hyper.amsgrad)), hyper_(hyper) {
  check_in_range("betas.first", hyper.betas.first, 0.0, 1.0, true);
  check_in_range("betas.second", hyper.betas.second, 0.0, 1.0, true);
  check_non_negative("eps", hyper.eps);
  check_non_negative("weight_decay", hyper.weight_decay);
}

void AdamBase::update(Tensor& p, const Tensor& g, State& state, bool /*first*/) {
  const auto step = static_cast<double>(state.step);
  const double bias_correction1 = 1 - std::pow(hyper_.betas.first, step);   // 1 - β1^t
  const double bias_correction2 = 1 - std::pow(hyper_.betas.second, step);  // 1 - β2^t
  const AdamScalars scalars{1 - lr() * hyper_.weight_decay, lr() / bias_correction1, std::sqrt(bias_correction2)};
  visit_dtype(p.dtype(), [&]<class T>() {
    T* max_exp_avg_sq = hyper_.amsgrad ? state.buffers[2].data<T>() : nullptr;
    const AdamBuffers<T> buffers{state.buffers[0].data<T>(), state.buffers[1].data<T>(), max_exp_avg_sq};
    adam_update<T>(p.data<T>(), g.data<T>(), buffers, p.numel(), hyper_, scalars);
  });
}

}  // namespace tg::detail

namespace tg::optim {

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : AdamBase("Adam", std::move(params), options.lr,
               detail::AdamHyper{options.betas, options.eps, options.weight_decay, options.amsgrad, false}),
      options_(options) {}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamBase("AdamW", std::move(params), options.lr,
               detail::AdamHyper{options.betas, options.eps, options.weight_decay, options.amsgrad, true}),
      options_(options) {}

}  // namespace tg::optim
