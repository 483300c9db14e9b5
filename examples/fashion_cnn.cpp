// fashion_cnn: the tutorials' next step after the digits MLP, a small convolutional network on
// Fashion-MNIST (Debian's dataset-fashion-mnist, 60,000 training and 10,000 test images of 28x28,
// pixels divided by 255):
//   conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU - maxpool 2 - flatten -
//   Linear(3136->128) - ReLU - Linear(128->10), softmax cross-entropy, Adam lr 1e-3, batch 128
//   (models/cnn.hpp builds it, for compare_optimizers --model cnn and the benchmark too).
// Prints a progress bar (on a terminal), then each epoch's training loss, test accuracy and wall time.
// Run: build/examples/fashion_cnn [--epochs N] [--seed S] [--data FOLDER] [--limit N] [--save FILE]
//      (10 epochs, seed 0, the Debian package's folder; --limit trains and tests on the first N images)

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "common.hpp"
#include "models/cnn.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Accuracy on a whole set, in eval mode, without recording, 1000 images at a time (the first
// convolution's output for all 10,000 test images would take 1 GB).
double test_accuracy(tg::nn::Layer& model, const tg::nn::Dataset& data) {
  const tg::NoGradGuard no_grad;
  model.eval();
  double correct = 0;
  for (std::int64_t start = 0; start < data.size(); start += 1000) {
    const std::int64_t n = std::min<std::int64_t>(1000, data.size() - start);
    const tg::Tensor logits = model(tg::slice(data.inputs, 0, start, start + n));
    correct += examples::accuracy(logits, tg::slice(data.labels, 0, start, start + n)) * static_cast<double>(n);
  }
  model.train();
  return correct / static_cast<double>(data.size());
}

}  // namespace

int main(int argc, char** argv) try {
  std::int64_t epochs = 10;
  std::int64_t seed = 0;
  std::int64_t limit = 0;
  std::string folder = tg::nn::fashion_mnist_folder().string();
  std::string save_file;
  if (const std::optional<int> exit_code = examples::parse_flags(
          argc, argv,
          {{"--epochs", &epochs, 1}, {"--seed", &seed}, {"--data", &folder}, {"--limit", &limit, 0},
           {"--save", &save_file}}))
    return *exit_code;
  if (!save_file.empty()) examples::check_save_destination("--save", save_file);

  // data: 60,000 training and 10,000 test images, pixels in [0, 1], labels 0..9
  tg::nn::TrainTest data = tg::nn::load_mnist_train_test(folder);
  if (data.train.features() != 784)
    throw std::invalid_argument("--data: '" + folder + "' holds images of " + std::to_string(data.train.features()) +
                                " pixels, not 28x28");
  if (limit > 0)
    for (tg::nn::Dataset* part : {&data.train, &data.test}) {
      part->inputs = tg::slice(part->inputs, 0, 0, std::min(limit, part->size()));
      part->labels = tg::slice(part->labels, 0, 0, std::min(limit, part->size()));
    }
  const auto useed = static_cast<std::uint64_t>(seed);
  tg::nn::DataLoader loader(data.train, {.batch_size = 128, .shuffle = true, .seed = useed});
  std::printf("fashion_cnn: %lld training and %lld test images from %s, seed %llu, %d thread(s)\n",
              static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()), folder.c_str(),
              static_cast<unsigned long long>(useed), tg::num_threads());

  // model: the rows as 28x28 planes, two 3x3 convolutions with max pooling, then two linear layers
  tg::Generator gen(useed);
  const std::unique_ptr<tg::nn::Sequential> network = examples::make_cnn(28, 10, gen);  // models/cnn.hpp
  tg::nn::Sequential& model = *network;
  tg::optim::Adam optimizer(model.parameters(), tg::optim::AdamOptions{.lr = 1e-3});

  const bool terminal = isatty(STDERR_FILENO) != 0;
  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const Clock::time_point start = Clock::now();
    double loss_sum = 0;
    std::int64_t step = 0;
    for (const tg::nn::Batch& batch : loader) {
      const tg::Tensor logits = model(batch.inputs);                         // forward
      const tg::Tensor loss = tg::nn::cross_entropy(logits, batch.labels);  // loss
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item();
      if (terminal && (++step % 10 == 0 || step == loader.size()))
        examples::draw_progress(epoch, epochs, step, loader.size(), loss_sum / static_cast<double>(step));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (terminal) std::fprintf(stderr, "\r%80s\r", "");
    std::printf("epoch %2lld  training loss %.4f  test accuracy %.4f  %.1f s\n", static_cast<long long>(epoch),
                loss_sum / static_cast<double>(loader.size()), test_accuracy(model, data.test), seconds);
    std::fflush(stdout);
  }
  if (!save_file.empty()) {
    tg::nn::save(model, save_file, {{"seed", std::to_string(seed)}, {"epoch", std::to_string(epochs)}});
    std::printf("saved the final model to %s\n", save_file.c_str());
  }
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
