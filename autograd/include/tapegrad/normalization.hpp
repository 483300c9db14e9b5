#pragma once
// Normalisation, PyTorch 1.13's torch.nn.functional.batch_norm, layer_norm and group_norm: each
// standardises slices of the input with their (biased) mean and variance, (x - mean) / sqrt(var + eps),
// then scales by weight and shifts by bias (each optional: undefined is absent). float32 and float64;
// weight, bias and running statistics must have the input's dtype. Bad shapes throw std::invalid_argument
// naming the op and the shapes: "batch_norm: weight must have shape [3] (one element per channel of input
// [8, 3, 5, 5]), got [4]". Differentiable to any order in input, weight and bias.

#include <cstdint>
#include <initializer_list>
#include <span>

#include "tapegrad/tensor.hpp"

namespace tg {

/// input [N, C, ...] (e.g. [N, C], [N, C, L], [N, C, H, W]); running_mean, running_var, weight, bias [C].
/// Training normalises each channel with the batch's mean and biased variance over N and the spatial
/// dims and, when the running statistics are defined, updates them in place (not recorded): running =
/// (1 - momentum) running + momentum * batch statistic, with the unbiased variance for running_var. It
/// needs more than one value per channel. Evaluation (training false) normalises with the running
/// statistics, which must be defined; they get no gradient.
[[nodiscard]] Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                                const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                                double momentum = 0.1, double eps = 1e-5);
/// input [..., *normalized_shape] -> its shape: each slice over the trailing normalized_shape standardised;
/// weight and bias have shape normalized_shape.
[[nodiscard]] Tensor layer_norm(const Tensor& input, std::span<const std::int64_t> normalized_shape,
                                const Tensor& weight = {}, const Tensor& bias = {}, double eps = 1e-5);
[[nodiscard]] Tensor layer_norm(const Tensor& input, std::initializer_list<std::int64_t> normalized_shape,
                                const Tensor& weight = {}, const Tensor& bias = {}, double eps = 1e-5);
/// input [N, C, ...] -> its shape: the C channels split into num_groups groups of consecutive channels,
/// each group of each sample standardised over its channels and spatial dims; weight and bias [C].
[[nodiscard]] Tensor group_norm(const Tensor& input, std::int64_t num_groups, const Tensor& weight = {},
                                const Tensor& bias = {}, double eps = 1e-5);

}  // namespace tg
