#pragma once
// Shared by the examples: `--name VALUE` command-line options, classification accuracy, a progress bar, the
// check of a save destination made before training, and main's last-resort error handler.

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/tapegrad.hpp"

namespace examples {

/// One `--name VALUE` option, written into *value: a whole number (at least `min`) or a text; or a switch
/// `--name` without a value, which sets *value to true.
struct Flag {
  std::string_view name;
  std::variant<std::int64_t*, std::string*, bool*> value;
  std::int64_t min = 0;
};

namespace detail {

inline void print_usage(std::FILE* out, const char* program, std::initializer_list<Flag> flags) {
  std::fprintf(out, "usage: %s", program);
  for (const Flag& flag : flags) {
    const bool is_switch = std::holds_alternative<bool*>(flag.value);
    std::fprintf(out, " [%.*s%s]", static_cast<int>(flag.name.size()), flag.name.data(),
                 is_switch ? "" : std::holds_alternative<std::string*>(flag.value) ? " FILE" : " N");
  }
  std::fprintf(out, "\n");
}

// Stores `text` into the flag; returns an error sentence, or an empty string on success.
inline std::string store(const Flag& flag, std::string_view text) {
  if (auto* out = std::get_if<std::string*>(&flag.value)) {
    **out = std::string(text);
    return {};
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::string(flag.name) + " expects a whole number, got '" + std::string(text) + "'";
  if (n < flag.min)
    return std::string(flag.name) + " must be at least " + std::to_string(flag.min) + ", got " + std::to_string(n);
  *std::get<std::int64_t*>(flag.value) = n;
  return {};
}

}  // namespace detail

/// Reads argv as `--name VALUE` pairs (and `--name` switches) of the given flags; flags not given keep
/// their values.
/// Returns the code main should exit with when the program must stop (0 after --help; 2 after a bad
/// argument, with a message and the usage on stderr), std::nullopt when it should run.
[[nodiscard]] inline std::optional<int> parse_flags(int argc, char** argv, std::initializer_list<Flag> flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      detail::print_usage(stdout, argv[0], flags);
      return 0;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags)
      if (f.name == arg) flag = &f;
    std::string error;
    if (flag == nullptr) error = "unknown argument '" + std::string(arg) + "'";
    else if (bool* const* on = std::get_if<bool*>(&flag->value)) **on = true;
    else if (i + 1 == argc) error = std::string(arg) + " needs a value";
    else error = detail::store(*flag, argv[++i]);
    if (!error.empty()) {
      std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
      detail::print_usage(stderr, argv[0], flags);
      return 2;
    }
  }
  return std::nullopt;
}

/// Fraction of the rows of logits (N, C) whose largest entry sits at the row's label (N, int64 class
/// indices), as PyTorch users write it: argmax and the labels are both int64, compared exactly.
[[nodiscard]] inline double accuracy(const tg::Tensor& logits, const tg::Tensor& labels) {
  const tg::Tensor predicted = tg::argmax(logits, 1);
  if (!(labels.shape() == predicted.shape()))  // == would broadcast an (N, 1) or (1) labels tensor
    throw std::invalid_argument("accuracy: labels must be " + predicted.shape().str() + " for logits " +
                                logits.shape().str() + ", got " + labels.shape().str());
  const std::int64_t correct = (predicted == labels).sum().item<std::int64_t>();
  return static_cast<double>(correct) / static_cast<double>(predicted.numel());
}

/// Fraction of the probabilities (N, 1) that round to their 0/1 target (N, 1).
[[nodiscard]] inline double binary_accuracy(const tg::Tensor& probs, const tg::Tensor& targets) {
  const std::vector<double> p = probs.to_vector();
  const std::vector<double> t = targets.to_vector();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < p.size(); ++i) correct += (p[i] > 0.5 ? 1.0 : 0.0) == t[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(p.size());
}

/// "epoch 3/10 [=========>          ] 212/469  loss 0.3121" on stderr, redrawn in place: the progress bar of
/// fashion_cnn and char_rnn, drawn only when stderr is a terminal (the caller checks isatty).
inline void draw_progress(std::int64_t epoch, std::int64_t epochs, std::int64_t step, std::int64_t steps,
                          double loss) {
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * step / steps);
  std::fprintf(stderr, "\repoch %lld/%lld [%s%s] %lld/%lld  loss %.4f", static_cast<long long>(epoch),
               static_cast<long long>(epochs), std::string(filled, '=').c_str(),
               std::string(kWidth - filled, ' ').c_str(), static_cast<long long>(step), static_cast<long long>(steps),
               loss);
}

/// Throws std::invalid_argument naming `option` unless tg::nn::save could write `file` now
/// (tg::nn::check_writable). Called before training, so that a bad destination does not cost the model.
inline void check_save_destination(std::string_view option, const std::filesystem::path& file) {
  try {
    tg::nn::check_writable(file);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string(option) + ": " + e.what());
  }
}

/// The handler of main's function-try-block in every example: "<program>: error: <what>" on stderr
/// (an allocation failure says it is one) and 1, main's exit code.
[[nodiscard]] inline int report_error(const char* program, const std::exception& e) {
  const bool memory = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
  std::fprintf(stderr, "%s: error: %s%s\n", program, memory ? "out of memory: " : "", e.what());
  return 1;
}

}  // namespace examples
