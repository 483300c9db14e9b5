// Convolutions. The public ops check their arguments, then run one of three recorded ops on 4-d
// tensors, each the adjoint of another in one argument, so that every backward is made of them and the
// family is differentiable to any order (W a conv2d weight, x its input, dy its output's gradient):
//   "conv2d"             y  = conv(x, W) + b
//   "conv_transpose2d"   dx = conv^T(dy, W) + b         (conv2d's input gradient)
//   "conv2d_weight_grad" dW = sum over n of dy (x)^T    (conv2d's weight gradient, bilinear in x and dy)
// The kernels are in conv_kernels.cpp.

#include "tapegrad/conv.hpp"

#include <stdexcept>
#include <string>

#include "conv_kernels.hpp"
#include "kernels.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::ConvGeometry;
using detail::ConvShape;
using detail::needs_grad;
using detail::record;
using detail::saves;

namespace {

// ---- the three recorded ops, on checked 4-d tensors ----

Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, std::int64_t oh, std::int64_t ow);
Tensor conv_transpose_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, std::int64_t oh,
                         std::int64_t ow);
Tensor weight_grad_op(const Tensor& x, const Tensor& dy, const ConvGeometry& g, std::int64_t kh, std::int64_t kw);

// sum(dy, {0, 2, 3}) for dy [N, O, OH, OW]: the bias gradient; a direct loop while the sweep is not recorded.
Tensor bias_grad(const Tensor& dy) {
  if (is_grad_enabled()) return sum(dy, {0, 2, 3});
  Tensor db = empty(Shape{dy.size(1)}, dy.dtype());
  visit_dtype(dy.dtype(), [&]<class T>() {
    detail::conv_bias_grad(dy.size(0), dy.size(1), dy.size(2) * dy.size(3), dy.data<T>(), db.data<T>());
  });
  return db;
}

// y = conv(x, w) + b: x [N, C, H, W], w [O, C/groups, kh, kw] -> y [N, O, oh, ow].
Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, std::int64_t oh, std::int64_t ow) {
  const ConvShape s{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), oh, ow, w.size(2), w.size(3), g};
  Tensor y = empty(Shape{s.n, s.o, oh, ow}, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    detail::conv_forward(s, x.data<T>(), w.data<T>(), b.defined() ? b.data<T>() : nullptr, y.data<T>());
  });
  if (needs_grad(x, w, b))
    record("conv2d", y, saves(x, w), [x, w, b, g](const Tensor& dy, const Tensor&) {
      // dy [N, O, oh, ow]: dx = conv^T(dy, w) [N, C, H, W], dw = sum_n dy_n cols(x_n)^T [O, C/groups, kh, kw],
      // db = dy summed over N, oh, ow [O]
      if (x.requires_grad()) accumulate_grad(x, conv_transpose_op(dy, w, {}, g, x.size(2), x.size(3)));
      if (w.requires_grad()) accumulate_grad(w, weight_grad_op(x, dy, g, w.size(2), w.size(3)));
      if (b.requires_grad()) accumulate_grad(b, bias_grad(dy));
    });
  return y;
}

// y = conv^T(x, w) + b: x [N, C, H, W], w [C, O/groups, kh, kw] -> y [N, O, oh, ow], the input gradient
// of the convolution y -> x (which has weight w and reads oh x ow images into H x W outputs).
Tensor conv_transpose_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g, std::int64_t oh,
                         std::int64_t ow) {
  const ConvShape s{x.size(0), w.size(1) * g.groups, oh, ow, x.size(1), x.size(2), x.size(3), w.size(2), w.size(3), g};
  Tensor y = empty(Shape{s.n, s.c, oh, ow}, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    detail::conv_input_grad(s, x.data<T>(), w.data<T>(), b.defined() ? b.data<T>() : nullptr, y.data<T>());
  });
  if (needs_grad(x, w, b))
    record("conv_transpose2d", y, saves(x, w), [x, w, b, g](const Tensor& dy, const Tensor&) {
      // y = conv^T(x, w) is linear in x with adjoint conv(., w), and <conv^T(x, w), dy> = <x, conv(dy, w)>,
      // so dy [N, O, oh, ow]: dx = conv(dy, w) [N, C, H, W], dw = weight_grad(dy, x) [C, O/groups, kh, kw]
      if (x.requires_grad()) accumulate_grad(x, conv_op(dy, w, {}, g, x.size(2), x.size(3)));
      if (w.requires_grad()) accumulate_grad(w, weight_grad_op(dy, x, g, w.size(2), w.size(3)));
      if (b.requires_grad()) accumulate_grad(b, bias_grad(dy));
    });
  return y;
}

