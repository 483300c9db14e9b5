#pragma once
// Adam (torch.optim.Adam, L2 weight decay added to the gradient) and AdamW (torch.optim.AdamW,
// decoupled weight decay applied to the parameter), both with optional AMSGrad.

#include <string>
#include <utility>
#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// PyTorch's defaults.
struct AdamOptions {
  double lr = 1e-3;                                // >= 0
  std::pair<double, double> betas = {0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;                               // >= 0
  double weight_decay = 0.0;                       // L2 penalty added to the gradient, >= 0
  bool amsgrad = false;                            // normalise by the largest second moment so far
};

/// PyTorch's defaults; note weight_decay = 0.01.
struct AdamWOptions {
  double lr = 1e-3;                                // >= 0
  std::pair<double, double> betas = {0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;                               // >= 0
  double weight_decay = 1e-2;                      // decoupled: θ = θ (1 - lr weight_decay) each step, >= 0
  bool amsgrad = false;                            // normalise by the largest second moment so far
};

}  // namespace tg::optim

namespace tg::detail {

/// Hyper-parameters of Adam and AdamW except lr.
struct AdamHyper {
  std::pair<double, double> betas;
  double eps;
  double weight_decay;
  bool amsgrad;
  bool decoupled;  // AdamW
};

/// The update shared by Adam and AdamW; use those. State per parameter: "step", "exp_avg",
/// "exp_avg_sq", and "max_exp_avg_sq" with amsgrad (PyTorch's order).
class AdamBase : public optim::Optimizer {
 protected:
  AdamBase(std::string name, std::vector<Tensor> params, double lr, const AdamHyper& hyper);
  void update(Tensor& p, const Tensor& g, State& state, bool first) override;

 private:
  AdamHyper hyper_;
};

}  // namespace tg::detail

namespace tg::optim {

class Adam : public detail::AdamBase {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
};

class AdamW : public detail::AdamBase {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
};

}  // namespace tg::optim
