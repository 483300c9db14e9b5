#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace compare {

Summary summarize(const std::vector<double>& values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) return s;
  double sum = 0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  double squares = 0;
  for (const double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = s.n > 1 ? std::sqrt(squares / static_cast<double>(s.n - 1)) : 0;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  return s;
}

namespace {

// The first epoch whose validation accuracy is at least `target`, 0 if none.
int epoch_reaching(const History& run, double target) {
  for (const Epoch& e : run.epochs)
    if (e.val_accuracy >= target) return e.epoch;
  return 0;
}

}  // namespace

ConfigSummary summarize(const Config& config, double target) {
  ConfigSummary out;
  out.seeds = config.runs.size();
  std::vector<double> train_loss, best_val, final_val, val_loss, test, reached, seconds;
  for (const History& run : config.runs) {
    if (run.diverged || run.epochs.empty()) {
      ++out.diverged;
      continue;
    }
    const Epoch& last = run.epochs.back();
    train_loss.push_back(last.train_loss);
    best_val.push_back(best_accuracy(run));
    final_val.push_back(last.val_accuracy);
    val_loss.push_back(last.val_loss);
    test.push_back(last.test_accuracy);
    seconds.push_back(last.seconds);
    if (const int epoch = epoch_reaching(run, target); epoch > 0) reached.push_back(epoch);
  }
  out.reached = reached.size();
  out.final_train_loss = summarize(train_loss);
  out.best_val_accuracy = summarize(best_val);
  out.final_val_accuracy = summarize(final_val);
  out.final_val_loss = summarize(val_loss);
  out.final_test_accuracy = summarize(test);
  out.epochs_to_target = summarize(reached);
  out.seconds = summarize(seconds);
  return out;
}

std::size_t choose_best(const std::vector<Config>& configs) {
  if (configs.empty()) throw std::invalid_argument("choose_best: no configuration to choose from");
  // Accuracies are counts over the validation set: means of the same counts summed in another order
  // may differ in the last bits, which must not decide.
  constexpr double kSame = 1e-12;
  const auto better = [&](const Config& a, const Config& b) {
    const ConfigSummary sa = summarize(a, 1), sb = summarize(b, 1);
    if (sa.diverged != sb.diverged) return sa.diverged < sb.diverged;
    const double da = sa.final_val_accuracy.mean - sb.final_val_accuracy.mean;
    if (std::abs(da) > kSame) return da > 0;
    const double dl = sa.final_val_loss.mean - sb.final_val_loss.mean;
    if (std::abs(dl) > kSame) return dl < 0;
    return a.lr < b.lr;
  };
  std::size_t best = 0;
  for (std::size_t i = 1; i < configs.size(); ++i)
    if (better(configs[i], configs[best])) best = i;
  return best;
}

Curves aggregate(const Config& config) {
  Curves curves;
  for (History* h : {&curves.mean, &curves.low, &curves.high}) {
    h->optimizer = config.optimizer;
    h->lr = config.lr;
  }
  std::size_t epochs = 0;
  for (const History& run : config.runs) epochs = std::max(epochs, run.epochs.size());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t e = 0; e < epochs; ++e) {
    Epoch mean{static_cast<int>(e) + 1}, low = mean, high = mean;
    for (double Epoch::*value : {&Epoch::train_loss, &Epoch::val_loss, &Epoch::val_accuracy, &Epoch::test_loss,
                                 &Epoch::test_accuracy, &Epoch::seconds}) {
      std::vector<double> finite;
      for (const History& run : config.runs)
        if (e < run.epochs.size() && std::isfinite(run.epochs[e].*value)) finite.push_back(run.epochs[e].*value);
      const Summary s = summarize(finite);
      mean.*value = s.n > 0 ? s.mean : nan;
      low.*value = s.n > 0 ? s.min : nan;
      high.*value = s.n > 0 ? s.max : nan;
    }
    curves.mean.epochs.push_back(mean);
    curves.low.epochs.push_back(low);
    curves.high.epochs.push_back(high);
  }
  return curves;
}

