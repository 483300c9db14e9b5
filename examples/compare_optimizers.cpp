// compare_optimizers: trains one network with several optimizers, each from N seeds (initial weights and
// batch order) and, with --lr-sweep, at several learning rates chosen between on a validation split; then
// prints a table of mean ± standard deviation (min–max) over the seeds, writes CSV files (the same bytes
// for the same command), plots the mean curves over a band and the sweep, and writes report.md and a
// self-contained report.html. Test accuracy is measured on a held-out split that chooses nothing.
// A run whose loss becomes NaN or infinite stops there with a warning, the others go on, and the exit
// status is 3 (kDiverged) if a reported (chosen) configuration has such a run, once everything is written.
//
// Run: build/examples/compare_optimizers                    (the digits network, seven optimizers, 3 seeds)
//      build/examples/compare_optimizers --seeds 5 --lr-sweep --jobs 2
//      build/examples/compare_optimizers --dataset fashion --layers 784-256-256-10 --activation relu
//          --optimizers adam --lr 1e-3 --batch 128 --epochs 10 --seeds 1
//      build/examples/compare_optimizers --model cnn          (fashion_cnn's network on the 8x8 digits)
//      mpirun -np 2 build/examples/compare_optimizers --distributed   (data-parallel: the same table)
//      build/examples/compare_optimizers --help

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>

#include "cli_checks.hpp"
#include "common.hpp"
#include "compare/document.hpp"
#include "compare/experiment.hpp"
#include "compare/model.hpp"
#include "compare/parallel.hpp"
#include "compare/plot.hpp"
#include "compare/report.hpp"
#include "compare/stats.hpp"
#include "training/data_parallel.hpp"
#include "tapegrad/linalg.hpp"

