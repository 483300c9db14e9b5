#pragma once
// Module: the base of every model part. It keeps a registry of named parameters, buffers and submodules,
// in registration order, so that parameters(), named_parameters(), buffers(), state_dict(), zero_grad(),
// train()/eval(), to() and the checkpoints (tapegrad/nn/checkpoint.hpp) reach the whole tree. A buffer
// is state that is not trained: BatchNorm's running_mean, running_var and num_batches_tracked. It is in
// state_dict() and follows to() (when it is floating point, as in PyTorch), but optimizers never see it. It has no forward(): as in LibTorch,
// each module declares its own, with the arguments and results it needs; nn::LSTM declares
// `std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(input, hx)` and its parent calls it directly.
//
// Layer: a Module whose forward takes one tensor and returns one, as a virtual function. It is what
// Sequential chains and what code that runs "some model" on a batch takes (Layer&); every module of
// layers.hpp is one. A module with another signature derives from Module and cannot be put in a
// Sequential (that does not compile); it is registered as a child of the module that calls it.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Parameters are registered by address: a copied module would point into its source.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Every parameter of this module and its submodules, depth first in registration order.
  [[nodiscard]] std::vector<Tensor> parameters() const;
  /// The same, named by their path: "weight", "0.bias", "encoder.1.weight".
  [[nodiscard]] std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  /// Every buffer of this module and its submodules, depth first in registration order.
  [[nodiscard]] std::vector<Tensor> buffers() const;
  /// The same, named by their path: "running_mean", "1.running_var".
  [[nodiscard]] std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Parameters and buffers by name, in PyTorch's order: each module's parameters, then its buffers, then
  /// its submodules'. What checkpoints save, with PyTorch's keys ("0.weight", "1.running_mean").
  [[nodiscard]] std::vector<std::pair<std::string, Tensor>> state_dict() const;
  /// Copies each named value into the parameter or buffer of that name (same shape and dtype required),
  /// which keeps its identity. All or nothing: every entry is checked before the first copy. With strict,
  /// every entry of state_dict() must be given, as PyTorch's load_state_dict(strict=True).
  void load_state_dict(const std::vector<std::pair<std::string, Tensor>>& state, bool strict = true);
  /// Direct submodules with their names.
  [[nodiscard]] const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

  /// Drops every parameter's gradient.
  void zero_grad();
  /// Training mode (the default) switches on Dropout; eval mode switches it off. Applies to submodules.
  void train(bool on = true);
  void eval() { train(false); }
  [[nodiscard]] bool is_training() const { return training_; }
  /// Converts every parameter and its gradient, and every floating-point buffer, to dtype (float32 or
  /// float64) in place: the tensors keep their identity, so optimizers holding them keep training them. Views of a parameter (detach()) do not
  /// follow. Where tapegrad differs: no device argument (PyTorch's module.to(device, dtype)).
  void to(Dtype dtype);
  /// Replaces the value of the named parameter with a copy of value (same shape and dtype required);
  /// the parameter keeps its identity (optimizers holding it see the new values).
  void load_parameter(const std::string& name, const Tensor& value);
  /// Short description, e.g. "Linear(64, 128, bias=true)".
  [[nodiscard]] virtual std::string name() const = 0;

 protected:
  /// Registers a parameter member (a leaf; it is made to require grad). Returns it.
  Tensor& register_parameter(std::string name, Tensor& parameter);
  /// Registers a buffer member (a tensor that does not require grad, e.g. a running mean). Returns it.
  Tensor& register_buffer(std::string name, Tensor& buffer);
  /// Registers a submodule and returns it.
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }

 private:
  enum class Kind { kParameters, kBuffers, kState };
  void collect(const std::string& prefix, Kind kind, std::vector<std::pair<std::string, Tensor*>>& out) const;
  [[nodiscard]] std::vector<std::pair<std::string, Tensor*>> entries(Kind kind) const;

  std::vector<std::pair<std::string, Tensor*>> parameters_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

/// A module computing one tensor from one tensor.
class Layer : public Module {
 public:
  /// The layer's computation; x is (N, D) for Linear, any shape for the activations.
  [[nodiscard]] virtual Tensor forward(const Tensor& x) = 0;
  [[nodiscard]] Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace tg::nn