// dw = the weight gradient of conv at x [N, C, H, W] for dy [N, O, OH, OW]: [O, C/groups, kh, kw].
Tensor weight_grad_op(const Tensor& x, const Tensor& dy, const ConvGeometry& g, std::int64_t kh, std::int64_t kw) {
  const ConvShape s{x.size(0), x.size(1), x.size(2), x.size(3), dy.size(1), dy.size(2), dy.size(3), kh, kw, g};
  Tensor dw = empty(Shape{s.o, s.c / g.groups, kh, kw}, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() { detail::conv_weight_grad(s, x.data<T>(), dy.data<T>(), dw.data<T>()); });
  if (needs_grad(x, dy))
    record("conv2d_weight_grad", dw, saves(x, dy), [x, dy, g](const Tensor& gw, const Tensor&) {
      // <dw, gw> = <conv(x, gw), dy> = <x, conv^T(dy, gw)>, so gw [O, C/groups, kh, kw]:
      // dx = conv^T(dy, gw) [N, C, H, W], ddy = conv(x, gw) [N, O, OH, OW]
      if (x.requires_grad()) accumulate_grad(x, conv_transpose_op(dy, gw, {}, g, x.size(2), x.size(3)));
      if (dy.requires_grad()) accumulate_grad(dy, conv_op(x, gw, {}, g, dy.size(2), dy.size(3)));
    });
  return dw;
}

// ---- checks of the public calls ----

// A public call before its checks: the op, its spatial rank (2, or 1 for conv1d, which has a height of 1
// and the trivial arguments along it), whether it is transposed, and its arguments.
struct Request {
  const char* op;
  int spatial;
  bool transposed;
  Size2 stride, padding, dilation, output_padding;
  std::int64_t groups;
};

// A per-dimension argument as the messages show it: [h, w], or [w] for conv1d.
std::string list(Size2 v, int spatial) {
  std::string s(1, '[');  // appended, not "[" + ...: GCC 12 warns falsely (-Wrestrict) on that
  if (spatial == 2) s.append(std::to_string(v.h)).append(", ");
  return s.append(std::to_string(v.w)).append("]");
}

[[noreturn]] void fail(const Request& r, const Tensor& input, const Tensor& weight, const std::string& what) {
  throw std::invalid_argument(std::string(r.op) + ": " + what + ": input " + input.shape().str() + ", weight " +
                              weight.shape().str());
}

// The spatial extents of t (its last r.spatial dims; a height of 1 for conv1d).
Size2 extent(const Tensor& t, int spatial) {
  const int d = t.dim();
  return spatial == 1 ? Size2(1, t.size(d - 1)) : Size2(t.size(d - 2), t.size(d - 1));
}

void check_tensors(const Request& r, const Tensor& input, const Tensor& weight) {
  detail::check_defined(input, r.op);
  detail::check_defined(weight, r.op);
  if (!is_floating_point(input.dtype()) || input.dtype() != weight.dtype())
    fail(r, input, weight,
         "expects float32 or float64 tensors of one dtype, got " + std::string(dtype_name(input.dtype())) + " and " +
             std::string(dtype_name(weight.dtype())));
  const int n = r.spatial;
  if (input.dim() != n + 1 && input.dim() != n + 2)
    fail(r, input, weight,
         "expects a " + std::to_string(n + 1) + "-d (unbatched) or " + std::to_string(n + 2) + "-d (batched) input");
  if (weight.dim() != n + 2)
    fail(r, input, weight,
         "expects a " + std::to_string(n + 2) + "-d weight " +
             (r.transposed ? "[in_channels, out_channels/groups, " : "[out_channels, in_channels/groups, ") +
             (n == 1 ? "k]" : "kh, kw]"));
}

void check_arguments(const Request& r, const Tensor& input, const Tensor& weight) {
  const auto list_of = [&](Size2 v) { return list(v, r.spatial); };
  if (r.stride.h <= 0 || r.stride.w <= 0) fail(r, input, weight, "stride must be positive, got " + list_of(r.stride));
  if (r.padding.h < 0 || r.padding.w < 0)
    fail(r, input, weight, "padding must be non-negative, got " + list_of(r.padding));
  if (r.dilation.h <= 0 || r.dilation.w <= 0)
    fail(r, input, weight, "dilation must be positive, got " + list_of(r.dilation));
  if (r.groups <= 0) fail(r, input, weight, "groups must be positive, got " + std::to_string(r.groups));
  const Size2 op = r.output_padding;
  if (op.h < 0 || op.w < 0) fail(r, input, weight, "output_padding must be non-negative, got " + list_of(op));
  const bool too_large = (op.h >= r.stride.h && op.h >= r.dilation.h) || (op.w >= r.stride.w && op.w >= r.dilation.w);
  if (too_large)
    fail(r, input, weight,
         "output_padding must be smaller than the stride or the dilation, got output_padding " + list_of(op) +
             ", stride " + list_of(r.stride) + ", dilation " + list_of(r.dilation));
}

