#pragma once
// The tutorials' convolutional network, built in one place for fashion_cnn, compare_optimizers --model cnn
// and the benchmark's train_step/autograd/fashion_cnn (bench/CMakeLists.txt compiles cnn.cpp too).

#include <cstdint>
#include <memory>

#include "tapegrad/nn/layers.hpp"

namespace examples {

/// Rows [N, s*s] of square single-channel images of side s to logits [N, classes]:
///   unflatten to [N, 1, s, s] - conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU -
///   maxpool 2 - flatten - Linear(64 (s/4)^2 -> 128) - ReLU - Linear(128 -> classes)
/// (s = 28: Linear(3136 -> 128); s = 8: Linear(256 -> 128)), PyTorch's default initialisation drawn from gen
/// from the last layer back to the first. Throws std::invalid_argument unless s is a positive multiple of 4
/// and classes is positive.
[[nodiscard]] std::unique_ptr<tg::nn::Sequential> make_cnn(std::int64_t side, std::int64_t classes, tg::Generator& gen);

}  // namespace examples
