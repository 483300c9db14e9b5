// Optimizer: parameter validation, the step loop shared by every optimizer, and state_dict().

#include "tapegrad/optim/optimizer.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/grad_mode.hpp"

namespace tg::detail {

std::string shortest_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace tg::detail

namespace tg::optim {

using detail::shortest_text;

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, double lr, bool has_step,
                     std::vector<std::string> state_keys)
    : name_(std::move(name)),
      params_(std::move(params)),
      lr_(lr),
      has_step_(has_step),
      state_keys_(std::move(state_keys)),
      state_(params_.size()) {
  check_params();
  check_non_negative("lr", lr);
  if (has_step_) slot_names_.emplace_back("step");
  slot_names_.insert(slot_names_.end(), state_keys_.begin(), state_keys_.end());
}

void Optimizer::check_params() const {
  if (params_.empty()) fail("the parameter list is empty; pass at least one tensor to optimize");
  // Keyed by storage, not by tensor: a detach() or reshape() of a parameter is another tensor on the same
  // memory, and listing both would update that memory twice per step.
  std::unordered_map<const void*, std::size_t> first_index;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const std::string which = "parameter " + std::to_string(i);
    if (!p.defined()) fail(which + " is undefined (a default-constructed Tensor)");
    if (!p.requires_grad()) fail(which + " does not require grad; call requires_grad_() on it or leave it out");
    if (!p.is_leaf())
      fail(which + " is not a leaf (it was produced by a recorded op); pass the tensors the model owns");
    const auto [it, fresh] = first_index.emplace(p.impl()->storage, i);
    if (fresh) continue;
    const std::string first = std::to_string(it->second);
    if (params_[it->second].impl() == p.impl())
      fail(which + " is the same tensor as parameter " + first + "; list it once");
    fail("parameters " + first + " and " + std::to_string(i) +
         " share their storage (one is a detach() or reshape() of the other), so each step would update it twice; "
         "list one of them");
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = grad_for_step(i);
    if (!g.defined()) {  // PyTorch skips parameters whose grad is None
      check_not_orphaned(i);
      continue;
    }
    State& s = state_[i];
    const bool first = !s.initialized;
    if (first) create_state(i);  // lazily, on the first step that sees a gradient
    else convert_state(i);
    if (has_step_) ++s.step;
    update(params_[i], g, s, first);
    detail::bump_version(params_[i].impl());  // an in-place write: a record still reading p refuses to run
  }
}

// A parameter without a gradient that nothing but this list holds (its tensor and its storage) can never
// get one: its model was destroyed, or the model's member was assigned another tensor, after the optimizer
// was built. PyTorch updates such tensors silently; training would then change nothing.
void Optimizer::check_not_orphaned(std::size_t i) const {
  const detail::TensorImpl* p = params_[i].impl();
  if (p->refs.load(std::memory_order_acquire) != 1 || p->storage->refs.load(std::memory_order_acquire) != 1) return;
  throw std::logic_error(name_ + ": parameter " + std::to_string(i) + " (" + p->shape.str() + " " +
                         std::string(dtype_name(p->dtype)) +
                         ") is held by nothing but this optimizer, so no forward pass can give it a gradient: "
                         "its model was destroyed, or the tensor was replaced in the model, after the optimizer "
                         "was built. Keep the model alive, and change parameters in place (load_parameter, "
                         "Module::to) or build the optimizer afterwards");
}

// Module::to(dtype) converts a parameter in place; its state follows here, on the next step, where PyTorch
// keeps the old dtype and its step then fails.
void Optimizer::convert_state(std::size_t i) {
  const Dtype dtype = params_[i].dtype();
  for (Tensor& buffer : state_[i].buffers)
    if (buffer.dtype() != dtype) buffer = buffer.to(dtype);
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  check_non_negative("lr", lr);
  lr_ = lr;
}

void Optimizer::init_state(std::size_t i) {
  State& s = state_[i];
  s.buffers.clear();
  for (std::size_t k = 0; k < state_keys_.size(); ++k) s.buffers.push_back(zeros_like(params_[i]));
}

void Optimizer::create_state(std::size_t i) {
  init_state(i);
  state_[i].initialized = true;
}

Tensor Optimizer::grad_for_step(std::size_t i) const {
  const Tensor& p = params_[i];
  if (!p.requires_grad()) return Tensor();  // frozen after construction: it has no gradient
  Tensor g = p.grad();
  if (g.defined() && (g.dtype() != p.dtype() || g.shape() != p.shape()))
    fail("the gradient of parameter " + std::to_string(i) + " is " + g.shape().str() + " " +
         std::string(dtype_name(g.dtype())) + " but the parameter is " + p.shape().str() + " " +
         std::string(dtype_name(p.dtype())));
  return g;
}

// ---- hyper-parameter checks ----

void Optimizer::fail(const std::string& what) const { throw std::invalid_argument(name_ + ": " + what); }

void Optimizer::check_finite(std::string_view option, double value) const {
  if (!std::isfinite(value)) fail(std::string(option) + " must be finite, got " + shortest_text(value));
}

void Optimizer::check_non_negative(std::string_view option, double value) const {
  if (!(value >= 0)) fail(std::string(option) + " must be >= 0, got " + shortest_text(value));
  check_finite(option, value);
}

