// Losses. Most are composed from tapegrad's ops and need no backward of their own. Four are recorded
// directly: cross_entropy at class indices (log-softmax and NLL fused, for stability and speed), nll_loss
// (the same record without the log-softmax: an ignored sample must count 0 whatever its row holds), the
// clamped log inside binary_cross_entropy (so that p = 0 or 1 gives a finite loss and gradient), and
// mse_loss with mean or sum reduction (one record instead of four: per-op cost on tiny networks).
// Every loss can be differentiated twice (create_graph): the backwards of clamped_log and mse_loss are
// tapegrad ops, and the fused class-index backward switches to a composition of them when the sweep records.

#include "tapegrad/nn/loss.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"
#include "tapegrad/ops.hpp"

namespace tg::nn {

using detail::accumulate_grad;
using detail::needs_grad;
using detail::record;
using detail::saves;
using detail::saves_nothing;

namespace {

// ---- checks: each names the loss and what it got ----

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Both tensors defined; `input` is the name the loss gives its first argument.
void check_defined(const char* op, const char* input_name, const Tensor& input, const Tensor& target) {
  if (!input.defined() || !target.defined())
    throw std::invalid_argument(std::string(op) + ": " + (input.defined() ? "target" : input_name) +
                                " is undefined (default-constructed)");
}

// Both tensors defined and of one dtype.
void check_pair(const char* op, const char* input_name, const Tensor& input, const Tensor& target) {
  check_defined(op, input_name, input, target);
  if (input.dtype() != target.dtype())
    throw std::invalid_argument(std::string(op) + ": dtypes differ: " + input_name + " " +
                                std::string(dtype_name(input.dtype())) + " and target " +
                                std::string(dtype_name(target.dtype())) + "; convert one with .to()");
}

void check_same_shape(const char* op, const char* input_name, const Tensor& input, const Tensor& target) {
  check_pair(op, input_name, input, target);
  if (input.shape() != target.shape())
    throw std::invalid_argument(std::string(op) + ": " + input_name + " " + input.shape().str() + " and target " +
                                target.shape().str() + " must have the same shape");
}

// Throws naming the first element of t outside [0, 1] (nan included).
void check_unit_interval(const char* op, const char* name, const Tensor& t) {
  visit_dtype(t.dtype(), [&]<class T>() {
    const T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
      if (!(p[i] >= 0 && p[i] <= 1))
        throw std::invalid_argument(std::string(op) + ": " + name + "[" + std::to_string(i) + "] = " + number(p[i]) +
                                    " is outside [0, 1]");
  });
}

// input must be (N, C) and floating-point.
void check_matrix(const char* op, const char* input_name, const Tensor& input) {
  if (input.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": " + input_name + " must be (N, C), got " + input.shape().str());
  if (!is_floating_point(input.dtype()))
    throw std::invalid_argument(std::string(op) + ": " + input_name + " must be float32 or float64, got " +
                                std::string(dtype_name(input.dtype())));
}

constexpr std::int64_t kIgnored = -1;  // an ignored sample in the copied class indices

// target must be (N) int64 class indices for an (N, C) input, each in [0, C) or equal to ignore_index; an
// error names the offending sample. Copies them to `classes` (target.numel() of them) with ignored samples
// as kIgnored (ignore_index may itself be a class, so it cannot mark them); later steps read only that
// copy. Returns the number of samples not ignored.
std::int64_t read_class_target(const char* op, const char* input_name, const Tensor& input, const Tensor& target,
                               std::int64_t ignore_index, std::int64_t* classes) {
  if (target.dtype() != kInt64)
    throw std::invalid_argument(std::string(op) + ": class-index targets must be int64, got a " +
                                std::string(dtype_name(target.dtype())) + " tensor of shape " + target.shape().str() +
                                "; convert with .to(tg::kInt64)");
  if (target.dim() != 1)
    throw std::invalid_argument(std::string(op) + ": int64 class indices must be (N) for " + input_name + " " +
                                input.shape().str() + ", got target " + target.shape().str() +
                                " (class probabilities are floating-point, in the dtype of " + input_name + ")");
  if (target.size(0) != input.size(0))
    throw std::invalid_argument(std::string(op) + ": " + input_name + " " + input.shape().str() + " and target " +
                                target.shape().str() + " disagree on N");
  const std::int64_t c = input.size(1);
  const std::int64_t* t = target.data<std::int64_t>();
  std::int64_t kept = 0;
  for (std::int64_t i = 0; i < target.numel(); ++i) {
    if (t[i] == ignore_index) {
      classes[i] = kIgnored;
      continue;
    }
    if (t[i] < 0 || t[i] >= c)
      throw std::invalid_argument(std::string(op) + ": target[" + std::to_string(i) + "] = " + std::to_string(t[i]) +
                                  " is not a class index in [0, " + std::to_string(c) + ") nor the ignore_index " +
                                  std::to_string(ignore_index));
    classes[i] = t[i];
    ++kept;
  }
  return kept;
}

// The class indices of a cross_entropy or nll_loss target: the record keeps this copy rather than the
// target, which the caller may overwrite (a loader refilling its batch) before backward(). Held in storage
// from the tensor cache, so that a training step still does not allocate.
class ClassIndices {
 public:
  explicit ClassIndices(std::int64_t n)
      : storage_(detail::storage_alloc(static_cast<std::size_t>(n) * sizeof(std::int64_t))) {}
  ClassIndices(ClassIndices&& other) noexcept : storage_(std::exchange(other.storage_, nullptr)) {}
  ClassIndices(const ClassIndices&) = delete;
  ClassIndices& operator=(const ClassIndices&) = delete;
  ClassIndices& operator=(ClassIndices&&) = delete;
  ~ClassIndices() {
    if (storage_ != nullptr) detail::storage_release(storage_);
  }
  [[nodiscard]] std::int64_t* data() const { return static_cast<std::int64_t*>(storage_->data); }

