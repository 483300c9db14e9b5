#pragma once
// Layers: Linear, Sequential, the activation modules (PyTorch's names and defaults) and Dropout.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "tapegrad/nn/module.hpp"

namespace tg::nn {

struct LinearOptions {
  bool bias = true;
  Dtype dtype = kFloat32;
};

/// y = x @ weight + bias for x [*, D] (any leading dims, or none), giving [*, O]: weight is (D, O) ("in,
/// out", as the tutorials write it; PyTorch stores the transpose), bias is (O). Initialised as PyTorch
/// does: uniform in +-1/sqrt(D).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, LinearOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  Linear(std::int64_t in_features, std::int64_t out_features, LinearOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // (in_features, out_features)
  Tensor bias;    // (out_features), undefined without bias
};

/// Runs its modules in order; they are named "0", "1", ... in named_parameters().
class Sequential : public Module {
 public:
  Sequential() = default;
  template <class... Ms>
  explicit Sequential(std::shared_ptr<Ms>... modules) {
    (push_back(std::move(modules)), ...);
  }
  /// Appends a module.
  void push_back(std::shared_ptr<Module> module);
  /// Constructs a module in place at the end and returns it.
  template <class M, class... Args>
  M& emplace(Args&&... args) {
    auto module = std::make_shared<M>(std::forward<Args>(args)...);
    push_back(module);
    return *module;
  }
  [[nodiscard]] std::size_t size() const { return children().size(); }
  [[nodiscard]] Module& operator[](std::size_t i) const { return *children().at(i).second; }
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;
};

class Sigmoid : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Tanh"; }
};

class ReLU : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double negative_slope_;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double alpha_;
};

/// gelu(x, approximate), approximate "none" (exact) or "tanh"; checked on construction.
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "GELU(" + approximate_ + ")"; }

 private:
  std::string approximate_;
};

class SiLU : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "SiLU"; }
};

class Mish : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Mish"; }
};

/// hardtanh(x, min_val, max_val); min_val > max_val throws on construction.
class Hardtanh : public Module {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double min_val_;
  double max_val_;
};

class ReLU6 : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "ReLU6"; }
};

class Hardsigmoid : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Hardsigmoid"; }
};

class Hardswish : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Hardswish"; }
};

class LogSigmoid : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "LogSigmoid"; }
};

class Softsign : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "Softsign"; }
};

/// celu(x, alpha); alpha = 0 throws on construction.
class CELU : public Module {
 public:
  explicit CELU(double alpha = 1.0);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double alpha_;
};

class SELU : public Module {
 public:
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override { return "SELU"; }
};

class Softmax : public Module {
 public:
  explicit Softmax(int dim = -1) : dim_(dim) {}
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  int dim_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int dim = -1) : dim_(dim) {}
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  int dim_;
};

/// Zeroes each element with probability p in training mode and scales the rest by 1/(1-p); the
/// identity in eval mode. The mask comes from its own seeded generator.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0);
  [[nodiscard]] Tensor forward(const Tensor& x) override;
  [[nodiscard]] std::string name() const override;

 private:
  double p_;
  Generator gen_;
};

}  // namespace tg::nn
