#pragma once
// Layers (modules of one tensor, see module.hpp): Linear, Sequential, the activation modules (PyTorch's
// names and defaults), Dropout, Dropout2d, Flatten, Unflatten and Identity.

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/activation.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

struct LinearOptions {
  bool bias = true;
  Dtype dtype = kFloat32;
};

/// y = x @ weight + bias for x [*, D] (any leading dims, or none), giving [*, O]: weight is (D, O) ("in,
/// out", as the tutorials write it; PyTorch stores the transpose), bias is (O). Initialised as PyTorch
/// does: uniform in +-1/sqrt(D).
class Linear : public Layer {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, LinearOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // (in_features, out_features)
  Tensor bias;    // (out_features), undefined without bias
};

/// Runs its layers in order; they are named "0", "1", ... in named_parameters(). It holds Layers only: a
/// module whose forward takes or returns several tensors is called by a module written for it.
class Sequential : public Layer {
 public:
  Sequential() = default;
  template <std::derived_from<Layer>... Ms>
  explicit Sequential(std::shared_ptr<Ms>... layers) {
    (push_back(std::move(layers)), ...);
  }
  /// Appends a layer.
  void push_back(std::shared_ptr<Layer> layer);
  /// Constructs a layer in place at the end and returns it.
  template <std::derived_from<Layer> M, class... Args>
  M& emplace(Args&&... args) {
    auto layer = std::make_shared<M>(std::forward<Args>(args)...);
    push_back(layer);
    return *layer;
  }
  [[nodiscard]] std::size_t size() const { return layers_.size(); }
  [[nodiscard]] Layer& operator[](std::size_t i) const { return *layers_.at(i); }
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  std::vector<std::shared_ptr<Layer>> layers_;  // the same as children(), typed for forward()
};

/// A module that applies a function of one tensor: forward(x) = fn(x); name() returns `name` (with the
/// arguments, e.g. "LeakyReLU(0.25)"). Every activation module below is one, with PyTorch's name and
/// defaults; Activation("Swish", [](const Tensor& x) { return x * tg::sigmoid(x); }) makes another.
class Activation : public Layer {
 public:
  using Function = std::function<Tensor(const Tensor&)>;
  /// Throws std::invalid_argument when fn is empty.
  Activation(std::string name, Function fn);
  [[nodiscard]] Tensor forward(const Tensor& x) override { return fn_(x); }
  [[nodiscard]] std::string name() const override { return name_; }

 private:
  std::string name_;
  Function fn_;
};

// The modules with arguments check them when built, with their function's own message.
struct Sigmoid : Activation { Sigmoid() : Activation("Sigmoid", tg::sigmoid) {} };
struct Tanh : Activation { Tanh() : Activation("Tanh", tg::tanh) {} };
struct ReLU : Activation { ReLU() : Activation("ReLU", tg::relu) {} };
struct LeakyReLU : Activation { explicit LeakyReLU(double negative_slope = 0.01); };
struct ELU : Activation { explicit ELU(double alpha = 1.0); };
/// approximate is "none" (exact) or "tanh".
struct GELU : Activation { explicit GELU(std::string approximate = "none"); };
struct SiLU : Activation { SiLU() : Activation("SiLU", tg::silu) {} };
struct Mish : Activation { Mish() : Activation("Mish", tg::mish) {} };
/// min_val > max_val throws.
struct Hardtanh : Activation { explicit Hardtanh(double min_val = -1.0, double max_val = 1.0); };
struct ReLU6 : Activation { ReLU6() : Activation("ReLU6", tg::relu6) {} };
struct Hardsigmoid : Activation { Hardsigmoid() : Activation("Hardsigmoid", tg::hardsigmoid) {} };
struct Hardswish : Activation { Hardswish() : Activation("Hardswish", tg::hardswish) {} };
struct LogSigmoid : Activation { LogSigmoid() : Activation("LogSigmoid", tg::logsigmoid) {} };
struct Softsign : Activation { Softsign() : Activation("Softsign", tg::softsign) {} };
/// alpha = 0 throws.
struct CELU : Activation { explicit CELU(double alpha = 1.0); };
struct SELU : Activation { SELU() : Activation("SELU", tg::selu) {} };
/// The dimension is checked against the input in forward(), as in PyTorch.
struct Softmax : Activation { explicit Softmax(int dim = -1); };
struct LogSoftmax : Activation { explicit LogSoftmax(int dim = -1); };

/// Zeroes each element with probability p in training mode and scales the rest by 1/(1-p); the
/// identity in eval mode. The mask comes from its own seeded generator.
class Dropout : public Layer {
 public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double p_;
  Generator gen_;
};

/// Zeroes whole channels of x [N, C, H, W] (or [C, H, W]) with probability p in training mode and scales the
/// rest by 1/(1-p); the identity in eval mode. The masks come from its own seeded generator, as Dropout's.
class Dropout2d : public Layer {
 public:
  explicit Dropout2d(double p = 0.5, std::uint64_t seed = 0);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double p_;
  Generator gen_;
};

/// Merges dimensions start_dim..end_dim (inclusive; negative counts from the back) into one, as
/// torch.nn.Flatten: (N, C, H, W) -> (N, C*H*W) with the defaults. Note start_dim = 1, which keeps the batch
/// dimension (torch.flatten's default is 0). start_dim == end_dim returns x itself. Shares x's storage.
class Flatten : public Layer {
 public:
  explicit Flatten(int start_dim = 1, int end_dim = -1) : start_dim_(start_dim), end_dim_(end_dim) {}
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  int start_dim_;
  int end_dim_;
};

/// Splits dimension dim (negative counts from the back) into `sizes`, as torch.nn.Unflatten:
/// Unflatten(1, {2, 5}) takes (N, 10) to (N, 2, 5). One size may be -1, inferred from the others; sizes
/// that are empty, below -1 or with two -1 throw when built. Shares x's storage.
class Unflatten : public Layer {
 public:
  Unflatten(int dim, std::vector<std::int64_t> sizes);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  int dim_;
  std::vector<std::int64_t> sizes_;
};

/// Returns its input (the same tensor), e.g. to stand for an optional layer.
class Identity : public Layer {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override { return x; }
  [[nodiscard]] std::string name() const override { return "Identity"; }
};

}  // namespace tg::nn
