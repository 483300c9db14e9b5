// quickstart: the README's first program. A two-layer network on the digits set, cross-entropy and an
// Adam loop, then the validation accuracy.
// Run: build/examples/quickstart

#include <cstdint>
#include <cstdio>
#include <exception>

#include "tapegrad/nn.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

int main(int, char** argv) try {
  const tg::nn::Split data = tg::nn::split(tg::nn::load_digits(TAPEGRAD_SOURCE_DIR "/data/digits.csv.gz"), 0.1, 0);
  tg::nn::DataLoader loader(data.train, {.batch_size = 64, .shuffle = true});

  // --- the README's loop ---
  tg::nn::Sequential model(std::make_shared<tg::nn::Linear>(64, 128), std::make_shared<tg::nn::ReLU>(),
                           std::make_shared<tg::nn::Linear>(128, 10));
  tg::optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
  for (int epoch = 0; epoch < 20; ++epoch)
    for (const tg::nn::Batch& batch : loader) {
      const tg::Tensor loss = tg::nn::cross_entropy(model(batch.inputs), batch.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
  // --- end ---

  const tg::NoGradGuard no_grad;
  const tg::Tensor predicted = tg::argmax(model(data.validation.inputs), 1);  // int64, like the labels
  const auto correct = (predicted == data.validation.labels).sum().item<std::int64_t>();
  const double accuracy = static_cast<double>(correct) / static_cast<double>(predicted.numel());
  std::printf("validation accuracy after 20 epochs: %.4f\n", accuracy);
  return 0;
} catch (const std::exception& e) {  // e.g. no data file: a message, not std::terminate
  std::fprintf(stderr, "%s: error: %s\n", argv[0], e.what());
  return 1;
}
