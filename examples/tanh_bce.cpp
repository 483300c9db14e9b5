// tanh_bce: the survey tutorial's 2-4-1 network, four tanh hidden units and a sigmoid output trained with
// binary cross-entropy, its weights drawn as randn(fan_in, fan_out) / sqrt(fan_in) and its biases zero.
// It separates two interleaved half-moons of 300 noisy points that it generates from a seed, by full-batch
// SGD (lr 1, 3000 steps), printing the loss and accuracy as it goes and the final accuracy.
// Run: build/examples/tanh_bce [--seed S] [--steps N]   (seed 1 and 3000 steps by default)

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numbers>
#include <optional>
#include <vector>

#include "common.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

struct Points {
  tg::Tensor inputs;   // (N, 2)
  tg::Tensor targets;  // (N, 1), 0 for the upper moon and 1 for the lower
};

// Two moons as scikit-learn's make_moons draws them: the upper arc (cos t, sin t) and the lower arc
// (1 - cos t, 0.5 - sin t) for t uniform in [0, pi], plus normal(0, noise) in each coordinate.
Points make_moons(std::int64_t n, double noise, tg::Generator& gen) {
  std::vector<double> xy;
  std::vector<double> label;
  for (std::int64_t i = 0; i < n; ++i) {
    const bool lower = i % 2 == 1;
    const double t = std::numbers::pi * gen.uniform();
    xy.push_back((lower ? 1 - std::cos(t) : std::cos(t)) + noise * gen.normal());
    xy.push_back((lower ? 0.5 - std::sin(t) : std::sin(t)) + noise * gen.normal());
    label.push_back(lower ? 1 : 0);
  }
  return {tg::tensor(xy, {n, 2}, tg::kFloat64), tg::tensor(label, {n, 1}, tg::kFloat64)};
}

}  // namespace

int main(int argc, char** argv) try {
  std::int64_t seed = 1;
  std::int64_t steps = 3000;
  if (const std::optional<int> exit_code =
          examples::parse_flags(argc, argv, {{"--seed", &seed}, {"--steps", &steps, 1}}))
    return *exit_code;

  // data: 300 points on two moons, noise 0.15
  tg::Generator gen(static_cast<std::uint64_t>(seed));
  const Points moons = make_moons(300, 0.15, gen);

  // model: 2 -> 4 tanh -> 1 sigmoid; weights randn / sqrt(fan_in), biases zero
  const tg::nn::LinearOptions f64{.dtype = tg::kFloat64};
  auto hidden = std::make_shared<tg::nn::Linear>(2, 4, f64);
  auto output = std::make_shared<tg::nn::Linear>(4, 1, f64);
  for (tg::nn::Linear* layer : {hidden.get(), output.get()}) {
    tg::nn::init::scaled_normal_(layer->weight, gen);
    tg::nn::init::zeros_(layer->bias);
  }
  tg::nn::Sequential network(hidden, std::make_shared<tg::nn::Tanh>(), output, std::make_shared<tg::nn::Sigmoid>());
  tg::optim::SGD optimizer(network.parameters(), tg::optim::SGDOptions{.lr = 1.0});

  for (std::int64_t step = 0; step < steps; ++step) {
    const tg::Tensor probs = network(moons.inputs);                                 // forward
    const tg::Tensor loss = tg::nn::binary_cross_entropy(probs, moons.targets);  // loss
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step % 500 == 0)  // log
      std::printf("step %5lld  loss %.4f  accuracy %.4f\n", static_cast<long long>(step), loss.item(),
                  examples::binary_accuracy(probs, moons.targets));
  }

  const tg::NoGradGuard no_grad;
  const tg::Tensor probs = network(moons.inputs);
  std::printf("final loss %.4f\n", tg::nn::binary_cross_entropy(probs, moons.targets).item());
  std::printf("final accuracy %.4f\n", examples::binary_accuracy(probs, moons.targets));
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
