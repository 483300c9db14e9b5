// fashion_cnn: the tutorials' next step after the digits MLP, a small convolutional network on
// Fashion-MNIST (Debian's dataset-fashion-mnist, 60,000 training and 10,000 test images of 28x28,
// pixels divided by 255):
//   conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU - maxpool 2 - flatten -
//   Linear(3136->128) - ReLU - Linear(128->10), softmax cross-entropy, Adam lr 1e-3, batch 128
//   (models/cnn.hpp builds it, for compare_optimizers --model cnn and the benchmark too).
// Prints a progress bar (on a terminal), then each epoch's training loss, test accuracy and wall time.
// Run: build/examples/fashion_cnn [--epochs N] [--seed S] [--data FOLDER] [--limit N] [--save FILE]
//                                 [--checkpoint FILE] [--resume FILE] [--distributed]
//      (10 epochs, seed 0, the Debian package's folder; --limit trains and tests on the first N images)
// --checkpoint FILE saves the model, Adam's state and the epoch after every epoch; --resume FILE goes on
// from such a file with the epoch after it, on the batches an uninterrupted run would have drawn.
// --distributed trains data-parallel on the ranks of `mpirun -np N build/examples/fashion_cnn --distributed`
// (training/data_parallel.hpp): every rank takes its share of each batch of 128 and the gradients are
// averaged, so the run is the one-process run up to float32 rounding; rank 0 alone prints and writes files,
// and every rank reads --resume's file (at any number of ranks, whatever the run that wrote it had).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "models/cnn.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/safetensors.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/tapegrad.hpp"
#include "training/data_parallel.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::int64_t epochs = 10;
  std::int64_t seed = 0;
  std::int64_t limit = 0;
  std::string folder = tg::nn::fashion_mnist_folder().string();
  std::string save_file;
  std::string checkpoint_file;
  std::string resume_file;
  bool distributed = false;
};

// The run's seed as its checkpoints record it.
constexpr const char* kSeedKey = "seed";

// The epoch --resume's file ends with, after checking that it continues this run: its seed drew the
// batches so far, so another --seed would not continue them.
int resume(const Options& o, tg::nn::Sequential& model, tg::optim::Adam& optimizer) {
  int epoch = 0;
  tg::nn::Metadata metadata;
  try {
    epoch = tg::nn::load_checkpoint(o.resume_file, model, optimizer);
    metadata = tg::nn::load_safetensors(o.resume_file).metadata;
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--resume: ") + e.what());
  }
  const auto seed = metadata.find(kSeedKey);
  if (seed != metadata.end() && seed->second != std::to_string(o.seed))
    throw std::invalid_argument("--resume: '" + o.resume_file + "' was trained with seed " + seed->second +
                                "; pass --seed " + seed->second + " to continue it");
  return epoch;
}

