#include "cnn.hpp"

#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

#include "tapegrad/nn/conv.hpp"
#include "tapegrad/nn/pooling.hpp"

namespace examples {

std::unique_ptr<tg::nn::Sequential> make_cnn(std::int64_t side, std::int64_t classes, tg::Generator& gen) {
  if (side <= 0 || side % 4 != 0)  // two 2x2 pools: a side that is not a multiple of 4 would lose pixels
    throw std::invalid_argument("make_cnn: the image side must be a positive multiple of 4, got " +
                                std::to_string(side));
  if (classes <= 0) throw std::invalid_argument("make_cnn: classes must be positive, got " + std::to_string(classes));
  namespace nn = tg::nn;
  const std::int64_t pooled = side / 4;  // after the two pools
  // Drawn from the last layer back to the first: the order in which GCC evaluated the arguments of the
  // Sequential(...) constructor that fashion_cnn and the benchmark wrote out before (C++ leaves it
  // unspecified), so that their figures stay what they were.
  auto fc2 = std::make_shared<nn::Linear>(128, classes, gen);
  auto fc1 = std::make_shared<nn::Linear>(64 * pooled * pooled, 128, gen);
  auto conv2 = std::make_shared<nn::Conv2d>(32, 64, 3, gen, nn::Conv2dOptions{.padding = 1});
  auto conv1 = std::make_shared<nn::Conv2d>(1, 32, 3, gen, nn::Conv2dOptions{.padding = 1});
  return std::make_unique<nn::Sequential>(
      std::make_shared<nn::Unflatten>(1, std::vector<std::int64_t>{1, side, side}),  // [N, s*s] -> [N, 1, s, s]
      std::move(conv1), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::move(conv2),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(), std::move(fc1),
      std::make_shared<nn::ReLU>(), std::move(fc2));
}

}  // namespace examples
