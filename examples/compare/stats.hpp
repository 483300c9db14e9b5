#pragma once
// compare_optimizers' statistics over seeds and its learning-rate sweep: each (optimizer, rate) pair is
// trained from N seeds, summarised as mean, standard deviation, minimum and maximum, and in a sweep the
// rate with the best mean final validation accuracy is the one the table reports.

#include <cstddef>
#include <string>
#include <vector>

#include "experiment.hpp"

namespace compare {

/// Mean, sample standard deviation (divisor n - 1; 0 for a single value), minimum and maximum of n values.
struct Summary {
  std::size_t n = 0;
  double mean = 0;
  double std = 0;
  double min = 0;
  double max = 0;
};
/// Of `values` in their order (so the same values give the same bits); n = 0 and zeros for none.
[[nodiscard]] Summary summarize(const std::vector<double>& values);

/// One optimizer at one learning rate, trained once per seed (runs[s] from seed base + s).
struct Config {
  std::string optimizer;
  double lr = 0;
  std::vector<History> runs;
};

/// What the table shows of a Config. A diverged run counts in `diverged` and in no other figure; the
/// epochs to the target are those of the runs that reached it (`reached` of them).
struct ConfigSummary {
  std::size_t seeds = 0;
  std::size_t diverged = 0;
  std::size_t reached = 0;
  Summary final_train_loss, best_val_accuracy, final_val_accuracy, final_val_loss, final_test_accuracy, epochs_to_target,
      seconds;
};
[[nodiscard]] ConfigSummary summarize(const Config& config, double target);

/// The index in `configs` (those of one optimizer) that a sweep chooses: fewest diverged runs, then the
/// highest mean final validation accuracy, then the lowest mean final validation loss, then the lowest rate.
[[nodiscard]] std::size_t choose_best(const std::vector<Config>& configs);

/// A Config's curves over seeds: per epoch (while some run has it) the mean, minimum and maximum of each
/// value over the runs that finished that epoch, NaN where none of them is finite. Named after the optimizer.
struct Curves {
  History mean, low, high;
};
[[nodiscard]] Curves aggregate(const Config& config);

/// One optimizer's learning-rate grid: `points` rates log-spaced from low to high.
struct LrGrid {
  std::string optimizer;
  double low = 0;
  double high = 0;
  int points = 5;
};
inline constexpr int kMaxSweepPoints = 50;

/// Parses --lr-sweep entries "adam:1e-4..1e-2:5" (":5" may be left out: 5 points); throws
/// std::invalid_argument naming the entry for a bad number, low >= high, fewer than 2 or more than 50
/// points, an unknown optimizer or one listed twice.
[[nodiscard]] std::vector<LrGrid> parse_sweep(const std::vector<std::string>& entries);

/// The grid's rates: low, high and the log-spaced points between them rounded to 3 significant digits
/// (so that they read as the rates one would type); throws if two of them round to the same rate.
[[nodiscard]] std::vector<double> grid_rates(const LrGrid& grid);
/// The default grid around a rate: center / 10 .. center * 10, 5 points, the middle one center itself.
[[nodiscard]] std::vector<double> default_grid(double center);

}  // namespace compare
