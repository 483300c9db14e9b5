// Conv1d, Conv2d and ConvTranspose2d: their arguments checked when built (the op checks them again
// against each input), PyTorch's initialisation, and tg::conv1d / conv2d / conv_transpose2d.

#include <cmath>
#include <stdexcept>
#include <string>

#include "tapegrad/conv.hpp"
#include "tapegrad/nn/conv.hpp"
#include "tapegrad/random.hpp"

namespace tg::nn {
namespace {

// What every convolution module requires of its sizes, with the module's name in each message.
void check_sizes(const char* module, std::int64_t in, std::int64_t out, Size2 kernel, Size2 stride, Size2 padding,
                 Size2 dilation, std::int64_t groups) {
  const auto fail = [module](const std::string& what) { throw std::invalid_argument(std::string(module) + ": " + what); };
  if (in <= 0 || out <= 0)
    fail("in_channels and out_channels must be positive, got " + std::to_string(in) + " and " + std::to_string(out));
  if (groups <= 0) fail("groups must be positive, got " + std::to_string(groups));
  if (in % groups != 0 || out % groups != 0)
    fail("in_channels (" + std::to_string(in) + ") and out_channels (" + std::to_string(out) +
         ") must both be divisible by groups (" + std::to_string(groups) + ")");
  if (kernel.h <= 0 || kernel.w <= 0) fail("kernel_size must be positive, got " + kernel.str());
  if (stride.h <= 0 || stride.w <= 0) fail("stride must be positive, got " + stride.str());
  if (padding.h < 0 || padding.w < 0) fail("padding must not be negative, got " + padding.str());
  if (dilation.h <= 0 || dilation.w <= 0) fail("dilation must be positive, got " + dilation.str());
}

// PyTorch's reset_parameters: kaiming_uniform_(weight, a=sqrt(5)) is uniform in +-1/sqrt(fan_in), and so
// is the bias; fan_in is weight.size(1) times the kernel's area.
void init_conv(Tensor& weight, Tensor& bias, const Shape& shape, bool with_bias, std::int64_t out, Generator& gen,
               Dtype dtype) {
  std::int64_t fan_in = 1;
  for (int d = 1; d < shape.size(); ++d) fan_in *= shape[d];
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight = rand(shape, gen, dtype, -bound, bound);
  if (with_bias) bias = rand(Shape{out}, gen, dtype, -bound, bound);
}

}  // namespace

Conv1d::Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Generator& gen,
               Conv1dOptions options)
    : options_(options) {
  check_sizes("Conv1d", in_channels, out_channels, Size2(1, kernel_size), Size2(1, options.stride),
              Size2(0, options.padding), Size2(1, options.dilation), options.groups);
  init_conv(weight, bias, Shape{out_channels, in_channels / options.groups, kernel_size}, options.bias, out_channels,
            gen, options.dtype);
  register_parameter("weight", weight);
  if (bias.defined()) register_parameter("bias", bias);
}

Conv1d::Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv1dOptions options)
    : Conv1d(in_channels, out_channels, kernel_size, default_generator(), options) {}

Tensor Conv1d::forward(const Tensor& x) {
  return conv1d(x, weight, bias, options_.stride, options_.padding, options_.dilation, options_.groups);
}

std::string Conv1d::name() const {
  return "Conv1d(" + std::to_string(weight.size(1) * options_.groups) + ", " + std::to_string(weight.size(0)) +
         ", kernel_size=(" + std::to_string(weight.size(2)) + ",), stride=(" + std::to_string(options_.stride) +
         ",), padding=(" + std::to_string(options_.padding) + ",), dilation=(" + std::to_string(options_.dilation) +
         ",), groups=" + std::to_string(options_.groups) + ", bias=" + (bias.defined() ? "true" : "false") + ")";
}

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Generator& gen,
               Conv2dOptions options)
    : options_(options) {
  check_sizes("Conv2d", in_channels, out_channels, kernel_size, options.stride, options.padding, options.dilation,
              options.groups);
  init_conv(weight, bias, Shape{out_channels, in_channels / options.groups, kernel_size.h, kernel_size.w},
            options.bias, out_channels, gen, options.dtype);
  register_parameter("weight", weight);
  if (bias.defined()) register_parameter("bias", bias);
}

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size, Conv2dOptions options)
    : Conv2d(in_channels, out_channels, kernel_size, default_generator(), options) {}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, options_.stride, options_.padding, options_.dilation, options_.groups);
}

std::string Conv2d::name() const {
  return "Conv2d(" + std::to_string(weight.size(1) * options_.groups) + ", " + std::to_string(weight.size(0)) +
         ", kernel_size=" + Size2(weight.size(2), weight.size(3)).str() + ", stride=" + options_.stride.str() +
         ", padding=" + options_.padding.str() + ", dilation=" + options_.dilation.str() +
         ", groups=" + std::to_string(options_.groups) + ", bias=" + (bias.defined() ? "true" : "false") + ")";
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
                                 Generator& gen, ConvTranspose2dOptions options)
    : options_(options) {
  check_sizes("ConvTranspose2d", in_channels, out_channels, kernel_size, options.stride, options.padding,
              options.dilation, options.groups);
  const Size2 op = options.output_padding;
  // PyTorch's rule: output padding only fills what the stride or the dilation leaves uncovered.
  if (op.h < 0 || op.w < 0 || (op.h >= options.stride.h && op.h >= options.dilation.h) ||
      (op.w >= options.stride.w && op.w >= options.dilation.w))
    throw std::invalid_argument("ConvTranspose2d: output_padding " + op.str() +
                                " must be non-negative and smaller than either stride " + options.stride.str() +
                                " or dilation " + options.dilation.str());
  init_conv(weight, bias, Shape{in_channels, out_channels / options.groups, kernel_size.h, kernel_size.w},
            options.bias, out_channels, gen, options.dtype);
  register_parameter("weight", weight);
  if (bias.defined()) register_parameter("bias", bias);
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
                                 ConvTranspose2dOptions options)
    : ConvTranspose2d(in_channels, out_channels, kernel_size, default_generator(), options) {}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, weight, bias, options_.stride, options_.padding, options_.output_padding,
                          options_.groups, options_.dilation);
}

std::string ConvTranspose2d::name() const {
  return "ConvTranspose2d(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1) * options_.groups) +
         ", kernel_size=" + Size2(weight.size(2), weight.size(3)).str() + ", stride=" + options_.stride.str() +
         ", padding=" + options_.padding.str() + ", output_padding=" + options_.output_padding.str() +
         ", groups=" + std::to_string(options_.groups) + ", bias=" + (bias.defined() ? "true" : "false") +
         ", dilation=" + options_.dilation.str() + ")";
}

}  // namespace tg::nn