namespace {

// The whole text as a positive finite number, or an error naming the entry.
double parse_rate(const std::string& text, const std::string& entry) {
  char* end = nullptr;
  const double value = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value > 0) || !std::isfinite(value))
    throw std::invalid_argument("--lr-sweep: '" + text + "' in '" + entry + "' is not a positive learning rate");
  return value;
}

int parse_points(const std::string& text, const std::string& entry) {
  char* end = nullptr;
  const long value = text.empty() ? 0 : std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || value < 2 || value > kMaxSweepPoints)
    throw std::invalid_argument("--lr-sweep: '" + entry + "' asks for " + (text.empty() ? "no" : text) +
                                " points; a sweep needs a whole number from 2 to " + std::to_string(kMaxSweepPoints));
  return static_cast<int>(value);
}

double round_to_3_digits(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return std::strtod(text, nullptr);
}

}  // namespace

std::vector<LrGrid> parse_sweep(const std::vector<std::string>& entries) {
  const std::vector<std::string>& known = optimizer_names();
  std::vector<LrGrid> grids;
  for (const std::string& entry : entries) {
    const std::size_t colon = entry.find(':');
    const std::size_t dots = entry.find("..", colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || dots == std::string::npos)
      throw std::invalid_argument("--lr-sweep: '" + entry + "' is not OPTIMIZER:LOW..HIGH[:POINTS], e.g. adam:1e-4..1e-2:5");
    LrGrid grid{entry.substr(0, colon)};
    if (std::find(known.begin(), known.end(), grid.optimizer) == known.end())
      throw std::invalid_argument("--lr-sweep: unknown optimizer '" + grid.optimizer + "' in '" + entry + "' (choose " +
                                  optimizer_choices() + ")");
    if (std::any_of(grids.begin(), grids.end(), [&](const LrGrid& g) { return g.optimizer == grid.optimizer; }))
      throw std::invalid_argument("--lr-sweep: " + grid.optimizer + " has two grids");
    const std::size_t points = entry.find(':', dots);
    grid.low = parse_rate(entry.substr(colon + 1, dots - colon - 1), entry);
    grid.high = parse_rate(entry.substr(dots + 2, points == std::string::npos ? std::string::npos : points - dots - 2), entry);
    if (points != std::string::npos) grid.points = parse_points(entry.substr(points + 1), entry);
    if (!(grid.low < grid.high)) {
      char rates[96];
      std::snprintf(rates, sizeof rates, "the low rate %g is not below the high rate %g", grid.low, grid.high);
      throw std::invalid_argument("--lr-sweep: '" + entry + "': " + rates);
    }
    static_cast<void>(grid_rates(grid));  // two points that round to one rate are an error now, not later
    grids.push_back(grid);
  }
  return grids;
}

std::vector<double> grid_rates(const LrGrid& grid) {
  std::vector<double> rates;
  const double log_low = std::log(grid.low), log_high = std::log(grid.high);
  for (int i = 0; i < grid.points; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(grid.points - 1);
    rates.push_back(i == 0 ? grid.low
                    : i + 1 == grid.points ? grid.high
                                           : round_to_3_digits(std::exp(log_low + t * (log_high - log_low))));
    if (i > 0 && !(rates[i] > rates[i - 1])) {
      char text[160];
      std::snprintf(text, sizeof text, "--lr-sweep: %s's %d points from %g to %g are closer than 3 significant digits",
                    grid.optimizer.c_str(), grid.points, grid.low, grid.high);
      throw std::invalid_argument(text);
    }
  }
  return rates;
}

std::vector<double> default_grid(double center) {
  std::vector<double> rates = grid_rates({"", round_to_3_digits(center / 10), round_to_3_digits(center * 10), 5});
  rates[2] = center;
  return rates;
}

}  // namespace compare
