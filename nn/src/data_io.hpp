#pragma once
// Internals shared by the data readers (data_csv.cpp, data_idx.cpp), the Dataset operations and the loader.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::nn::detail {

struct FileBytes {
  std::vector<unsigned char> bytes;  // decompressed when the file was gzip
  bool gzip = false;
};

/// Throws DataError "op: file: what".
[[noreturn]] void fail(std::string_view op, const std::filesystem::path& file, const std::string& what);

/// The whole content of a plain or gzip file (zlib tells them apart by the gzip magic bytes 1f 8b).
/// Throws DataError when the file is missing, a folder, unreadable, or corrupt or truncated gzip.
[[nodiscard]] FileBytes read_file(std::string_view op, const std::filesystem::path& file);

/// A double the way std::ostream writes it: "16", "0.5", "1e+20".
[[nodiscard]] std::string format_number(double value);

/// What is wrong with a label ("label 12 is out of range for 10 classes (0..9)"), or "" when it is a
/// whole number in [0, num_classes); num_classes 0 accepts any whole number >= 0.
[[nodiscard]] std::string label_problem(double label, int num_classes);

/// Throws std::invalid_argument naming op unless divisor is finite and positive.
void check_divisor(std::string_view op, double divisor);

/// Throws std::invalid_argument naming op unless data holds inputs [N, D] and labels [N] of one dtype.
void check_dataset(std::string_view op, const Dataset& data);

/// Row i of dst = row rows[i] of src, by memcpy; both have the same dtype and row width, dst has
/// rows.size() rows, and every index is in range (the caller checks).
void gather_rows(const Tensor& src, std::span<const std::int64_t> rows, Tensor& dst);

}  // namespace tg::nn::detail