 private:
  detail::Storage* storage_;
};

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return mean(loss);
    case Reduction::Sum: return sum(loss);
    case Reduction::None: break;
  }
  return loss;
}

// ---- the two recorded ops ----

constexpr double kLogFloor = -100.0;  // PyTorch's clamp on the logs of binary_cross_entropy

// max(log x, -100) for x in [0, 1]. Recorded as one op because clamp(log(x)) would send log's backward
// dy / x = 0 / 0 = nan at x = 0.
Tensor clamped_log(const Tensor& x) {
  Tensor y = empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) py[i] = std::max(std::log(px[i]), static_cast<T>(kLogFloor));
  });
  if (needs_grad(x))
    record("clamped_log", y, saves(x).and_output(), [x](const Tensor& dy, const Tensor& y) {
      // dx = dy / x where y > -100, 0 where the floor holds; `above` is 1 or 0 (y >= -100), and the
      // denominator is x + 1 where it is 0, so that x = 0 never divides.
      const Tensor above = sign(y - kLogFloor);
      accumulate_grad(x, dy * above / (x + (1.0 - above)));
    });
  return y;
}

// Cross-entropy of logits x (N, C) at class indices t (N), fused with log-softmax:
//   loss_i = log sum_c exp(x_ic) - x_i,t_i, computed as log sum_c exp(x_ic - m_i) - (x_i,t_i - m_i) with
//   m_i the row maximum: exp never overflows, and the answer depends on differences of logits only (the
//   form m + log sum - x_t rounds it away against m: [1e7, 1e7] gave 1 instead of log 2 in float32).
// Fused (rather than log_softmax + gather + mean) for that stability and for speed: it sits in every
// training step, and the composition records four ops and builds five (N, C) temporaries on the way
// back. Measured forward+backward 1.6-2.7x faster than that composition at N = 64..256, C = 10..1000
// (float32, AMD EPYC, 2 shared cores, 2026-11-24). With a gradient to come, the forward keeps
// p = softmax(x) for the backward (probs, one row of it here; null without a gradient).
template <class T>
T cross_entropy_row(const T* row, std::int64_t c, std::int64_t t, T* probs) {
  const T m = *std::max_element(row, row + c);
  T sum_exp = 0;
  for (std::int64_t k = 0; k < c; ++k) {
    const T e = std::exp(row[k] - m);
    if (probs != nullptr) probs[k] = e;
    sum_exp += e;
  }
  if (probs != nullptr) {
    const T inverse = T(1) / sum_exp;
    for (std::int64_t k = 0; k < c; ++k) probs[k] *= inverse;
  }
  return std::log(sum_exp) - (row[t] - m);
}

