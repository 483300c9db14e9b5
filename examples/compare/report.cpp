#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace compare {

namespace fs = std::filesystem;

Progress::Progress(std::string label, int epochs, bool bar)
    : label_(std::move(label)), epochs_(epochs), bar_(bar && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(int epoch, std::int64_t step, std::int64_t steps, double loss) {
  if (!bar_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && step != steps) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double done = (static_cast<double>(epoch - 1) + static_cast<double>(step) / static_cast<double>(steps)) /
                      static_cast<double>(epochs_);
  const double rate = static_cast<double>((epoch - 1) * steps + step) / std::max(elapsed, 1e-9);
  const double left = done > 0 ? elapsed * (1 - done) / done : 0;
  constexpr int kWidth = 24;
  const int filled = static_cast<int>(done * kWidth);
  std::fprintf(stderr, "\r%-9s [%s%s] epoch %d/%d step %lld/%lld loss %.4f %.0f step/s %.1fs left \x1b[K",
               label_.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), epoch, epochs_,
               static_cast<long long>(step), static_cast<long long>(steps), loss, rate, left);
  std::fflush(stderr);
}

void Progress::stop() {
  if (bar_) std::fprintf(stderr, "\r\x1b[K");
}

void Progress::finish_epoch(const Epoch& e) {
  if (e.epoch != epochs_) return;
  if (bar_) {
    std::fprintf(stderr, "\r\x1b[K");
    return;
  }
  std::fprintf(stderr, "%s: %d epochs, train loss %.4f, validation accuracy %.4f, %.1fs\n", label_.c_str(), e.epoch,
               e.train_loss, e.val_accuracy, e.seconds);
}

namespace {

// printf-style formatting of one table cell.
template <class... Args>
std::string cell(const char* format, Args... args) {
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

// Characters, not bytes: "±" and "–" are two and three bytes of UTF-8.
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(const std::string& text, std::size_t width) {
  return text + std::string(width - display_width(text), ' ');
}

}  // namespace

std::string summary_cell(const Summary& s, const char* format, const char* range_format) {
  if (s.n == 0) return "-";
  if (s.n == 1) return cell(range_format ? range_format : format, s.mean);
  const char* range = range_format ? range_format : format;
  return cell(format, s.mean) + " ± " + cell(format, s.std) + " (" + cell(range, s.min) + "–" + cell(range, s.max) + ")";
}

std::string markdown(const Table& rows) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  std::string text;
  const auto add_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) text += "| " + pad(row[c], widths[c]) + " ";
    text += "|\n";
  };
  add_row(rows.front());
  for (const std::size_t width : widths) text += "|" + std::string(width + 2, '-');
  text += "|\n";
  for (std::size_t r = 1; r < rows.size(); ++r) add_row(rows[r]);
  return text;
}

namespace {

std::string seeds_cell(const ConfigSummary& s) {
  return std::to_string(s.seeds) + (s.diverged > 0 ? " (" + std::to_string(s.diverged) + " diverged)" : "");
}

// The training loss of a configuration none of whose runs finished says where the first one diverged.
std::string loss_cell(const Config& config, const ConfigSummary& s) {
  if (s.final_train_loss.n > 0) return summary_cell(s.final_train_loss, "%.4f");
  for (const History& run : config.runs)
    if (run.diverged) return cell("%g at epoch %d", run.diverged->loss, run.diverged->epoch);
  return "-";
}

std::string reached_cell(const ConfigSummary& s) {
  if (s.reached == 0) return "-";
  const std::size_t finished = s.seeds - s.diverged;
  return summary_cell(s.epochs_to_target, "%.1f", "%.0f") +
         (s.reached < finished ? " (" + std::to_string(s.reached) + " of " + std::to_string(finished) + ")" : "");
}

}  // namespace

Table results_table(const std::vector<Config>& chosen, double target) {
  Table rows{{"optimizer", "lr", "seeds", "train loss", "best val acc", "final val acc", "test acc",
              cell("epochs to %g", target), "time (s)"}};
  for (const Config& config : chosen) {
    const ConfigSummary s = summarize(config, target);
    rows.push_back({config.optimizer, cell("%g", config.lr), seeds_cell(s), loss_cell(config, s),
                    summary_cell(s.best_val_accuracy, "%.4f"), summary_cell(s.final_val_accuracy, "%.4f"),
                    summary_cell(s.final_test_accuracy, "%.4f"), reached_cell(s), summary_cell(s.seconds, "%.2f")});
  }
  return rows;
}

