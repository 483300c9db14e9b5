// DataLoader: gathers the rows of each mini-batch into buffers that are reused while nobody else holds them.

#include <algorithm>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "data_io.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/nn/data_loader.hpp"

namespace tg::nn {

namespace {

// A batch buffer can be overwritten when it has the right shape and the loader holds the only reference
// to it and to its storage: a batch the caller kept, or that a tape record still captures, is left alone.
bool reusable(const Tensor& t, const Shape& shape) {
  if (!t.defined() || !(t.shape() == shape)) return false;
  const tg::detail::TensorImpl* impl = t.impl();
  return impl->refs.load(std::memory_order_acquire) == 1 &&
         impl->storage->refs.load(std::memory_order_acquire) == 1 && !impl->requires_grad &&
         impl->grad == nullptr;
}

void prepare(Tensor& buffer, const Shape& shape, Dtype dtype) {
  if (!reusable(buffer, shape)) buffer = empty(shape, dtype);
}

}  // namespace

DataLoader::DataLoader(Dataset data, const DataLoaderOptions& options)
    : data_(std::move(data)), options_(options), gen_(options.seed) {
  detail::check_dataset("DataLoader", data_);
  if (options_.batch_size < 1)
    throw std::invalid_argument("DataLoader: batch_size must be >= 1, got " + std::to_string(options_.batch_size));
  order_.resize(static_cast<std::size_t>(data_.size()));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
}

DataLoader::Iterator DataLoader::begin() {
  ++epochs_;
  if (options_.shuffle) order_ = permutation(data_.size(), gen_);
  return Iterator(this);
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = data_.size();
  const std::int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : n / b + (n % b != 0);  // not (n + b - 1) / b: it overflows for huge b
}

const Batch& DataLoader::load(std::int64_t batch_index) {
  const std::int64_t start = batch_index * options_.batch_size;
  const std::int64_t count = std::min(options_.batch_size, data_.size() - start);
  Batch& batch = count == options_.batch_size ? full_ : tail_;
  prepare(batch.inputs, {count, data_.features()}, data_.inputs.dtype());
  prepare(batch.labels, {count}, data_.labels.dtype());
  const auto rows = std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(start),
                                                                  static_cast<std::size_t>(count));
  detail::gather_rows(data_.inputs, rows, batch.inputs);
  detail::gather_rows(data_.labels, rows, batch.labels);
  return batch;
}

DataLoader::Iterator::Iterator(DataLoader* loader) : loader_(loader) {
  if (loader_->size() > 0) batch_ = &loader_->load(0);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++index_;
  batch_ = index_ < loader_->size() ? &loader_->load(index_) : nullptr;
  return *this;
}

}  // namespace tg::nn
