// gradient_penalty: the digits MLP (examples/digits.cpp's 64-128-128-10 sigmoid network, its data, split
// and Adam with lr 0.01) trained with input-gradient regularisation: the loss is the cross-entropy plus
// lambda times the mean over the batch of ||d loss_i / d x_i||^2, the gradient of each image's loss with
// respect to its pixels (examples/gradient_penalty.hpp). That gradient comes from autograd::grad with
// create_graph, so backward() differentiates it again and the penalty's gradient reaches the weights.
// Prints each epoch's training loss and penalty and the validation accuracy and penalty. With seed 1 and
// 10 epochs, lambda 0.1 ends at validation accuracy 0.944 and validation penalty 2.7; lambda 0 (plain
// digits training) at 0.972 and 13.0, and lambda 1 at 0.872 and 0.67: smoother in the input, for a price.
// Run: build/examples/gradient_penalty [--epochs N] [--seed S] [--lambda-percent P] [--data FILE]
//      (10 epochs, seed 1, lambda = P / 100 = 0.1)

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "common.hpp"
#include "gradient_penalty.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/tapegrad.hpp"

namespace gp = examples::gradient_penalty;

namespace {

double validation_accuracy(tg::nn::Layer& model, const tg::nn::Dataset& validation) {
  const tg::NoGradGuard no_grad;
  return examples::accuracy(model(validation.inputs), validation.labels);
}

}  // namespace

int main(int argc, char** argv) try {
  std::int64_t epochs = 10;
  std::int64_t seed = 1;
  std::int64_t lambda_percent = 10;
  std::string data_file = TAPEGRAD_SOURCE_DIR "/data/digits.csv.gz";
  if (const std::optional<int> exit_code = examples::parse_flags(
          argc, argv,
          {{"--epochs", &epochs, 1}, {"--seed", &seed}, {"--lambda-percent", &lambda_percent}, {"--data", &data_file}}))
    return *exit_code;
  const double lambda = static_cast<double>(lambda_percent) / 100.0;

  // data: digits.cpp's 1617 training and 180 validation images for the same seed
  const auto useed = static_cast<std::uint64_t>(seed);
  const tg::nn::Split sets = tg::nn::split(tg::nn::load_digits(data_file), 0.1, useed);
  tg::nn::DataLoader loader(sets.train, {.batch_size = 64, .shuffle = true, .seed = useed});

  // model: 64 -> 128 sigmoid -> 128 sigmoid -> 10 logits, Adam with lr 0.01
  tg::Generator gen(useed);
  tg::nn::Sequential model(std::make_shared<tg::nn::Linear>(64, 128, gen), std::make_shared<tg::nn::Sigmoid>(),
                           std::make_shared<tg::nn::Linear>(128, 128, gen), std::make_shared<tg::nn::Sigmoid>(),
                           std::make_shared<tg::nn::Linear>(128, 10, gen));
  const auto forward = [&model](const tg::Tensor& x) { return model(x); };
  tg::optim::Adam optimizer(model.parameters(), tg::optim::AdamOptions{.lr = 0.01});
  std::printf("gradient penalty: lambda %g, %lld epochs, seed %llu\n", lambda, static_cast<long long>(epochs),
              static_cast<unsigned long long>(useed));

  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    double loss_sum = 0, penalty_sum = 0;
    for (const tg::nn::Batch& batch : loader) {
      const gp::PenalizedLoss loss =  // forward, loss and input gradient, all recorded
          gp::penalized_loss(forward, gp::cross_entropy_per_row, batch.inputs, batch.labels, lambda);
      optimizer.zero_grad();
      loss.total.backward();
      optimizer.step();
      loss_sum += loss.data.item();
      penalty_sum += loss.penalty.item();
    }
    // log: the validation set's accuracy and penalty (its input gradients need a recorded forward)
    const gp::PenalizedLoss validation =
        gp::penalized_loss(forward, gp::cross_entropy_per_row, sets.validation.inputs, sets.validation.labels, lambda);
    const double accuracy = validation_accuracy(model, sets.validation);
    const auto batches = static_cast<double>(loader.size());
    std::printf("epoch %lld  loss %.4f  penalty %.4f  validation accuracy %.4f  validation penalty %.4f\n",
                static_cast<long long>(epoch), loss_sum / batches, penalty_sum / batches, accuracy,
                validation.penalty.item());
  }
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
