#pragma once
// Adadelta (torch.optim.Adadelta): step sizes from running averages of squared gradients and updates.

#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// PyTorch's defaults (lr = 1.0 scales the delta before it is applied).
struct AdadeltaOptions {
  double lr = 1.0;            // >= 0
  double rho = 0.9;           // in [0, 1]
  double eps = 1e-6;          // >= 0
  double weight_decay = 0.0;  // L2 penalty, >= 0
};

/// State per parameter: "step", "square_avg", "acc_delta" (PyTorch's order).
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options = {});

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const AdadeltaOptions& options() const { return options_; }

 protected:
  void update(Tensor& p, const Tensor& g, State& state, bool first) override;

 private:
  AdadeltaOptions options_;
};

}  // namespace tg::optim
