#pragma once
// gradcheck: compares backward() with central finite differences, in float64.
//
// Where tapegrad differs from torch.autograd.gradcheck (eps 1e-6, atol 1e-5, rtol 1e-3): PyTorch takes the
// two-point difference (f(x+h) - f(x-h)) / 2h, whose truncation error is h^2 f'''/6 and whose rounding
// error is about eps |f| / h (eps = 2.2e-16): 2e-10 |f| at h = 1e-6, hence its loose atol and rtol,
// which let a backward off by 0.1% pass. tapegrad takes the five-point stencil at h = 1e-3: truncation
// h^4 f^(5) / 30 (3e-14 f^(5)), rounding 1.5 eps |f| / h (3e-13 |f|), so it can hold the project's
// standard, gradients to 1e-10 in float64, with atol 1e-10 and rtol 1e-8. The price of the larger step:
// an input must be more than 2h = 2e-3 from a kink (relu or abs at 0) for the stencil to be right; a
// failure says when that is the cause (see GradcheckResult::str).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad/shape.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// tapegrad's defaults, not PyTorch's (eps 1e-6, atol 1e-5, rtol 1e-3): see the top of this file for why.
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
  Shape input_shape;   // of that input, and of the output: for the multi-indices str() gives
  Shape output_shape;
  // The one-sided differences of that output at that element, (f(x) - f(x-h)) / h and (f(x+h) - f(x)) / h,
  // and the stencil again at step h/16.
  double left_difference = 0;
  double right_difference = 0;
  double fine_numeric = 0;
  bool kink = false;         // the one-sided differences differ by a jump of the slope at x, not by truncation
  bool kink_nearby = false;  // no kink at x, but the stencils at h and h/16 disagree: f is not smooth within 2h
  /// One line naming the worst element: input, flat and multi-index, output element, both values and,
  /// for a failure, whether f has a kink there or nearby (else the backward is wrong).
  [[nodiscard]] std::string str() const;
};

/// Checks the full Jacobian of fn at `inputs` (float64 tensors, the ones requiring grad are checked):
/// analytic rows from backward() with one-hot output gradients, numeric columns from the stencil.
[[nodiscard]] GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                        const std::vector<Tensor>& inputs,
                                        const GradcheckOptions& options = {});

/// Checks the second derivatives of fn at `inputs` as PyTorch's gradgradcheck does: gradcheck of
/// (inputs..., v) -> autograd::grad(fn(inputs), inputs, v, create_graph=true), i.e. of every
/// vector-Jacobian product, against finite differences. v is `grad_output` when given (float64, fn's
/// output shape), else uniform in [-1, 1) from a fixed seed; its own derivatives are checked too.
[[nodiscard]] GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                            const std::vector<Tensor>& inputs, const Tensor& grad_output = Tensor(),
                                            const GradcheckOptions& options = {});

}  // namespace tg
