#pragma once
// The network compare_optimizers trains: --model mlp (Linear layers of --layers widths with --activation
// between them) or --model cnn (the fashion_cnn network of examples/models/cnn.hpp, for square images).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/nn/layers.hpp"

namespace compare {

/// Parses "64-128-128-10"; throws std::invalid_argument naming the option, also for a network whose
/// parameters and their gradients (float32) alone would not fit in this machine's memory.
[[nodiscard]] std::vector<std::int64_t> parse_layers(const std::string& text);

/// Linear layers of the given widths with `activation` between them (none after the last: the output
/// is logits). Initial weights come from Generator(seed), so every optimizer starts from the same point.
[[nodiscard]] std::unique_ptr<tg::nn::Sequential> make_model(const std::vector<std::int64_t>& layers,
                                                             const std::string& activation, std::uint64_t seed);

/// The network every run of a comparison trains, fixed before the first.
struct Network {
  std::string model;       // "mlp" or "cnn"
  std::string layers;      // "64-128-128-10"; the cnn's "8x8-conv32-pool-conv64-pool-128-10"
  std::string activation;  // between the layers; the cnn's is relu
  std::vector<std::int64_t> widths;  // mlp: the parsed layers
  std::int64_t side = 0;             // cnn: the images' side
  std::int64_t classes = 0;          // cnn

  /// A fresh network taking rows [N, features], its initial weights from Generator(seed): the same start
  /// for every optimizer.
  [[nodiscard]] std::unique_ptr<tg::nn::Sequential> make(std::uint64_t seed) const;
  /// What titles and reports call it: "64-128-128-10 sigmoid", "cnn 8x8-conv32-pool-conv64-pool-128-10 relu".
  [[nodiscard]] std::string description() const;
};

/// Throws std::invalid_argument for an unknown --model, or for --layers or --activation (not empty) given
/// with --model cnn: what can be refused before the data are read.
void check_model_options(const std::string& model, const std::string& layers, const std::string& activation);

/// The network of --model `model` for the training set `train` of --dataset `dataset`. mlp: `layers` must
/// start with the data's feature count and end with its class count. cnn: `layers` and `activation` must
/// be empty, and the features must be the pixels of a square image whose side is a multiple of 4 (64 =
/// 8x8, 784 = 28x28). Throws std::invalid_argument naming the option and, for the cnn, the dataset (the
/// checks of check_model_options included).
[[nodiscard]] Network choose_network(const std::string& model, const std::string& layers, const std::string& activation,
                                     const tg::nn::Dataset& train, const std::string& dataset);

}  // namespace compare
