#pragma once
// The pieces of compare_optimizers: the data it trains on, the optimizers it knows and the training run
// that records one History per optimizer (model.hpp builds the network).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../training/data_parallel.hpp"
#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/safetensors.hpp"
#include "tapegrad/optim/optimizer.hpp"

namespace compare {

/// Three disjoint sets: train on `train`, choose (epochs, learning rates) on `validation`, report on `test`.
struct Data {
  tg::nn::Dataset train;
  tg::nn::Dataset validation;
  tg::nn::Dataset test;
  std::string description;
};

/// The fraction of the samples that goes to each of the validation and test sets of a seeded split.
inline constexpr double kHeldOutFraction = 0.1;

/// Shuffles `all` with permutation(N, Generator(seed)); the first round(0.1 N) samples of that order are
/// the test set, the next round(0.1 N) the validation set, the rest the training set (80/10/10). Throws
/// std::invalid_argument if any of the three would be empty (fewer than 3 samples).
[[nodiscard]] Data split_three_ways(const tg::nn::Dataset& all, std::uint64_t seed, std::string description);

/// "digits" (data/digits.csv.gz, a seeded 80/10/10 split, inputs / 16), "fashion" (Debian's Fashion-MNIST:
/// a seeded 90/10 train/validation split of train, the official t10k as test, inputs / 255), a folder of
/// MNIST-format files (the same), or a CSV file (label last; a seeded 80/10/10 split, standardised on the
/// training part). csv_header: the CSV file's first line names the columns.
[[nodiscard]] Data load_data(const std::string& dataset, std::uint64_t seed, bool csv_header = false);

/// The optimizers the tool knows, in the order of its default list.
[[nodiscard]] const std::vector<std::string>& optimizer_names();
/// optimizer_names() as a phrase for error messages: "sgd, momentum, ... or adadelta".
[[nodiscard]] std::string optimizer_choices();
/// A learning rate that works for `optimizer` on `dataset` (the digits rates are PyTorch's best here).
/// Both throw std::invalid_argument listing the known names for any other name.
[[nodiscard]] double default_lr(const std::string& optimizer, const std::string& dataset);
[[nodiscard]] std::unique_ptr<tg::optim::Optimizer> make_optimizer(const std::string& name, double lr,
                                                                   std::vector<tg::Tensor> params);

struct Epoch {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  double val_loss = 0;
  double val_accuracy = 0;
  double test_loss = 0;
  double test_accuracy = 0;
  double seconds = 0;  // since the run started (wall time: the one value that differs between identical runs)
};

/// Where a run's training loss stopped being a finite number.
struct Divergence {
  int epoch = 0;
  std::int64_t step = 0;  // 1-based, within the epoch
  double loss = 0;        // NaN or infinite
};

struct History {
  std::string optimizer;
  double lr = 0;
  std::uint64_t seed = 0;     // of the initial weights and the batch order
  std::vector<Epoch> epochs;  // the epochs finished before any divergence
  std::optional<Divergence> diverged;
};

struct RunOptions {
  int epochs = 50;
  std::int64_t batch = 64;
  std::uint64_t seed = 0;
  /// When set, the model is saved here (safetensors) after every epoch that improves the best validation accuracy,
  /// with the seed, epoch, accuracy and optimizer in its metadata, and `model` (what network it is).
  std::filesystem::path best_model;
  tg::nn::Metadata model;
  examples::Replicas replicas{};  // compare_optimizers --distributed
};

/// What train() reports while it runs; either may be empty.
struct Callbacks {
  /// After every training step: (epoch, step, steps per epoch, running loss of the epoch).
  std::function<void(int, std::int64_t, std::int64_t, double)> on_step;
  /// After every epoch's evaluation, with that epoch's record.
  std::function<void(const Epoch&)> on_epoch;
};

/// Trains model with optimizer for options.epochs epochs on data.train (batches from a loader seeded with
/// options.seed, the same for every optimizer) and evaluates on data.validation and data.test after each
/// epoch. Stops at the
/// first batch whose loss is NaN or infinite (no step is taken on it) and records where in `diverged`.
/// With options.replicas.world > 1 every rank calls it alike: losses and metrics are reduced over the
/// ranks (the same History everywhere) and only rank 0 saves options.best_model.
[[nodiscard]] History train(tg::nn::Layer& model, tg::optim::Optimizer& optimizer, const Data& data,
                            const RunOptions& options, const Callbacks& callbacks);

/// The best validation accuracy over the epochs so far (0 before the first).
[[nodiscard]] double best_accuracy(const History& history);

}  // namespace compare
