// Models and training checkpoints on top of save_safetensors / load_safetensors: every check first,
// then the copies, so that a load either succeeds whole or changes nothing.

#include "tapegrad/nn/checkpoint.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "atomic_file.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::nn {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kModelPrefix = "model.";
constexpr std::string_view kOptimPrefix = "optim.";
constexpr const char* kEpochKey = "epoch";
constexpr const char* kOptimizerKey = "optimizer";
constexpr const char* kLrKey = "lr";

using detail::in_quotes;
[[noreturn]] void fail(std::string_view op, const fs::path& file, const std::string& what) {
  detail::fail_checkpoint(op, file, what);
}

std::string describe(const Tensor& t) { return t.shape().str() + " " + std::string(dtype_name(t.dtype())); }

bool is_linear_weight(const std::string& name, const Tensor& value) {
  return value.dim() == 2 && name.ends_with("weight");
}

/// What a tensor of the wrong shape means when it is the transpose of the parameter: PyTorch's layout.
std::string layout_hint(const std::string& name, const Tensor& value, const Tensor& parameter) {
  const bool transpose = is_linear_weight(name, value) && parameter.dim() == 2 && value.size(0) == parameter.size(1) &&
                         value.size(1) == parameter.size(0);
  if (!transpose) return "";
  return "; a PyTorch nn.Linear weight is [out, in]: load it with LoadOptions{.transpose_linear_weights = true}";
}

/// Checks the file's tensors named prefix + state_dict name against every parameter and buffer of the model
/// (names, shapes, dtypes) and returns the values to copy, in the model's order. Changes nothing. Tensors
/// without the prefix are the caller's business.
NamedTensors match_state(std::string_view op, const fs::path& file, const Module& model, const NamedTensors& tensors,
                         std::string_view prefix, const LoadOptions& options) {
  const NamedTensors state = model.state_dict();
  std::map<std::string_view, const Tensor*> in_model;
  for (const auto& [name, tensor] : state) in_model.emplace(name, &tensor);
  std::set<std::string> buffers;
  for (const auto& entry : model.named_buffers()) buffers.insert(entry.first);
  std::map<std::string_view, const Tensor*> in_file;
  for (const auto& [name, value] : tensors) {
    if (!name.starts_with(prefix)) continue;
    const std::string_view key = std::string_view(name).substr(prefix.size());
    if (!options.ignore_extra_tensors && !in_model.contains(key))
      fail(op, file, "tensor " + in_quotes(name) + " is not a parameter or buffer of the model " + model.name());
    in_file.emplace(key, &value);
  }
  NamedTensors values;
  for (const auto& [name, target] : state) {
    const std::string where = "tensor " + in_quotes(std::string(prefix) + name);
    const std::string what = buffers.contains(name) ? "the model's buffer" : "the model's parameter";
    const auto found = in_file.find(name);
    if (found == in_file.end()) fail(op, file, where + " is missing: " + what + " " + in_quotes(name) + " is " + describe(target));
    Tensor value = *found->second;
    const bool transposed = options.transpose_linear_weights && is_linear_weight(name, value);
    if (transposed) value = transpose(value, 0, 1);
    if (value.shape() != target.shape() || value.dtype() != target.dtype())
      fail(op, file, where + " is " + describe(value) + (transposed ? " once transposed" : "") + " but " + what +
                         " is " + describe(target) + (options.transpose_linear_weights ? "" : layout_hint(name, value, target)));
    values.emplace_back(name, std::move(value));
  }
  return values;
}

constexpr std::string_view kLoadCheckpoint = "load_checkpoint";

const std::string& required_entry(const Metadata& metadata, const char* key, const fs::path& file) {
  const auto found = metadata.find(key);
  if (found == metadata.end())
    fail(kLoadCheckpoint, file, "__metadata__ has no " + in_quotes(key) + " entry; was it written by save_checkpoint?");
  return found->second;
}

/// The metadata entry as a number of type T, at least 0 and finite.
template <class T>
T number_entry(const Metadata& metadata, const char* key, const fs::path& file) {
  const std::string& text = required_entry(metadata, key, file);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) || !std::isfinite(double(value)))
    fail(kLoadCheckpoint, file,
         "__metadata__ entry " + in_quotes(key) + " is " + in_quotes(text) + ", expected a finite number >= 0");
  return value;
}

/// The optimizer's part of the checkpoint ("optim.3.exp_avg" -> "3.exp_avg"); a tensor that belongs to
/// neither the model nor the optimizer is an error.
optim::StateDict optimizer_state(const NamedTensors& tensors, const fs::path& file) {
  optim::StateDict state;
  for (const auto& [name, value] : tensors) {
    if (name.starts_with(kOptimPrefix)) state.emplace_back(name.substr(kOptimPrefix.size()), value);
    else if (!name.starts_with(kModelPrefix))
      fail(kLoadCheckpoint, file, "tensor " + in_quotes(name) + " belongs to neither 'model.*' nor 'optim.*'");
  }
  return state;
}

}  // namespace

void save(const Module& model, const fs::path& file, const Metadata& metadata) {
  save_safetensors(file, model.state_dict(), metadata);
}

void load(Module& model, const fs::path& file, const LoadOptions& options) {
  const SafetensorsFile contents = load_safetensors(file);
  model.load_state_dict(match_state("load", file, model, contents.tensors, "", options));
}

void check_writable(const fs::path& file) { detail::check_can_save("check_writable", file); }

void save_checkpoint(const fs::path& file, const Module& model, const optim::Optimizer& optimizer, int epoch,
                     const Metadata& metadata) {
  if (epoch < 0) fail("save_checkpoint", file, "epoch must be >= 0, got " + std::to_string(epoch));
  for (const char* key : {kEpochKey, kOptimizerKey, kLrKey})
    if (metadata.contains(key)) fail("save_checkpoint", file, "the metadata key " + in_quotes(key) + " is reserved");
  NamedTensors tensors;
  for (const auto& [name, value] : model.state_dict())
    tensors.emplace_back(std::string(kModelPrefix) + name, value);
  for (const auto& [name, value] : optimizer.state_dict())
    tensors.emplace_back(std::string(kOptimPrefix) + name, value);
  Metadata all = metadata;
  all[kEpochKey] = std::to_string(epoch);
  all[kOptimizerKey] = optimizer.name();
  all[kLrKey] = tg::detail::shortest_text(optimizer.lr());  // reads back as the same double
  save_safetensors(file, tensors, all);
}

int load_checkpoint(const fs::path& file, Module& model, optim::Optimizer& optimizer) {
  const SafetensorsFile contents = load_safetensors(file);
  const optim::StateDict state = optimizer_state(contents.tensors, file);
  const int epoch = number_entry<int>(contents.metadata, kEpochKey, file);
  const double lr = number_entry<double>(contents.metadata, kLrKey, file);
  const std::string& saved_by = required_entry(contents.metadata, kOptimizerKey, file);
  if (saved_by != optimizer.name())
    fail(kLoadCheckpoint, file, "the checkpoint holds the state of " + saved_by + ", not of " + optimizer.name());
  const NamedTensors values = match_state(kLoadCheckpoint, file, model, contents.tensors, kModelPrefix, {});
  try {
    optimizer.load_state_dict(state);  // validates every entry before it changes anything
  } catch (const std::invalid_argument& e) {
    fail(kLoadCheckpoint, file, std::string("optimizer state ('optim.*'): ") + e.what());
  }
  model.load_state_dict(values);  // cannot throw: match_state checked every name, shape and dtype
  optimizer.set_lr(lr);
  return epoch;
}

}  // namespace tg::nn
