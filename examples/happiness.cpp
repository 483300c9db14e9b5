// happiness: the tutorial's perceptron, one sigmoid unit with a bias, learning from five days whether a
// person is happy given whether they had coffee, pizza and chili. Weights start uniform in [-1, 1) from
// seed 1; mean squared error over all five days, plain SGD with lr 2, 2000 steps. Prints the learned
// weights, the prediction for every day (each rounds to its label) and one for a day not in the data.
// Run: build/examples/happiness

#include <cstdint>
#include <cstdio>
#include <optional>

#include "common.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/tapegrad.hpp"

int main(int argc, char** argv) try {
  if (const std::optional<int> exit_code = examples::parse_flags(argc, argv, {})) return *exit_code;

  // data: [coffee, pizza, chili] for each day, and whether the person was happy that day
  const tg::Tensor inputs = tg::tensor({1, 1, 1,   //
                                        1, 1, 0,   //
                                        0, 0, 1,   //
                                        1, 0, 1,   //
                                        1, 0, 0},  //
                                       {5, 3}, tg::kFloat64);
  const tg::Tensor labels = tg::tensor({1, 1, 0, 1, 0}, {5, 1}, tg::kFloat64);

  // model: sigmoid(x @ w + b), w (3, 1) and b (1) uniform in [-1, 1)
  tg::nn::Linear unit(3, 1, tg::nn::LinearOptions{.dtype = tg::kFloat64});
  tg::Generator gen(1);
  for (tg::Tensor& p : unit.parameters()) tg::nn::init::uniform_(p, gen, -1.0, 1.0);
  tg::optim::SGD optimizer(unit.parameters(), tg::optim::SGDOptions{.lr = 2.0});

  constexpr int kSteps = 2000;
  for (int step = 0; step < kSteps; ++step) {
    const tg::Tensor predictions = tg::sigmoid(unit(inputs));     // forward
    const tg::Tensor loss = tg::nn::mse_loss(predictions, labels);  // loss: mean of (p - y)^2 over the days
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step % 500 == 0 || step == kSteps - 1) std::printf("step %4d  loss %.6f\n", step, loss.item());
  }

  const tg::NoGradGuard no_grad;
  std::printf("weights: coffee %.3f, pizza %.3f, chili %.3f; bias %.3f\n", unit.weight.at({0, 0}),
              unit.weight.at({1, 0}), unit.weight.at({2, 0}), unit.bias.at({0}));
  const tg::Tensor predictions = tg::sigmoid(unit(inputs));
  int right = 0;
  for (std::int64_t i = 0; i < inputs.size(0); ++i) {
    const double p = predictions.at({i, 0});
    const int label = static_cast<int>(labels.at({i, 0}));
    right += (p > 0.5 ? 1 : 0) == label ? 1 : 0;
    std::printf("coffee %g pizza %g chili %g -> %.3f (label %d)\n", inputs.at({i, 0}), inputs.at({i, 1}),
                inputs.at({i, 2}), p, label);
  }
  std::printf("%d of %lld days round to their label\n", right, static_cast<long long>(inputs.size(0)));
  const double new_day = tg::sigmoid(unit(tg::tensor({0, 1, 1}, {1, 3}, tg::kFloat64))).item();
  std::printf("a new day, pizza and chili but no coffee -> %.3f (%s)\n", new_day,
              new_day > 0.5 ? "happy" : "not happy");
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
