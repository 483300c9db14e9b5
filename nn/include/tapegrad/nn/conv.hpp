#pragma once
// Convolution modules: Conv1d, Conv2d and ConvTranspose2d, as torch.nn's, on tg::conv1d, conv2d and
// conv_transpose2d (tapegrad/conv.hpp). Their parameters are named and laid out as PyTorch's, so a PyTorch
// state_dict loads as it is: weight [out, in/groups, k...] (ConvTranspose2d: [in, out/groups, kh, kw]) and
// bias [out]. Initialised as PyTorch does (kaiming_uniform_ with a = sqrt(5)): weight and bias uniform in
// +-1/sqrt(fan_in), fan_in = weight.size(1) * kh * kw. Zero padding only (PyTorch's padding_mode='zeros').

#include <cstdint>
#include <string>

#include "tapegrad/generator.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/spatial.hpp"

namespace tg::nn {

struct Conv1dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  Dtype dtype = kFloat32;
};

struct Conv2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
  std::int64_t groups = 1;
  bool bias = true;
  Dtype dtype = kFloat32;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  std::int64_t groups = 1;
  bool bias = true;
  Size2 dilation = 1;
  Dtype dtype = kFloat32;
};

/// x [N, C, L] (or [C, L]) -> [N, O, L_out], as torch.nn.Conv1d.
class Conv1d : public Layer {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Generator& gen,
         Conv1dOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv1dOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // [out_channels, in_channels / groups, kernel_size]
  Tensor bias;    // [out_channels], undefined without bias

 private:
  Conv1dOptions options_;
};

/// x [N, C, H, W] (or [C, H, W]) -> [N, O, H_out, W_out], as torch.nn.Conv2d.
class Conv2d : public Layer {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Generator& gen,
         Conv2dOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Conv2dOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // [out_channels, in_channels / groups, kh, kw]
  Tensor bias;    // [out_channels], undefined without bias

 private:
  Conv2dOptions options_;
};

/// The transpose (adjoint) of Conv2d, as torch.nn.ConvTranspose2d: x [N, C, H, W] -> [N, O, H_out, W_out],
/// H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1.
class ConvTranspose2d : public Layer {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Generator& gen,
                  ConvTranspose2dOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
                  ConvTranspose2dOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // [in_channels, out_channels / groups, kh, kw]
  Tensor bias;    // [out_channels], undefined without bias

 private:
  ConvTranspose2dOptions options_;
};

}  // namespace tg::nn
