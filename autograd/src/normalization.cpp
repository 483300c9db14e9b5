// Normalisation: batch_norm, layer_norm, group_norm.
//
// layer_norm and group_norm are composed from var_mean and elementwise ops (their speed has not mattered
// yet), so their gradients of every order come from those ops. batch_norm, which a CNN runs on every
// activation, is one op: a forward of three passes per channel (mean, centred sum of squares, then
// y = x * scale + shift) while the channel is in cache, and a backward that is one fused kernel when the
// sweep is not recorded, and PyTorch's formula in tapegrad ops when it is (create_graph), so that it can
// be differentiated again.

#include "tapegrad/normalization.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"
#include "tapegrad/math.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"
#include "tapegrad/statistics.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::check_float_input;
using detail::needs_grad;
using detail::record;
using detail::saves;

namespace {

// An optional per-channel (or per-element) tensor `name` must be undefined or have `shape` and x's dtype.
void check_affine(const Tensor& t, const char* name, const Shape& shape, const Tensor& x, const char* op,
                  const std::string& what) {
  if (!t.defined()) return;
  if (t.shape() != shape)
    throw std::invalid_argument(std::string(op) + ": " + name + " must have shape " + shape.str() + " (" + what +
                                "), got " + t.shape().str());
  if (t.dtype() != x.dtype())
    throw std::invalid_argument(std::string(op) + ": " + name + " must have the input's dtype " +
                                std::string(dtype_name(x.dtype())) + ", got " + std::string(dtype_name(t.dtype())));
}

// (x - mean) / sqrt(var + eps) over dims, with the biased variance; composed, so differentiable to any order.
Tensor standardize(const Tensor& x, std::span<const int> dims, double eps) {
  const auto [var, mu] = var_mean(x, dims, 0, true);
  return (x - mu) * rsqrt(var + eps);
}

// ---- batch_norm ----

// An input [N, C, ...] seen as [N, C, S], S the product of the spatial extents.
struct Channels {
  std::int64_t n;
  std::int64_t c;
  std::int64_t s;
  [[nodiscard]] std::int64_t count() const { return n * s; }  // values per channel
};

// The sum of f(i) for i in [0, n), in double, with 8 partial sums: GCC keeps the order of a floating-point
// sum, so one accumulator would leave the loop bound by the latency of an addition.
template <class F>
double lane_sum(std::int64_t n, F f) {
  double acc[8] = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += f(i + l);
  double tail = 0;
  for (; i < n; ++i) tail += f(i);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

// The sum over channel c's rows (one of S values per sample) of lane_sum(f(row, i)).
template <class F>
double channel_sum(const Channels& v, std::int64_t c, F f) {
  double total = 0;
  for (std::int64_t n = 0; n < v.n; ++n) {
    const std::int64_t row = (n * v.c + c) * v.s;
    total += lane_sum(v.s, [&](std::int64_t i) { return f(row + i); });
  }
  return total;
}

Channels check_batch_norm(const Tensor& x, const Tensor& rm, const Tensor& rv, const Tensor& w, const Tensor& b,
                          bool training) {
  const char* op = "batch_norm";
  check_float_input(x, op);
  if (x.dim() < 2)
    throw std::invalid_argument("batch_norm: expected an input [N, C, ...] of at least 2 dimensions, got " +
                                x.shape().str());
  const Channels v{x.size(0), x.size(1), x.numel() / std::max<std::int64_t>(x.size(0) * x.size(1), 1)};
  const Shape per_channel{v.c};
  const std::string what = "one element per channel of input " + x.shape().str();
  check_affine(rm, "running_mean", per_channel, x, op, what);
  check_affine(rv, "running_var", per_channel, x, op, what);
  check_affine(w, "weight", per_channel, x, op, what);
  check_affine(b, "bias", per_channel, x, op, what);
  if (training && v.count() == 1)
    throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got input " +
                                x.shape().str());
  if (!training && (!rm.defined() || !rv.defined()))
    throw std::invalid_argument("batch_norm: running_mean and running_var must be defined in evaluation mode "
                                "(training false)");
  return v;
}

// stats [2, C] (float64) = each channel's batch mean and 1 / sqrt(var + eps), var biased; the running
// statistics, where defined, move towards the batch's (running_var towards the unbiased variance).
template <class T>
void batch_statistics(const Tensor& x, const Channels& v, double eps, Tensor& stats, const Tensor& rm,
                      const Tensor& rv, double momentum) {
  const T* px = x.data<T>();
  double* mean = stats.data<double>();
  double* invstd = mean + v.c;
  const auto m = static_cast<double>(v.count());
  for (std::int64_t c = 0; c < v.c; ++c) {
    const double mu = channel_sum(v, c, [&](std::int64_t i) { return static_cast<double>(px[i]); }) / m;
    const double ss = channel_sum(v, c, [&](std::int64_t i) {
      const double d = static_cast<double>(px[i]) - mu;
      return d * d;
    });
    mean[c] = mu;
    invstd[c] = 1.0 / std::sqrt(ss / m + eps);
    if (rm.defined()) rm.data<T>()[c] = static_cast<T>((1 - momentum) * rm.data<T>()[c] + momentum * mu);
    if (rv.defined()) rv.data<T>()[c] = static_cast<T>((1 - momentum) * rv.data<T>()[c] + momentum * ss / (m - 1));
  }
  if (rm.defined()) detail::bump_version(rm.impl());
  if (rv.defined()) detail::bump_version(rv.impl());
}

template <class T>
void running_statistics(const Tensor& rm, const Tensor& rv, double eps, Tensor& stats) {
  double* mean = stats.data<double>();
  const std::int64_t channels = rm.numel();
  for (std::int64_t c = 0; c < channels; ++c) {
    mean[c] = rm.data<T>()[c];
    mean[channels + c] = 1.0 / std::sqrt(static_cast<double>(rv.data<T>()[c]) + eps);
  }
}

// y = x * scale + shift per channel: scale = weight * invstd, shift = bias - mean * scale.
template <class T>
void normalize(const Tensor& x, const Channels& v, const Tensor& stats, const Tensor& w, const Tensor& b, Tensor& y) {
  const double* mean = stats.data<double>();
  const T* px = x.data<T>();
  T* py = y.data<T>();
  for (std::int64_t c = 0; c < v.c; ++c) {
    const double scale_d = (w.defined() ? static_cast<double>(w.data<T>()[c]) : 1.0) * mean[v.c + c];
    const auto scale = static_cast<T>(scale_d);
    const auto shift = static_cast<T>((b.defined() ? static_cast<double>(b.data<T>()[c]) : 0.0) - mean[c] * scale_d);
    for (std::int64_t n = 0; n < v.n; ++n) {
      const std::int64_t row = (n * v.c + c) * v.s;
      for (std::int64_t i = 0; i < v.s; ++i) py[row + i] = px[row + i] * scale + shift;
    }
  }
}

// The fused backward (a sweep that is not recorded), per channel with xmu = x - mean, M = N * S:
//   db = sum(dy), dw = sum(dy * xmu) * invstd,
//   dx = (dy - db / M - xmu * invstd^2 * sum(dy * xmu) / M) * invstd * w  (training: the statistics are x's)
//   dx = dy * invstd * w                                                 (evaluation: they are constants)
template <class T>
void batch_norm_backward_fused(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& b,
                               const Tensor& stats, bool training, const Channels& v) {
  const T* g = dy.data<T>();
  const T* px = x.data<T>();
  const double* mean = stats.data<double>();
  const auto m = static_cast<double>(v.count());
  Tensor dx = x.requires_grad() ? empty(x.shape(), x.dtype()) : Tensor();
  Tensor dw = w.requires_grad() ? empty(w.shape(), w.dtype()) : Tensor();
  Tensor db = b.requires_grad() ? empty(b.shape(), b.dtype()) : Tensor();
  for (std::int64_t c = 0; c < v.c; ++c) {
    const double mu = mean[c];
    const double invstd = mean[v.c + c];
    const double sum_dy = channel_sum(v, c, [&](std::int64_t i) { return static_cast<double>(g[i]); });
    const double sum_dy_xmu = channel_sum(v, c, [&](std::int64_t i) {
      return static_cast<double>(g[i]) * (static_cast<double>(px[i]) - mu);
    });
    if (dw.defined()) dw.data<T>()[c] = static_cast<T>(sum_dy_xmu * invstd);
    if (db.defined()) db.data<T>()[c] = static_cast<T>(sum_dy);
    if (!dx.defined()) continue;
    const double scale = invstd * (w.defined() ? static_cast<double>(w.data<T>()[c]) : 1.0);
    const auto k = static_cast<T>(training ? scale * invstd * invstd * sum_dy_xmu / m : 0.0);
    const auto shift = static_cast<T>(training ? mu * scale * invstd * invstd * sum_dy_xmu / m - scale * sum_dy / m : 0.0);
    const auto s = static_cast<T>(scale);
    T* out = dx.data<T>();
    for (std::int64_t n = 0; n < v.n; ++n) {  // dx = dy * s - x * k + shift, the formula above expanded
      const std::int64_t row = (n * v.c + c) * v.s;
      for (std::int64_t i = row; i < row + v.s; ++i) out[i] = g[i] * s - px[i] * k + shift;
    }
  }
  if (dx.defined()) accumulate_grad(x, dx);
  if (dw.defined()) accumulate_grad(w, dw);
  if (db.defined()) accumulate_grad(b, db);
}

// The same gradients in tapegrad ops, on x viewed as [N, C, S], reducing over dims 0 and 2; in training
// the statistics are recomputed from x, so that their dependence on x is differentiated again.
void batch_norm_backward_composed(const Tensor& dy, const Tensor& x, const Tensor& w, const Tensor& b,
                                  const Tensor& stats, bool training, const Channels& v, double eps) {
  const Shape view{v.n, v.c, v.s};
  const Shape per_channel{1, v.c, 1};
  static constexpr int kDims[] = {0, 2};
  const Tensor x3 = reshape(x, view);
  const Tensor g3 = reshape(dy, view);
  Tensor xhat;
  Tensor invstd;
  if (training) {
    const auto [var, mu] = var_mean(x3, kDims, 0, true);
    invstd = rsqrt(var + eps);
    xhat = (x3 - mu) * invstd;
  } else {
    invstd = reshape(stats.select(0, 1).to(x.dtype()), per_channel);
    xhat = (x3 - reshape(stats.select(0, 0).to(x.dtype()), per_channel)) * invstd;
  }
  if (w.requires_grad()) accumulate_grad(w, sum(g3 * xhat, kDims));
  if (b.requires_grad()) accumulate_grad(b, sum(g3, kDims));
  if (!x.requires_grad()) return;
  const Tensor scale = w.defined() ? invstd * reshape(w, per_channel) : invstd;
  const Tensor dx3 = training ? (g3 - mean(g3, kDims, true) - xhat * mean(g3 * xhat, kDims, true)) * scale : g3 * scale;
  accumulate_grad(x, reshape(dx3, x.shape()));
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const Channels v = check_batch_norm(input, running_mean, running_var, weight, bias, training);
  Tensor stats = empty({2, v.c}, kFloat64);  // mean and invstd per channel: the forward's and the backward's
  Tensor y = empty(input.shape(), input.dtype());
  visit_dtype(input.dtype(), [&]<class T>() {
    if (training) batch_statistics<T>(input, v, eps, stats, running_mean, running_var, momentum);
    else running_statistics<T>(running_mean, running_var, eps, stats);
    normalize<T>(input, v, stats, weight, bias, y);
  });
  if (needs_grad(input, weight, bias))
    record("batch_norm", y, saves(input, weight),
           [x = input, w = weight, b = bias, stats, training, v, eps](const Tensor& dy, const Tensor&) {
             if (is_grad_enabled())
               batch_norm_backward_composed(dy, x, w, b, stats, training, v, eps);
             else
               visit_dtype(x.dtype(), [&]<class T>() { batch_norm_backward_fused<T>(dy, x, w, b, stats, training, v); });
           });
  return y;
}

Tensor layer_norm(const Tensor& input, std::span<const std::int64_t> normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  check_float_input(input, op);
  const Shape normalized(normalized_shape);
  const int k = normalized.size();
  bool fits = k >= 1 && k <= input.dim();
  for (int i = 0; fits && i < k; ++i) fits = input.size(input.dim() - k + i) == normalized[i];
  if (!fits)
    throw std::invalid_argument("layer_norm: normalized_shape " + normalized.str() +
                                " must be non-empty and match the input's last dimensions, got input " +
                                input.shape().str());
  const std::string what = "normalized_shape";
  check_affine(weight, "weight", normalized, input, op, what);
  check_affine(bias, "bias", normalized, input, op, what);
  std::vector<int> dims;
  for (int i = 0; i < k; ++i) dims.push_back(-1 - i);
  Tensor y = standardize(input, dims, eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

Tensor layer_norm(const Tensor& input, std::initializer_list<std::int64_t> normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  return layer_norm(input, std::span<const std::int64_t>(normalized_shape.begin(), normalized_shape.size()), weight,
                    bias, eps);
}

Tensor group_norm(const Tensor& input, std::int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "group_norm";
  check_float_input(input, op);
  if (input.dim() < 2)
    throw std::invalid_argument("group_norm: expected an input [N, C, ...] of at least 2 dimensions, got " +
                                input.shape().str());
  const std::int64_t n = input.size(0);
  const std::int64_t c = input.size(1);
  if (num_groups <= 0 || c % num_groups != 0)
    throw std::invalid_argument("group_norm: num_groups must be positive and divide the input's " +
                                std::to_string(c) + " channels, got num_groups " + std::to_string(num_groups) +
                                " for input " + input.shape().str());
  const std::string what = "one element per channel of input " + input.shape().str();
  check_affine(weight, "weight", {c}, input, op, what);
  check_affine(bias, "bias", {c}, input, op, what);
  static constexpr int kGroupDim[] = {2};
  const std::int64_t per_group = input.numel() / std::max<std::int64_t>(n * num_groups, 1);
  Tensor y = reshape(standardize(reshape(input, {n, num_groups, per_group}), kGroupDim, eps), input.shape());
  Shape affine(std::vector<std::int64_t>(static_cast<std::size_t>(input.dim()), 1));  // [1, C, 1, ...]
  affine[1] = c;
  if (weight.defined()) y = y * reshape(weight, affine);
  if (bias.defined()) y = y + reshape(bias, affine);
  return y;
}

}  // namespace tg
