#include "tapegrad/nn/module.hpp"

#include <algorithm>
#include <stdexcept>

#include "tapegrad/detail/impl.hpp"

namespace tg::nn {

Tensor& Module::register_parameter(std::string name, Tensor& parameter) {
  if (!parameter.defined()) throw std::invalid_argument(this->name() + ": parameter '" + name + "' is undefined");
  parameter.requires_grad_(true);
  parameters_.emplace_back(std::move(name), &parameter);
  return parameter;
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor*>>& out) const {
  for (const auto& [name, p] : parameters_) out.emplace_back(prefix + name, p);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<Tensor> Module::parameters() const {
  std::vector<std::pair<std::string, Tensor*>> all;
  collect("", all);
  std::vector<Tensor> out;
  out.reserve(all.size());
  for (const auto& entry : all) out.push_back(*entry.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor*>> all;
  collect("", all);
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(all.size());
  for (const auto& [name, p] : all) out.emplace_back(name, *p);
  return out;
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (const auto& entry : children_) entry.second->train(on);
}

// As PyTorch's Module._apply, which sets param.data and param.grad.data: each parameter and its gradient
// keep their handles, so an optimizer built before keeps training them (it converts its state on its next
// step). Checked before anything changes, so a bad dtype leaves the model as it was.
void Module::to(Dtype dtype) {
  if (!is_floating_point(dtype))
    throw std::invalid_argument(name() + ": to: parameters must be float32 or float64, got " +
                                std::string(dtype_name(dtype)));
  std::vector<std::pair<std::string, Tensor*>> all;
  collect("", all);
  for (const auto& entry : all) {
    Tensor& p = *entry.second;
    if (p.dtype() == dtype) continue;  // also a parameter registered twice (tied weights), converted once
    tg::detail::convert_leaf_(p.impl(), dtype);
    tg::detail::TensorImpl* g = p.impl()->grad;  // read directly: grad() refuses a frozen parameter
    if (g != nullptr) tg::detail::convert_leaf_(g, dtype);
  }
}

void Module::load_parameter(const std::string& name, const Tensor& value) {
  std::vector<std::pair<std::string, Tensor*>> all;
  collect("", all);
  for (const auto& [key, p] : all) {
    if (key != name) continue;
    if (value.shape() != p->shape() || value.dtype() != p->dtype())
      throw std::invalid_argument(this->name() + ": parameter '" + name + "' is " + p->shape().str() + " " +
                                  std::string(dtype_name(p->dtype())) + ", got " + value.shape().str() + " " +
                                  std::string(dtype_name(value.dtype())));
    Tensor* target = p;  // Clang 14 cannot capture a structured binding in a lambda (C++20 allows it)
    visit_dtype(target->dtype(),
                [&]<class T>() { std::copy(value.data<T>(), value.data<T>() + value.numel(), target->data<T>()); });
    tg::detail::bump_version(target->impl());  // an in-place write: records that read the old values refuse to run
    return;
  }
  throw std::invalid_argument(this->name() + ": no parameter named '" + name + "'");
}

}  // namespace tg::nn
