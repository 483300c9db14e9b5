#pragma once
// The network compare_optimizers trains: --model mlp, Linear layers of --layers widths with --activation
// between them.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/nn/layers.hpp"

namespace compare {

/// Parses "64-128-128-10"; throws std::invalid_argument naming the option, also for a network whose
/// parameters and their gradients (float32) alone would not fit in this machine's memory.
[[nodiscard]] std::vector<std::int64_t> parse_layers(const std::string& text);

/// Linear layers of the given widths with `activation` between them (none after the last: the output
/// is logits). Initial weights come from Generator(seed), so every optimizer starts from the same point.
[[nodiscard]] std::unique_ptr<tg::nn::Sequential> make_model(const std::vector<std::int64_t>& layers,
                                                             const std::string& activation, std::uint64_t seed);

}  // namespace compare
