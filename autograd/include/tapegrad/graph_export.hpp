#pragma once
// Graph export: the records a tensor's backward would go through, as Graphviz DOT (PyTorch has no
// built-in equivalent; torchviz's make_dot is the nearest). tg::nn::write_dot (tapegrad/nn/graph_export.hpp)
// writes it to a file; `dot -Tsvg graph.dot -o graph.svg` draws it.

#include <string>
#include <utility>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg {

/// The graph behind `root` as a DOT digraph: one ellipse per record its backward reaches ("op\n[shape]
/// dtype"), one box per leaf that requires grad (its name from `named`, e.g. model.named_parameters(),
/// else "leaf"), an edge from each input to the record that used it (twice for x * x), and the root drawn
/// with a double outline. Tensors that do not require grad are not drawn (as in PyTorch's graph); a root
/// that is a leaf is a single box; a record output given a name shows it above its op, and a tensor named
/// twice keeps its first name. Node ids follow the sweep's order, so the text is deterministic. Costs about
/// one backward() (the backward closures run on zero gradients, kept nowhere; no hook runs) and leaves the
/// graph intact, so a later backward() works. Throws std::invalid_argument for an undefined root and
/// std::logic_error for one whose records were released.
[[nodiscard]] std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& named = {});

}  // namespace tg
