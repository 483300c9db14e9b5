#pragma once
// What compare_optimizers shows: a progress line while it trains, then a table and a CSV (plot.hpp draws).

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "experiment.hpp"

namespace compare {

/// Progress on stderr: a bar redrawn in place on a terminal, one plain line per epoch otherwise.
class Progress {
 public:
  Progress(std::string label, int epochs);
  void update(int epoch, std::int64_t step, std::int64_t steps, double loss);
  void finish_epoch(const Epoch& epoch);
  /// Clears the bar of a run that ended before its last epoch.
  void stop();

 private:
  std::string label_;
  int epochs_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

/// The summary table on stdout: optimizer, learning rate, final training loss, best and final
/// evaluation accuracy, first epoch at or above `target`, wall time; a diverged run says where.
void print_table(const std::vector<History>& runs, const std::string& eval_name, double target);
/// One row per optimizer per finished epoch; the file is replaced atomically (temporary + rename).
void write_csv(const std::vector<History>& runs, const std::filesystem::path& file);

}  // namespace compare
