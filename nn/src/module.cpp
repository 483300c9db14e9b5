#include "tapegrad/nn/module.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "tapegrad/detail/impl.hpp"

namespace tg::nn {

namespace {

std::string describe(const Tensor& t) { return t.shape().str() + " " + std::string(dtype_name(t.dtype())); }

// Copies value into target, which keeps its identity; an in-place write, so records that read the old
// values refuse to run.
void copy_into(Tensor& target, const Tensor& value) {
  visit_all_dtypes(target.dtype(),  // int64 buffers too (num_batches_tracked)
                   [&]<class T>() { std::copy(value.data<T>(), value.data<T>() + value.numel(), target.data<T>()); });
  tg::detail::bump_version(target.impl());
}

}  // namespace

Tensor& Module::register_parameter(std::string name, Tensor& parameter) {
  if (!parameter.defined()) throw std::invalid_argument(this->name() + ": parameter '" + name + "' is undefined");
  parameter.requires_grad_(true);
  parameters_.emplace_back(std::move(name), &parameter);
  return parameter;
}

Tensor& Module::register_buffer(std::string name, Tensor& buffer) {
  if (!buffer.defined()) throw std::invalid_argument(this->name() + ": buffer '" + name + "' is undefined");
  if (buffer.requires_grad())
    throw std::invalid_argument(this->name() + ": buffer '" + name + "' requires grad; a trained tensor is a parameter");
  buffers_.emplace_back(std::move(name), &buffer);
  return buffer;
}

void Module::collect(const std::string& prefix, Kind kind, std::vector<std::pair<std::string, Tensor*>>& out) const {
  if (kind != Kind::kBuffers)
    for (const auto& [name, p] : parameters_) out.emplace_back(prefix + name, p);
  if (kind != Kind::kParameters)
    for (const auto& [name, b] : buffers_) out.emplace_back(prefix + name, b);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", kind, out);
}

std::vector<std::pair<std::string, Tensor*>> Module::entries(Kind kind) const {
  std::vector<std::pair<std::string, Tensor*>> all;
  collect("", kind, all);
  return all;
}

namespace {

std::vector<Tensor> values_of(const std::vector<std::pair<std::string, Tensor*>>& entries) {
  std::vector<Tensor> out;
  out.reserve(entries.size());
  for (const auto& entry : entries) out.push_back(*entry.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> named(const std::vector<std::pair<std::string, Tensor*>>& entries) {
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(entries.size());
  for (const auto& [name, t] : entries) out.emplace_back(name, *t);
  return out;
}

}  // namespace

std::vector<Tensor> Module::parameters() const { return values_of(entries(Kind::kParameters)); }
std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const { return named(entries(Kind::kParameters)); }
std::vector<Tensor> Module::buffers() const { return values_of(entries(Kind::kBuffers)); }
std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const { return named(entries(Kind::kBuffers)); }
std::vector<std::pair<std::string, Tensor>> Module::state_dict() const { return named(entries(Kind::kState)); }

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (const auto& entry : children_) entry.second->train(on);
}

// As PyTorch's Module._apply, which sets param.data and param.grad.data: each parameter and its gradient
// keep their handles, so an optimizer built before keeps training them (it converts its state on its next
// step). Integer buffers (num_batches_tracked) stay as they are, as in PyTorch. Checked before anything
// changes, so a bad dtype leaves the model as it was.
void Module::to(Dtype dtype) {
  if (!is_floating_point(dtype))
    throw std::invalid_argument(name() + ": to: parameters must be float32 or float64, got " +
                                std::string(dtype_name(dtype)));
  for (const auto& entry : entries(Kind::kState)) {
    Tensor& t = *entry.second;
    // also a tensor registered twice (tied weights), converted once
    if (t.dtype() == dtype || !is_floating_point(t.dtype())) continue;
    tg::detail::convert_leaf_(t.impl(), dtype);
    tg::detail::TensorImpl* g = t.impl()->grad;  // read directly: grad() refuses a frozen parameter
    if (g != nullptr) tg::detail::convert_leaf_(g, dtype);
  }
}

void Module::load_parameter(const std::string& name, const Tensor& value) {
  for (const auto& [key, p] : entries(Kind::kParameters)) {
    if (key != name) continue;
    if (value.shape() != p->shape() || value.dtype() != p->dtype())
      throw std::invalid_argument(this->name() + ": parameter '" + name + "' is " + describe(*p) + ", got " +
                                  describe(value));
    copy_into(*p, value);
    return;
  }
  throw std::invalid_argument(this->name() + ": no parameter named '" + name + "'");
}

void Module::load_state_dict(const std::vector<std::pair<std::string, Tensor>>& state, bool strict) {
  const auto all = entries(Kind::kState);
  std::map<std::string, Tensor*> by_name(all.begin(), all.end());
  std::map<std::string, const Tensor*> given;
  for (const auto& [key, value] : state) {
    const auto found = by_name.find(key);
    if (found == by_name.end())
      throw std::invalid_argument(this->name() + ": load_state_dict: '" + key + "' is not a parameter or buffer of the model");
    const Tensor& target = *found->second;
    if (!value.defined() || value.shape() != target.shape() || value.dtype() != target.dtype())
      throw std::invalid_argument(this->name() + ": load_state_dict: '" + key + "' is " + describe(target) + ", got " +
                                  (value.defined() ? describe(value) : std::string("an undefined tensor")));
    if (!given.emplace(key, &value).second)
      throw std::invalid_argument(this->name() + ": load_state_dict: '" + key + "' is given twice");
  }
  if (strict)
    for (const auto& [key, target] : all)
      if (!given.contains(key))
        throw std::invalid_argument(this->name() + ": load_state_dict: '" + key + "' (" + describe(*target) +
                                    ") is missing; pass strict = false to load part of the model");
  for (const auto& [key, value] : given) copy_into(*by_name.at(key), *value);
}

}  // namespace tg::nn
