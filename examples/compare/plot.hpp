#pragma once
// compare_optimizers' plots, drawn by gnuplot: training loss and validation accuracy per epoch, and the
// final validation accuracy against the learning rate in a sweep.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "experiment.hpp"
#include "stats.hpp"

namespace compare {

/// Which runs each panel shows and on which scale, with a sentence for everything left out or changed.
struct PlotPlan {
  bool log_loss = true;  // the loss axis is logarithmic unless some loss is 0 (or negative)
  std::vector<std::size_t> loss;      // indices of the runs with at least one finite training loss
  std::vector<std::size_t> accuracy;  // indices of the runs with at least one finite accuracy
  std::vector<std::string> notes;
  [[nodiscard]] bool drawable() const { return !loss.empty() && !accuracy.empty(); }
};
[[nodiscard]] PlotPlan plan_plot(const std::vector<History>& runs);

/// `text` as a gnuplot string expression that gnuplot reads as data: single-quoted (no backquote
/// command substitution, no macros, '' for a quote), control characters as "\ooo" joined with '.'.
[[nodiscard]] std::string gnuplot_string(std::string_view text);

struct Plotted {
  std::vector<std::filesystem::path> files;  // <stem>.png and <stem>.svg, or none
  std::vector<std::string> notes;            // from plan_plot
};

/// Draws each configuration's mean training loss and validation accuracy per epoch over a band from the
/// lowest to the highest seed, as <stem>.png and <stem>.svg, keeping the gnuplot script (the data in it as
/// datablocks) as <stem>.gp. gnuplot is found on PATH and started without a shell; every name (paths,
/// title, optimizers) reaches it as gnuplot_string data, drawn without enhanced-text markup. Draws nothing
/// when a panel would be empty (see the notes); throws std::runtime_error if gnuplot is missing or fails,
/// leaving no partial picture behind.
[[nodiscard]] Plotted plot_curves(const std::vector<Curves>& curves, const std::string& title,
                                  const std::filesystem::path& stem);

/// Draws the final validation accuracy (mean, with min-max bars over seeds) against the learning rate,
/// one line per optimizer (sweeps[o]), the chosen rate circled; as plot_curves otherwise.
[[nodiscard]] Plotted plot_sweep(const std::vector<std::vector<Config>>& sweeps, const std::vector<std::size_t>& chosen,
                                 const std::string& title, const std::filesystem::path& stem);

}  // namespace compare
