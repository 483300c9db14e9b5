#pragma once
// Reading a Dataset from a CSV file of numbers, plain or gzip-compressed (detected from the content).

#include <filesystem>

#include "tapegrad/dtype.hpp"
#include "tapegrad/nn/dataset.hpp"

namespace tg::nn {

struct CsvOptions {
  /// Which field of each row is the label, 0-based; negative counts from the back (-1: the last).
  int label_column = -1;
  /// Labels must be below this; 0 takes the largest label + 1, but refuses a count above 1000 that is more
  /// than 10 times the distinct labels present (one mistyped label would otherwise set the model's width).
  int num_classes = 0;
  /// Skip the first non-blank line (column names).
  bool header = false;
  char delimiter = ',';
  /// The dtype of the inputs; labels are always int64.
  Dtype dtype = kFloat32;
  /// Every input (not the label) is divided by this while loading.
  double divisor = 1.0;
};

/// One sample per non-blank line: every field a number, the same number of fields on every line, the
/// label a whole number in [0, num_classes), read into an int64 label ("3" and "3.0" alike).
/// Lines end in "\n", "\r\n" or "\r"; a UTF-8 byte-order mark is skipped. The file is read a chunk at a
/// time and never whole, so the first bad line ends the read. Throws DataError naming the file, line and
/// field (1-based); bytes that do not print show as escapes (\xEF, \t) in the quoted field.
[[nodiscard]] Dataset read_csv(const std::filesystem::path& file, const CsvOptions& options = {});

/// The digits set (data/digits.csv.gz): 1797 x 64 pixels divided by 16 (so in [0, 1]), labels 0..9.
[[nodiscard]] Dataset load_digits(const std::filesystem::path& file, Dtype dtype = kFloat32);

}  // namespace tg::nn
