#include "experiment.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <utility>

#include "../common.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/csv.hpp"
#include "tapegrad/nn/data_loader.hpp"
#include "tapegrad/nn/idx.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/shape_ops.hpp"

namespace compare {

namespace fs = std::filesystem;

namespace {

// data/digits.csv.gz: $TAPEGRAD_DATA first, then the source tree, then the installed copy.
fs::path digits_file() {
  std::vector<fs::path> candidates;
  if (const char* dir = std::getenv("TAPEGRAD_DATA")) candidates.emplace_back(fs::path(dir) / "digits.csv.gz");
  candidates.emplace_back(fs::path(TAPEGRAD_SOURCE_DIR) / "data" / "digits.csv.gz");
  candidates.emplace_back(fs::path(TAPEGRAD_DATA_INSTALL_DIR) / "digits.csv.gz");
  for (const fs::path& p : candidates)
    if (fs::exists(p)) return p;
  return candidates.front();  // read_csv names it in its error
}

// The samples at order[first, first + count) of the shuffled order.
tg::nn::Dataset part(const tg::nn::Dataset& all, const std::vector<std::int64_t>& order, std::size_t first,
                     std::size_t count) {
  return tg::nn::subset(all, std::span(order).subspan(first, count));
}

}  // namespace

Data split_three_ways(const tg::nn::Dataset& all, std::uint64_t seed, std::string description) {
  const std::int64_t n = all.size();
  const auto held_out = static_cast<std::size_t>(std::llround(kHeldOutFraction * static_cast<double>(n)));
  if (held_out == 0 || 2 * held_out >= static_cast<std::size_t>(n))
    throw std::invalid_argument("--dataset: " + description + " has " + std::to_string(n) +
                                " samples, too few for a training, a validation and a test set (at least 5 are needed)");
  tg::Generator gen(seed);
  const std::vector<std::int64_t> order = tg::nn::permutation(n, gen);
  const std::size_t rest = static_cast<std::size_t>(n) - 2 * held_out;
  return Data{part(all, order, 2 * held_out, rest), part(all, order, held_out, held_out), part(all, order, 0, held_out),
              std::move(description)};
}

Data load_data(const std::string& dataset, std::uint64_t seed, bool csv_header) {
  const bool fashion = dataset == "fashion";
  const fs::path path = fashion ? tg::nn::fashion_mnist_folder() : fs::path(dataset);
  if (csv_header && (dataset == "digits" || fashion || fs::is_directory(path)))
    throw std::invalid_argument("--header: only a CSV file has a header line, not --dataset " + dataset);
  if (dataset == "digits") {
    const fs::path file = digits_file();
    return split_three_ways(tg::nn::load_digits(file), seed,
                            "digits (" + file.string() + "), 80/10/10 train/validation/test split, inputs / 16");
  }
  if (fashion || fs::is_directory(path)) {
    tg::nn::TrainTest parts = tg::nn::load_mnist_train_test(path);  // one image size in both, or an error
    tg::nn::Split train = tg::nn::split(parts.train, kHeldOutFraction, seed);
    return Data{std::move(train.train), std::move(train.validation), std::move(parts.test),
                path.string() + ", train split 90/10 into train/validation, t10k as test, inputs / 255"};
  }
  if (!fs::exists(path))
    throw std::invalid_argument("--dataset: no such file or folder: '" + dataset +
                                "' (give digits, fashion, a folder of MNIST-format files or a CSV file)");
  Data data = split_three_ways(tg::nn::read_csv(path, {.header = csv_header}), seed,
                               path.string() + ", 80/10/10 train/validation/test split, standardised");
  const tg::nn::Standardizer scale = tg::nn::Standardizer::fit(data.train);
  data.train = scale.apply(data.train);
  data.validation = scale.apply(data.validation);
  data.test = scale.apply(data.test);
  return data;
}

namespace {

// Every optimizer the tool knows: its name, its default learning rate on digits (the rates at which
// PyTorch does best on that network, shared/WORKLOADS.md) and elsewhere (wider relu networks: smaller
// steps for plain and momentum SGD), and how to make it.
struct OptimizerKind {
  const char* name;
  double digits_lr;
  double other_lr;
  std::unique_ptr<tg::optim::Optimizer> (*make)(std::vector<tg::Tensor> params, double lr);
};

template <class O, class Options>
std::unique_ptr<tg::optim::Optimizer> make(std::vector<tg::Tensor> params, Options options) {
  return std::make_unique<O>(std::move(params), options);
}

namespace o = tg::optim;
const std::array<OptimizerKind, 7> kOptimizers = {{
    {"sgd", 0.5, 0.1,
     [](std::vector<tg::Tensor> p, double lr) { return make<o::SGD>(std::move(p), o::SGDOptions{.lr = lr}); }},
    {"momentum", 0.05, 0.01,
     [](std::vector<tg::Tensor> p, double lr) {
       return make<o::SGD>(std::move(p), o::SGDOptions{.lr = lr, .momentum = 0.9});
     }},
    {"adagrad", 0.05, 0.01,
     [](std::vector<tg::Tensor> p, double lr) { return make<o::Adagrad>(std::move(p), o::AdagradOptions{.lr = lr}); }},
    {"rmsprop", 1e-3, 1e-3,
     [](std::vector<tg::Tensor> p, double lr) { return make<o::RMSprop>(std::move(p), o::RMSpropOptions{.lr = lr}); }},
    {"adam", 1e-3, 1e-3,
     [](std::vector<tg::Tensor> p, double lr) { return make<o::Adam>(std::move(p), o::AdamOptions{.lr = lr}); }},
    {"adamw", 1e-3, 1e-3,
     [](std::vector<tg::Tensor> p, double lr) { return make<o::AdamW>(std::move(p), o::AdamWOptions{.lr = lr}); }},
    {"adadelta", 1.0, 1.0,
     [](std::vector<tg::Tensor> p, double lr) {
       return make<o::Adadelta>(std::move(p), o::AdadeltaOptions{.lr = lr});
     }},
}};

const OptimizerKind& optimizer_kind(const std::string& name) {
  for (const OptimizerKind& kind : kOptimizers)
    if (name == kind.name) return kind;
  throw std::invalid_argument("--optimizers: unknown optimizer '" + name + "' (choose " + optimizer_choices() + ")");
}

}  // namespace

std::string optimizer_choices() {
  std::string choices;
  for (std::size_t i = 0; i < kOptimizers.size(); ++i)
    choices += std::string(i == 0 ? "" : i + 1 == kOptimizers.size() ? " or " : ", ") + kOptimizers[i].name;
  return choices;
}

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const OptimizerKind& kind : kOptimizers) all.emplace_back(kind.name);
    return all;
  }();
  return names;
}

