// compare_optimizers: trains one network with several optimizers from the same initial weights on the
// same batches, then prints a table, writes a CSV with one row per optimizer per epoch, and plots
// training loss and evaluation accuracy per epoch (PNG and SVG, drawn by gnuplot).
// An optimizer whose loss becomes NaN or infinite stops there with a warning, the others go on, and the
// exit status is 3 (kDiverged) once everything is written.
//
// Run: build/examples/compare_optimizers                    (the digits network, seven optimizers)
//      build/examples/compare_optimizers --dataset fashion --layers 784-256-256-10 --activation relu
//          --optimizers adam --lr 1e-3 --batch 128 --epochs 10
//      build/examples/compare_optimizers --help

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "common.hpp"
#include "compare/experiment.hpp"
#include "compare/plot.hpp"
#include "compare/report.hpp"
#include "tapegrad/linalg.hpp"

namespace {

constexpr int kDiverged = 3;  // exit status when some optimizer diverged (everything else was written)

struct Settings {
  std::string dataset = "digits";
  std::string layers;      // default from the dataset
  std::string activation;  // sigmoid on digits, relu elsewhere
  std::vector<std::string> optimizers = compare::optimizer_names();
  double lr = 0;  // 0: each optimizer's default
  int epochs = 0;
  std::int64_t batch = 0;
  std::uint64_t seed = 0;
  int threads = tg::num_threads();  // OpenBLAS's own setting (OPENBLAS_NUM_THREADS) unless --threads says
  std::optional<double> target;     // from the dataset unless --target says
  std::string out = "out/compare";
  bool save_best = false;
  bool header = false;  // the CSV file's first line names the columns
};

struct Choice {
  std::string name;
  double lr;
};

// "adam" or "adam:3e-4"; --lr, when given, is the rate of entries without one.
std::vector<Choice> parse_optimizers(const Settings& s) {
  std::vector<Choice> choices;
  for (const std::string& entry : s.optimizers) {
    const std::size_t colon = entry.find(':');
    const std::string name = entry.substr(0, colon);
    if (std::any_of(choices.begin(), choices.end(), [&](const Choice& c) { return c.name == name; }))
      throw std::invalid_argument("--optimizers: " + name + " is listed twice (its table row, CSV rows and " +
                                  "best-model file would be indistinguishable)");
    const double default_lr = compare::default_lr(name, s.dataset);  // throws for an unknown name
    double lr = s.lr > 0 ? s.lr : default_lr;
    if (colon != std::string::npos) {
      const std::string text = entry.substr(colon + 1);
      std::size_t used = 0;
      try {
        lr = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size())
        throw std::invalid_argument("--optimizers: '" + text + "' in '" + entry + "' is not a learning rate");
    }
    if (!(lr > 0) || !std::isfinite(lr))
      throw std::invalid_argument("--optimizers: the learning rate of " + name + " must be positive, got " +
                                  std::to_string(lr));
    choices.push_back({name, lr});
  }
  return choices;
}

void apply_defaults(Settings& s, const compare::Data& data) {
  const bool digits = s.dataset == "digits";
  if (s.layers.empty())
    s.layers = std::to_string(data.train.features()) + (digits ? "-128-128-" : "-256-256-") +
               std::to_string(data.train.num_classes);
  if (s.activation.empty()) s.activation = digits ? "sigmoid" : "relu";
  if (s.epochs == 0) s.epochs = digits ? 50 : 10;
  if (s.batch == 0) s.batch = digits ? 64 : 128;
  if (!s.target) s.target = digits ? 0.95 : 0.85;
}

void check_layers(const std::vector<std::int64_t>& layers, const compare::Data& data, const std::string& text) {
  if (layers.front() != data.train.features())
    throw std::invalid_argument("--layers: '" + text + "' starts with width " + std::to_string(layers.front()) +
                                " but the data has " + std::to_string(data.train.features()) + " features");
  if (layers.back() != data.train.num_classes)
    throw std::invalid_argument("--layers: '" + text + "' ends with width " + std::to_string(layers.back()) +
                                " but the data has " + std::to_string(data.train.num_classes) + " classes");
}

// Every file the run will write is checked before the training whose results it holds.
void check_destinations(const Settings& s, const std::vector<Choice>& choices, const std::filesystem::path& out) {
  std::error_code error;
  std::filesystem::create_directories(out, error);
  if (error) throw std::invalid_argument("--out: cannot create folder '" + out.string() + "': " + error.message());
  examples::check_save_destination("--out", out / "history.csv");
  if (s.save_best)
    for (const Choice& choice : choices)
      examples::check_save_destination("--save-best", out / (choice.name + "-best.safetensors"));
}

// Trains one optimizer from the common start; a divergence is reported here, and the run kept.
compare::History train_one(const Settings& s, const Choice& choice, const std::vector<std::int64_t>& layers,
                           const compare::Data& data, const std::filesystem::path& out) {
  const auto model = compare::make_model(layers, s.activation, s.seed);  // the same start for everyone
  const auto optimizer = compare::make_optimizer(choice.name, choice.lr, model->parameters());
  compare::Progress progress(choice.name, s.epochs);
  compare::History history = compare::train(
      *model, *optimizer, data,
      {.epochs = s.epochs, .batch = s.batch, .seed = s.seed,
       .best_model = s.save_best ? out / (choice.name + "-best.safetensors") : std::filesystem::path()},
      {.on_step = [&](int epoch, std::int64_t step, std::int64_t steps,
                      double loss) { progress.update(epoch, step, steps, loss); },
       .on_epoch = [&](const compare::Epoch& e) { progress.finish_epoch(e); }});
  history.optimizer = choice.name;
  history.lr = choice.lr;
  if (const auto& d = history.diverged) {
    progress.stop();
    std::fprintf(stderr,
                 "compare_optimizers: warning: %s (lr %g) diverged: its training loss was %g at epoch %d, step %lld; "
                 "it stopped there%s\n",
                 choice.name.c_str(), choice.lr, d->loss, d->epoch, static_cast<long long>(d->step),
                 s.optimizers.size() > 1 ? ", the others go on" : "");
  }
  return history;
}

int run(Settings& s) {
  const compare::Data data = compare::load_data(s.dataset, s.seed, s.header);
  apply_defaults(s, data);
  const std::vector<std::int64_t> layers = compare::parse_layers(s.layers);
  check_layers(layers, data, s.layers);
  const std::vector<Choice> choices = parse_optimizers(s);
  tg::set_num_threads(s.threads);
  std::printf("data: %s: %lld training, %lld %s samples\nmodel: %s, %s, softmax cross-entropy; batch %lld, %d epochs, "
              "seed %llu, %d thread(s)\n",
              data.description.c_str(), static_cast<long long>(data.train.size()),
              static_cast<long long>(data.eval.size()), data.eval_name.c_str(), s.layers.c_str(),
              s.activation.c_str(), static_cast<long long>(s.batch), s.epochs,
              static_cast<unsigned long long>(s.seed), s.threads);

  const std::filesystem::path out(s.out);
  check_destinations(s, choices, out);
  std::vector<compare::History> runs;
  for (const Choice& choice : choices) runs.push_back(train_one(s, choice, layers, data, out));

  compare::print_table(runs, data.eval_name, *s.target);
  compare::write_csv(runs, out / "history.csv");
  std::printf("\nwrote %s%s\n", (out / "history.csv").c_str(), s.save_best ? " and each optimizer's best model" : "");
  const compare::Plotted plotted = compare::plot(
      out / "history.csv", runs, data.eval_name, s.layers + " " + s.activation + " on " + s.dataset, out / "history");
  for (const std::string& note : plotted.notes) std::fprintf(stderr, "compare_optimizers: plot: %s\n", note.c_str());
  for (const std::filesystem::path& file : plotted.files) std::printf("wrote %s\n", file.c_str());
  const bool diverged = std::any_of(runs.begin(), runs.end(), [](const compare::History& h) { return h.diverged; });
  return diverged ? kDiverged : 0;
}

// The whole text as a number, NaN if it is not one (std::stod alone accepts a prefix such as "1x").
double parse_number(const std::string& text) {
  std::size_t used = 0;
  try {
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// CLI11's own range checks print the whole double range and let NaN through; these say what is wrong
// in a sentence.
const CLI::Validator kPositive(
    [](const std::string& text) -> std::string {
      const double value = parse_number(text);
      return value > 0 && std::isfinite(value) ? "" : "must be a positive number, got " + text;
    },
    "POSITIVE");
const CLI::Validator kFraction(
    [](const std::string& text) -> std::string {
      const double value = parse_number(text);
      return value >= 0 && value <= 1 ? "" : "must be a number from 0 to 1, got " + text;
    },
    "FRACTION");

// CLI11 2.1 reads "-1" into an unsigned option as 2^64-1 and clamps what does not fit; from_chars
// refuses both.
template <class T>
CLI::Validator whole_number(T min, T max = std::numeric_limits<T>::max()) {
  return CLI::Validator(
      [min, max](const std::string& text) -> std::string {
        T value{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc() && end == text.data() + text.size() && value >= min && value <= max) return "";
        return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + text;
      },
      "INT");
}

}  // namespace

int main(int argc, char** argv) try {
  Settings s;
  CLI::App app{"Compare optimizers on one network: same initial weights, same batches."};
  app.add_option("--dataset", s.dataset, "digits, fashion, a folder of MNIST-format files, or a CSV file")
      ->capture_default_str();
  app.add_flag("--header", s.header, "the CSV file's first line is a header (column names), not a sample");
  app.add_option("--layers", s.layers, "layer widths, e.g. 64-128-128-10 (default from the data)");
  app.add_option("--activation", s.activation, "sigmoid, tanh, relu, leaky_relu or elu");
  app.add_option("--optimizers", s.optimizers, "comma-separated list; name or name:lr")->delimiter(',');
  app.add_option("--lr", s.lr, "learning rate for every optimizer listed without one")->check(kPositive);
  app.add_option("--epochs", s.epochs, "epochs (default 50 on digits, 10 otherwise)")->check(whole_number(1));
  app.add_option("--batch", s.batch, "batch size (default 64 on digits, 128 otherwise)")
      ->check(whole_number<std::int64_t>(1));
  app.add_option("--seed", s.seed, "seed of the split, initial weights and batch order")
      ->check(whole_number<std::uint64_t>(0))
      ->capture_default_str();
  app.add_option("--threads", s.threads, "OpenBLAS threads")->check(whole_number(1, 256))->capture_default_str();
  app.add_option("--target", s.target, "accuracy whose first epoch the table reports")->check(kFraction);
  app.add_option("--out", s.out, "output folder")->capture_default_str();
  app.add_flag("--save-best", s.save_best,
               "save each optimizer's best model as <out>/<optimizer>-best.safetensors (load it with digits --load)");
  app.footer("Exit status: 0 when every optimizer trained; 3 when one diverged (its loss became NaN or infinite; "
             "the others' results are written); 1 on an error; CLI11's codes (above 100) on a bad option.");
  CLI11_PARSE(app, argc, argv);
  return run(s);
} catch (const std::exception& e) {
  return examples::report_error("compare_optimizers", e);
}
