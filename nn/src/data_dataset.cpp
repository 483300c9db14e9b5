// Dataset operations: permutation, subset, the seeded split, and input scaling.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "data_io.hpp"
#include "tapegrad/nn/dataset.hpp"

namespace tg::nn {

namespace {

// A new [N, D] tensor with y[i, j] = fn(j, x[i, j]), computed in double.
template <class Fn>
Tensor map_inputs(const Tensor& x, Fn&& fn) {
  Tensor y = empty(x.shape(), x.dtype());
  const std::int64_t n = x.size(0);
  const std::int64_t d = x.size(1);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j)
        out[i * d + j] = static_cast<T>(fn(j, static_cast<double>(in[i * d + j])));
  });
  return y;
}

// Column sums of fn(j, x[i, j]) over the rows of x [N, D], in double.
template <class Fn>
std::vector<double> column_sums(const Tensor& x, Fn&& fn) {
  const std::int64_t n = x.size(0);
  const std::int64_t d = x.size(1);
  std::vector<double> sums(static_cast<std::size_t>(d), 0.0);
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* in = x.data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j)
        sums[static_cast<std::size_t>(j)] += fn(j, static_cast<double>(in[i * d + j]));
  });
  return sums;
}

}  // namespace

std::int64_t Dataset::size() const { return inputs.defined() ? inputs.size(0) : 0; }
std::int64_t Dataset::features() const { return inputs.defined() && inputs.dim() == 2 ? inputs.size(1) : 0; }

std::vector<std::int64_t> permutation(std::int64_t n, Generator& gen) {
  if (n < 0) throw std::invalid_argument("permutation: n must be >= 0, got " + std::to_string(n));
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  random_permutation(order, gen);
  return order;
}

Dataset subset(const Dataset& data, std::span<const std::int64_t> indices) {
  detail::check_dataset("subset", data);
  const std::int64_t n = data.size();
  for (std::int64_t index : indices)
    if (index < 0 || index >= n)
      throw std::invalid_argument("subset: index " + std::to_string(index) + " is out of range for " +
                                  std::to_string(n) + " samples");
  const auto k = static_cast<std::int64_t>(indices.size());
  Dataset out{empty({k, data.features()}, data.inputs.dtype()), empty({k}, data.labels.dtype()), data.num_classes};
  detail::gather_rows(data.inputs, indices, out.inputs);
  detail::gather_rows(data.labels, indices, out.labels);
  return out;
}

Dataset divide_inputs(const Dataset& data, double divisor) {
  detail::check_dataset("divide_inputs", data);
  detail::check_divisor("divide_inputs", divisor);
  return {map_inputs(data.inputs, [divisor](std::int64_t, double x) { return x / divisor; }), data.labels,
          data.num_classes};
}

Split split(const Dataset& data, double validation_fraction, std::uint64_t seed) {
  detail::check_dataset("split", data);
  if (!(validation_fraction > 0 && validation_fraction < 1))
    throw std::invalid_argument("split: validation_fraction must be in (0, 1), got " +
                                detail::format_number(validation_fraction));
  const std::int64_t n = data.size();
  const std::int64_t n_validation = std::llround(validation_fraction * static_cast<double>(n));
  if (n_validation == 0 || n_validation == n)
    throw std::invalid_argument("split: validation_fraction " + detail::format_number(validation_fraction) +
                                " of " + std::to_string(n) + " samples gives " + std::to_string(n_validation) +
                                " validation samples; both sets must be non-empty");
  Generator gen(seed);
  const std::vector<std::int64_t> order = permutation(n, gen);
  const std::span<const std::int64_t> all(order);
  return {subset(data, all.subspan(static_cast<std::size_t>(n_validation))),
          subset(data, all.first(static_cast<std::size_t>(n_validation)))};
}

Standardizer::Standardizer(std::vector<double> mean, std::vector<double> stddev)
    : mean_(std::move(mean)), stddev_(std::move(stddev)) {
  if (mean_.size() != stddev_.size())
    throw std::invalid_argument("Standardizer: " + std::to_string(mean_.size()) + " means but " +
                                std::to_string(stddev_.size()) + " standard deviations");
  for (std::size_t j = 0; j < mean_.size(); ++j)
    if (!std::isfinite(mean_[j]) || !std::isfinite(stddev_[j]) || stddev_[j] <= 0)
      throw std::invalid_argument("Standardizer: feature " + std::to_string(j) + " has mean " +
                                  detail::format_number(mean_[j]) + " and stddev " +
                                  detail::format_number(stddev_[j]) + "; need finite values and stddev > 0");
}

Standardizer Standardizer::fit(const Dataset& data) {
  detail::check_dataset("Standardizer::fit", data);
  if (data.size() == 0) throw std::invalid_argument("Standardizer::fit: the dataset is empty");
  const auto n = static_cast<double>(data.size());
  std::vector<double> mean = column_sums(data.inputs, [](std::int64_t, double x) { return x; });
  for (double& m : mean) m /= n;
  // Two passes: summing squared deviations from the mean does not cancel catastrophically.
  std::vector<double> stddev = column_sums(data.inputs, [&mean](std::int64_t j, double x) {
    const double dev = x - mean[static_cast<std::size_t>(j)];
    return dev * dev;
  });
  for (std::size_t j = 0; j < stddev.size(); ++j) {
    stddev[j] = std::sqrt(stddev[j] / n);
    if (stddev[j] <= kConstantTolerance * std::max(1.0, std::abs(mean[j]))) stddev[j] = 1.0;
  }
  return Standardizer(std::move(mean), std::move(stddev));
}

Dataset Standardizer::apply(const Dataset& data) const {
  detail::check_dataset("Standardizer::apply", data);
  if (data.features() != static_cast<std::int64_t>(mean_.size()))
    throw std::invalid_argument("Standardizer::apply: fitted on " + std::to_string(mean_.size()) +
                                " features, the data has " + std::to_string(data.features()));
  const Tensor inputs = map_inputs(data.inputs, [this](std::int64_t j, double x) {
    const auto k = static_cast<std::size_t>(j);
    return (x - mean_[k]) / stddev_[k];
  });
  return {inputs, data.labels, data.num_classes};
}

}  // namespace tg::nn