// The per-sample losses of input (N, C) at class indices t (kIgnored: loss 0), written to `losses` when
// it is not null: cross_entropy_row with log_softmax, else nll_loss's -x_i,t_i. Returns their sum.
template <class T>
T class_index_rows(const Tensor& input, const std::int64_t* t, bool log_softmax, T* losses, T* probs) {
  const std::int64_t n = input.size(0);
  const std::int64_t c = input.size(1);
  const T* x = input.data<T>();
  T total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    T loss = 0;
    if (t[i] != kIgnored)
      loss = log_softmax ? cross_entropy_row(x + i * c, c, t[i], probs == nullptr ? nullptr : probs + i * c)
                         : -x[i * c + t[i]];
    if (losses != nullptr) losses[i] = loss;
    total += loss;
  }
  return total;
}

// The backward of class_index_rows, x:[N,C] t:[N]: dx_i = (softmax(x_i) - onehot(t_i)) * g_i for
// cross_entropy (probs given), -onehot(t_i) * g_i for nll_loss (probs null), and 0 in an ignored row; g_i
// is dy_i (None), dy (Sum) or dy / kept (Mean). A direct loop: one pass writing dx, where composing ops
// would build a one-hot (N, C) tensor and two more temporaries. An ordinary sweep records nothing, so
// nothing is lost by it; a create_graph sweep takes class_index_backward_composed instead.
template <class T>
void class_index_backward(const T* probs, const std::int64_t* t, const T* dy, Reduction reduction, std::int64_t kept,
                          std::int64_t n, std::int64_t c, T* dx) {
  const T scale = reduction == Reduction::Mean ? T(1) / static_cast<T>(kept) : T(1);  // kept 0: never used
  for (std::int64_t i = 0; i < n; ++i) {
    T* d = dx + i * c;
    if (t[i] == kIgnored) {
      std::fill(d, d + c, T(0));
      continue;
    }
    const T gi = (reduction == Reduction::None ? dy[i] : dy[0]) * scale;
    if (probs != nullptr) {
      for (std::int64_t k = 0; k < c; ++k) d[k] = probs[i * c + k] * gi;
    } else {
      std::fill(d, d + c, T(0));
    }
    d[t[i]] -= gi;
  }
}

// The same dx as class_index_backward, from tapegrad ops so that a create_graph sweep records it and it can
// be differentiated again (in input through softmax, in dy linearly). x:[N,C] t:[N] dy:[N] or []:
//   dx = (softmax(x, 1) - onehot) * g for cross_entropy, -onehot * g for nll_loss, g = dy * w ([N, 1]),
// where onehot (N, C) has zero rows where ignored and w_i is 0 ignored, 1 / kept (Mean) or 1 kept. Both are
// built by a loop from the class indices alone: constants whose derivative is zero. An ignored row of
// cross_entropy gets softmax(x_i) * 0, so nan or inf logits there give a nan row, as PyTorch's composed
// log_softmax + nll_loss does (the fused path never reads it).
Tensor class_index_backward_composed(const Tensor& input, const std::int64_t* t, const Tensor& dy,
                                     Reduction reduction, std::int64_t kept, bool log_softmax) {
  const std::int64_t n = input.size(0);
  const std::int64_t c = input.size(1);
  Tensor onehot = zeros(input.shape(), input.dtype());
  Tensor weight = zeros(Shape{n, 1}, input.dtype());
  visit_dtype(input.dtype(), [&]<class T>() {
    const T scale = reduction == Reduction::Mean ? T(1) / static_cast<T>(kept) : T(1);  // kept 0: never used
    for (std::int64_t i = 0; i < n; ++i) {
      if (t[i] == kIgnored) continue;
      onehot.data<T>()[i * c + t[i]] = T(1);
      weight.data<T>()[i] = scale;
    }
  });
  const Tensor g = (reduction == Reduction::None ? dy.reshape({n, 1}) : dy) * weight;
  return log_softmax ? (softmax(input, 1) - onehot) * g : -(onehot * g);
}