// The output channels, after checking the channels of input, weight and bias against each other.
std::int64_t check_channels(const Request& r, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  const std::int64_t channels = input.size(input.dim() - r.spatial - 1);
  const std::int64_t w0 = weight.size(0);
  if (w0 % r.groups != 0)
    fail(r, input, weight,
         std::to_string(r.groups) + " groups do not divide the weight's " + std::to_string(w0) +
             (r.transposed ? " input channels" : " output channels"));
  const std::int64_t expected = r.transposed ? w0 : weight.size(1) * r.groups;
  if (channels != expected)
    fail(r, input, weight,
         "input has " + std::to_string(channels) + " channels but the weight expects " + std::to_string(expected) +
             (r.groups == 1 ? "" : " (" + std::to_string(r.groups) + " groups of " + std::to_string(expected / r.groups) + ")"));
  const std::int64_t out = r.transposed ? weight.size(1) * r.groups : w0;
  if (bias.defined()) {
    if (bias.dtype() != input.dtype())
      fail(r, input, weight, "bias is " + std::string(dtype_name(bias.dtype())) + " but the input is " +
                                 std::string(dtype_name(input.dtype())));
    if (bias.dim() != 1 || bias.size(0) != out)
      fail(r, input, weight, "bias " + bias.shape().str() + " does not match the " + std::to_string(out) + " output channels");
  }
  return out;
}

// The output's spatial size, after checking that it is positive (the kernel fits the padded input).
Size2 check_size(const Request& r, const Tensor& input, const Tensor& weight) {
  const Size2 in = extent(input, r.spatial);
  const Size2 k = extent(weight, r.spatial);
  const Size2 span{r.dilation.h * (k.h - 1) + 1, r.dilation.w * (k.w - 1) + 1};  // the dilated kernel
  if (r.transposed) {
    const Size2 out{(in.h - 1) * r.stride.h - 2 * r.padding.h + span.h + r.output_padding.h,
                    (in.w - 1) * r.stride.w - 2 * r.padding.w + span.w + r.output_padding.w};
    if (out.h <= 0 || out.w <= 0) fail(r, input, weight, "the output would be empty: " + list(out, r.spatial));
    return out;
  }
  const Size2 padded{in.h + 2 * r.padding.h, in.w + 2 * r.padding.w};
  if (span.h > padded.h || span.w > padded.w)
    fail(r, input, weight,
         "the kernel " + list(span, r.spatial) + " (dilated) is larger than the padded input " + list(padded, r.spatial));
  return {(padded.h - span.h) / r.stride.h + 1, (padded.w - span.w) / r.stride.w + 1};
}

// Checks a call; returns its output's spatial size.
Size2 check(const Request& r, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_tensors(r, input, weight);
  check_arguments(r, input, weight);
  check_channels(r, input, weight, bias);
  return check_size(r, input, weight);
}

ConvGeometry geometry(const Request& r) {
  return {r.stride.h, r.stride.w, r.padding.h, r.padding.w, r.dilation.h, r.dilation.w, r.groups};
}

// Runs a checked 2-d request on input, batched first if it is not.
Tensor run(const Request& r, const Tensor& input, const Tensor& weight, const Tensor& bias, Size2 out) {
  const bool batched = input.dim() == 4;
  const Tensor x = batched ? input : unsqueeze(input, 0);
  const Tensor y = r.transposed ? conv_transpose_op(x, weight, bias, geometry(r), out.h, out.w)
                                : conv_op(x, weight, bias, geometry(r), out.h, out.w);
  return batched ? y : squeeze(y, 0);
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
              Size2 dilation, std::int64_t groups) {
  const Request r{"conv2d", 2, false, stride, padding, dilation, 0, groups};
  return run(r, input, weight, bias, check(r, input, weight, bias));
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, std::int64_t stride,
              std::int64_t padding, std::int64_t dilation, std::int64_t groups) {
  const Request r{"conv1d", 1, false, {1, stride}, {0, padding}, {1, dilation}, 0, groups};
  const Size2 out = check(r, input, weight, bias);
  const int h = input.dim() - 1;  // [N, C, L] -> [N, C, 1, L], [C, L] -> [C, 1, L]
  const Tensor y = run(r, unsqueeze(input, h), unsqueeze(weight, 2), bias, out);
  return squeeze(y, h);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
                        Size2 output_padding, std::int64_t groups, Size2 dilation) {
  const Request r{"conv_transpose2d", 2, true, stride, padding, dilation, output_padding, groups};
  return run(r, input, weight, bias, check(r, input, weight, bias));
}

}  // namespace tg
