#include "plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "../run_program.hpp"

namespace compare {

namespace fs = std::filesystem;

namespace {

bool not_finite(double value) { return !std::isfinite(value); }
bool finite_not_positive(double value) { return std::isfinite(value) && value <= 0; }

const Epoch* first_where(const History& run, double Epoch::*value, bool (*predicate)(double)) {
  const auto found = std::find_if(run.epochs.begin(), run.epochs.end(), [&](const Epoch& e) { return predicate(e.*value); });
  return found == run.epochs.end() ? nullptr : &*found;
}

// Adds the runs with at least one finite `value` to `shown`, with a note for every point left out.
void choose_runs(const std::vector<History>& runs, double Epoch::*value, const std::string& what,
                 std::vector<std::size_t>& shown, std::vector<std::string>& notes) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const History& run = runs[i];
    const auto missing = static_cast<std::size_t>(
        std::count_if(run.epochs.begin(), run.epochs.end(), [&](const Epoch& e) { return not_finite(e.*value); }));
    if (missing == run.epochs.size()) {
      notes.push_back(run.optimizer + " is not in the " + what + " plot: " +
                      (run.epochs.empty() ? "it finished no epoch" : "none of its values is finite"));
      continue;
    }
    if (missing > 0)
      notes.push_back(run.optimizer + ": " + std::to_string(missing) + " of " + std::to_string(run.epochs.size()) +
                      " " + what + " values are NaN or infinite (the first at epoch " +
                      std::to_string(first_where(run, value, not_finite)->epoch) + ") and are not plotted");
    shown.push_back(i);
  }
}

}  // namespace

PlotPlan plan_plot(const std::vector<History>& runs) {
  PlotPlan plan;
  choose_runs(runs, &Epoch::train_loss, "training loss", plan.loss, plan.notes);
  choose_runs(runs, &Epoch::eval_accuracy, "accuracy", plan.accuracy, plan.notes);
  for (const std::size_t i : plan.loss) {
    const Epoch* zero = first_where(runs[i], &Epoch::train_loss, finite_not_positive);
    if (zero == nullptr) continue;
    plan.log_loss = false;
    std::ostringstream note;
    note << "the training loss is plotted on a linear scale: " << runs[i].optimizer << "'s is " << zero->train_loss
         << " at epoch " << zero->epoch << ", which a log scale cannot show";
    plan.notes.push_back(note.str());
    break;
  }
  if (!plan.drawable()) plan.notes.push_back("no plot drawn: a panel would be empty");
  return plan;
}

std::string gnuplot_string(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\'') {
      quoted += "''";
    } else if (byte < 0x20 || byte == 0x7f) {  // a line break would end the command mid-string
      char octal[16];
      std::snprintf(octal, sizeof octal, "'.\"\\%03o\".'", byte);
      quoted += octal;
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

namespace {

// Two panels side by side; each optimizer's rows are selected from the CSV by name, and keeps its
// colour and dash pattern (from its place in `runs`) in both panels.
std::string gnuplot_body(const std::vector<History>& runs, const PlotPlan& plan, const std::string& eval_name) {
  std::ostringstream s;
  s << "set datafile separator ','\nset key autotitle columnhead\nset grid\nset key outside right top vertical\n"
    << "set multiplot layout 1,2 title plot_title\n";
  const auto panel = [&](const std::string& ylabel, int column, bool log_scale, const std::vector<std::size_t>& shown) {
    s << "set xlabel 'epoch'\nset ylabel " << gnuplot_string(ylabel) << '\n'
      << (log_scale ? "set logscale y\n" : "unset logscale y\n") << "plot ";
    for (const std::size_t i : shown) {
      const std::string name = gnuplot_string(runs[i].optimizer);
      s << (i == shown.front() ? "" : ", ") << "data_file using 3:(strcol(1) eq " << name << " ? $" << column
        << " : NaN) with lines lw 2 lc " << (i % 8 + 1) << " dt " << (i % 3 + 1) << " title " << name;
    }
    s << '\n';
  };
  panel("training loss", 4, plan.log_loss, plan.loss);
  panel(eval_name + " accuracy", 6, false, plan.accuracy);
  s << "unset multiplot\n";
  return s.str();
}

// User text appears only in the variable definitions at the top, each as a gnuplot_string.
void write_script(const fs::path& script, const fs::path& csv, const std::string& title, const fs::path& png,
                  const fs::path& svg, const std::string& body) {
  std::ofstream out(script);
  out << "# compare_optimizers' plot; `gnuplot <this file>` redraws it\n"
      << "data_file = " << gnuplot_string(csv.string()) << "\nplot_title = " << gnuplot_string(title)
      << "\npng_file = " << gnuplot_string(png.string()) << "\nsvg_file = " << gnuplot_string(svg.string()) << '\n'
      << "set terminal pngcairo size 1400,600 font ',11' noenhanced\nset output png_file\n" << body
      << "set terminal svg size 1400,600 dynamic font ',11' noenhanced\nset output svg_file\n" << body
      << "unset output\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + script.string() + ": " + std::strerror(errno));
}

// Runs `gnuplot <script>` (run_program: an argument vector, no shell).
void run_gnuplot(const fs::path& script) {
  try {
    examples::run_program({"gnuplot", fs::absolute(script).string()});  // absolute: a name starting with '-' is not an option
  } catch (const examples::ProgramMissing&) {
    throw std::runtime_error("gnuplot is not on PATH, so there is no plot (scripts/setup.sh installs Debian's gnuplot-nox)");
  }
}

}  // namespace

Plotted plot(const fs::path& csv, const std::vector<History>& runs, const std::string& eval_name,
             const std::string& title, const fs::path& stem) {
  const PlotPlan plan = plan_plot(runs);
  const fs::path png = fs::path(stem).replace_extension(".png");
  const fs::path svg = fs::path(stem).replace_extension(".svg");
  const auto remove_pictures = [&] {  // an old or half-drawn picture would pass for this run's
    std::error_code ignored;
    fs::remove(png, ignored);
    fs::remove(svg, ignored);
  };
  remove_pictures();
  if (!plan.drawable()) return {{}, plan.notes};
  const fs::path script = fs::path(stem).replace_extension(".gp");
  write_script(script, csv, title, png, svg, gnuplot_body(runs, plan, eval_name));
  try {
    run_gnuplot(script);
  } catch (...) {
    remove_pictures();
    throw;
  }
  return {{png, svg}, plan.notes};
}

}  // namespace compare
