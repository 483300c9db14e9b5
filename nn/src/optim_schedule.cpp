// Learning-rate schedules, using the closed forms of torch.optim.lr_scheduler (_get_closed_form_lr,
// PyTorch 1.13) rather than the recursive get_lr(): the closed form depends on the epoch alone, so
// rounding does not accumulate over epochs.

#include "tapegrad/optim/schedule.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace tg::optim {
namespace {

void check_positive_gamma(const char* schedule, double gamma) {
  if (!(gamma > 0) || std::isinf(gamma))
    throw std::invalid_argument(std::string(schedule) + ": gamma must be a finite number > 0, got " +
                                detail::shortest_text(gamma));
}

void check_period(const char* schedule, const char* option, std::int64_t value) {
  if (value < 1)
    throw std::invalid_argument(std::string(schedule) + ": " + option + " must be >= 1, got " + std::to_string(value));
}

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(&optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() {
  ++last_epoch_;
  last_lr_ = lr_at(last_epoch_);
  optimizer_->set_lr(last_lr_);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  check_period("StepLR", "step_size", step_size);
  check_positive_gamma("StepLR", gamma);
}

double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));  // η_0 γ^⌊t/s⌋
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  check_positive_gamma("ExponentialLR", gamma);
}

double ExponentialLR::lr_at(std::int64_t epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch));  // η_0 γ^t
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  check_period("CosineAnnealingLR", "T_max", t_max);
  if (!(eta_min >= 0) || std::isinf(eta_min))
    throw std::invalid_argument("CosineAnnealingLR: eta_min must be a finite number >= 0, got " +
                                detail::shortest_text(eta_min));
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  // The closed form η_min + (η_0 - η_min)(1 + cos(π t / T_max)) / 2, evaluated in PyTorch's order.
  const double cosine = std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_));
  return eta_min_ + (base_lr() - eta_min_) * (1 + cosine) / 2;
}

}  // namespace tg::optim
