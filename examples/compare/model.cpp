#include "model.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <utility>

#include "../models/cnn.hpp"

namespace compare {

namespace {

// Bytes of memory on this machine, 0 if the system does not say.
double physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0;
}

// The float32 parameters and their gradients are the least any optimizer keeps, so a network whose
// parameters need more than the machine's memory twice over is refused here rather than by bad_alloc
// (or the OOM killer) later. Counted in double: the products of int64 widths may overflow int64.
void check_fits_in_memory(const std::vector<std::int64_t>& widths, const std::string& text) {
  const auto weights = [&](std::size_t i) { return static_cast<double>(widths[i]) * static_cast<double>(widths[i + 1]); };
  double parameters = 0;
  std::size_t largest = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    parameters += weights(i) + static_cast<double>(widths[i + 1]);  // weights and biases
    if (weights(i) > weights(largest)) largest = i;
  }
  const double needed = 2 * sizeof(float) * parameters;
  const double memory = physical_memory();
  if (memory == 0 || needed <= memory) return;
  char sizes[160];
  std::snprintf(sizes, sizeof sizes,
                "%.1f GB for its float32 parameters and their gradients alone, more than this machine's %.1f GB",
                needed / 1e9, memory / 1e9);
  throw std::invalid_argument("--layers: '" + text + "' needs " + sizes + " of memory; its largest layer is " +
                              std::to_string(largest + 1) + " (" + std::to_string(widths[largest]) + " x " +
                              std::to_string(widths[largest + 1]) + ")");
}

}  // namespace

std::vector<std::int64_t> parse_layers(const std::string& text) {
  std::vector<std::int64_t> widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('-', start), text.size());
    const std::string part = text.substr(start, end - start);
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || value <= 0)
      throw std::invalid_argument("--layers: '" + part + "' in '" + text + "' is not a positive width");
    widths.push_back(value);
    start = end + 1;
  }
  if (widths.size() < 2)
    throw std::invalid_argument("--layers: '" + text + "' needs at least an input and an output width, e.g. 64-10");
  check_fits_in_memory(widths, text);
  return widths;
}

namespace {

using MakeLayer = std::function<std::shared_ptr<tg::nn::Layer>()>;

// What makes the activation module of that name; throws naming --activation for any other name.
const MakeLayer& activation_maker(const std::string& activation) {
  static const std::map<std::string, MakeLayer> activations = {
      {"sigmoid", [] { return std::make_shared<tg::nn::Sigmoid>(); }},
      {"tanh", [] { return std::make_shared<tg::nn::Tanh>(); }},
      {"relu", [] { return std::make_shared<tg::nn::ReLU>(); }},
      {"leaky_relu", [] { return std::make_shared<tg::nn::LeakyReLU>(); }},
      {"elu", [] { return std::make_shared<tg::nn::ELU>(); }},
  };
  const auto found = activations.find(activation);
  if (found == activations.end())
    throw std::invalid_argument("--activation: unknown activation '" + activation +
                                "' (choose sigmoid, tanh, relu, leaky_relu or elu)");
  return found->second;
}

}  // namespace

std::unique_ptr<tg::nn::Sequential> make_model(const std::vector<std::int64_t>& layers, const std::string& activation,
                                               std::uint64_t seed) {
  const MakeLayer& make_activation = activation_maker(activation);
  tg::Generator gen(seed);
  auto model = std::make_unique<tg::nn::Sequential>();
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    if (i > 0) model->push_back(make_activation());
    model->emplace<tg::nn::Linear>(layers[i], layers[i + 1], gen);
  }
  return model;
}

namespace {

// The side of the square image whose pixels `features` are, 0 if there is none with a side divisible by 4.
std::int64_t cnn_side(std::int64_t features) {
  const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(features))));
  return side > 0 && side * side == features && side % 4 == 0 ? side : 0;
}

Network choose_cnn(const tg::nn::Dataset& train, const std::string& dataset) {
  const std::int64_t features = train.features();
  const std::int64_t side = cnn_side(features);
  if (side == 0)
    throw std::invalid_argument("--model cnn: --dataset " + dataset + " has " + std::to_string(features) +
                                " features per sample, not the pixels of a square image whose side is a multiple "
                                "of 4 (as 64 = 8x8 and 784 = 28x28 are); use --model mlp");
  const std::string size = std::to_string(side) + "x" + std::to_string(side);
  return {.model = "cnn",
          .layers = size + "-conv32-pool-conv64-pool-128-" + std::to_string(train.num_classes),
          .activation = "relu",
          .widths = {},
          .side = side,
          .classes = train.num_classes};
}

}  // namespace

std::unique_ptr<tg::nn::Sequential> Network::make(std::uint64_t seed) const {
  if (model == "mlp") return make_model(widths, activation, seed);
  tg::Generator gen(seed);
  return examples::make_cnn(side, classes, gen);
}

std::string Network::description() const {
  return (model == "mlp" ? "" : model + " ") + layers + " " + activation;
}

void check_model_options(const std::string& model, const std::string& layers, const std::string& activation) {
  if (model != "mlp" && model != "cnn")
    throw std::invalid_argument("--model: unknown model '" + model + "' (choose mlp or cnn)");
  if (model == "cnn")
    for (const auto& [option, value] : {std::pair{"--layers", &layers}, std::pair{"--activation", &activation}})
      if (!value->empty())
        throw std::invalid_argument(std::string(option) + " '" + *value + "' describes an mlp; --model cnn trains " +
                                    "fashion_cnn's network, which takes neither --layers nor --activation");
}

Network choose_network(const std::string& model, const std::string& layers, const std::string& activation,
                       const tg::nn::Dataset& train, const std::string& dataset) {
  check_model_options(model, layers, activation);
  if (model == "cnn") return choose_cnn(train, dataset);
  std::vector<std::int64_t> widths = parse_layers(layers);
  if (widths.front() != train.features())
    throw std::invalid_argument("--layers: '" + layers + "' starts with width " + std::to_string(widths.front()) +
                                " but the data has " + std::to_string(train.features()) + " features");
  if (widths.back() != train.num_classes)
    throw std::invalid_argument("--layers: '" + layers + "' ends with width " + std::to_string(widths.back()) +
                                " but the data has " + std::to_string(train.num_classes) + " classes");
  static_cast<void>(activation_maker(activation));  // an unknown one is refused before any training
  return {.model = "mlp",
          .layers = layers,
          .activation = activation,
          .widths = std::move(widths),
          .side = 0,
          .classes = 0};
}

}  // namespace compare
