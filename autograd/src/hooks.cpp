// Gradient hooks (Tensor::register_hook, register_post_accumulate_grad_hook): registration, removal, and
// the two calls the sweep makes (detail/hooks.hpp). The sweep's side is in tape.cpp.

#include "tapegrad/detail/hooks.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/tape.hpp"

namespace tg {
namespace detail {

namespace {
std::atomic<std::uint64_t> next_hook_id{1};

Hooks& hooks_of(TensorImpl* t) {
  if (t->hooks == nullptr) t->hooks = new Hooks;
  return *t->hooks;
}
}  // namespace

void destroy_hooks(Hooks* hooks) { delete hooks; }

void note_use(TensorImpl* t) {
  if (t->record_serial != 0) return;  // only a leaf's gradient is gathered until final
  Hooks& h = *t->hooks;
  Tape& tape = current_tape();
  const std::uint64_t epoch = tape.current_epoch();
  if (h.used_on != &tape || h.epoch != epoch || h.first_use == 0) {
    h.used_on = &tape;
    h.epoch = epoch;
    h.first_use = tape.next_serial();
  }
}

Tensor run_grad_hooks(const Hooks& hooks, Tensor grad) {
  for (const Hooks::GradHook& hook : hooks.grad_hooks) {
    Tensor replaced = hook.fn(grad);
    if (!replaced.defined()) continue;
    if (replaced.shape() != grad.shape() || replaced.dtype() != grad.dtype())
      throw std::invalid_argument("register_hook: a hook returned a gradient of shape " + replaced.shape().str() + " " +
                                  std::string(dtype_name(replaced.dtype())) + " for a gradient of shape " +
                                  grad.shape().str() + " " + std::string(dtype_name(grad.dtype())) +
                                  "; a replacement must keep shape and dtype");
    grad = std::move(replaced);
  }
  return grad;
}

bool needs_grad(std::span<const Tensor> inputs) {
  if (!is_grad_enabled()) return false;
  bool any = false;
  for (const Tensor& t : inputs) any = wants_grad(t) || any;  // every input is noted
  return any;
}

}  // namespace detail

void HookHandle::remove() {
  if (!tensor_.defined()) return;
  if (detail::Hooks* h = tensor_.impl()->hooks) {
    std::erase_if(h->grad_hooks, [this](const detail::Hooks::GradHook& k) { return k.id == id_; });
    std::erase_if(h->post_hooks, [this](const detail::Hooks::PostHook& k) { return k.id == id_; });
  }
  tensor_ = Tensor();
}

HookHandle Tensor::add_grad_hook(std::function<Tensor(const Tensor&)> hook) const {
  detail::TensorImpl& b = const_cast<detail::TensorImpl&>(body("register_hook"));
  if (!b.requires_grad)
    throw std::logic_error("register_hook: cannot register a hook on a tensor of shape " + b.shape.str() +
                           " that does not require grad");
  const std::uint64_t id = detail::next_hook_id.fetch_add(1, std::memory_order_relaxed);
  detail::hooks_of(&b).grad_hooks.push_back({id, std::move(hook)});
  return HookHandle(*this, id);
}

HookHandle Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const {
  detail::TensorImpl& b = const_cast<detail::TensorImpl&>(body("register_post_accumulate_grad_hook"));
  if (!b.requires_grad || b.record_serial != 0)
    throw std::logic_error("register_post_accumulate_grad_hook: only a leaf that requires grad accumulates a "
                           "gradient; this tensor of shape " + b.shape.str() +
                           (b.requires_grad ? " is not a leaf (use register_hook)" : " does not require grad"));
  const std::uint64_t id = detail::next_hook_id.fetch_add(1, std::memory_order_relaxed);
  detail::hooks_of(&b).post_hooks.push_back({id, std::move(hook)});
  return HookHandle(*this, id);
}

}  // namespace tg
