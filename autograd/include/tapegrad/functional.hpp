#pragma once
// tg::autograd::jacobian, hessian, vjp, jvp, hvp: torch.autograd.functional, built on autograd::grad.
//
// As PyTorch's: func is called on copies of the inputs that require grad (under grad mode, so it may be
// called inside a NoGradGuard); the results are plain values unless create_graph, which records every
// sweep so that they can be differentiated again with respect to inputs that require grad. strict makes
// an output that does not depend on an input an error; without it the derivative is zeros, its true value.
// Where tapegrad differs: func returns one Tensor (PyTorch's may return a tuple); one input is a Tensor and
// several are a std::vector<Tensor> (PyTorch's tuple); vjp/jvp/hvp return a std::pair (func's output, the
// product); jacobian and hessian take no vectorize or strategy argument (rows are computed one at a time
// by reverse mode); hessian of several inputs is a vector of rows of blocks (PyTorch's tuple of tuples).
// Shapes: the Jacobian of an output of shape O with respect to an input of shape I has shape O + I
// (their dimensions concatenated), and the Hessian of a one-element output has shape I + I.

#include <functional>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::autograd {

/// The Jacobian of func at inputs, one block per input: shape O + I_j for an output O and input I_j.
[[nodiscard]] std::vector<Tensor> jacobian(const std::function<Tensor(const std::vector<Tensor>&)>& func,
                                           const std::vector<Tensor>& inputs, bool create_graph = false,
                                           bool strict = false);
/// The Jacobian of func at one input x of shape I: shape O + I.
[[nodiscard]] Tensor jacobian(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs,
                              bool create_graph = false, bool strict = false);

/// The Hessian of a one-element func at inputs: block [i][j] = d2 f / dx_i dx_j of shape I_i + I_j.
[[nodiscard]] std::vector<std::vector<Tensor>> hessian(const std::function<Tensor(const std::vector<Tensor>&)>& func,
                                                       const std::vector<Tensor>& inputs, bool create_graph = false,
                                                       bool strict = false);
/// The Hessian of a one-element func at one input x of shape I: shape I + I.
[[nodiscard]] Tensor hessian(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs,
                             bool create_graph = false, bool strict = false);

/// (func(inputs), v^T J): v has the output's shape O (may be omitted for a one-element output); the
/// products have the inputs' shapes. One reverse sweep.
[[nodiscard]] std::pair<Tensor, std::vector<Tensor>> vjp(const std::function<Tensor(const std::vector<Tensor>&)>& func,
                                                         const std::vector<Tensor>& inputs, const Tensor& v = {},
                                                         bool create_graph = false, bool strict = false);
/// (func(x), v^T J) for one input x of shape I: the product has shape I.
[[nodiscard]] std::pair<Tensor, Tensor> vjp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs,
                                            const Tensor& v = {}, bool create_graph = false, bool strict = false);

/// (func(inputs), J v): v holds one tensor per input, of its shape (may be omitted when the inputs are one
/// one-element tensor); the product has the output's shape O. By the double-vjp trick, as PyTorch's
/// functional.jvp: g(u) = J^T u is linear in a dummy u of shape O, so d(v . g)/du = J v (two reverse sweeps).
[[nodiscard]] std::pair<Tensor, Tensor> jvp(const std::function<Tensor(const std::vector<Tensor>&)>& func,
                                            const std::vector<Tensor>& inputs, const std::vector<Tensor>& v = {},
                                            bool create_graph = false, bool strict = false);
/// (func(x), J v) for one input x of shape I and v of shape I: the product has the output's shape O.
[[nodiscard]] std::pair<Tensor, Tensor> jvp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs,
                                            const Tensor& v = {}, bool create_graph = false, bool strict = false);

/// (func(inputs), H v) for a one-element func: v holds one tensor per input, of its shape (may be omitted
/// when the inputs are one one-element tensor); the products have the inputs' shapes. H is symmetric, so
/// this is also PyTorch's vhp. Two reverse sweeps, the first recorded.
[[nodiscard]] std::pair<Tensor, std::vector<Tensor>> hvp(const std::function<Tensor(const std::vector<Tensor>&)>& func,
                                                         const std::vector<Tensor>& inputs,
                                                         const std::vector<Tensor>& v = {}, bool create_graph = false,
                                                         bool strict = false);
/// (func(x), H v) for one input x of shape I and v of shape I: the product has shape I.
[[nodiscard]] std::pair<Tensor, Tensor> hvp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs,
                                            const Tensor& v = {}, bool create_graph = false, bool strict = false);

}  // namespace tg::autograd