double default_lr(const std::string& optimizer, const std::string& dataset) {
  const OptimizerKind& kind = optimizer_kind(optimizer);
  return dataset == "digits" ? kind.digits_lr : kind.other_lr;
}

std::unique_ptr<tg::optim::Optimizer> make_optimizer(const std::string& name, double lr, std::vector<tg::Tensor> params) {
  return optimizer_kind(name).make(std::move(params), lr);
}

double best_accuracy(const History& history) {
  double best = 0;
  for (const Epoch& e : history.epochs) best = std::max(best, e.val_accuracy);
  return best;
}

namespace {

// The run's entries, then options.model's.
void save_best(const tg::nn::Layer& model, const RunOptions& options, int epoch, double accuracy,
               const std::string& optimizer) {
  tg::nn::Metadata metadata{{"seed", std::to_string(options.seed)}, {"epoch", std::to_string(epoch)},
                            {"accuracy", std::to_string(accuracy)}, {"optimizer", optimizer}};
  metadata.insert(options.model.begin(), options.model.end());
  tg::nn::save(model, options.best_model, metadata);
}

}  // namespace

History train(tg::nn::Layer& model, tg::optim::Optimizer& optimizer, const Data& data, const RunOptions& options,
              const Callbacks& callbacks) {
  tg::nn::DataLoader loader(data.train, {.batch_size = options.batch, .shuffle = true, .seed = options.seed});
  History history;
  history.seed = options.seed;
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    double loss_sum = 0;
    std::int64_t samples = 0;
    std::int64_t step = 0;
    for (const tg::nn::Batch& batch : loader) {
      const auto [loss, value] = examples::batch_loss(model, batch, options.replicas);  // forward, loss
      if (!std::isfinite(value)) {  // every later step would only spread the NaN
        // printf shows the sign bit of the NaN that 0 * inf and the like produce: "-nan"
        history.diverged = Divergence{epoch, step + 1, std::isnan(value) ? std::nan("") : value};
        return history;
      }
      optimizer.zero_grad();
      loss.backward();
      if (options.replicas.world > 1) options.replicas.average_gradients();
      optimizer.step();
      const std::int64_t n = batch.inputs.size(0);
      loss_sum += value * static_cast<double>(n);
      samples += n;
      ++step;
      if (callbacks.on_step) callbacks.on_step(epoch, step, loader.size(), loss_sum / static_cast<double>(samples));
    }
    const examples::Evaluation val = examples::evaluate(model, data.validation, options.replicas);
    const examples::Evaluation test = examples::evaluate(model, data.test, options.replicas);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    const bool improved = history.epochs.empty() || val.accuracy > best_accuracy(history);
    history.epochs.push_back({epoch, loss_sum / static_cast<double>(samples), val.loss, val.accuracy, test.loss,
                              test.accuracy, elapsed.count()});
    if (improved && !options.best_model.empty() && options.replicas.rank == 0)
      save_best(model, options, epoch, val.accuracy, optimizer.name());
    if (callbacks.on_epoch) callbacks.on_epoch(history.epochs.back());
  }
  return history;
}

}  // namespace compare
