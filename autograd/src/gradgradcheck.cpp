// gradgradcheck: gradcheck of the recorded backward sweep (autograd::grad with create_graph).

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tapegrad/autograd.hpp"
#include "tapegrad/gradcheck.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/ops.hpp"
#include "tapegrad/random.hpp"

namespace tg {

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const Tensor& grad_output,
                              const GradcheckOptions& options) {
  std::vector<std::size_t> differentiated;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) differentiated.push_back(i);
  if (differentiated.empty())
    throw std::invalid_argument("gradgradcheck: no input requires grad, so there is nothing to differentiate");
  Tensor v = grad_output;
  if (!v.defined()) {
    const Shape out = fn(inputs).shape();  // with recording on: fn may itself take gradients (third order)
    Generator gen(0x6767);  // a fixed v: the check is the same every run
    v = rand(out, gen, kFloat64, -1.0, 1.0);
  }
  std::vector<Tensor> extended = inputs;
  extended.push_back(v.detach().clone().requires_grad_());
  // (inputs..., v) -> the vector-Jacobian products v^T dfn/dinput, flattened and joined; recorded, so
  // that gradcheck's backward differentiates the sweep itself. An input fn does not use gives zeros.
  const auto vjp = [&](const std::vector<Tensor>& xs) {
    const EnableGradGuard recorded;  // gradcheck evaluates under NoGradGuard; the sweep must run
    const std::vector<Tensor> args(xs.begin(), xs.end() - 1);
    std::vector<Tensor> wrt;
    for (const std::size_t i : differentiated) wrt.push_back(args[i]);
    const Tensor y = fn(args);
    if (y.shape() != xs.back().shape())
      throw std::invalid_argument("gradgradcheck: grad_output " + xs.back().shape().str() +
                                  " does not match the output " + y.shape().str());
    if (!y.requires_grad()) return zeros({0}, kFloat64);  // fn ignores every input
    const std::vector<Tensor> g = autograd::grad({y}, wrt, {xs.back()}, true, true, true);
    std::vector<Tensor> flat;
    for (std::size_t k = 0; k < g.size(); ++k)
      flat.push_back(g[k].defined() ? g[k].reshape({-1}) : zeros({wrt[k].numel()}, kFloat64));
    return cat(flat, 0);
  };
  return gradcheck(vjp, extended, options);
}

}  // namespace tg
