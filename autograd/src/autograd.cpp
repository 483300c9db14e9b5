// tg::autograd::grad and backward: the tape's sweep (tape.cpp) with gradients captured as values.

#include "tapegrad/autograd.hpp"

#include <stdexcept>
#include <string>

#include "tapegrad/detail/tape.hpp"

namespace tg::autograd {

namespace {

void check_inputs(const std::vector<Tensor>& inputs) {
  if (inputs.empty()) throw std::invalid_argument("autograd::grad: no inputs to differentiate with respect to");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined()) throw std::invalid_argument("autograd::grad: input " + std::to_string(i) + " is undefined");
    if (!t.requires_grad())
      throw std::logic_error("autograd::grad: input " + std::to_string(i) + " of shape " + t.shape().str() +
                             " does not require grad, so no gradient flows to it; call requires_grad_() on it "
                             "before the forward pass");
    if (!t.is_leaf() && !detail::current_tape().holds(t.impl()))
      throw std::logic_error("autograd::grad: input " + std::to_string(i) + " of shape " + t.shape().str() +
                             " is a non-leaf whose record is not on this thread's tape (released by an earlier "
                             "backward, or recorded on another thread)");
  }
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  if (outputs.empty()) throw std::invalid_argument("autograd::grad: no outputs to differentiate");
  check_inputs(inputs);
  std::vector<Tensor> captured(inputs.size());
  detail::SweepOptions options(retain_graph, create_graph);
  options.inputs = inputs;
  options.captured = &captured;
  detail::current_tape().backward(outputs, grad_outputs, options);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t j = 0; j < i && !captured[i].defined(); ++j)  // the tape fills a repeated input's first slot
      if (inputs[j].impl() == inputs[i].impl()) captured[i] = captured[j];
    if (!captured[i].defined() && !allow_unused)
      throw std::logic_error("autograd::grad: input " + std::to_string(i) + " of shape " + inputs[i].shape().str() +
                             " was not used in computing the outputs; pass allow_unused=true to get an undefined "
                             "gradient for it instead");
  }
  return captured;
}

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph) {
  if (tensors.empty()) throw std::invalid_argument("autograd::backward: no tensors to differentiate");
  const detail::SweepOptions options(retain_graph, create_graph);
  detail::current_tape().backward(tensors, grad_tensors, options);
}

}  // namespace tg::autograd
