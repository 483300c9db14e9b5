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
  if (options_.num_replicas < 1)
    throw std::invalid_argument("DataLoader: num_replicas must be >= 1, got " +
                                std::to_string(options_.num_replicas));
  if (options_.rank < 0 || options_.rank >= options_.num_replicas)
    throw std::invalid_argument("DataLoader: rank must be in [0, " + std::to_string(options_.num_replicas) +
                                "), got " + std::to_string(options_.rank));
  std::vector<std::int64_t> order(static_cast<std::size_t>(data_.size()));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  shard(order);
}

// This rank's positions of the padded order, DistributedSampler's indices[rank:total:num_replicas]: the
// order repeated from its start up to a multiple of num_replicas, so that every rank gets as many samples
// and runs as many steps (a rank with one step more would wait for the others' all-reduce for ever).
void DataLoader::shard(const std::vector<std::int64_t>& order) {
  const std::int64_t n = static_cast<std::int64_t>(order.size());
  const std::int64_t r = options_.num_replicas;
  if (r == 1) {
    order_ = order;
    return;
  }
  const std::int64_t share = n / r + (n % r != 0);
  order_.resize(static_cast<std::size_t>(n == 0 ? 0 : share));
  for (std::int64_t j = 0; j < static_cast<std::int64_t>(order_.size()); ++j)
    order_[static_cast<std::size_t>(j)] = order[static_cast<std::size_t>((options_.rank + j * r) % n)];
}

DataLoader::Iterator DataLoader::begin() {
  ++epochs_;
  if (options_.shuffle) shard(permutation(data_.size(), gen_));
  return Iterator(this);
}

void DataLoader::set_epoch(std::int64_t epoch) {
  if (epoch < 0)
    throw std::invalid_argument("DataLoader::set_epoch: epoch must be >= 0, got " + std::to_string(epoch));
  gen_ = Generator(options_.seed);
  if (options_.shuffle)
    for (std::int64_t e = 0; e < epoch; ++e) static_cast<void>(permutation(data_.size(), gen_));
  epochs_ = epoch;
}

std::int64_t DataLoader::size() const {
  const std::int64_t n = static_cast<std::int64_t>(order_.size());
  const std::int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : n / b + (n % b != 0);  // not (n + b - 1) / b: it overflows for huge b
}

const Batch& DataLoader::load(std::int64_t batch_index) {
  const std::int64_t start = batch_index * options_.batch_size;
  const std::int64_t count = std::min(options_.batch_size, static_cast<std::int64_t>(order_.size()) - start);
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
