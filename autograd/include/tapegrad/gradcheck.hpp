#pragma once
// gradcheck: compares backward() with central finite differences, in float64.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg {

struct GradcheckOptions {
  double step = 1e-3;   // h of the five-point stencil (f(x-2h), f(x-h), f(x+h), f(x+2h)): error O(h^4)
  double atol = 1e-10;  // an element passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-8;
};

struct GradcheckResult {
  bool ok = false;
  double max_abs_error = 0;  // worst element over all inputs
  int input = -1;            // which input holds it
  std::int64_t element = -1; // flat index of the input element
  std::int64_t output = -1;  // flat index of the output element
  double analytic = 0;
  double numeric = 0;
  /// One line naming the worst element.
  [[nodiscard]] std::string str() const;
};

/// Checks the full Jacobian of fn at `inputs` (float64 tensors, the ones requiring grad are checked):
/// analytic rows from backward() with one-hot output gradients, numeric columns from the stencil.
[[nodiscard]] GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                        const std::vector<Tensor>& inputs,
                                        const GradcheckOptions& options = {});

}  // namespace tg

namespace tg {

/// Checks the second derivatives of fn at `inputs` as PyTorch's gradgradcheck does: gradcheck of
/// (inputs..., v) -> autograd::grad(fn(inputs), inputs, v, create_graph=true), i.e. of every
/// vector-Jacobian product, against finite differences. v is `grad_output` when given (float64, fn's
/// output shape), else uniform in [-1, 1) from a fixed seed; its own derivatives are checked too.
[[nodiscard]] GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                            const std::vector<Tensor>& inputs, const Tensor& grad_output = Tensor(),
                                            const GradcheckOptions& options = {});

}  // namespace tg
