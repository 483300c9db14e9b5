// BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm: PyTorch's parameters and buffers, and its
// BatchNorm.forward logic (num_batches_tracked, momentum None, eval with or without running statistics) on
// tg::batch_norm, layer_norm and group_norm.

#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/nn/normalization.hpp"
#include "tapegrad/normalization.hpp"
#include "tapegrad/optim/optimizer.hpp"

namespace tg::nn {
namespace {

std::string flag(bool on) { return on ? "true" : "false"; }
// 1e-05 as PyTorch prints it, not std::to_string's 0.000010.
std::string number(double value) { return tg::detail::shortest_text(value); }

void check_eps(const char* module, double eps) {
  if (!(eps > 0)) throw std::invalid_argument(std::string(module) + ": eps must be positive, got " + std::to_string(eps));
}

}  // namespace

BatchNorm::BatchNorm(const char* kind, std::int64_t num_features, BatchNormOptions options)
    : kind_(kind), options_(options) {
  if (num_features <= 0)
    throw std::invalid_argument(std::string(kind) + ": num_features must be positive, got " + std::to_string(num_features));
  check_eps(kind, options.eps);
  if (options.momentum && !(*options.momentum >= 0 && *options.momentum <= 1))
    throw std::invalid_argument(std::string(kind) + ": momentum must be in [0, 1], got " + std::to_string(*options.momentum));
  if (options.affine) {
    weight = ones({num_features}, options.dtype);
    bias = zeros({num_features}, options.dtype);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  if (options.track_running_stats) {
    running_mean = zeros({num_features}, options.dtype);
    running_var = ones({num_features}, options.dtype);
    num_batches_tracked = zeros({}, kInt64);
    register_buffer("running_mean", running_mean);
    register_buffer("running_var", running_var);
    register_buffer("num_batches_tracked", num_batches_tracked);
  }
}

// PyTorch's _BatchNorm.forward: in training, count the batch and pick the running average's weight (the
// cumulative 1/count when momentum is absent); normalise with batch statistics in training, or in eval
// when there are no running statistics.
Tensor BatchNorm::forward(const Tensor& x) {
  check_rank(x);
  double factor = options_.momentum.value_or(0.0);
  if (is_training() && options_.track_running_stats) {
    std::int64_t& count = *num_batches_tracked.data<std::int64_t>();
    ++count;
    tg::detail::bump_version(num_batches_tracked.impl());
    if (!options_.momentum) factor = 1.0 / static_cast<double>(count);
  }
  const bool use_batch_stats = is_training() || !options_.track_running_stats;
  return batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, factor, options_.eps);
}

std::string BatchNorm::name() const {
  const std::int64_t features = weight.defined() ? weight.size(0) : running_mean.defined() ? running_mean.size(0) : 0;
  return std::string(kind_) + "(" + std::to_string(features) + ", eps=" + number(options_.eps) +
         ", momentum=" + (options_.momentum ? number(*options_.momentum) : std::string("None")) +
         ", affine=" + flag(options_.affine) + ", track_running_stats=" + flag(options_.track_running_stats) + ")";
}

BatchNorm1d::BatchNorm1d(std::int64_t num_features, BatchNormOptions options)
    : BatchNorm("BatchNorm1d", num_features, options) {}

void BatchNorm1d::check_rank(const Tensor& x) const {
  if (x.dim() != 2 && x.dim() != 3)
    throw std::invalid_argument(name() + ": expected a 2-d [N, C] or 3-d [N, C, L] input, got " + x.shape().str());
}

BatchNorm2d::BatchNorm2d(std::int64_t num_features, BatchNormOptions options)
    : BatchNorm("BatchNorm2d", num_features, options) {}

void BatchNorm2d::check_rank(const Tensor& x) const {
  if (x.dim() != 4) throw std::invalid_argument(name() + ": expected a 4-d [N, C, H, W] input, got " + x.shape().str());
}

LayerNorm::LayerNorm(std::vector<std::int64_t> normalized_shape, LayerNormOptions options)
    : normalized_shape_(std::move(normalized_shape)), options_(options) {
  if (normalized_shape_.empty()) throw std::invalid_argument("LayerNorm: normalized_shape must not be empty");
  for (const std::int64_t size : normalized_shape_)
    if (size <= 0) throw std::invalid_argument("LayerNorm: normalized_shape " + Shape(normalized_shape_).str() +
                                               " must have positive sizes");
  check_eps("LayerNorm", options.eps);
  if (options.elementwise_affine) {
    weight = ones(Shape(normalized_shape_), options.dtype);
    bias = zeros(Shape(normalized_shape_), options.dtype);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
}

Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, normalized_shape_, weight, bias, options_.eps); }

std::string LayerNorm::name() const {
  return "LayerNorm(" + Shape(normalized_shape_).str() + ", eps=" + number(options_.eps) +
         ", elementwise_affine=" + flag(options_.elementwise_affine) + ")";
}

GroupNorm::GroupNorm(std::int64_t num_groups, std::int64_t num_channels, GroupNormOptions options)
    : num_groups_(num_groups), channels_(num_channels), options_(options) {
  if (num_groups <= 0 || num_channels <= 0 || num_channels % num_groups != 0)
    throw std::invalid_argument("GroupNorm: num_channels (" + std::to_string(num_channels) +
                                ") must be a positive multiple of num_groups (" + std::to_string(num_groups) + ")");
  check_eps("GroupNorm", options.eps);
  if (options.affine) {
    weight = ones({num_channels}, options.dtype);
    bias = zeros({num_channels}, options.dtype);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
}

Tensor GroupNorm::forward(const Tensor& x) { return group_norm(x, num_groups_, weight, bias, options_.eps); }

std::string GroupNorm::name() const {
  return "GroupNorm(" + std::to_string(num_groups_) + ", " + std::to_string(channels_) +
         ", eps=" + number(options_.eps) + ", affine=" + flag(options_.affine) + ")";
}

}  // namespace tg::nn
