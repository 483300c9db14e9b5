#pragma once
// Named tensors in the safetensors format (https://github.com/huggingface/safetensors), the format
// tapegrad's models and training checkpoints are saved in (tapegrad/nn/checkpoint.hpp).
//
// Layout: 8 bytes N (unsigned, little-endian), then N bytes of JSON
//   {"__metadata__": {"key": "value", ...},
//    "0.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]}, ...}
// (padded with spaces so that the data starts at a multiple of 8 bytes, as the reference writer does),
// then the elements of every tensor, row-major and little-endian, at its data_offsets counted from the
// first byte after the header. The tensors cover that data exactly, one after another, as the reference
// reader requires. tapegrad reads and writes F32, F64, I64 and BOOL (a BOOL byte other than 0 or 1 is refused).
//
// PyTorch layout. torch.nn.Linear(in, out) stores its weight as [out, in] and computes y = x W^T + b;
// tapegrad's Linear stores W^T, [in, out], and computes y = x W + b. So a PyTorch "0.weight" of shape
// [8, 4] is tapegrad's [4, 8] "0.weight" transposed, and biases are the same. Loading a file exported
// from PyTorch (safetensors.torch.save_file(model.state_dict(), path), or the hand-written writer in
// scripts/make_pytorch_fixture.py) with LoadOptions{.transpose_linear_weights = true}
// (tapegrad/nn/checkpoint.hpp) transposes every 2-d tensor whose name ends in "weight" (the Linear
// layers; tapegrad has no other 2-d weights) and copies the rest as is:
//   tg::nn::Sequential model(std::make_shared<Linear>(4, 8), std::make_shared<Tanh>(), std::make_shared<Linear>(8, 3));
//   tg::nn::load(model, "mlp.safetensors", {.transpose_linear_weights = true});  // PyTorch's [out, in] -> [in, out]
//   tg::nn::save(model, "mlp_tapegrad.safetensors");                              // tapegrad's own layout

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::nn {

/// A file that cannot be saved or loaded as safetensors, or does not fit the model it is loaded into.
/// The message names the operation, the file and, where one is at fault, the tensor.
class CheckpointError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
/// The free-form "__metadata__" of a safetensors file: strings to strings.
using Metadata = std::map<std::string, std::string>;

struct SafetensorsFile {
  NamedTensors tensors;  // in the order of their data in the file; fresh tensors that do not require grad
  Metadata metadata;
};

/// Writes tensors (F32 or F64, distinct non-empty names other than "__metadata__") in the given order,
/// atomically and durably: into a temporary ".<name>.tapegrad-tmp-<pid>-<n>" beside the file, fsynced,
/// renamed onto it, then the folder fsynced. Through a symbolic link, the link's target is replaced and
/// the link kept. Removes the temporaries that killed saves to the same file left behind.
void save_safetensors(const std::filesystem::path& file, const NamedTensors& tensors, const Metadata& metadata = {});

/// Reads a whole safetensors file after checking its header: JSON syntax, every dtype, shape and offset.
[[nodiscard]] SafetensorsFile load_safetensors(const std::filesystem::path& file);

}  // namespace tg::nn

namespace tg::detail {
/// Throws tg::nn::CheckpointError "op: file: what": the form of every message of the checkpoint functions.
[[noreturn]] void fail_checkpoint(std::string_view op, const std::filesystem::path& file, const std::string& what);
/// name in single quotes, the way error messages name tensors: 'name'.
[[nodiscard]] std::string in_quotes(std::string_view name);
}  // namespace tg::detail