// Trains and reports as the top of this file says; `cluster` is null for one process.
void train(const Options& o, const examples::Cluster* cluster) {
  const bool speaks = cluster == nullptr || cluster->rank() == 0;  // prints and writes files
  if (speaks && !o.save_file.empty()) examples::check_save_destination("--save", o.save_file);
  if (speaks && !o.checkpoint_file.empty()) examples::check_save_destination("--checkpoint", o.checkpoint_file);

  // model: the rows as 28x28 planes, two 3x3 convolutions with max pooling, then two linear layers
  const auto useed = static_cast<std::uint64_t>(o.seed);
  tg::Generator gen(useed);
  const std::unique_ptr<tg::nn::Sequential> network = examples::make_cnn(28, 10, gen);  // models/cnn.hpp
  tg::nn::Sequential& model = *network;
  tg::optim::Adam optimizer(model.parameters(), tg::optim::AdamOptions{.lr = 1e-3});
  const int done = o.resume_file.empty() ? 0 : resume(o, model, optimizer);

  // data: 60,000 training and 10,000 test images, pixels in [0, 1], labels 0..9
  tg::nn::TrainTest data = tg::nn::load_mnist_train_test(o.folder);
  if (data.train.features() != 784)
    throw std::invalid_argument("--data: '" + o.folder + "' holds images of " +
                                std::to_string(data.train.features()) + " pixels, not 28x28");
  if (o.limit > 0)
    for (tg::nn::Dataset* part : {&data.train, &data.test}) {
      part->inputs = tg::slice(part->inputs, 0, 0, std::min(o.limit, part->size()));
      part->labels = tg::slice(part->labels, 0, 0, std::min(o.limit, part->size()));
    }
  tg::nn::DataLoader loader(data.train, {.batch_size = 128, .shuffle = true, .seed = useed});

  loader.set_epoch(done);  // the batches an uninterrupted run draws next
  const examples::Replicas replicas = cluster != nullptr ? cluster->replicate(model) : examples::Replicas{};

  if (speaks) {
    const std::string ranks = replicas.world > 1 ? ", " + std::to_string(replicas.world) + " ranks" : "";
    std::printf("fashion_cnn: %lld training and %lld test images from %s, seed %llu, %d thread(s)%s\n",
                static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
                o.folder.c_str(), static_cast<unsigned long long>(useed), tg::num_threads(), ranks.c_str());
    if (done > 0) std::printf("resumed from %s after epoch %d\n", o.resume_file.c_str(), done);
  }
  const bool terminal = speaks && isatty(STDERR_FILENO) != 0;
  for (std::int64_t epoch = done + 1; epoch <= o.epochs; ++epoch) {
    const Clock::time_point start = Clock::now();
    double loss_sum = 0;
    std::int64_t step = 0;
    for (const tg::nn::Batch& batch : loader) {
      const auto [loss, value] = examples::batch_loss(model, batch, replicas);  // forward, loss
      optimizer.zero_grad();
      loss.backward();
      if (replicas.world > 1) replicas.average_gradients();
      optimizer.step();
      loss_sum += value;
      if (terminal && (++step % 10 == 0 || step == loader.size()))
        examples::draw_progress(epoch, o.epochs, step, loader.size(), loss_sum / static_cast<double>(step));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double accuracy = examples::evaluate(model, data.test, replicas).accuracy;  // every rank takes part
    if (!speaks) continue;
    if (terminal) std::fprintf(stderr, "\r%80s\r", "");
    std::printf("epoch %2lld  training loss %.4f  test accuracy %.4f  %.1f s\n", static_cast<long long>(epoch),
                loss_sum / static_cast<double>(loader.size()), accuracy, seconds);
    std::fflush(stdout);
    if (!o.checkpoint_file.empty())
      tg::nn::save_checkpoint(o.checkpoint_file, model, optimizer, static_cast<int>(epoch),
                              {{kSeedKey, std::to_string(o.seed)}});
  }
  if (speaks && !o.save_file.empty()) {
    tg::nn::save(model, o.save_file, {{kSeedKey, std::to_string(o.seed)}, {"epoch", std::to_string(o.epochs)}});
    std::printf("saved the final model to %s\n", o.save_file.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  if (const std::optional<int> exit_code = examples::parse_flags(
          argc, argv,
          {{"--epochs", &o.epochs, 1}, {"--seed", &o.seed}, {"--data", &o.folder}, {"--limit", &o.limit, 0},
           {"--save", &o.save_file}, {"--checkpoint", &o.checkpoint_file}, {"--resume", &o.resume_file},
           {"--distributed", &o.distributed}}))
    return *exit_code;
  if (!o.distributed) {
    train(o, nullptr);
    return 0;
  }
  const examples::Cluster cluster;  // MPI first, so that every rank meets the same errors
  try {
    train(o, &cluster);
  } catch (const std::exception& e) {
    // The error goes out with its rank; leaving `cluster` by an exception then ends every rank (MPI_Abort).
    std::fprintf(stderr, "%s: rank %d: error: %s\n", argv[0], cluster.rank(), e.what());
    throw;
  }
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