void Optimizer::check_in_range(std::string_view option, double value, double lo, double hi, bool open_high) const {
  const bool inside = value >= lo && (open_high ? value < hi : value <= hi);
  if (inside) return;
  // Appended piece by piece: GCC 12 misreports "literal" + std::string&& under -Wrestrict (PR 105329).
  std::string message(option);
  message.append(" must be in [").append(shortest_text(lo)).append(", ").append(shortest_text(hi));
  message.append(open_high ? ")" : "]").append(", got ").append(shortest_text(value));
  fail(message);
}

// ---- state_dict ----

StateDict Optimizer::state_dict() const {
  StateDict out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const State& s = state_[i];
    if (!s.initialized) continue;
    const std::string prefix = std::to_string(i) + ".";
    if (has_step_) out.emplace_back(prefix + "step", scalar_tensor(static_cast<double>(s.step), kFloat64));
    for (std::size_t k = 0; k < state_keys_.size(); ++k) {
      const Tensor& buffer = s.buffers[k];  // converted to the parameter's dtype, as the next step would
      const Dtype dtype = params_[i].dtype();
      out.emplace_back(prefix + state_keys_[k], buffer.dtype() == dtype ? buffer.detach().clone() : buffer.to(dtype));
    }
  }
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  std::vector<State> loaded = parse_state(state);  // throws before anything changes
  state_ = std::move(loaded);
}

std::vector<Optimizer::State> Optimizer::parse_state(const StateDict& state) const {
  std::vector<State> loaded(params_.size());
  std::vector<std::vector<bool>> seen(params_.size(), std::vector<bool>(slot_names_.size(), false));
  for (const auto& [name, value] : state) {
    const auto [i, slot] = parse_name(name);
    if (seen[i][slot]) fail("load_state_dict: the entry '" + name + "' appears twice");
    seen[i][slot] = true;
    if (!value.defined()) fail("load_state_dict: the entry '" + name + "' is an undefined tensor");
    State& s = loaded[i];
    s.initialized = true;
    s.buffers.resize(state_keys_.size());
    if (has_step_ && slot == 0) read_step(name, value, s);
    else read_buffer(name, value, i, slot - (has_step_ ? 1 : 0), s);
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!loaded[i].initialized) continue;  // no entries: the parameter starts afresh
    for (std::size_t slot = 0; slot < slot_names_.size(); ++slot)
      if (!seen[i][slot])
        fail("load_state_dict: parameter " + std::to_string(i) + " has state but no '" + std::to_string(i) + "." +
             slot_names_[slot] + "' entry; " + name_ + " with these options keeps " + slot_list());
  }
  return loaded;
}

std::pair<std::size_t, std::size_t> Optimizer::parse_name(const std::string& name) const {
  const std::size_t dot = name.find('.');
  std::size_t index = 0;
  const char* digits_end = name.data() + (dot == std::string::npos ? 0 : dot);
  const auto parsed = std::from_chars(name.data(), digits_end, index);
  if (dot == std::string::npos || dot == 0 || parsed.ec != std::errc() || parsed.ptr != digits_end)
    fail("load_state_dict: the entry name '" + name + "' is not of the form '<parameter index>.<key>'");
  if (index >= params_.size())
    fail("load_state_dict: the entry '" + name + "' refers to parameter " + std::to_string(index) +
         ", but the optimizer has " + std::to_string(params_.size()) + " parameters");
  const std::string key = name.substr(dot + 1);
  for (std::size_t slot = 0; slot < slot_names_.size(); ++slot)
    if (slot_names_[slot] == key) return {index, slot};
  fail("load_state_dict: the entry '" + name + "' has the unknown key '" + key + "'; " + name_ +
       " with these options keeps " + slot_list());
}

void Optimizer::read_step(const std::string& name, const Tensor& value, State& state) const {
  if (value.dim() != 0 || value.dtype() != kFloat64)
    fail("load_state_dict: the entry '" + name + "' must be a 0-d float64 tensor, got " + value.shape().str() + " " +
         std::string(dtype_name(value.dtype())));
  const double step = value.item();
  constexpr double kLargestExactInteger = 9007199254740992.0;  // 2^53
  if (!(step >= 0 && step <= kLargestExactInteger && step == std::floor(step)))
    fail("load_state_dict: the entry '" + name + "' must hold a whole step count >= 0, got " + shortest_text(step));
  state.step = static_cast<std::int64_t>(step);
}

void Optimizer::read_buffer(const std::string& name, const Tensor& value, std::size_t i, std::size_t key,
                            State& state) const {
  const Tensor& p = params_[i];
  if (value.shape() != p.shape() || value.dtype() != p.dtype())
    fail("load_state_dict: the entry '" + name + "' is " + value.shape().str() + " " +
         std::string(dtype_name(value.dtype())) + " but parameter " + std::to_string(i) + " is " + p.shape().str() +
         " " + std::string(dtype_name(p.dtype())));
  state.buffers[key] = value.detach().clone();  // a copy: the caller keeps its tensors
}

std::string Optimizer::slot_list() const {
  if (slot_names_.empty()) return "no state";
  std::string list;
  for (const std::string& slot : slot_names_) list += (list.empty() ? "" : ", ") + slot;
  return list;
}

}  // namespace tg::optim
