#include "tapegrad/nn/layers.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tapegrad/ops.hpp"

namespace tg::nn {

namespace {

std::string with_arg(const char* name, double value) {
  std::ostringstream os;
  os << name << '(' << value << ')';
  return os.str();
}

}  // namespace

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, LinearOptions options) {
  if (in_features <= 0 || out_features <= 0)
    throw std::invalid_argument("Linear: in_features and out_features must be positive, got " +
                                std::to_string(in_features) + " and " + std::to_string(out_features));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = rand(Shape{in_features, out_features}, gen, options.dtype, -bound, bound);
  register_parameter("weight", weight);
  if (options.bias) {
    bias = rand(Shape{out_features}, gen, options.dtype, -bound, bound);
    register_parameter("bias", bias);
  }
}

Linear::Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options)
    : Linear(in_features, out_features, default_generator(), options) {}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::name() const {
  return "Linear(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) +
         ", bias=" + (bias.defined() ? "true" : "false") + ")";
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  if (module == nullptr) throw std::invalid_argument("Sequential: cannot add a null module");
  register_module(std::to_string(children().size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& entry : children()) y = entry.second->forward(y);
  return y;
}

std::string Sequential::name() const {
  std::string s = "Sequential(";
  for (std::size_t i = 0; i < children().size(); ++i) s += (i > 0 ? ", " : "") + children()[i].second->name();
  return s + ")";
}

Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope_); }
std::string LeakyReLU::name() const { return with_arg("LeakyReLU", negative_slope_); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha_); }
std::string ELU::name() const { return with_arg("ELU", alpha_); }
// The modules with arguments run their function once on an empty tensor when constructed, so that a bad
// argument fails where the model is built, with the function's own message.
GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  static_cast<void>(gelu(empty({0}), approximate_));
}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate_); }
Tensor SiLU::forward(const Tensor& x) { return silu(x); }
Tensor Mish::forward(const Tensor& x) { return mish(x); }
Hardtanh::Hardtanh(double min_val, double max_val) : min_val_(min_val), max_val_(max_val) {
  static_cast<void>(hardtanh(empty({0}), min_val_, max_val_));
}
Tensor Hardtanh::forward(const Tensor& x) { return hardtanh(x, min_val_, max_val_); }
std::string Hardtanh::name() const {
  std::ostringstream os;
  os << "Hardtanh(" << min_val_ << ", " << max_val_ << ')';
  return os.str();
}
Tensor ReLU6::forward(const Tensor& x) { return relu6(x); }
Tensor Hardsigmoid::forward(const Tensor& x) { return hardsigmoid(x); }
Tensor Hardswish::forward(const Tensor& x) { return hardswish(x); }
Tensor LogSigmoid::forward(const Tensor& x) { return logsigmoid(x); }
Tensor Softsign::forward(const Tensor& x) { return softsign(x); }
CELU::CELU(double alpha) : alpha_(alpha) { static_cast<void>(celu(empty({0}), alpha_)); }
Tensor CELU::forward(const Tensor& x) { return celu(x, alpha_); }
std::string CELU::name() const { return with_arg("CELU", alpha_); }
Tensor SELU::forward(const Tensor& x) { return selu(x); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
std::string Softmax::name() const { return with_arg("Softmax", dim_); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim_); }
std::string LogSoftmax::name() const { return with_arg("LogSoftmax", dim_); }

Dropout::Dropout(double p, std::uint64_t seed) : p_(p), gen_(seed) {
  if (!(p >= 0 && p < 1)) throw std::invalid_argument("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0) return x;
  // y = x * mask / (1 - p): the expected value of each element is unchanged.
  Tensor mask = empty(x.shape(), x.dtype());
  const double keep_scale = 1.0 / (1.0 - p_);
  visit_dtype(x.dtype(), [&]<class T>() {
    T* m = mask.data<T>();
    for (std::int64_t i = 0; i < mask.numel(); ++i) m[i] = static_cast<T>(gen_.uniform() < p_ ? 0.0 : keep_scale);
  });
  return x * mask;
}

std::string Dropout::name() const { return with_arg("Dropout", p_); }

}  // namespace tg::nn