namespace {

constexpr int kDiverged = 3;  // exit status when a reported configuration diverged (everything else was written)
constexpr int kMaxSeeds = 1000;

struct Settings {
  std::string dataset = "digits";
  std::string model = "mlp";
  std::string layers;      // mlp: default from the dataset
  std::string activation;  // mlp: sigmoid on digits, relu elsewhere
  std::vector<std::string> optimizers = compare::optimizer_names();
  double lr = 0;  // 0: each optimizer's default
  int epochs = 0;
  std::int64_t batch = 0;
  std::uint64_t seed = 0;
  int seeds = 3;
  bool sweep = false;                  // --lr-sweep given
  std::vector<std::string> sweep_grids;  // its optional OPTIMIZER:LOW..HIGH[:POINTS] entries
  int jobs = 1;
  // One OpenBLAS thread unless --threads says: a multithreaded product may round differently, and --jobs
  // (one BLAS thread per training) must give the same bytes as --jobs 1.
  int threads = 1;
  bool threads_given = false;
  std::optional<double> target;     // from the dataset unless --target says
  std::string out = "out/compare";
  bool save_best = false;
  bool header = false;  // the CSV file's first line names the columns
  bool distributed = false;  // data-parallel over the ranks of mpirun
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

// Each optimizer's configurations: its one rate, or with --lr-sweep its grid (given, or around its rate).
std::vector<std::vector<compare::Config>> plan_configs(const Settings& s, const std::vector<Choice>& choices) {
  const std::vector<compare::LrGrid> grids = compare::parse_sweep(s.sweep_grids);
  for (const compare::LrGrid& grid : grids)
    if (std::none_of(choices.begin(), choices.end(), [&](const Choice& c) { return c.name == grid.optimizer; }))
      throw std::invalid_argument("--lr-sweep: " + grid.optimizer + " has a grid but is not in --optimizers");
  std::vector<std::vector<compare::Config>> sweeps;
  for (const Choice& choice : choices) {
    std::vector<double> rates{choice.lr};
    if (s.sweep) {
      const auto grid = std::find_if(grids.begin(), grids.end(), [&](const auto& g) { return g.optimizer == choice.name; });
      rates = grid != grids.end() ? compare::grid_rates(*grid) : compare::default_grid(choice.lr);
    }
    std::vector<compare::Config>& configs = sweeps.emplace_back();
    for (const double lr : rates)
      configs.push_back({choice.name, lr, std::vector<compare::History>(static_cast<std::size_t>(s.seeds))});
  }
  return sweeps;
}

void check_settings(Settings& s) {
  compare::check_model_options(s.model, s.layers, s.activation);
  if (!s.sweep_grids.empty()) s.sweep = true;
  if (s.seed > std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(s.seeds - 1))
    throw std::invalid_argument("--seed: " + std::to_string(s.seed) + " plus " + std::to_string(s.seeds - 1) +
                                " (the last of --seeds " + std::to_string(s.seeds) + ") does not fit in 64 bits");
  if (s.distributed && s.jobs > 1)
    throw std::invalid_argument("--distributed trains every run on all the ranks together; --jobs " +
                                std::to_string(s.jobs) + " goes only without it");
  if (s.jobs > 1) {
    if (s.threads_given && s.threads != 1)
      throw std::invalid_argument("--jobs " + std::to_string(s.jobs) + " runs each training on one OpenBLAS thread; "
                                  "--threads " + std::to_string(s.threads) + " goes only with --jobs 1");
    s.threads = 1;
  }
}

// The cnn takes the mlp's batch and learning rates (on fashion: fashion_cnn's batch 128 and Adam lr 1e-3), and
// 20 epochs on digits, where every optimizer has it past 0.95 validation accuracy by epoch 7 (README.md).
void apply_defaults(Settings& s, const compare::Data& data) {
  const bool digits = s.dataset == "digits";
  const bool mlp = s.model == "mlp";
  if (mlp && s.layers.empty())
    s.layers = std::to_string(data.train.features()) + (digits ? "-128-128-" : "-256-256-") +
               std::to_string(data.train.num_classes);
  if (mlp && s.activation.empty()) s.activation = digits ? "sigmoid" : "relu";
  if (s.epochs == 0) s.epochs = digits ? (mlp ? 50 : 20) : 10;
  if (s.batch == 0) s.batch = digits ? 64 : 128;
  if (!s.target) s.target = digits ? 0.95 : 0.85;
}

// --save-best keeps the first seed's best model of each configuration.
std::filesystem::path best_model_file(const Settings& s, const compare::Config& config,
                                      const std::filesystem::path& out) {
  if (!s.sweep) return out / (config.optimizer + "-best.safetensors");
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", config.lr);
  return out / (config.optimizer + "-lr" + rate + "-best.safetensors");
}

// Every file the run will write is checked before the training whose results it holds.
void check_destinations(const Settings& s, const std::vector<std::vector<compare::Config>>& sweeps,
                        const std::filesystem::path& out) {
  std::error_code error;
  std::filesystem::create_directories(out, error);
  if (error) throw std::invalid_argument("--out: cannot create folder '" + out.string() + "': " + error.message());
  for (const char* name : {"history.csv", "runs.csv", "summary.csv", "times.csv", "report.md", "report.html"})
    examples::check_save_destination("--out", out / name);
  if (s.save_best)
    for (const auto& configs : sweeps)
      for (const compare::Config& config : configs)
        examples::check_save_destination("--save-best", best_model_file(s, config, out));
}

std::mutex output_mutex;  // one warning line at a time from the --jobs threads

// Trains one configuration from seed s.seed + index (on every rank of `cluster` together, when there is one);
// a divergence is reported here, and the run kept. Only rank 0 reports.
compare::History train_one(const Settings& s, const compare::Config& config, std::size_t index,
                           const compare::Network& network, const compare::Data& data,
                           const std::filesystem::path& out, const examples::Cluster* cluster) {
  const std::uint64_t seed = s.seed + index;  // seed s of N is the base seed + s
  const auto model = network.make(seed);  // the same start for every optimizer
  const examples::Replicas replicas = cluster ? cluster->replicate(*model) : examples::Replicas{};
  const auto optimizer = compare::make_optimizer(config.optimizer, config.lr, model->parameters());
  char label[96];
  std::snprintf(label, sizeof label, "%s lr %g seed %llu", config.optimizer.c_str(), config.lr,
                static_cast<unsigned long long>(seed));
  compare::Progress progress(label, s.epochs, s.jobs == 1);
  compare::History history = compare::train(
      *model, *optimizer, data,
      {.epochs = s.epochs, .batch = s.batch, .seed = seed,
       .best_model = s.save_best && index == 0 ? best_model_file(s, config, out) : std::filesystem::path(),
       .model = {{"model", network.model}, {"layers", network.layers}, {"activation", network.activation}},
       .replicas = replicas},
      replicas.rank != 0
          ? compare::Callbacks{}  // only rank 0 reports
          : compare::Callbacks{
                .on_step = [&](int epoch, std::int64_t step, std::int64_t steps,
                               double loss) { progress.update(epoch, step, steps, loss); },
                .on_epoch = [&](const compare::Epoch& e) { progress.finish_epoch(e); }});
  history.optimizer = config.optimizer;
  history.lr = config.lr;
  if (const auto& d = history.diverged; d && replicas.rank == 0) {
    const std::lock_guard lock(output_mutex);
    progress.stop();
    std::fprintf(stderr,
                 "compare_optimizers: warning: %s (lr %g, seed %llu) diverged: its training loss was %g at epoch %d, "
                 "step %lld; it stopped there%s\n",
                 config.optimizer.c_str(), config.lr, static_cast<unsigned long long>(seed), d->loss, d->epoch,
                 static_cast<long long>(d->step), s.optimizers.size() > 1 || s.sweep || s.seeds > 1 ? ", the others go on" : "");
  }
  return history;
}

// Every (configuration, seed) on --jobs threads; the results go back by index, whatever the schedule.
void train_all(const Settings& s, std::vector<std::vector<compare::Config>>& sweeps, const compare::Network& network,
               const compare::Data& data, const std::filesystem::path& out, const examples::Cluster* cluster) {
  struct Job {
    compare::Config* config;
    std::size_t seed;
  };
  std::vector<Job> jobs;
  for (auto& configs : sweeps)
    for (compare::Config& config : configs)
      for (std::size_t seed = 0; seed < config.runs.size(); ++seed) jobs.push_back({&config, seed});
  const std::vector<compare::History> runs = compare::run_parallel<compare::History>(
      jobs.size(), s.jobs,
      [&](std::size_t i) { return train_one(s, *jobs[i].config, jobs[i].seed, network, data, out, cluster); });
  for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].config->runs[jobs[i].seed] = runs[i];
}

std::vector<std::pair<std::string, std::string>> csv_settings(const Settings& s, const compare::Network& n) {
  return {{"dataset", s.dataset},          {"model", n.model}, {"layers", n.layers}, {"activation", n.activation},
          {"batch", std::to_string(s.batch)}, {"epochs", std::to_string(s.epochs)},
          {"base_seed", std::to_string(s.seed)}, {"seeds", std::to_string(s.seeds)}};
}

struct Outcome {
  std::vector<compare::Config> all, chosen;
  std::vector<bool> is_chosen;  // per entry of `all`
  std::vector<std::size_t> chosen_index;  // per optimizer, into its sweep
};

Outcome choose(const Settings& s, const std::vector<std::vector<compare::Config>>& sweeps) {
  Outcome o;
  for (const auto& configs : sweeps) {
    const std::size_t best = s.sweep ? compare::choose_best(configs) : 0;
    o.chosen_index.push_back(best);
    o.chosen.push_back(configs[best]);
    for (std::size_t i = 0; i < configs.size(); ++i) {
      o.all.push_back(configs[i]);
      o.is_chosen.push_back(i == best);
    }
  }
  return o;
}

std::string seeds_text(const Settings& s) {
  return std::to_string(s.seeds) + " seed" + (s.seeds == 1 ? "" : "s") + " (" + std::to_string(s.seed) +
         (s.seeds == 1 ? "" : " to " + std::to_string(s.seed + static_cast<std::uint64_t>(s.seeds - 1))) + ")";
}

// Plots, then report.md and report.html; a plot that fails is noted in the reports, then its error thrown.
void write_pictures_and_reports(const Settings& s, const compare::Network& network, const compare::Data& data,
                                const Outcome& o, const std::vector<std::vector<compare::Config>>& sweeps,
                                const compare::Table& results,
                                const compare::Provenance& where, const std::filesystem::path& out) {
  const std::string title = network.description() + " on " + s.dataset;
  std::vector<std::string> notes;
  std::exception_ptr failure;
  const auto draw = [&](const auto& make) {
    try {
      const compare::Plotted plotted = make();
      for (const std::string& note : plotted.notes) std::fprintf(stderr, "compare_optimizers: plot: %s\n", note.c_str());
      for (const std::filesystem::path& file : plotted.files) std::printf("wrote %s\n", file.c_str());
      notes.insert(notes.end(), plotted.notes.begin(), plotted.notes.end());
    } catch (const std::exception& e) {
      if (!failure) failure = std::current_exception();
      notes.push_back(std::string("no plot: ") + e.what());
    }
  };
  std::vector<compare::Curves> curves;
  for (const compare::Config& config : o.chosen) curves.push_back(compare::aggregate(config));
  draw([&] { return compare::plot_curves(curves, title, out / "history"); });
  if (s.sweep && !failure) draw([&] { return compare::plot_sweep(sweeps, o.chosen_index, title, out / "lr_sweep"); });
  for (std::size_t i = 0; s.sweep && i < sweeps.size(); ++i)
    if (o.chosen_index[i] == 0 || o.chosen_index[i] + 1 == sweeps[i].size()) {
      const std::string note = sweeps[i].front().optimizer + "'s chosen rate " + compare::summary_cell({1, o.chosen[i].lr}, "%g") +
                               " is at the edge of its grid: a rate beyond it may do better (widen the grid with --lr-sweep)";
      std::fprintf(stderr, "compare_optimizers: note: %s\n", note.c_str());
      notes.push_back(note);
    }
  for (const compare::Config& config : o.all)
    for (const compare::History& run : config.runs)
      if (run.diverged)
        notes.push_back(run.optimizer + " (lr " + std::to_string(run.lr) + ", seed " + std::to_string(run.seed) +
                        ") diverged at epoch " + std::to_string(run.diverged->epoch));
  std::vector<compare::Section> sections{
      {"Results", "Mean ± standard deviation (min–max) over " + seeds_text(s) +
                      ": seed s of N is --seed + s and sets the initial weights and the batch order; the split is "
                      "seeded by --seed alone. Accuracies and losses are the final epoch's; best val acc is the "
                      "best epoch's; test accuracy is the final model's on the held-out test set, which chooses "
                      "nothing. Time is wall time (not reproducible). The plot draws each mean curve over a band "
                      "from the lowest to the highest seed.",
       results, out / "history"}};
  if (s.sweep)
    sections.push_back({"Learning-rate sweep",
                        "Each optimizer's rate is the one with the highest mean final validation accuracy over the "
                        "seeds (a tie goes to the lower mean final validation loss; a rate with diverged runs loses "
                        "to one with fewer).",
                        compare::sweep_table(sweeps, o.chosen_index), out / "lr_sweep"});
  compare::write_reports(out, "compare_optimizers: " + title, where,
                         {"data: " + data.description, "samples: " + std::to_string(data.train.size()) + " training, " +
                              std::to_string(data.validation.size()) + " validation, " +
                              std::to_string(data.test.size()) + " test",
                          "model: " + network.model + " " + network.layers + " " + network.activation +
                              ", softmax cross-entropy",
                          "batch " + std::to_string(s.batch) + ", " + std::to_string(s.epochs) + " epochs, " +
                              seeds_text(s)},
                         sections, notes);
  std::printf("wrote %s and %s\n", (out / "report.md").c_str(), (out / "report.html").c_str());
  if (failure) std::rethrow_exception(failure);
}

void write_csv_files(const Settings& s, const compare::Network& network, const Outcome& o,
                     const std::filesystem::path& out) {
  compare::write_atomically(out / "history.csv", compare::history_csv(o.all));
  compare::write_atomically(out / "runs.csv", compare::runs_csv(o.all, o.is_chosen, csv_settings(s, network)));
  compare::write_atomically(out / "summary.csv", compare::summary_csv(o.all, o.is_chosen, *s.target));
  compare::write_atomically(out / "times.csv", compare::times_csv(o.all));
  std::printf("\nwrote %s, runs.csv, summary.csv and times.csv (wall times: not reproducible)%s\n",
              (out / "history.csv").c_str(), s.save_best ? " and the first seed's best models" : "");
}

// "1 process", or "2 ranks (data-parallel: each batch of 64 split 32 + 32)".
std::string processes_text(const Settings& s, const examples::Cluster* cluster) {
  if (!cluster) return "1 process";
  const int world = cluster->world_size();
  std::string split;
  for (int r = 0; r < world && r < 4; ++r) {
    const examples::Share part = examples::share(s.batch, r, world);
    split += (r == 0 ? "" : " + ") + std::to_string(part.last - part.first);
  }
  return std::to_string(world) + (world == 1 ? " rank" : " ranks") + " (data-parallel: each batch of " +
         std::to_string(s.batch) + " split " + split + (world > 4 ? " + ..." : "") + ")";
}

// The comparison, on this process alone or (ranks not null) on every rank of the cluster together.
int compare_all(Settings& s, const compare::Provenance& where, const examples::Cluster* ranks) {
  const bool speaks = !ranks || ranks->rank() == 0;  // only rank 0 prints and writes
  const compare::Data data = compare::load_data(s.dataset, s.seed, s.header);
  apply_defaults(s, data);
  const compare::Network network = compare::choose_network(s.model, s.layers, s.activation, data.train, s.dataset);
  std::vector<std::vector<compare::Config>> sweeps = plan_configs(s, parse_optimizers(s));
  tg::set_num_threads(s.threads);  // once, before any --jobs thread starts
  if (speaks)
    std::printf("data: %s: %lld training, %lld validation, %lld test samples\nmodel: %s %s, %s, softmax "
                "cross-entropy; batch %lld, %d epochs, %s, %d job(s), %d BLAS thread(s), %s\n",
                data.description.c_str(), static_cast<long long>(data.train.size()),
                static_cast<long long>(data.validation.size()), static_cast<long long>(data.test.size()),
                network.model.c_str(), network.layers.c_str(), network.activation.c_str(),
                static_cast<long long>(s.batch), s.epochs, seeds_text(s).c_str(), s.jobs, s.threads,
                processes_text(s, ranks).c_str());
  std::fflush(stdout);  // before the progress lines on stderr
  const std::filesystem::path out(s.out);
  if (speaks) check_destinations(s, sweeps, out);
  train_all(s, sweeps, network, data, out, ranks);

  const Outcome o = choose(s, sweeps);
  const bool diverged = std::any_of(o.chosen.begin(), o.chosen.end(), [](const compare::Config& c) {
    return std::any_of(c.runs.begin(), c.runs.end(), [](const compare::History& h) { return h.diverged.has_value(); });
  });
  if (!speaks) return diverged ? kDiverged : 0;
  const compare::Table results = compare::results_table(o.chosen, *s.target);
  std::printf("\n%s on the validation set (chooses), test accuracy on the held-out test set; mean ± std (min–max) over "
              "%s; time is wall time per run.\n%s",
              s.sweep ? "Each optimizer at its best rate" : "Accuracy", seeds_text(s).c_str(),
              compare::markdown(results).c_str());
  if (s.sweep)
    std::printf("\nLearning-rate sweep: final validation accuracy per rate (mean ± std (min–max) over the seeds).\n%s",
                compare::markdown(compare::sweep_table(sweeps, o.chosen_index)).c_str());
  write_csv_files(s, network, o, out);
  write_pictures_and_reports(s, network, data, o, sweeps, results, where, out);
  return diverged ? kDiverged : 0;
}

int run(Settings& s, const compare::Provenance& where) {
  check_settings(s);
  if (!s.distributed) return compare_all(s, where, nullptr);
  const examples::Cluster cluster;  // MPI first, so that every rank meets the same errors
  try {
    return compare_all(s, where, &cluster);
  } catch (const std::exception& e) {
    // The error goes out with its rank; leaving `cluster` by an exception then ends every rank (MPI_Abort),
    // the others too, wherever they wait.
    std::fprintf(stderr, "compare_optimizers: rank %d: error: %s\n", cluster.rank(), e.what());
    throw;
  }
}

}  // namespace

