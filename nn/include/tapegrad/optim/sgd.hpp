#pragma once
// SGD with optional momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD).

#include <optional>
#include <vector>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

/// PyTorch's defaults, except that lr has none and must be given: SGDOptions{.lr = 0.1}.
struct SGDOptions {
  std::optional<double> lr;   // required, >= 0
  double momentum = 0.0;      // >= 0
  double dampening = 0.0;     // in [0, 1]
  double weight_decay = 0.0;  // L2 penalty, >= 0
  bool nesterov = false;      // requires momentum > 0 and dampening = 0
};

/// State per parameter (only with momentum != 0): "momentum_buffer". No step count, as in PyTorch.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);

  /// The options as constructed (lr() is the current learning rate).
  [[nodiscard]] const SGDOptions& options() const { return options_; }

 protected:
  void update(Tensor& p, const Tensor& g, State& state, bool first) override;

 private:
  SGDOptions options_;
};

}  // namespace tg::optim
