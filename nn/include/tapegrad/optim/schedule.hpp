#pragma once
// Learning-rate schedules (torch.optim.lr_scheduler): each step() advances one epoch and sets the
// optimizer's learning rate from PyTorch's closed form at that epoch. Call it after optimizer.step().
// Construction leaves the learning rate at its current value, which becomes base_lr (epoch 0).

#include <cstdint>

#include "tapegrad/optim/optimizer.hpp"

namespace tg::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances to the next epoch and sets the optimizer's learning rate.
  void step();
  /// The learning rate set by the last step() (base_lr before the first).
  [[nodiscard]] double last_lr() const { return last_lr_; }
  /// Epochs stepped so far (0 after construction).
  [[nodiscard]] std::int64_t last_epoch() const { return last_epoch_; }
  /// The optimizer's learning rate when the schedule was made.
  [[nodiscard]] double base_lr() const { return base_lr_; }

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// The learning rate at `epoch` (>= 1).
  [[nodiscard]] virtual double lr_at(std::int64_t epoch) const = 0;

 private:
  Optimizer* optimizer_;
  double base_lr_;
  double last_lr_;
  std::int64_t last_epoch_ = 0;
};

/// lr = base_lr · gamma^⌊epoch / step_size⌋.
class StepLR : public LRScheduler {
 public:
  /// step_size >= 1; gamma finite and > 0.
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  [[nodiscard]] double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// lr = base_lr · gamma^epoch.
class ExponentialLR : public LRScheduler {
 public:
  /// gamma finite and > 0.
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  [[nodiscard]] double lr_at(std::int64_t epoch) const override;

 private:
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) (1 + cos(π epoch / T_max)) / 2, PyTorch's closed form (not its
/// recursive form); past T_max the cosine keeps going, so the rate rises again, as in PyTorch.
class CosineAnnealingLR : public LRScheduler {
 public:
  /// t_max (PyTorch's T_max) >= 1; eta_min finite and >= 0.
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);

 protected:
  [[nodiscard]] double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

}  // namespace tg::optim
