#pragma once
// CLI11 validators shared by the examples that parse their options with CLI11 (compare_optimizers,
// char_rnn): each refuses a bad value with a sentence naming what it expected and what it got, e.g.
// "--epochs: must be a whole number from 1 to 2147483647, got 0".

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <system_error>

namespace examples {

/// The whole text as a number, NaN if it is not one (std::stod alone accepts a prefix such as "1x").
[[nodiscard]] inline double parse_number(const std::string& text) {
  std::size_t used = 0;
  try {
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// CLI11's own range checks print the whole double range and let NaN through; these say what is wrong
// in a sentence.
inline const CLI::Validator kPositive(
    [](const std::string& text) -> std::string {
      const double value = parse_number(text);
      return value > 0 && std::isfinite(value) ? "" : "must be a positive number, got " + text;
    },
    "POSITIVE");
inline const CLI::Validator kFraction(
    [](const std::string& text) -> std::string {
      const double value = parse_number(text);
      return value >= 0 && value <= 1 ? "" : "must be a number from 0 to 1, got " + text;
    },
    "FRACTION");

/// A whole number in [min, max]. CLI11 2.1 reads "-1" into an unsigned option as 2^64-1 and clamps what
/// does not fit; from_chars refuses both.
template <class T>
[[nodiscard]] CLI::Validator whole_number(T min, T max = std::numeric_limits<T>::max()) {
  return CLI::Validator(
      [min, max](const std::string& text) -> std::string {
        T value{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc() && end == text.data() + text.size() && value >= min && value <= max) return "";
        return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + text;
      },
      "INT");
}

}  // namespace examples
