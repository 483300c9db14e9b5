#include "tapegrad/function.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"

namespace tg {

namespace {
std::string describe(const Tensor& t) { return t.shape().str() + " " + std::string(dtype_name(t.dtype())); }
}  // namespace

namespace autograd {

AutogradContext::AutogradContext(const char* name, Backward backward, variable_list inputs)
    : name_(name), backward_(backward), inputs_(std::move(inputs)) {
  // As detail::needs_grad, input by input: each one is noted as used (which the leaf hooks rely on).
  const bool enabled = is_grad_enabled();
  needs_grad_.reserve(inputs_.size());
  for (const Tensor& x : inputs_) needs_grad_.push_back(enabled && tg::detail::wants_grad(x));
}

void AutogradContext::save_for_backward(variable_list to_save) {
  saved_.clear();
  saved_.reserve(to_save.size());
  for (Tensor& t : to_save) {
    const std::uint32_t version = t.defined() ? tg::detail::version_of(t.impl()) : 0;
    saved_.push_back({std::move(t), version, false});
  }
}

// PyTorch's check on unpacking: a saved tensor written in place since has lost the value backward needs.
variable_list AutogradContext::get_saved_variables() const {
  variable_list tensors;
  tensors.reserve(saved_.size());
  for (const Saved& s : saved_) {
    if (s.is_output && output_ == nullptr)
      throw std::logic_error(std::string(name_) + ": get_saved_variables: the saved output is available in "
                                                  "backward only");
    const Tensor& t = s.is_output ? *output_ : s.tensor;
    if (t.defined() && tg::detail::version_of(t.impl()) != s.version) [[unlikely]] {
      const bool input = std::any_of(inputs_.begin(), inputs_.end(),
                                     [&](const Tensor& x) { return x.defined() && x.impl() == t.impl(); });
      const char* which = s.is_output ? "the output of '" : input ? "an input of '" : "a tensor saved by '";
      throw tg::detail::modified_error(t.impl(), which + std::string(name_) + "'", s.version);
    }
    tensors.push_back(t);
  }
  return tensors;
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  non_differentiable_.insert(non_differentiable_.end(), outputs.begin(), outputs.end());
}

bool AutogradContext::needs_input_grad(std::size_t index) const {
  if (index >= needs_grad_.size())
    throw std::out_of_range(std::string(name_) + ": needs_input_grad(" + std::to_string(index) + "): forward has " +
                            std::to_string(needs_grad_.size()) + " arguments after the context");
  return needs_grad_[index];
}

}  // namespace autograd

namespace detail {

std::string FunctionCore::demangle(const char* mangled) {
  int status = 0;
  const std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                         &std::free);
  return status == 0 && name != nullptr ? std::string(name.get()) : std::string(mangled);
}

std::unique_ptr<autograd::AutogradContext> FunctionCore::begin(const char* name, Backward backward,
                                                               variable_list inputs) {
  return std::unique_ptr<AutogradContext>(new AutogradContext(name, backward, std::move(inputs)));
}

// PyTorch's _wrap_outputs for one output: differentiable when some input needs a gradient, the output is
// a float tensor and forward did not mark it. The record must not hold the output through the context
// (that would keep the record alive for ever), so a saved output is fetched from backward's y instead.
Tensor FunctionCore::finish(std::unique_ptr<AutogradContext> ctx, Tensor out) {
  AutogradContext& c = *ctx;
  if (!out.defined())
    throw std::logic_error(std::string(c.name_) + ": forward returned an undefined tensor; it must return the "
                                                  "op's output");
  bool marked = false;
  for (const Tensor& t : c.non_differentiable_) {
    if (t.impl() != out.impl())
      throw std::logic_error(std::string(c.name_) + ": mark_non_differentiable was given a tensor that forward "
                                                    "did not return; only the output can be marked");
    marked = true;
  }
  c.non_differentiable_.clear();
  const bool some_input_needs_grad = std::find(c.needs_grad_.begin(), c.needs_grad_.end(), true) != c.needs_grad_.end();
  if (marked || !some_input_needs_grad || !is_floating_point(out.dtype()))
    return out.requires_grad() ? out.detach() : out;
  // forward returned an input as it is (or a tensor with history): the record needs a body of its own.
  if (out.requires_grad()) out = out.detach();
  for (AutogradContext::Saved& s : c.saved_)
    if (s.tensor.defined() && s.tensor.impl() == out.impl()) {
      s.tensor = Tensor();
      s.is_output = true;
    }
  const char* name = c.name_;
  // The closure owns the context, which holds the inputs it sends gradients to (the tape's contract).
  record(name, out, saves_nothing,
         [ctx = std::move(ctx)](const Tensor& dy, const Tensor& y) { run_backward(*ctx, dy, y); });
  return out;
}

// Not under NoGradGuard: when the sweep records itself (create_graph), so does the user's backward.
void FunctionCore::run_backward(AutogradContext& ctx, const Tensor& dy, const Tensor& y) {
  class OutputScope {  // y is the saved output while backward runs, and only then
   public:
    OutputScope(AutogradContext& c, const Tensor& y) : c_(c) { c_.output_ = &y; }
    ~OutputScope() { c_.output_ = nullptr; }
    OutputScope(const OutputScope&) = delete;
    OutputScope& operator=(const OutputScope&) = delete;

   private:
    AutogradContext& c_;
  };
  variable_list grads;
  {
    const OutputScope scope(ctx, y);
    grads = ctx.backward_(&ctx, {dy});
  }
  check_gradients(ctx, grads);
  for (std::size_t i = 0; i < grads.size(); ++i)
    if (grads[i].defined()) accumulate_grad(ctx.inputs_[i], std::move(grads[i]));
}

void FunctionCore::check_gradients(const AutogradContext& ctx, variable_list& grads) {
  const std::string name = ctx.name_;
  const std::size_t n = ctx.inputs_.size();
  while (grads.size() > n && !grads.back().defined()) grads.pop_back();  // allowed, as in LibTorch
  if (grads.size() != n)
    throw std::logic_error(name + ": backward returned " + std::to_string(grads.size()) +
                           (grads.size() == 1 ? " gradient" : " gradients") + " for the " + std::to_string(n) +
                           (n == 1 ? " argument" : " arguments") +
                           " of forward; return one per argument, an undefined tg::Tensor() for a non-tensor "
                           "argument or an input that needs no gradient");
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor& dx = grads[i];
    const Tensor& x = ctx.inputs_[i];
    if (!dx.defined()) continue;
    if (!x.defined())
      throw std::logic_error(name + ": backward returned a gradient for argument " + std::to_string(i) +
                             " of forward, which is not a defined tensor; return an undefined tg::Tensor() in its place");
    if (dx.shape() != x.shape() || dx.dtype() != x.dtype())
      throw std::logic_error(name + ": backward's gradient for argument " + std::to_string(i) + " of forward is " +
                             describe(dx) + ", but the argument is " + describe(x) +
                             "; return each input's gradient in its shape and dtype");
  }
}

}  // namespace detail
}  // namespace tg
