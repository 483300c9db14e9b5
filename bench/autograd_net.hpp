#pragma once
// A workload's network in tapegrad's nn modules, its optimizer, and one training step: what
// train_step/autograd/<workload> times, and what tests/test_bench_reference.cpp checks against the
// hand-written net of manual.hpp.

#include <memory>
#include <type_traits>
#include <vector>

#include "tapegrad/nn.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"
#include "workloads.hpp"

namespace tg::bench {

/// Linear layers with the workload's hidden activation between them, and a sigmoid after the last for
/// the MSE workloads; weights from tapegrad's default initialisation with seed 1, in dtype.
[[nodiscard]] inline std::unique_ptr<nn::Sequential> make_model(const Workload& w, Dtype dtype = kFloat32) {
  Generator gen(1);
  auto model = std::make_unique<nn::Sequential>();
  for (int l = 0; l < w.num_layers(); ++l) {
    model->emplace<nn::Linear>(w.sizes[l], w.sizes[l + 1], gen);
    const bool last = l + 1 == w.num_layers();
    if (!last && w.hidden == Activation::kRelu) model->emplace<nn::ReLU>();
    if (!last && w.hidden == Activation::kSigmoid) model->emplace<nn::Sigmoid>();
  }
  if (w.loss == Loss::kSigmoidMse) model->emplace<nn::Sigmoid>();
  model->to(dtype);
  return model;
}

[[nodiscard]] inline std::unique_ptr<optim::Optimizer> make_optimizer(const Workload& w, nn::Module& model) {
  if (w.optimizer == Optimizer::kAdam)
    return std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.lr = w.lr});
  return std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions{.lr = w.lr});
}

/// The model, its optimizer and the batch as tensors; step() is one full training step. float32 is what
/// the benchmark times; float64 (model, batch and optimizer state) is for tests.
class AutogradNet {
 public:
  template <class T>
  explicit AutogradNet(const Workload& w, const BasicBatch<T>& batch)
      : mse_(w.loss == Loss::kSigmoidMse),
        x_(as_tensor<T>(batch.x, {w.batch, w.inputs()})),
        y_(mse_ ? as_tensor<T>(batch.targets, {w.batch, w.outputs()}) : tensor(batch.labels, {w.batch})),
        model_(make_model(w, x_.dtype())),
        optimizer_(make_optimizer(w, *model_)) {}

  /// zero_grad, forward, loss, backward, optimizer update; returns the loss before the update.
  Tensor step() {
    optimizer_->zero_grad();
    const Tensor out = (*model_)(x_);
    Tensor loss = mse_ ? nn::mse_loss(out, y_) : nn::cross_entropy(out, y_);
    loss.backward();
    optimizer_->step();
    return loss;
  }

  [[nodiscard]] nn::Sequential& model() { return *model_; }

 private:
  template <class T>
  static Tensor as_tensor(const std::vector<T>& values, Shape shape) {
    return tensor(std::vector<double>(values.begin(), values.end()), std::move(shape),
                  std::is_same_v<T, double> ? kFloat64 : kFloat32);
  }

  bool mse_;
  Tensor x_;
  Tensor y_;
  std::unique_ptr<nn::Sequential> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
};

}  // namespace tg::bench