// The composed backward reads input, which the record does not declare (the fused one reads only its own
// copies, so an in-place write to the logits after the forward stays allowed there, as in PyTorch): it
// checks input's version itself, with the sweep's words.
void check_unmodified(const char* op, const Tensor& input, std::int64_t version) {
  if (input.version() != version)
    throw detail::modified_error(input.impl(), std::string("an input of '") + op + "'",
                                 static_cast<std::uint32_t>(version));
}

// cross_entropy (log_softmax true) or nll_loss of input (N, C) at int64 class indices, as one record.
// Mean divides by the samples not ignored: 0 / 0 = nan when every sample is, as in PyTorch.
Tensor class_index_loss(const char* op, const char* input_name, const Tensor& input, const Tensor& target,
                        Reduction reduction, std::int64_t ignore_index, bool log_softmax) {
  check_defined(op, input_name, input, target);
  check_matrix(op, input_name, input);
  ClassIndices classes(target.numel());
  const std::int64_t kept = read_class_target(op, input_name, input, target, ignore_index, classes.data());
  const bool per_sample = reduction == Reduction::None;
  Tensor probs = log_softmax && needs_grad(input) ? empty(input.shape(), input.dtype()) : Tensor();
  Tensor y = per_sample ? empty(Shape{input.size(0)}, input.dtype()) : empty(Shape{}, input.dtype());
  visit_dtype(input.dtype(), [&]<class T>() {
    T* probs_data = probs.defined() ? probs.data<T>() : nullptr;
    const T total = class_index_rows<T>(input, classes.data(), log_softmax, per_sample ? y.data<T>() : nullptr,
                                        probs_data);
    if (!per_sample) y.data<T>()[0] = reduction == Reduction::Mean ? total / static_cast<T>(kept) : total;
  });
  if (needs_grad(input))
    // the fused path reads only probs and the copied classes, which no caller can reach: nothing to
    // version-check; the composed one (create_graph) checks input's version itself
    record(op, y, saves_nothing,
           [op, input, version = input.version(), classes = std::move(classes), probs, reduction, kept,
            log_softmax](const Tensor& dy, const Tensor&) {
      if (is_grad_enabled()) {  // a create_graph sweep: recorded, differentiable again
        check_unmodified(op, input, version);
        accumulate_grad(input, class_index_backward_composed(input, classes.data(), dy, reduction, kept, log_softmax));
        return;
      }
      Tensor dx = empty(input.shape(), input.dtype());
      visit_dtype(input.dtype(), [&]<class T>() {
        class_index_backward<T>(probs.defined() ? probs.data<T>() : nullptr, classes.data(), dy.data<T>(), reduction,
                                kept, input.size(0), input.size(1), dx.data<T>());
      });
      accumulate_grad(input, dx);
    });
  return y;
}

}  // namespace

