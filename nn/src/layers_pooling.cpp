// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: tg::max_pool2d, avg_pool2d and adaptive_avg_pool2d with the
// module's arguments, which the ops check against each input.

#include <stdexcept>
#include <string>

#include "tapegrad/nn/pooling.hpp"
#include "tapegrad/pooling.hpp"

namespace tg::nn {
namespace {

void check_kernel(const char* module, Size2 kernel, const std::optional<Size2>& stride, Size2 padding) {
  const auto fail = [module](const std::string& what) { throw std::invalid_argument(std::string(module) + ": " + what); };
  if (kernel.h <= 0 || kernel.w <= 0) fail("kernel_size must be positive, got " + kernel.str());
  if (stride && (stride->h <= 0 || stride->w <= 0)) fail("stride must be positive, got " + stride->str());
  // PyTorch's rule: a window never lies wholly in the padding.
  if (padding.h < 0 || padding.w < 0 || padding.h > kernel.h / 2 || padding.w > kernel.w / 2)
    fail("padding " + padding.str() + " must be non-negative and at most half the kernel size " + kernel.str());
}

}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel_size, MaxPool2dOptions options) : kernel_size_(kernel_size), options_(options) {
  check_kernel("MaxPool2d", kernel_size, options.stride, options.padding);
  if (options.dilation.h <= 0 || options.dilation.w <= 0)
    throw std::invalid_argument("MaxPool2d: dilation must be positive, got " + options.dilation.str());
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, kernel_size_, options_.stride, options_.padding, options_.dilation, options_.ceil_mode);
}

std::string MaxPool2d::name() const {
  return "MaxPool2d(kernel_size=" + kernel_size_.str() + ", stride=" + options_.stride.value_or(kernel_size_).str() +
         ", padding=" + options_.padding.str() + ", dilation=" + options_.dilation.str() +
         ", ceil_mode=" + (options_.ceil_mode ? "true" : "false") + ")";
}

AvgPool2d::AvgPool2d(Size2 kernel_size, AvgPool2dOptions options) : kernel_size_(kernel_size), options_(options) {
  check_kernel("AvgPool2d", kernel_size, options.stride, options.padding);
  if (options.divisor_override && *options.divisor_override <= 0)
    throw std::invalid_argument("AvgPool2d: divisor_override must be positive, got " +
                                std::to_string(*options.divisor_override));
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_size_, options_.stride, options_.padding, options_.ceil_mode,
                    options_.count_include_pad, options_.divisor_override);
}

std::string AvgPool2d::name() const {
  return "AvgPool2d(kernel_size=" + kernel_size_.str() + ", stride=" + options_.stride.value_or(kernel_size_).str() +
         ", padding=" + options_.padding.str() + ", ceil_mode=" + (options_.ceil_mode ? "true" : "false") +
         ", count_include_pad=" + (options_.count_include_pad ? "true" : "false") + ")";
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {
  if (output_size.h <= 0 || output_size.w <= 0)
    throw std::invalid_argument("AdaptiveAvgPool2d: output_size must be positive, got " + output_size.str());
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size_); }

std::string AdaptiveAvgPool2d::name() const { return "AdaptiveAvgPool2d(output_size=" + output_size_.str() + ")"; }

}  // namespace tg::nn
