#pragma once
// Pooling modules: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d, as torch.nn's, on tg::max_pool2d,
// avg_pool2d and adaptive_avg_pool2d (tapegrad/pooling.hpp). They have no parameters. Where tapegrad differs:
// MaxPool2d has no return_indices (a Layer returns one tensor; tg::max_pool2d_with_indices gives both).

#include <cstdint>
#include <optional>
#include <string>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/spatial.hpp"

namespace tg::nn {

struct MaxPool2dOptions {
  std::optional<Size2> stride;  // the kernel size when absent, as PyTorch's stride=None
  Size2 padding = 0;
  Size2 dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool2dOptions {
  std::optional<Size2> stride;  // the kernel size when absent
  Size2 padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<std::int64_t> divisor_override;
};

/// x [N, C, H, W] (or [C, H, W]) -> the maximum of each window.
class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(Size2 kernel_size, MaxPool2dOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  Size2 kernel_size_;
  MaxPool2dOptions options_;
};

/// x [N, C, H, W] (or [C, H, W]) -> the mean of each window.
class AvgPool2d : public Layer {
 public:
  explicit AvgPool2d(Size2 kernel_size, AvgPool2dOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  Size2 kernel_size_;
  AvgPool2dOptions options_;
};

/// x [N, C, H, W] (or [C, H, W]) -> [N, C, output_size.h, output_size.w], PyTorch's windows.
class AdaptiveAvgPool2d : public Layer {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  Size2 output_size_;
};

}  // namespace tg::nn
