#pragma once
// Saving and loading models and training checkpoints as safetensors files (tapegrad/nn/safetensors.hpp).
//
// Loading is all or nothing: every name, shape and dtype in the file is checked against the model (and
// the optimizer) before the first value is copied, so a failed load (CheckpointError) leaves them as
// they were. Values are copied into the existing parameters and buffers, so optimizers holding them keep
// working.
//
// A training checkpoint holds the model's state_dict() (parameters and buffers) as "model.<name>"
// ("model.0.weight", "model.1.running_mean"), the
// optimizer's state_dict() as "optim.<entry>" ("optim.3.exp_avg", "optim.3.step") and, in __metadata__,
// "epoch", "optimizer" (its name), "lr" (its current learning rate) and any metadata of the caller's.

#include <filesystem>

#include "tapegrad/nn/module.hpp"
#include "tapegrad/nn/safetensors.hpp"
#include "tapegrad/optim/optimizer.hpp"

namespace tg::nn {

struct LoadOptions {
  /// The file comes from PyTorch: 2-d tensors named "*weight" are nn.Linear weights [out, in] and are
  /// transposed into tapegrad's [in, out] while loading.
  bool transpose_linear_weights = false;
  /// Tensors the model has no parameter for are skipped instead of being an error (e.g. test data
  /// stored beside the weights). A parameter missing from the file is an error either way.
  bool ignore_extra_tensors = false;
};

/// Saves model.state_dict() ("0.weight", "0.bias", "1.running_mean", ...) with the given metadata.
void save(const Module& model, const std::filesystem::path& file, const Metadata& metadata = {});
/// Loads every parameter and buffer of model from a file written by save() (or by PyTorch, see LoadOptions).
void load(Module& model, const std::filesystem::path& file, const LoadOptions& options = {});

/// Throws CheckpointError naming `file` unless save(), save_checkpoint() or save_safetensors() could write
/// it now: its folder exists, it is not a folder, and a file can be created there (and, if it exists, it is
/// a regular file the caller may write). Call it before a long training run. Leaves no file behind and
/// does not touch an existing one.
void check_writable(const std::filesystem::path& file);

/// Saves the model, the optimizer's state and the epoch (>= 0) as one checkpoint. The metadata keys
/// "epoch", "optimizer" and "lr" are reserved.
void save_checkpoint(const std::filesystem::path& file, const Module& model, const optim::Optimizer& optimizer,
                     int epoch, const Metadata& metadata = {});
/// Restores model parameters, optimizer state and learning rate from save_checkpoint()'s file and returns
/// the epoch. The optimizer must be of the same kind, over the same parameters, as the saved one. The
/// caller's metadata is in load_safetensors(file).metadata.
[[nodiscard]] int load_checkpoint(const std::filesystem::path& file, Module& model, optim::Optimizer& optimizer);

}  // namespace tg::nn
