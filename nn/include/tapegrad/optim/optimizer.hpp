#pragma once
// Optimizer: the base of tg::optim's optimizers. It owns the parameter list, the learning rate, the
// per-parameter state (a step count and named buffers, as PyTorch's optimizer.state[p]) and the
// state_dict() / load_state_dict() pair that checkpoints save and restore.
//
// Usage (as in PyTorch): loss.backward(); optimizer.step(); optimizer.zero_grad();

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::optim {

/// Named state tensors, e.g. {"3.exp_avg", Tensor}, {"3.step", 0-d float64 Tensor}.
using StateDict = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = delete;  // schedules hold a pointer to their optimizer
  Optimizer& operator=(Optimizer&&) = delete;

  /// One update of every parameter whose grad() is defined (others are skipped, as in PyTorch). Runs
  /// under NoGradGuard on the raw elements; after the first step it does not allocate, except to convert
  /// the state of a parameter that Module::to() converted since (PyTorch's state keeps the old dtype).
  virtual void step();
  /// Drops every parameter's gradient (Tensor::zero_grad, i.e. PyTorch's set_to_none=True).
  void zero_grad();

  /// The learning rate used by the next step().
  [[nodiscard]] double lr() const { return lr_; }
  /// Sets the learning rate (schedules call this); throws std::invalid_argument unless finite and >= 0.
  void set_lr(double lr);
  /// "SGD", "Adam", ...: the prefix of every error message.
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::vector<Tensor>& params() const { return params_; }

  /// A copy of the state: for each parameter i that has state, "i.step" (0-d float64, if the optimizer
  /// counts steps) and then "i.<key>" for each buffer, with PyTorch's keys ("exp_avg", "momentum_buffer"),
  /// in the parameter's dtype.
  [[nodiscard]] StateDict state_dict() const;
  /// Replaces the state with copies of `state`, as saved by state_dict() of an optimizer with the same
  /// parameters and options. Validates every name, shape and dtype first and changes nothing if one is
  /// wrong (std::invalid_argument). Parameters without entries start afresh.
  void load_state_dict(const StateDict& state);

 protected:
  /// The state PyTorch keeps in optimizer.state[p]; buffers follow the order of the state_keys
  /// given to the constructor.
  struct State {
    bool initialized = false;
    std::int64_t step = 0;
    std::vector<Tensor> buffers;
  };

  /// Validates the parameters: a non-empty list of leaves that require grad, no two sharing storage
  /// (the same tensor twice, or a tensor and its detach() or reshape()).
  /// `has_step` says whether the state holds a step count; `state_keys` names the buffers.
  Optimizer(std::string name, std::vector<Tensor> params, double lr, bool has_step,
            std::vector<std::string> state_keys);

  /// Applies the update to parameter p (with gradient g of the same shape and dtype) in place.
  /// The state is initialised and its step count already advanced; `first` is true on the step that
  /// created the state (SGD's momentum buffer starts as a copy of the gradient).
  virtual void update(Tensor& p, const Tensor& g, State& state, bool first) = 0;
  /// Creates the buffers of parameter i; the default fills them with zeros (PyTorch's zeros_like).
  virtual void init_state(std::size_t i);
  /// init_state(i) and marks the state as initialised (Adagrad creates its state in the constructor).
  void create_state(std::size_t i);

  [[nodiscard]] State& state(std::size_t i) { return state_[i]; }

  // Hyper-parameter checks for constructors; they throw std::invalid_argument with messages like
  // "Adam: lr must be >= 0, got -0.1".
  void check_finite(std::string_view option, double value) const;
  void check_non_negative(std::string_view option, double value) const;
  /// lo <= value <= hi, or lo <= value < hi when `open_high`.
  void check_in_range(std::string_view option, double value, double lo, double hi, bool open_high) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void check_params() const;
  /// Throws std::logic_error when parameter i (which has no gradient) is held by this optimizer only.
  void check_not_orphaned(std::size_t i) const;
  /// Converts the buffers of parameter i to its dtype (after Module::to()).
  void convert_state(std::size_t i);
  [[nodiscard]] Tensor grad_for_step(std::size_t i) const;
  [[nodiscard]] std::pair<std::size_t, std::size_t> parse_name(const std::string& name) const;
  void read_step(const std::string& name, const Tensor& value, State& state) const;
  void read_buffer(const std::string& name, const Tensor& value, std::size_t i, std::size_t key, State& state) const;
  [[nodiscard]] std::vector<State> parse_state(const StateDict& state) const;
  [[nodiscard]] std::string slot_list() const;

  std::string name_;
  std::vector<Tensor> params_;
  double lr_;
  bool has_step_;
  std::vector<std::string> state_keys_;
  std::vector<std::string> slot_names_;  // "step" (if has_step_) followed by state_keys_
  std::vector<State> state_;
};

}  // namespace tg::optim

namespace tg::detail {
/// Shortest text that reads back as `value` ("0.1", "-inf", "nan"): for tg::optim's error messages.
[[nodiscard]] std::string shortest_text(double value);
}  // namespace tg::detail
