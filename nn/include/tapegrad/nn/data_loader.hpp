#pragma once
// DataLoader: mini-batches of a Dataset, optionally reshuffled every epoch from a seed.
//
//   tg::nn::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const tg::nn::Batch& b : loader) { ... b.inputs [B, D], b.labels [B] ... }
//
// Sharding for data-parallel training (num_replicas R, rank r), as PyTorch's DistributedSampler: every
// rank draws the same epoch order, pads it to a multiple of R by repeating its first samples, and takes
// the positions r, r + R, r + 2R, ... Its batches are consecutive runs of that share, so with a batch of
// B / R per rank, batch k of the R ranks together holds exactly the samples of batch k of one process
// with batch B (positions kB .. kB + B - 1 of the order), step for step, whenever R divides B; the last
// batch matches too when R also divides N (else it carries the padded repeats, as PyTorch's does).
// How it maps onto DistributedSampler(num_replicas, rank, shuffle, seed, drop_last=False): PyTorch seeds
// a generator with seed + epoch (set_epoch); tapegrad seeds one generator with seed and draws epoch e's
// order after epochs 0..e-1, so begin() is the set_epoch and every rank, and the one-process loader,
// draws the same orders. DistributedSampler's own drop_last (cut N down to a multiple of R) is not there;
// DataLoaderOptions::drop_last applies to each rank's batches.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::nn {

struct DataLoaderOptions {
  std::int64_t batch_size = 32;
  /// Visit the samples in a new random order every epoch (else in dataset order).
  bool shuffle = false;
  /// Seeds the loader's Generator; epoch e shuffles with the generator state left by epochs 0..e-1, so
  /// two loaders with the same seed give the same sequence of epochs.
  std::uint64_t seed = 0;
  /// Leave out the last batch of an epoch when it has fewer than batch_size samples.
  bool drop_last = false;
  /// Ranks sharing the data (PyTorch's DistributedSampler num_replicas); 1 loads all of it.
  std::int64_t num_replicas = 1;
  /// This loader's share, 0 <= rank < num_replicas: the positions rank, rank + num_replicas, ... of each
  /// epoch's order, padded as described above; every rank gets ceil(N / num_replicas) samples.
  std::int64_t rank = 0;
};

struct Batch {
  Tensor inputs;  // [B, D]
  Tensor labels;  // [B]
};

class DataLoader {
 public:
  class Iterator;

  /// Throws std::invalid_argument for a batch_size or num_replicas below 1, a rank outside
  /// [0, num_replicas), or a malformed dataset.
  explicit DataLoader(Dataset data, const DataLoaderOptions& options = {});

  /// Starts a new epoch (reshuffling when shuffle is on) and returns its first batch.
  [[nodiscard]] Iterator begin();
  [[nodiscard]] std::default_sentinel_t end() const { return {}; }

  /// Batches per epoch: ceil(S / batch_size), or floor with drop_last, for this rank's S samples
  /// (S = N without sharding, else ceil(N / num_replicas)).
  [[nodiscard]] std::int64_t size() const;
  /// Epochs started so far (calls to begin(), or set by set_epoch()).
  [[nodiscard]] std::int64_t epochs() const { return epochs_; }
  /// Makes the next begin() start epoch `epoch` (0-based: epochs() becomes `epoch`) with the order an
  /// uninterrupted loader would give it: the generator is seeded again and the shuffles of epochs
  /// 0 .. epoch - 1 drawn and dropped. For resuming from a checkpoint saved after `epoch` epochs, at any
  /// num_replicas (PyTorch's DistributedSampler.set_epoch). Throws std::invalid_argument for a negative epoch.
  void set_epoch(std::int64_t epoch);
  [[nodiscard]] const Dataset& dataset() const { return data_; }
  [[nodiscard]] const DataLoaderOptions& options() const { return options_; }

 private:
  const Batch& load(std::int64_t batch_index);
  void shard(const std::vector<std::int64_t>& order);

  Dataset data_;
  DataLoaderOptions options_;
  Generator gen_;
  std::vector<std::int64_t> order_;  // this rank's share of the epoch's order
  std::int64_t epochs_ = 0;
  // Reused from one step to the next while nobody else holds them (full batches and the short last one).
  Batch full_;
  Batch tail_;
};

/// An input iterator over one epoch. A batch stays valid until the iterator advances; a copy of its
/// tensors kept past that point stays valid too (the loader then gathers into new storage).
class DataLoader::Iterator {
 public:
  using value_type = Batch;
  using difference_type = std::ptrdiff_t;
  using iterator_concept = std::input_iterator_tag;

  Iterator() = default;
  [[nodiscard]] const Batch& operator*() const { return *batch_; }
  [[nodiscard]] const Batch* operator->() const { return batch_; }
  Iterator& operator++();
  void operator++(int) { ++*this; }
  [[nodiscard]] friend bool operator==(const Iterator& it, std::default_sentinel_t) {
    return it.loader_ == nullptr || it.index_ >= it.loader_->size();
  }

 private:
  friend class DataLoader;
  explicit Iterator(DataLoader* loader);

  DataLoader* loader_ = nullptr;
  std::int64_t index_ = 0;
  const Batch* batch_ = nullptr;
};

}  // namespace tg::nn