namespace {

// Mean or sum of (x - t)^2 as one recorded op instead of four (sub, mul, sum, div): the zhou step
// (2-2-1, batch 1) is nothing but per-op overhead, and this was a fifth of its records.
Tensor mse_reduced(const Tensor& input, const Tensor& target, Reduction reduction) {
  const double count = reduction == Reduction::Mean ? static_cast<double>(input.numel()) : 1.0;
  double total = 0;
  visit_dtype(input.dtype(), [&]<class T>() {
    const T* x = input.data<T>();
    const T* t = target.data<T>();
    for (std::int64_t i = 0, n = input.numel(); i < n; ++i) total += static_cast<double>((x[i] - t[i]) * (x[i] - t[i]));
  });
  Tensor loss = scalar_tensor(total / count, input.dtype());
  if (needs_grad(input, target))
    record("mse_loss", loss, saves(input, target), [input, target, count](const Tensor& dy, const Tensor&) {
      // d/dx = 2 (x - t) * dy / count, d/dt = its negative
      const Tensor dx = (input - target) * (2.0 / count) * dy;
      if (input.requires_grad()) accumulate_grad(input, dx);
      if (target.requires_grad()) accumulate_grad(target, -dx);
    });
  return loss;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("mse_loss", "input", input, target);
  if (reduction != Reduction::None) return mse_reduced(input, target, reduction);
  const Tensor diff = input - target;
  return diff * diff;
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction) {
  check_same_shape("binary_cross_entropy", "probs", probs, target);
  check_unit_interval("binary_cross_entropy", "probs", probs);
  check_unit_interval("binary_cross_entropy", "target", target);
  // -(t log p + (1 - t) log(1 - p)), each log floored at -100. Where the floor holds the gradient is 0
  // (PyTorch returns (p - t) / max(p (1 - p), 1e-12) there instead).
  return reduce(-(target * clamped_log(probs) + (1.0 - target) * clamped_log(1.0 - probs)), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction) {
  check_same_shape("binary_cross_entropy_with_logits", "logits", logits, target);
  // softplus(x) - x t, written as (1 - t) softplus(x) + t softplus(-x) (softplus(x) - softplus(-x) = x):
  // for t in [0, 1] two terms >= 0, so a confident right answer (x = 16, t = 1: log1p(e^-16)) is not
  // rounded away against x. softplus = max(x, 0) + log1p(e^-|x|) never overflows, and the backward
  // sigmoid(x) - t is right at x = 0 too (relu and abs would each give 0 there).
  return reduce((1.0 - target) * softplus(logits) + target * softplus(-logits), reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, std::int64_t ignore_index) {
  // int64 targets are class indices; so is any 1-d target, which class_index_loss refuses unless int64.
  if (!target.defined() || target.dtype() == kInt64 || target.dim() == 1)
    return class_index_loss("cross_entropy", "logits", logits, target, reduction, ignore_index, true);
  check_pair("cross_entropy", "logits", logits, target);
  check_matrix("cross_entropy", "logits", logits);
  if (target.dim() != 2)
    throw std::invalid_argument("cross_entropy: target must be (N) class indices or (N, C) probabilities, got " +
                                target.shape().str() + " for logits " + logits.shape().str());
  check_same_shape("cross_entropy", "logits", logits, target);
  // Probability targets: loss_i = -sum_c t_ic log_softmax(x)_ic; log_softmax subtracts the row maximum.
  return reduce(-sum(target * log_softmax(logits, 1), {1}), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction, std::int64_t ignore_index) {
  return class_index_loss("nll_loss", "log_probs", log_probs, target, reduction, ignore_index, false);
}

Tensor kl_div(const Tensor& input, const Tensor& target, KLReduction reduction) {
  check_same_shape("kl_div", "input", input, target);
  check_unit_interval("kl_div", "target", target);
  // t (log t - x) with 0 log 0 = 0: where t = 0, log sees 1 instead (sign(t) is 0 there, 1 elsewhere).
  const Tensor safe_target = target + (1.0 - sign(target));
  const Tensor pointwise = target * (log(safe_target) - input);
  switch (reduction) {
    case KLReduction::Mean: return mean(pointwise);
    case KLReduction::BatchMean: return sum(pointwise) / static_cast<double>(input.dim() > 0 ? input.size(0) : 1);
    case KLReduction::Sum: return sum(pointwise);
    case KLReduction::None: break;
  }
  return pointwise;
}

}  // namespace tg::nn
