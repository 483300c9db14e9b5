#pragma once
// Dataset: inputs [N, D] and int64 class-index labels [N] in memory, with the operations that make training and
// validation sets from one: subsets, a seeded shuffled split, input scaling and standardisation.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "tapegrad/tensor.hpp"

namespace tg::nn {

/// A file that cannot be read as data: missing, malformed, truncated, or with labels out of range.
/// The message names the operation, the file and the place (line and field, or index) that is wrong.
class DataError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// N samples of D features. labels are int64 class indices (0, 1, ..., num_classes - 1), as the readers
/// make them and cross_entropy takes them. A Dataset built by hand may instead hold floating-point labels
/// in the inputs' dtype (regression targets, num_classes 0): subsets, splits and the DataLoader carry
/// them unchanged, and the class-index losses refuse them.
struct Dataset {
  Tensor inputs;        // [N, D]
  Tensor labels;        // [N], int64 (or floating-point targets in the inputs' dtype)
  int num_classes = 0;  // every label is below this

  /// N (0 for a default-constructed Dataset).
  [[nodiscard]] std::int64_t size() const;
  /// D (0 for a default-constructed Dataset).
  [[nodiscard]] std::int64_t features() const;
};

/// A random permutation of 0..n-1: Fisher-Yates from the back, swapping i with gen.below(i + 1).
[[nodiscard]] std::vector<std::int64_t> permutation(std::int64_t n, Generator& gen);

/// The samples at `indices`, in that order (repeats allowed), copied into a new Dataset.
[[nodiscard]] Dataset subset(const Dataset& data, std::span<const std::int64_t> indices);

/// A copy of data with every input divided by `divisor` (16 for digits, 255 for bytes); labels shared.
[[nodiscard]] Dataset divide_inputs(const Dataset& data, double divisor);

struct Split {
  Dataset train;
  Dataset validation;
};

/// Shuffles data with permutation(N, Generator(seed)); the first round(validation_fraction * N) samples
/// of that order (halves away from zero) become the validation set, the rest the training set, each in
/// shuffled order. validation_fraction must be in (0, 1) and leave both sets non-empty.
[[nodiscard]] Split split(const Dataset& data, double validation_fraction, std::uint64_t seed);

/// Per-feature standardisation: fit the mean and standard deviation on a training set, then apply
/// (x - mean) / stddev to it and to any other set of the same width.
class Standardizer {
 public:
  /// A feature whose standard deviation is at most this times max(1, |mean|) counts as constant: it is
  /// only centred (stddev 1), so that it does not turn into noise or infinities.
  static constexpr double kConstantTolerance = 1e-7;

  Standardizer() = default;
  /// From known statistics, one per feature; throws if the sizes differ or a stddev is not positive.
  Standardizer(std::vector<double> mean, std::vector<double> stddev);

  /// Mean and population standard deviation (divisor N) of each column of data.inputs.
  [[nodiscard]] static Standardizer fit(const Dataset& data);
  /// A copy of data with standardised inputs; labels shared. Throws if D differs from the fitted width.
  [[nodiscard]] Dataset apply(const Dataset& data) const;

  [[nodiscard]] const std::vector<double>& mean() const { return mean_; }
  [[nodiscard]] const std::vector<double>& stddev() const { return stddev_; }

 private:
  std::vector<double> mean_;
  std::vector<double> stddev_;
};

}  // namespace tg::nn
