#pragma once
// tg::autograd: gradients as values (torch.autograd.grad and torch.autograd.backward, with LibTorch's
// C++ signatures), and gradgradcheck beside gradcheck (gradcheck.hpp).

#include <optional>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::autograd {

/// The gradients of `outputs` (each seeded with its grad_outputs entry; an empty list or an undefined
/// entry means 1 for a one-element output) with respect to each of `inputs`, returned in order without
/// touching any .grad. retain_graph (default: create_graph) keeps the records; create_graph records the
/// sweep, so the gradients can be differentiated again. An input the outputs do not depend on is an
/// error, or an undefined Tensor with allow_unused. Leaf hooks do not run (nothing is accumulated).
[[nodiscard]] std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                                       const std::vector<Tensor>& grad_outputs = {},
                                       std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                                       bool allow_unused = false);

/// One sweep from several outputs at once, adding into the leaves' .grad: Tensor::backward for a list.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

}  // namespace tg::autograd
