#pragma once
// Random tensors, PyTorch's sampling functions: each draws from the Generator it is given, or from this
// thread's default_generator() (reseeded by manual_seed) when it is given none. None is differentiable but
// dropout2d, which multiplies its input by a random mask (and so is here, with the other draws). tapegrad's
// rand and randn also take the bounds / moments of their distribution.

#include <cstdint>

#include "tapegrad/generator.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// Uniform in [low, high).
[[nodiscard]] Tensor rand(const Shape& shape, Generator& gen, Dtype dtype = kFloat32, double low = 0.0,
                          double high = 1.0);
[[nodiscard]] Tensor rand(const Shape& shape, Dtype dtype = kFloat32);
/// Normal with the given mean and standard deviation.
[[nodiscard]] Tensor randn(const Shape& shape, Generator& gen, Dtype dtype = kFloat32, double mean = 0.0,
                           double stddev = 1.0);
[[nodiscard]] Tensor randn(const Shape& shape, Dtype dtype = kFloat32);

/// Integers uniform in [low, high) (int64 unless dtype says otherwise), as torch.randint.
[[nodiscard]] Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen,
                             Dtype dtype = kInt64);
[[nodiscard]] Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Dtype dtype = kInt64);
/// randint(0, high, shape).
[[nodiscard]] Tensor randint(std::int64_t high, const Shape& shape, Generator& gen, Dtype dtype = kInt64);
[[nodiscard]] Tensor randint(std::int64_t high, const Shape& shape, Dtype dtype = kInt64);

/// A uniformly random permutation of 0 .. n-1 (Fisher-Yates), as torch.randperm.
[[nodiscard]] Tensor randperm(std::int64_t n, Generator& gen, Dtype dtype = kInt64);
[[nodiscard]] Tensor randperm(std::int64_t n, Dtype dtype = kInt64);

/// 1 with probability probs[i], else 0, in probs' (float) dtype and shape; probs must lie in [0, 1].
[[nodiscard]] Tensor bernoulli(const Tensor& probs, Generator& gen);
[[nodiscard]] Tensor bernoulli(const Tensor& probs);

/// num_samples category indices (int64) drawn from each row of probs, a 1-d (C) or 2-d (N, C) tensor of
/// non-negative weights that need not sum to 1: shape (num_samples) or (N, num_samples). Without
/// replacement a category is drawn at most once per row, so a row needs num_samples non-zero weights.
[[nodiscard]] Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement, Generator& gen);
[[nodiscard]] Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement = false);

/// torch.nn.functional.dropout2d: input [N, C, ...] (at least 2-d) times a mask of shape [N, C, 1, ...] that
/// zeroes each whole channel with probability p and scales the others by 1 / (1 - p); the gradient is dy
/// times the same mask. The input itself when !training or p == 0, zeros when p == 1. As in PyTorch 1.13, a
/// 3-d input is [N, C, L] (it warns there), not an unbatched [C, H, W]. p must lie in [0, 1].
[[nodiscard]] Tensor dropout2d(const Tensor& input, double p, bool training, Generator& gen);
[[nodiscard]] Tensor dropout2d(const Tensor& input, double p = 0.5, bool training = true);

}  // namespace tg
