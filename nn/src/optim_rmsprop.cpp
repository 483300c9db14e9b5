// RMSprop, following torch.optim.RMSprop (PyTorch 1.13, _single_tensor_rmsprop) line by line.

#include "tapegrad/optim/rmsprop.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace tg::optim {
namespace {

std::vector<std::string> rmsprop_state_keys(const RMSpropOptions& options) {
  std::vector<std::string> keys = {"square_avg"};
  if (options.momentum > 0) keys.emplace_back("momentum_buffer");
  if (options.centered) keys.emplace_back("grad_avg");
  return keys;
}

template <class T>
struct RMSpropBuffers {
  T* square_avg;
  T* momentum_buffer;  // null unless momentum > 0
  T* grad_avg;         // null unless centered
};

// Element type T throughout, as PyTorch does for a tensor of dtype T (float math for float32).
template <class T>
void rmsprop_update(T* p, const T* g, const RMSpropBuffers<T>& b, std::int64_t n, const RMSpropOptions& o,
                    double lr) {
  const T alpha = static_cast<T>(o.alpha);
  const T one_minus_alpha = static_cast<T>(1 - o.alpha);
  const T eps = static_cast<T>(o.eps);
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T momentum = static_cast<T>(o.momentum);
  const T neg_lr = static_cast<T>(-lr);
  for (std::int64_t i = 0; i < n; ++i) {
    T grad = g[i];
    if (o.weight_decay != 0) grad = grad + weight_decay * p[i];                      // g = g + λθ
    b.square_avg[i] = b.square_avg[i] * alpha + one_minus_alpha * grad * grad;       // v = α v + (1 - α) g²
    T avg = 0;
    if (o.centered) {
      b.grad_avg[i] = b.grad_avg[i] * alpha + one_minus_alpha * grad;                // ḡ = α ḡ + (1 - α) g
      avg = std::sqrt(b.square_avg[i] + T(-1) * b.grad_avg[i] * b.grad_avg[i]);      // avg = √(v - ḡ²)
    } else {
      avg = std::sqrt(b.square_avg[i]);                                              // avg = √v
    }
    avg = avg + eps;                                                                 // avg = avg + ε
    if (o.momentum > 0) {
      b.momentum_buffer[i] = b.momentum_buffer[i] * momentum + grad / avg;           // b = μ b + g / avg
      p[i] = p[i] + neg_lr * b.momentum_buffer[i];                                   // θ = θ - γ b
    } else {
      p[i] = p[i] + neg_lr * grad / avg;                                             // θ = θ - γ g / avg
    }
  }
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : Optimizer("RMSprop", std::move(params), options.lr, true, rmsprop_state_keys(options)), options_(options) {
  check_in_range("alpha", options.alpha, 0.0, 1.0, false);
  check_non_negative("eps", options.eps);
  check_non_negative("weight_decay", options.weight_decay);
  check_non_negative("momentum", options.momentum);
}

void RMSprop::update(Tensor& p, const Tensor& g, State& state, bool /*first*/) {
  visit_dtype(p.dtype(), [&]<class T>() {
    std::size_t next = 1;  // buffers after square_avg, in rmsprop_state_keys' order
    T* momentum_buffer = options_.momentum > 0 ? state.buffers[next++].data<T>() : nullptr;
    T* grad_avg = options_.centered ? state.buffers[next].data<T>() : nullptr;
    const RMSpropBuffers<T> buffers{state.buffers[0].data<T>(), momentum_buffer, grad_avg};
    rmsprop_update<T>(p.data<T>(), g.data<T>(), buffers, p.numel(), options_, lr());
  });
}

}  // namespace tg::optim
