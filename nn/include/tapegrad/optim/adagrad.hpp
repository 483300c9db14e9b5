#pragma once
// Adagrad (torch.optim.Adagrad): per-element learning rates from the running sum of squared gradients.

#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// PyTorch's defaults.
struct AdagradOptions {
  double lr = 1e-2;                      // >= 0
  double lr_decay = 0.0;                 // >= 0: step t uses lr / (1 + (t - 1) lr_decay)
  double weight_decay = 0.0;             // L2 penalty, >= 0
  double initial_accumulator_value = 0.0;  // >= 0
  double eps = 1e-10;                    // >= 0
};

/// State per parameter: "step", "sum". As in PyTorch it is created in the constructor, not lazily.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const AdagradOptions& options() const { return options_; }

 protected:
  void update(Tensor& p, const Tensor& g, State& state, bool first) override;
  void init_state(std::size_t i) override;

 private:
  AdagradOptions options_;
};

}  // namespace tg::optim
