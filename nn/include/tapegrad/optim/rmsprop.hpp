#pragma once
// RMSprop (torch.optim.RMSprop), optionally centered and with momentum.

#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// PyTorch's defaults.
struct RMSpropOptions {
  double lr = 1e-2;           // >= 0
  double alpha = 0.99;        // smoothing constant, in [0, 1]
  double eps = 1e-8;          // >= 0
  double weight_decay = 0.0;  // L2 penalty, >= 0
  double momentum = 0.0;      // >= 0
  bool centered = false;      // normalise by the estimated variance instead of the second moment
};

/// State per parameter: "step", "square_avg", then "momentum_buffer" if momentum > 0, then "grad_avg"
/// if centered (PyTorch's order).
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const RMSpropOptions& options() const { return options_; }

 protected:
  void update(Tensor& p, const Tensor& g, State& state, bool first) override;

 private:
  RMSpropOptions options_;
};

}  // namespace tg::optim
