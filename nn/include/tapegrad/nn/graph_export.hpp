#pragma once
// Writing tg::to_dot's graph (tapegrad/graph_export.hpp) to a file, the way checkpoints are written. It is
// here rather than beside to_dot because the atomic file writer is nn's and autograd knows nothing of nn.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/graph_export.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::nn {

/// Writes to_dot(root, named) to `file` atomically and durably, as save() does (a reader never sees half a
/// file). Throws CheckpointError "write_dot: <file>: <what>" when it cannot (a missing folder, a folder, a
/// read-only file, a failed write); to_dot's own errors come first, and then nothing is written.
void write_dot(const std::filesystem::path& file, const Tensor& root,
               const std::vector<std::pair<std::string, Tensor>>& named = {});

}  // namespace tg::nn
