// Adagrad, following torch.optim.Adagrad (PyTorch 1.13, _single_tensor_adagrad) line by line.

#include "tapegrad/optim/adagrad.hpp"

#include <cmath>
#include <cstdint>

namespace tg::optim {
namespace {

// Element type T throughout, as PyTorch does for a tensor of dtype T (float math for float32).
template <class T>
void adagrad_update(T* p, const T* g, T* sum, std::int64_t n, const AdagradOptions& o, double clr) {
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T eps = static_cast<T>(o.eps);
  const T neg_clr = static_cast<T>(-clr);
  for (std::int64_t i = 0; i < n; ++i) {
    T grad = g[i];
    if (o.weight_decay != 0) grad = grad + weight_decay * p[i];  // g = g + λθ
    sum[i] = sum[i] + grad * grad;                               // s = s + g²
    const T std_dev = std::sqrt(sum[i]) + eps;                   // std = √s + ε
    p[i] = p[i] + neg_clr * grad / std_dev;                      // θ = θ - γ̃ g / std
  }
}

}  // namespace

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Optimizer("Adagrad", std::move(params), options.lr, true, {"sum"}), options_(options) {
  check_non_negative("lr_decay", options.lr_decay);
  check_non_negative("weight_decay", options.weight_decay);
  check_non_negative("initial_accumulator_value", options.initial_accumulator_value);
  check_non_negative("eps", options.eps);
  for (std::size_t i = 0; i < this->params().size(); ++i) create_state(i);
}

void Adagrad::init_state(std::size_t i) {
  State& s = state(i);
  s.step = 0;
  s.buffers = {full(params()[i].shape(), options_.initial_accumulator_value, params()[i].dtype())};
}

void Adagrad::update(Tensor& p, const Tensor& g, State& state, bool /*first*/) {
  // γ̃ = γ / (1 + (t - 1) η), in double as PyTorch computes it in Python
  const double clr = lr() / (1 + static_cast<double>(state.step - 1) * options_.lr_decay);
  visit_dtype(p.dtype(), [&]<class T>() {
    adagrad_update<T>(p.data<T>(), g.data<T>(), state.buffers[0].data<T>(), p.numel(), options_, clr);
  });
}

}  // namespace tg::optim
