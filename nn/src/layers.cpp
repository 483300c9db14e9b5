#include "tapegrad/nn/layers.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tapegrad/ops.hpp"

namespace tg::nn {

namespace {

// "Name(arg, arg)".
template <class... Args>
std::string described(const char* name, const Args&... args) {
  std::ostringstream os;
  os << name << '(';
  const char* separator = "";
  ((os << separator << args, separator = ", "), ...);
  os << ')';
  return os.str();
}

// Runs fn once on an empty tensor, so that a bad argument fails where the model is built, with the
// function's own message.
Activation::Function checked(Activation::Function fn) {
  static_cast<void>(fn(empty({0})));
  return fn;
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

void Sequential::push_back(std::shared_ptr<Layer> layer) {
  if (layer == nullptr) throw std::invalid_argument("Sequential: cannot add a null module");
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& layer : layers_) y = layer->forward(y);
  return y;
}

std::string Sequential::name() const {
  std::string s = "Sequential(";
  for (std::size_t i = 0; i < layers_.size(); ++i) s += (i > 0 ? ", " : "") + layers_[i]->name();
  return s + ")";
}

Activation::Activation(std::string name, Function fn) : name_(std::move(name)), fn_(std::move(fn)) {
  if (!fn_) throw std::invalid_argument("Activation: the function of '" + name_ + "' is empty");
}

LeakyReLU::LeakyReLU(double negative_slope)
    : Activation(described("LeakyReLU", negative_slope),
                 [negative_slope](const Tensor& x) { return leaky_relu(x, negative_slope); }) {}
ELU::ELU(double alpha) : Activation(described("ELU", alpha), [alpha](const Tensor& x) { return elu(x, alpha); }) {}
GELU::GELU(std::string approximate)
    : Activation(described("GELU", approximate),
                 checked([approximate](const Tensor& x) { return gelu(x, approximate); })) {}
Hardtanh::Hardtanh(double min_val, double max_val)
    : Activation(described("Hardtanh", min_val, max_val),
                 checked([min_val, max_val](const Tensor& x) { return hardtanh(x, min_val, max_val); })) {}
CELU::CELU(double alpha)
    : Activation(described("CELU", alpha), checked([alpha](const Tensor& x) { return celu(x, alpha); })) {}
Softmax::Softmax(int dim) : Activation(described("Softmax", dim), [dim](const Tensor& x) { return softmax(x, dim); }) {}
LogSoftmax::LogSoftmax(int dim)
    : Activation(described("LogSoftmax", dim), [dim](const Tensor& x) { return log_softmax(x, dim); }) {}

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

std::string Dropout::name() const { return described("Dropout", p_); }

Dropout2d::Dropout2d(double p, std::uint64_t seed) : p_(p), gen_(seed) {
  if (!(p >= 0 && p <= 1)) throw std::invalid_argument("Dropout2d: p must be in [0, 1], got " + std::to_string(p));
}

Tensor Dropout2d::forward(const Tensor& x) { return dropout2d(x, p_, is_training(), gen_); }

std::string Dropout2d::name() const { return described("Dropout2d", p_); }

}  // namespace tg::nn
