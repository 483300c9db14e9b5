#include "plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
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
  choose_runs(runs, &Epoch::val_accuracy, "accuracy", plan.accuracy, plan.notes);
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

// The finite rows of one value's mean, low and high per epoch as a gnuplot datablock (numbers only).
std::string datablock(const std::string& name, const Curves& c, double Epoch::*value) {
  std::ostringstream s;
  s << std::setprecision(9) << name << " << EOD\n";
  for (std::size_t e = 0; e < c.mean.epochs.size(); ++e)
    if (std::isfinite(c.mean.epochs[e].*value))
      s << c.mean.epochs[e].epoch << ' ' << c.mean.epochs[e].*value << ' ' << c.low.epochs[e].*value << ' '
        << c.high.epochs[e].*value << '\n';
  s << "EOD\n";
  return s.str();
}

// The style of curve i: the same colour and dash pattern in every panel and plot.
std::string style(std::size_t i) { return " lc " + std::to_string(i % 8 + 1) + " dt " + std::to_string(i % 3 + 1); }

// Two panels side by side, each optimizer's mean curve over a band from the lowest to the highest seed.
std::string curves_body(const std::vector<Curves>& curves, const PlotPlan& plan) {
  std::ostringstream s;
  s << "set grid\nset key outside right top vertical\nset style fill transparent solid 0.18 noborder\n"
    << "set multiplot layout 1,2 title plot_title\n";
  const auto panel = [&](const std::string& ylabel, const char* block, bool log_scale, const std::vector<std::size_t>& shown) {
    s << "set xlabel 'epoch'\nset ylabel " << gnuplot_string(ylabel) << '\n'
      << (log_scale ? "set logscale y\n" : "unset logscale y\n") << "plot ";
    for (const std::size_t i : shown) {
      s << (i == shown.front() ? "" : ", ") << '$' << block << i << " using 1:3:4 with filledcurves" << style(i)
        << " notitle, $" << block << i << " using 1:2 with lines lw 2" << style(i) << " title "
        << gnuplot_string(curves[i].mean.optimizer);
    }
    s << '\n';
  };
  panel("training loss", "loss", plan.log_loss, plan.loss);
  panel("validation accuracy", "acc", false, plan.accuracy);
  s << "unset multiplot\n";
  return s.str();
}

// User text appears only in the variable definitions at the top, each as a gnuplot_string; the data are
// datablocks of numbers.
void write_script(const fs::path& script, const std::string& title, const fs::path& png, const fs::path& svg,
                  const std::string& data, const std::string& body, const char* size) {
  std::ofstream out(script);
  out << "# compare_optimizers' plot; `gnuplot <this file>` redraws it\n"
      << "plot_title = " << gnuplot_string(title) << "\npng_file = " << gnuplot_string(png.string())
      << "\nsvg_file = " << gnuplot_string(svg.string()) << '\n'
      << data << "set terminal pngcairo size " << size << " font ',11' noenhanced\nset output png_file\n" << body
      << "set terminal svg size " << size << " dynamic font ',11' noenhanced\nset output svg_file\n" << body
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

// Writes the script, runs gnuplot on it; no picture is left behind unless both are drawn.
Plotted draw(const fs::path& stem, const std::string& title, const std::string& data, const std::string& body,
             std::vector<std::string> notes, bool drawable, const char* size) {
  const fs::path png = fs::path(stem).replace_extension(".png");
  const fs::path svg = fs::path(stem).replace_extension(".svg");
  const auto remove_pictures = [&] {  // an old or half-drawn picture would pass for this run's
    std::error_code ignored;
    fs::remove(png, ignored);
    fs::remove(svg, ignored);
  };
  remove_pictures();
  if (!drawable) return {{}, std::move(notes)};
  const fs::path script = fs::path(stem).replace_extension(".gp");
  write_script(script, title, png, svg, data, body, size);
  try {
    run_gnuplot(script);
  } catch (...) {
    remove_pictures();
    throw;
  }
  return {{png, svg}, std::move(notes)};
}

}  // namespace

Plotted plot_curves(const std::vector<Curves>& curves, const std::string& title, const fs::path& stem) {
  std::vector<History> means, lows;
  for (const Curves& c : curves) {
    means.push_back(c.mean);
    lows.push_back(c.low);
  }
  PlotPlan plan = plan_plot(means);
  // The band reaches down to the lowest seed's loss, which a log scale must be able to show too.
  if (const PlotPlan low = plan_plot(lows); plan.log_loss && !low.log_loss) {
    plan.log_loss = false;
    for (const std::string& note : low.notes)
      if (note.starts_with("the training loss is plotted on a linear scale")) plan.notes.push_back(note + " (its lowest seed)");
  }
  std::string data;
  for (std::size_t i = 0; i < curves.size(); ++i)
    data += datablock("$loss" + std::to_string(i), curves[i], &Epoch::train_loss) +
            datablock("$acc" + std::to_string(i), curves[i], &Epoch::val_accuracy);
  return draw(stem, title, data, curves_body(curves, plan), plan.notes, plan.drawable(), "1400,600");
}

Plotted plot_sweep(const std::vector<std::vector<Config>>& sweeps, const std::vector<std::size_t>& chosen,
                   const std::string& title, const fs::path& stem) {
  std::ostringstream data, body;
  data << std::setprecision(9);
  std::vector<std::string> notes;
  body << "set grid\nset key outside right top vertical\nset logscale x\nset format x '%g'\n"
       << "set xlabel 'learning rate'\nset ylabel 'final validation accuracy (mean, min to max over seeds)'\n"
       << "set title plot_title\nplot ";
  bool first = true;
  for (std::size_t o = 0; o < sweeps.size(); ++o) {
    data << "$sweep" << o << " << EOD\n";
    std::size_t points = 0;
    for (const Config& config : sweeps[o]) {
      const Summary s = summarize(config, 1).final_val_accuracy;
      if (s.n == 0) continue;
      data << config.lr << ' ' << s.mean << ' ' << s.min << ' ' << s.max << '\n';
      ++points;
    }
    const Summary best = summarize(sweeps[o][chosen[o]], 1).final_val_accuracy;
    data << "EOD\n$chosen" << o << " << EOD\n";
    if (best.n > 0) data << sweeps[o][chosen[o]].lr << ' ' << best.mean << '\n';
    data << "EOD\n";
    const std::string& name = sweeps[o].front().optimizer;
    if (points == 0) {
      notes.push_back(name + " is not in the learning-rate plot: every run diverged");
      continue;
    }
    body << (first ? "" : ", ") << "$sweep" << o << " using 1:2:3:4 with yerrorlines lw 2 pt 7" << style(o)
         << " title " << gnuplot_string(name) << ", $chosen" << o << " using 1:2 with points pt 6 ps 3 lw 2"
         << style(o) << " notitle";
    first = false;
  }
  body << '\n';
  if (first) notes.push_back("no learning-rate plot drawn: every run diverged");
  return draw(stem, title + " (circled: the chosen rate)", data.str(), body.str(), std::move(notes), !first, "1000,600");
}

}  // namespace compare
