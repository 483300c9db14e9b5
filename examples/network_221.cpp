// network_221: the tutorial's first network, two inputs, a hidden layer of two sigmoid neurons h1 and h2
// and one sigmoid output o1. With every neuron's weights [0, 1] and bias 0 it maps x = [2, 3] to
// 0.7216325609518421; the mean squared error of y_true [1, 0, 0, 1] against predictions of all zeros is 0.5.
// With --dot FILE it also writes the graph of the network's MSE loss on x = [2, 3] (target 1) as Graphviz
// DOT (tg::to_dot, parameters named "0.weight" ...) and draws it as FILE with .svg when `dot` is on PATH.
// Run: build/examples/network_221 [--dot network_221.dot]

#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "common.hpp"
#include "run_program.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

// Writes the graph of loss as `file` and draws it beside it as .svg with Graphviz's dot (started by
// run_program: no shell). A missing dot is a note: the DOT file is the example's result.
void write_graph(const std::filesystem::path& file, const tg::Tensor& loss, const tg::nn::Module& network) {
  tg::nn::write_dot(file, loss, network.named_parameters());
  std::printf("graph of the loss written to %s\n", file.string().c_str());
  const std::filesystem::path svg = std::filesystem::path(file).replace_extension(".svg");
  std::error_code ignored;
  std::filesystem::remove(svg, ignored);  // an old picture would pass for this graph's
  try {  // absolute paths: a name starting with '-' is not an option
    examples::run_program({"dot", "-Tsvg", "-o", std::filesystem::absolute(svg).string(),
                           std::filesystem::absolute(file).string()});
  } catch (const examples::ProgramMissing&) {
    std::printf("dot is not on PATH, so there is no %s (scripts/setup.sh installs Debian's graphviz)\n",
                svg.string().c_str());
    return;
  } catch (...) {
    std::filesystem::remove(svg, ignored);  // no half-drawn picture
    throw;
  }
  std::printf("drawn as %s\n", svg.string().c_str());
}

}  // namespace

int main(int argc, char** argv) try {
  std::string dot_file;
  if (const std::optional<int> exit_code = examples::parse_flags(argc, argv, {{"--dot", &dot_file}}))
    return *exit_code;

  // model: Linear(2, 2) sigmoid Linear(2, 1) sigmoid, in float64 so that every printed digit is exact
  const tg::nn::LinearOptions f64{.dtype = tg::kFloat64};
  tg::nn::Sequential network(std::make_shared<tg::nn::Linear>(2, 2, f64), std::make_shared<tg::nn::Sigmoid>(),
                             std::make_shared<tg::nn::Linear>(2, 1, f64), std::make_shared<tg::nn::Sigmoid>());
  // Weights are (in, out): row i holds the weights from input i, column j those into neuron j. Every
  // neuron weighs its first input 0 and its second 1, so both layers have the row [1, ...] second.
  network.load_parameter("0.weight", tg::tensor({0, 0,   // x1 -> h1, x1 -> h2
                                                 1, 1},  // x2 -> h1, x2 -> h2
                                                {2, 2}, tg::kFloat64));
  network.load_parameter("0.bias", tg::zeros({2}, tg::kFloat64));
  network.load_parameter("2.weight", tg::tensor({0,    // h1 -> o1
                                                 1},   // h2 -> o1
                                                {2, 1}, tg::kFloat64));
  network.load_parameter("2.bias", tg::zeros({1}, tg::kFloat64));

  // forward: h1 = h2 = sigmoid(0 * 2 + 1 * 3) = 0.9526, o1 = sigmoid(0 * h1 + 1 * h2) = 0.7216
  const tg::NoGradGuard no_grad;
  const tg::Tensor x = tg::tensor({2, 3}, {1, 2}, tg::kFloat64);
  std::printf("network([2, 3]) = %.16g\n", network(x).item());

  // loss: mean squared error of the true labels against predictions of all zeros, (1 + 0 + 0 + 1) / 4
  const tg::Tensor y_true = tg::tensor({1, 0, 0, 1}, tg::kFloat64);
  const tg::Tensor y_pred = tg::zeros({4}, tg::kFloat64);
  std::printf("mse_loss([1, 0, 0, 1], [0, 0, 0, 0]) = %.16g\n", tg::nn::mse_loss(y_pred, y_true).item());

  // graph: the network's loss on x against the target 1, recorded this time so that there is a graph
  if (!dot_file.empty()) {
    const tg::EnableGradGuard record;
    write_graph(dot_file, tg::nn::mse_loss(network(x), tg::tensor({1}, {1, 1}, tg::kFloat64)), network);
  }
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