using examples::kFraction;
using examples::kPositive;
using examples::whole_number;

int main(int argc, char** argv) try {
  Settings s;
  CLI::App app{"Compare optimizers on one network: same initial weights and batches per seed, several seeds, "
               "learning rates chosen on a validation split, accuracy reported on a held-out test split."};
  app.add_option("--dataset", s.dataset, "digits, fashion, a folder of MNIST-format files, or a CSV file")
      ->capture_default_str();
  app.add_flag("--header", s.header, "the CSV file's first line is a header (column names), not a sample");
  app.add_option("--model", s.model,
                 "mlp (--layers, --activation) or cnn (fashion_cnn's conv32-pool-conv64-pool-128 relu network, for "
                 "square images whose side is a multiple of 4)")
      ->capture_default_str();
  app.add_option("--layers", s.layers, "mlp layer widths, e.g. 64-128-128-10 (default from the data)");
  app.add_option("--activation", s.activation, "mlp activation: sigmoid, tanh, relu, leaky_relu or elu");
  app.add_option("--optimizers", s.optimizers, "comma-separated list; name or name:lr")->delimiter(',');
  app.add_option("--lr", s.lr, "learning rate for every optimizer listed without one")->check(kPositive);
  app.add_option("--lr-sweep", s.sweep_grids,
                 "choose each optimizer's rate on the validation split from a grid: 5 rates from lr/10 to lr*10 "
                 "(log-spaced), or OPTIMIZER:LOW..HIGH[:POINTS], comma-separated, for some")
      ->expected(0, -1)
      ->delimiter(',');
  app.add_option("--epochs", s.epochs, "epochs (default 50 on digits, 20 for the cnn there, 10 otherwise)")
      ->check(whole_number(1));
  app.add_option("--batch", s.batch, "batch size (default 64 on digits, 128 otherwise)")
      ->check(whole_number<std::int64_t>(1));
  app.add_option("--seed", s.seed, "seed of the split; run s of --seeds N uses seed + s for weights and batch order")
      ->check(whole_number<std::uint64_t>(0))
      ->capture_default_str();
  app.add_option("--seeds", s.seeds, "how many seeds every configuration trains from")
      ->check(whole_number(1, kMaxSeeds))
      ->capture_default_str();
  app.add_option("--jobs", s.jobs, "trainings at once, on threads of one OpenBLAS thread each (same results)")
      ->check(whole_number(1, 256))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_option("--threads", s.threads, "OpenBLAS threads (with --jobs 1; results may differ in the last bits from 1 thread)")->check(whole_number(1, 256))->capture_default_str();
  app.add_option("--target", s.target, "validation accuracy whose first epoch the table reports")->check(kFraction);
  app.add_option("--out", s.out, "output folder")->capture_default_str();
  app.add_flag("--save-best", s.save_best,
               "save each configuration's best model of its first seed as <out>/<optimizer>-best.safetensors "
               "(<optimizer>-lr<rate>-best with --lr-sweep; its metadata names the network; score the default mlp "
               "on digits with digits --load)");
  app.add_flag("--distributed", s.distributed,
               "data-parallel: run under mpirun -np N; every rank takes its share of each batch of --batch, "
               "gradients are averaged over the ranks, and rank 0 prints and writes the results of one process "
               "with that batch");
  app.footer("Exit status: 0 when every reported configuration trained; 3 when a run of one diverged (its loss became "
             "NaN or infinite; the others' results are written); 1 on an error; CLI11's codes (above 100) on a bad option.");
  CLI11_PARSE(app, argc, argv);
  s.sweep = app.count("--lr-sweep") > 0;
  std::erase(s.sweep_grids, "");  // CLI11 gives a bare --lr-sweep one empty value
  s.threads_given = app.count("--threads") > 0;
  return run(s, compare::provenance(argc, argv));
} catch (const std::exception& e) {
  return examples::report_error("compare_optimizers", e);
}
