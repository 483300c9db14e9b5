// SGD, following torch.optim.SGD (PyTorch 1.13, _single_tensor_sgd) line by line.

#include "tapegrad/optim/sgd.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tg::optim {
namespace {

double required_lr(const SGDOptions& options) {
  if (!options.lr.has_value())
    throw std::invalid_argument(
        "SGD: lr is required (PyTorch's SGD has no default learning rate); pass e.g. SGDOptions{.lr = 0.1}");
  return *options.lr;
}

std::vector<std::string> sgd_state_keys(const SGDOptions& options) {
  if (options.momentum == 0) return {};
  return {"momentum_buffer"};
}

// Element type T throughout, as PyTorch does for a tensor of dtype T (float math for float32).
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::int64_t n, const SGDOptions& o, double lr, bool first) {
  const T weight_decay = static_cast<T>(o.weight_decay);
  const T momentum = static_cast<T>(o.momentum);
  const T one_minus_dampening = static_cast<T>(1 - o.dampening);
  const T neg_lr = static_cast<T>(-lr);
  for (std::int64_t i = 0; i < n; ++i) {
    T d_p = g[i];
    if (o.weight_decay != 0) d_p = d_p + weight_decay * p[i];  // g = g + λθ
    if (o.momentum != 0) {
      if (first) buf[i] = d_p;                                      // b_1 = g
      else buf[i] = buf[i] * momentum + one_minus_dampening * d_p;  // b_t = μ b_{t-1} + (1 - τ) g
      if (o.nesterov) d_p = d_p + momentum * buf[i];                // g = g + μ b_t (Nesterov)
      else d_p = buf[i];                                            // g = b_t
    }
    p[i] = p[i] + neg_lr * d_p;  // θ = θ - γ g
  }
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : Optimizer("SGD", std::move(params), required_lr(options), false, sgd_state_keys(options)), options_(options) {
  check_non_negative("momentum", options.momentum);
  check_in_range("dampening", options.dampening, 0.0, 1.0, false);
  check_non_negative("weight_decay", options.weight_decay);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
    fail("nesterov requires momentum > 0 and dampening = 0, got momentum " + detail::shortest_text(options.momentum) +
         " and dampening " + detail::shortest_text(options.dampening));
}

void SGD::update(Tensor& p, const Tensor& g, State& state, bool first) {
  visit_dtype(p.dtype(), [&]<class T>() {
    T* buf = options_.momentum != 0 ? state.buffers[0].data<T>() : nullptr;
    sgd_update<T>(p.data<T>(), g.data<T>(), buf, p.numel(), options_, lr(), first);
  });
}

}  // namespace tg::optim
