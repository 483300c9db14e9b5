#pragma once
// Custom ops with their own forward and backward, as LibTorch's torch::autograd::Function:
//
//   struct MyExp : tg::autograd::Function<MyExp> {
//     static constexpr const char* name = "my_exp";  // optional: names the op in errors and anomaly messages
//     static tg::Tensor forward(tg::autograd::AutogradContext* ctx, const tg::Tensor& x) {
//       tg::Tensor y = tg::exp(x);  // forward runs under NoGradGuard: nothing inside it is recorded
//       ctx->save_for_backward({y});
//       return y;
//     }
//     static tg::autograd::variable_list backward(tg::autograd::AutogradContext* ctx,
//                                                 tg::autograd::variable_list grad_outputs) {
//       return {grad_outputs[0] * ctx->get_saved_variables()[0]};  // dx = dy * y
//     }
//   };
//   tg::Tensor y = MyExp::apply(x);  // one record on the tape when x requires grad
//
// apply(args...) passes its arguments to forward after the context. Direct Tensor arguments are the
// op's inputs; anything else (a double, a Shape, a tensor inside a vector) is passed along but gets no
// gradient. backward receives one gradient, of the output, and returns one entry per argument of forward
// in order: the gradient of that input (its shape and dtype), or an undefined tg::Tensor() for a
// non-tensor argument or an input that needs none (treated as zero). Extra trailing undefined entries are
// allowed, as in LibTorch; any other count, shape or dtype is a std::logic_error naming the op.
//
// backward runs with grad mode as the sweep sets it: recorded when the sweep records itself (create_graph),
// so a backward written in tapegrad ops is differentiable again. Tensors saved with save_for_backward are
// the same handles (an input keeps its history); intermediate tensors made in forward are constants to a
// second derivative, as in PyTorch. Save tensors with save_for_backward, not in saved_data: only the first
// are checked for in-place writes, and only they may hold the output without keeping its record alive.
// Each apply has its own context and records on the calling thread's tape, so threads may apply one
// Function at once; static data of the user's own is theirs to guard.
//
// Where tapegrad differs from LibTorch: forward returns one Tensor (the tape records one output per op),
// not a variable_list; an integer or bool output is not differentiable, as in PyTorch; needs_input_grad
// is indexed by forward's arguments (as Python's ctx.needs_input_grad), not by tensor inputs, and says
// whether the input required grad when apply ran; saved_data holds std::any rather than IValue; there is
// no mark_dirty (in-place forwards) or set_materialize_grads (the one output gradient is always defined);
// errors are std::logic_error; without a `name` the op is called by its demangled type name.

#include <any>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tapegrad/grad_mode.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::detail {
class FunctionCore;
}  // namespace tg::detail

namespace tg::autograd {

/// LibTorch's name for a list of tensors: backward's gradients in and out, save_for_backward's tensors.
using variable_list = std::vector<Tensor>;

/// What forward leaves for backward (LibTorch's torch::autograd::AutogradContext); apply makes one per call.
class AutogradContext {
 public:
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;
  ~AutogradContext() = default;

  /// Non-tensor values for backward: ctx->saved_data["alpha"] = 0.5, read back with std::any_cast<double>.
  std::unordered_map<std::string, std::any> saved_data;

  /// Keeps tensors for backward (inputs, the output, or intermediates; undefined ones are kept as such),
  /// noting their versions now. Call it from forward, once: a second call replaces the first list.
  void save_for_backward(variable_list to_save);
  /// The saved tensors, in order; throws std::logic_error if an in-place write changed one since it was saved.
  [[nodiscard]] variable_list get_saved_variables() const;
  /// Marks the output as not differentiable (it will not require grad, and backward is never called).
  void mark_non_differentiable(const variable_list& outputs);
  /// Whether forward's argument `index` is a tensor that required grad when apply ran.
  [[nodiscard]] bool needs_input_grad(std::size_t index) const;

 private:
  friend class tg::detail::FunctionCore;
  using Backward = variable_list (*)(AutogradContext*, variable_list);
  struct Saved {
    Tensor tensor;  // undefined for the output, which the record holds (the y of its backward)
    std::uint32_t version = 0;
    bool is_output = false;
  };
  AutogradContext(const char* name, Backward backward, variable_list inputs);

  const char* name_;
  Backward backward_;
  variable_list inputs_;  // one per argument of forward; undefined for a non-tensor one
  std::vector<bool> needs_grad_;
  std::vector<Saved> saved_;
  variable_list non_differentiable_;  // until apply has seen the output
  const Tensor* output_ = nullptr;    // the output, while backward runs
};

}  // namespace tg::autograd

namespace tg::detail {
// The parts of Function<T>::apply that do not depend on T (function.cpp).
class FunctionCore {
 public:
  using AutogradContext = autograd::AutogradContext;
  using Backward = AutogradContext::Backward;
  using variable_list = autograd::variable_list;
  /// T::name if T declares one, else T's demangled type name; lives as long as the program.
  template <class T>
  [[nodiscard]] static const char* name_of() {
    if constexpr (requires { { T::name } -> std::convertible_to<const char*>; }) {
      return T::name;
    } else {
      static const std::string name = demangle(typeid(T).name());  // thread-safe initialisation
      return name.c_str();
    }
  }
  /// The input slot of one argument of apply: the tensor itself, or undefined for any other argument.
  template <class A>
  [[nodiscard]] static Tensor input_slot(const A& arg) {
    if constexpr (std::is_same_v<A, Tensor>) return arg;
    else return Tensor();
  }
  /// A context for one call: the name, T::backward, and one input slot per argument of forward.
  [[nodiscard]] static std::unique_ptr<AutogradContext> begin(const char* name, Backward backward,
                                                              variable_list inputs);
  /// Checks forward's output and records its backward when it is differentiable; returns the output.
  [[nodiscard]] static Tensor finish(std::unique_ptr<AutogradContext> ctx, Tensor out);
  /// Runs the user's backward with dy (the output's gradient) and y (the output), and sends its
  /// gradients to the inputs.
  static void run_backward(AutogradContext& ctx, const Tensor& dy, const Tensor& y);

 private:
  /// Drops trailing undefined gradients, then checks one per argument, each of its input's shape and dtype.
  static void check_gradients(const AutogradContext& ctx, variable_list& grads);
  [[nodiscard]] static std::string demangle(const char* mangled);
};
}  // namespace tg::detail

namespace tg::autograd {

/// Base of a custom op T with static forward(AutogradContext*, args...) -> Tensor and
/// backward(AutogradContext*, variable_list) -> variable_list (see the top of this file).
template <class T>
struct Function {
  /// Runs T::forward(ctx, args...) under NoGradGuard and records T::backward for the output.
  template <class... Args>
  [[nodiscard]] static Tensor apply(Args&&... args) {
    using Core = tg::detail::FunctionCore;
    static_assert(std::is_same_v<decltype(T::forward(nullptr, std::forward<Args>(args)...)), Tensor>,
                  "Function: forward must return one tg::Tensor (the tape records one output per op)");
    const auto backward = [](AutogradContext* ctx, variable_list dys) -> variable_list {
      return T::backward(ctx, std::move(dys));
    };
    std::unique_ptr<AutogradContext> ctx =
        Core::begin(Core::name_of<T>(), backward, {Core::input_slot(std::as_const(args))...});
    Tensor out;
    {
      const NoGradGuard no_grad;
      out = T::forward(ctx.get(), std::forward<Args>(args)...);
    }
    return Core::finish(std::move(ctx), std::move(out));
  }
};

}  // namespace tg::autograd
