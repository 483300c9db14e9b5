// tg::nn::write_dot: to_dot's text through the checkpoints' atomic writer (atomic_file.hpp).

#include "tapegrad/nn/graph_export.hpp"

#include <span>

#include "atomic_file.hpp"

namespace tg::nn {

void write_dot(const std::filesystem::path& file, const Tensor& root,
               const std::vector<std::pair<std::string, Tensor>>& named) {
  const std::string dot = to_dot(root, named);
  detail::write_file_atomically("write_dot", file, {std::span<const char>(dot.data(), dot.size())});
}

}  // namespace tg::nn
