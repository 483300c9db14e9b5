#pragma once
// Normalisation modules: BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm, as torch.nn's, on
// tg::batch_norm, layer_norm and group_norm (tapegrad/normalization.hpp). Parameter and
// buffer names are PyTorch's (weight, bias; running_mean, running_var, num_batches_tracked), so a PyTorch
// state_dict loads as it is. train()/eval() switch BatchNorm between batch and running statistics.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/nn/module.hpp"

namespace tg::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  /// Weight of the new batch statistic in the running ones; absent: the cumulative average (PyTorch's
  /// momentum=None, 1/num_batches_tracked).
  std::optional<double> momentum = 0.1;
  bool affine = true;               // learnable weight (ones) and bias (zeros)
  bool track_running_stats = true;  // running_mean (zeros), running_var (ones), num_batches_tracked (int64 0)
  Dtype dtype = kFloat32;
};

/// What BatchNorm1d and BatchNorm2d share; they differ in the input ranks they take.
class BatchNorm : public Layer {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;               // [num_features], undefined without affine
  Tensor bias;                 // [num_features], undefined without affine
  Tensor running_mean;         // [num_features], undefined without track_running_stats
  Tensor running_var;          // [num_features], undefined without track_running_stats
  Tensor num_batches_tracked;  // [] int64, undefined without track_running_stats

 protected:
  BatchNorm(const char* kind, std::int64_t num_features, BatchNormOptions options);
  /// Throws unless x has a rank this kind of BatchNorm takes.
  virtual void check_rank(const Tensor& x) const = 0;

 private:
  const char* kind_;
  BatchNormOptions options_;
};

/// x [N, C] or [N, C, L], normalised per channel C.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNormOptions options = {});

 private:
  void check_rank(const Tensor& x) const override;
};

/// x [N, C, H, W], normalised per channel C.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, BatchNormOptions options = {});

 private:
  void check_rank(const Tensor& x) const override;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;  // learnable weight (ones) and bias (zeros) of normalized_shape
  Dtype dtype = kFloat32;
};

/// Normalises over the trailing dimensions normalized_shape, as torch.nn.LayerNorm.
class LayerNorm : public Layer {
 public:
  explicit LayerNorm(std::vector<std::int64_t> normalized_shape, LayerNormOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // normalized_shape, undefined without elementwise_affine
  Tensor bias;

 private:
  std::vector<std::int64_t> normalized_shape_;
  LayerNormOptions options_;
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;  // learnable weight (ones) and bias (zeros) per channel
  Dtype dtype = kFloat32;
};

/// x [N, C, *] normalised over each of num_groups groups of C / num_groups channels, as torch.nn.GroupNorm.
class GroupNorm : public Layer {
 public:
  GroupNorm(std::int64_t num_groups, std::int64_t num_channels, GroupNormOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // [num_channels], undefined without affine
  Tensor bias;

 private:
  std::int64_t num_groups_;
  std::int64_t channels_;
  GroupNormOptions options_;
};

}  // namespace tg::nn
