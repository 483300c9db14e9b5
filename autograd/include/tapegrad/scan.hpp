#pragma once
// Scans along one dimension, as torch.cumsum and torch.cumprod (dim may be negative; a 0-d x counts as
// 1-d, as in PyTorch). The result has x's shape.

#include "tapegrad/tensor.hpp"

namespace tg {

/// y[..., k, ...] = x[..., 0, ...] + ... + x[..., k, ...] along dim.
[[nodiscard]] Tensor cumsum(const Tensor& x, int dim);
/// y[..., k, ...] = x[..., 0, ...] * ... * x[..., k, ...] along dim; the gradient is exact with zeros in x.
[[nodiscard]] Tensor cumprod(const Tensor& x, int dim);

}  // namespace tg
