#pragma once
// The gradient hooks of one tensor (Tensor::register_hook, Tensor::register_post_accumulate_grad_hook)
// and what a backward sweep keeps about them. A body gets its Hooks on the first registration; almost
// every tensor has none, and then the sweep pays one pointer test per record or leaf gradient.

#include <cstdint>
#include <functional>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::detail {

struct Hooks {
  struct GradHook {
    std::uint64_t id;
    std::function<Tensor(const Tensor&)> fn;  // an undefined result keeps the gradient as it is
  };
  struct PostHook {
    std::uint64_t id;
    std::function<void(const Tensor&)> fn;  // receives the leaf itself, its .grad final for the sweep
  };
  std::vector<GradHook> grad_hooks;
  std::vector<PostHook> post_hooks;

  // A leaf's state within one sweep: the gradient gathered so far (it reaches .grad only when final, so
  // that the hooks see the whole of it, as PyTorch's do), and whether the sweep has it listed or fired it.
  Tensor gathered;
  bool listed = false;
  bool fired = false;

  // When the gradient is final: an op that takes this leaf as an input first noted, in the current
  // graph (the tape's epoch: it moves on whenever the tape empties), the serial its records would start
  // at. No record below that serial can send this leaf a gradient, so once the sweep has gone below it
  // the gradient is complete and the hooks run, while the rest of the sweep continues.
  const Tape* used_on = nullptr;
  std::uint64_t epoch = 0;
  std::uint64_t first_use = 0;
};

void destroy_hooks(Hooks* hooks);

/// Notes that an op is about to record with t (a leaf with hooks) as an input; called by needs_grad.
void note_use(TensorImpl* t);

/// grad passed through each of the hooks in registration order; a replacement must keep shape and dtype.
[[nodiscard]] Tensor run_grad_hooks(const Hooks& hooks, Tensor grad);

}  // namespace tg::detail