Table sweep_table(const std::vector<std::vector<Config>>& sweeps, const std::vector<std::size_t>& chosen) {
  Table rows{{"optimizer", "lr", "seeds", "final val acc", "final val loss", "chosen"}};
  for (std::size_t o = 0; o < sweeps.size(); ++o)
    for (std::size_t i = 0; i < sweeps[o].size(); ++i) {
      const Config& config = sweeps[o][i];
      const ConfigSummary s = summarize(config, 1);
      rows.push_back({config.optimizer, cell("%g", config.lr), seeds_cell(s), summary_cell(s.final_val_accuracy, "%.4f"),
                      summary_cell(s.final_val_loss, "%.4f"), i == chosen[o] ? "yes" : ""});
    }
  return rows;
}

namespace {

// Numbers in the CSV files: 9 significant digits, enough for every float32 and the same text for the same bits.
std::string number(double value) {
  std::ostringstream out;
  out << std::setprecision(9) << value;
  return out.str();
}

std::string status(const History& run) {
  if (!run.diverged) return "finished";
  return "diverged at epoch " + std::to_string(run.diverged->epoch) + " step " + std::to_string(run.diverged->step);
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string history_csv(const std::vector<Config>& configs) {
  std::string text = "optimizer,lr,seed,epoch,train_loss,val_loss,val_accuracy,test_loss,test_accuracy\n";
  for (const Config& config : configs)
    for (const History& run : config.runs)
      for (const Epoch& e : run.epochs)
        text += run.optimizer + ',' + number(run.lr) + ',' + std::to_string(run.seed) + ',' + std::to_string(e.epoch) +
                ',' + number(e.train_loss) + ',' + number(e.val_loss) + ',' + number(e.val_accuracy) + ',' +
                number(e.test_loss) + ',' + number(e.test_accuracy) + '\n';
  return text;
}

std::string runs_csv(const std::vector<Config>& configs, const std::vector<bool>& chosen,
                     const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string text = "run,optimizer,lr,seed,chosen,status";
  std::string common;
  for (const auto& [name, value] : settings) {
    text += ',' + name;
    common += ',' + csv_field(value);
  }
  text += '\n';
  std::size_t index = 0;
  for (std::size_t c = 0; c < configs.size(); ++c)
    for (const History& run : configs[c].runs)
      text += std::to_string(index++) + ',' + run.optimizer + ',' + number(run.lr) + ',' + std::to_string(run.seed) +
              ',' + (chosen[c] ? "yes" : "no") + ',' + status(run) + common + '\n';
  return text;
}

std::string summary_csv(const std::vector<Config>& configs, const std::vector<bool>& chosen, double target) {
  std::string text = "optimizer,lr,chosen,seeds,diverged,reached_target,target";
  const char* names[] = {"final_train_loss", "best_val_accuracy", "final_val_accuracy", "final_val_loss",
                         "final_test_accuracy", "epochs_to_target"};
  for (const char* name : names)
    for (const char* stat : {"mean", "std", "min", "max"}) text += std::string(",") + name + '_' + stat;
  text += '\n';
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const ConfigSummary s = summarize(configs[c], target);
    text += configs[c].optimizer + ',' + number(configs[c].lr) + ',' + (chosen[c] ? "yes" : "no") + ',' +
            std::to_string(s.seeds) + ',' + std::to_string(s.diverged) + ',' + std::to_string(s.reached) + ',' +
            number(target);
    for (const Summary* x : {&s.final_train_loss, &s.best_val_accuracy, &s.final_val_accuracy, &s.final_val_loss,
                             &s.final_test_accuracy, &s.epochs_to_target})
      text += x->n == 0 ? std::string(",,,,")
                        : ',' + number(x->mean) + ',' + number(x->std) + ',' + number(x->min) + ',' + number(x->max);
    text += '\n';
  }
  return text;
}

std::string times_csv(const std::vector<Config>& configs) {
  std::string text = "optimizer,lr,seed,epoch,seconds\n";
  for (const Config& config : configs)
    for (const History& run : config.runs)
      for (const Epoch& e : run.epochs)
        text += run.optimizer + ',' + number(run.lr) + ',' + std::to_string(run.seed) + ',' + std::to_string(e.epoch) +
                ',' + number(e.seconds) + '\n';
  return text;
}

void write_atomically(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.string() + ".tmp" + std::to_string(getpid());
  std::ofstream out(temporary, std::ios::binary);
  out << text;
  out.close();
  std::error_code ec;
  if (out) fs::rename(temporary, file, ec);
  if (!out || ec) {
    const std::string reason = ec ? ec.message() : std::strerror(errno);
    fs::remove(temporary, ec);
    throw std::runtime_error("cannot write " + file.string() + ": " + reason);
  }
}

}  // namespace compare
