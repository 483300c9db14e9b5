#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <stdexcept>

namespace compare {

namespace fs = std::filesystem;

Progress::Progress(std::string label, int epochs)
    : label_(std::move(label)), epochs_(epochs), terminal_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(int epoch, std::int64_t step, std::int64_t steps, double loss) {
  if (!terminal_) return;
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
  if (terminal_) std::fprintf(stderr, "\r\x1b[K");
}

void Progress::finish_epoch(const Epoch& e) {
  if (terminal_) {
    if (e.epoch == epochs_) std::fprintf(stderr, "\r\x1b[K");
    return;
  }
  std::fprintf(stderr, "%s epoch %d/%d train loss %.4f eval accuracy %.4f %.1fs\n", label_.c_str(), e.epoch, epochs_,
               e.train_loss, e.eval_accuracy, e.seconds);
}

namespace {

// printf-style formatting of one table cell.
template <class... Args>
std::string cell(const char* format, Args... args) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

// A Markdown table whose columns are as wide as their widest cell; rows[0] is the header.
void print_markdown(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  const auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c)
      std::printf("| %-*s ", static_cast<int>(widths[c]), row[c].c_str());
    std::printf("|\n");
  };
  print_row(rows.front());
  for (const std::size_t width : widths) std::printf("|%s", std::string(width + 2, '-').c_str());
  std::printf("|\n");
  for (std::size_t r = 1; r < rows.size(); ++r) print_row(rows[r]);
}

}  // namespace

namespace {

// A diverged run's training loss cell says where; its other cells come from its last finished epoch.
std::vector<std::string> table_row(const History& run, double target) {
  int reached = 0;
  for (const Epoch& e : run.epochs)
    if (reached == 0 && e.eval_accuracy >= target) reached = e.epoch;
  const std::string loss = run.diverged ? cell("%g at epoch %d", run.diverged->loss, run.diverged->epoch)
                           : run.epochs.empty() ? "-"
                                                : cell("%.4f", run.epochs.back().train_loss);
  if (run.epochs.empty()) return {run.optimizer, cell("%g", run.lr), loss, "-", "-", "-", "-"};
  const Epoch& last = run.epochs.back();
  return {run.optimizer, cell("%g", run.lr), loss, cell("%.4f", best_accuracy(run)), cell("%.4f", last.eval_accuracy),
          reached > 0 ? std::to_string(reached) : "-", cell("%.2f", last.seconds)};
}

}  // namespace

void print_table(const std::vector<History>& runs, const std::string& eval_name, double target) {
  std::vector<std::vector<std::string>> rows{{"optimizer", "lr", "train loss", "best acc", "final acc",
                                              cell("epoch to %g", target), "time (s)"}};
  for (const History& run : runs) rows.push_back(table_row(run, target));
  std::printf("\nAccuracy on the %s set after each epoch; time is wall time for all epochs.\n", eval_name.c_str());
  print_markdown(rows);
}

void write_csv(const std::vector<History>& runs, const fs::path& file) {
  // Written beside the destination, then renamed onto it in one step: a reader (or a run killed
  // half-way) sees the previous file or the whole new one.
  const fs::path temporary = file.string() + ".tmp" + std::to_string(getpid());
  std::ofstream out(temporary);
  out << "optimizer,lr,epoch,train_loss,eval_loss,eval_accuracy,seconds\n" << std::setprecision(9);
  for (const History& run : runs)
    for (const Epoch& e : run.epochs)
      out << run.optimizer << ',' << run.lr << ',' << e.epoch << ',' << e.train_loss << ',' << e.eval_loss << ','
          << e.eval_accuracy << ',' << e.seconds << '\n';
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
