#pragma once
// What compare_optimizers shows: a progress line while it trains, then tables and CSV files (plot.hpp
// draws, document.hpp writes report.md and report.html).

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "experiment.hpp"
#include "stats.hpp"

namespace compare {

/// Progress on stderr: with `bar`, a bar redrawn in place (one run at a time on a terminal); otherwise
/// one line when the run finishes its last epoch.
class Progress {
 public:
  Progress(std::string label, int epochs, bool bar);
  void update(int epoch, std::int64_t step, std::int64_t steps, double loss);
  void finish_epoch(const Epoch& epoch);
  /// Clears the bar of a run that ended before its last epoch.
  void stop();

 private:
  std::string label_;
  int epochs_;
  bool bar_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

/// Rows of cells; rows[0] is the header.
using Table = std::vector<std::vector<std::string>>;

/// "0.9611" for one value, "0.9611 ± 0.0040 (0.9556–0.9667)" for several (printf `format` for the mean
/// and std, `range_format` for the min, max and a single value, `format` when null), "-" for none.
[[nodiscard]] std::string summary_cell(const Summary& s, const char* format, const char* range_format = nullptr);

/// One row per chosen configuration: optimizer, learning rate, seeds (and how many diverged), final
/// training loss, best and final validation accuracy, final test accuracy, epochs to `target`, wall time.
[[nodiscard]] Table results_table(const std::vector<Config>& chosen, double target);
/// One row per learning rate of each optimizer in a sweep: mean ± std of the final validation accuracy
/// and loss, diverged runs, and a mark on the chosen rate. sweeps[o] are optimizer o's configurations.
[[nodiscard]] Table sweep_table(const std::vector<std::vector<Config>>& sweeps, const std::vector<std::size_t>& chosen);

/// `table` as a Markdown table whose columns are as wide (in characters, not bytes) as their widest cell.
[[nodiscard]] std::string markdown(const Table& table);

/// The reproducible CSV files: the same command gives the same bytes (no times in them).
/// history.csv: one row per run per finished epoch.
[[nodiscard]] std::string history_csv(const std::vector<Config>& configs);
/// runs.csv: one row per run with its settings (`settings`: name and value, the same for every run),
/// optimizer, rate, seed, whether the sweep chose its rate and how it ended.
[[nodiscard]] std::string runs_csv(const std::vector<Config>& configs, const std::vector<bool>& chosen,
                                   const std::vector<std::pair<std::string, std::string>>& settings);
/// summary.csv: one row per configuration with the table's statistics.
[[nodiscard]] std::string summary_csv(const std::vector<Config>& configs, const std::vector<bool>& chosen, double target);
/// times.csv, not reproducible: the wall time of each run at the end of each epoch.
[[nodiscard]] std::string times_csv(const std::vector<Config>& configs);

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
[[nodiscard]] std::string csv_field(const std::string& text);

/// Writes `text` beside `file` and renames it onto it in one step: a reader (or a run killed half-way)
/// sees the previous file or the whole new one. Throws std::runtime_error naming the file.
void write_atomically(const std::filesystem::path& file, const std::string& text);

}  // namespace compare
