#pragma once
// DistributedDataParallel: averages a module's gradients over the ranks, overlapping the communication
// with the backward sweep, as PyTorch's DDP and Horovod do.
//
//   tg::distributed::DistributedDataParallel ddp(model);  // broadcasts rank 0's parameters and buffers
//   for (...) {
//     optimizer.zero_grad();
//     loss.backward();      // each bucket's all-reduce starts as soon as its gradients are final
//     ddp.synchronize();    // waits for the rest; every .grad is now the average over ranks
//     optimizer.step();
//   }
//
// The parameters are grouped into buckets of at most bucket_cap_bytes (one dtype per bucket), in reverse
// registration order, the order a backward sweep usually finishes them in (PyTorch's heuristic; PyTorch's
// first bucket is smaller, 1 MiB, which tapegrad does not do). Each parameter's post-accumulate-grad hook
// copies its gradient into its bucket's flat buffer; when a bucket is full its MPI_Iallreduce starts
// right then, buckets always starting in bucket order so that every rank issues the collectives alike.
// synchronize() waits for them, divides by the world size and copies the averages back into each .grad
// in place (same tensors, version() bumped).
//
// As PyTorch's find_unused_parameters=False: every parameter must get a gradient in every step, and
// exactly one backward() must run between two synchronize() calls; otherwise std::logic_error names the
// parameter. With world_size() 1 nothing is registered or communicated: no hidden cost.
// Where tapegrad differs: a wrapper beside the model (call the model itself for the forward), no
// gradient_as_bucket_view (the copy into and out of the bucket is kept) and no no_sync().

#include <cstdint>
#include <memory>
#include <vector>

#include "tapegrad/nn/module.hpp"

namespace tg::distributed {

struct DistributedDataParallelOptions {
  /// The most gradient bytes in one bucket (PyTorch's bucket_cap_mb = 25, in MiB); a parameter larger
  /// than this gets a bucket of its own. Must be >= 1.
  std::int64_t bucket_cap_bytes = std::int64_t{25} * 1024 * 1024;
};

class DistributedDataParallel {
 public:
  /// Broadcasts module's parameters and buffers from rank 0 (collective: every rank constructs one) and,
  /// with more than one rank, registers a hook on every parameter. The module must outlive this object.
  /// Throws std::invalid_argument for a bucket_cap_bytes below 1.
  explicit DistributedDataParallel(nn::Module& module, const DistributedDataParallelOptions& options = {});
  /// Removes the hooks, after waiting for any all-reduce still running.
  ~DistributedDataParallel();
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  [[nodiscard]] nn::Module& module() const { return module_; }
  /// Waits for every bucket's all-reduce and leaves each parameter's .grad the average over ranks; call it
  /// between backward() and the optimizer's step(). Throws std::logic_error naming a parameter that got no
  /// gradient since the last call (after waiting for the buckets already started, so that the ranks stay
  /// in step).
  void synchronize();
  /// Buckets whose all-reduce has started since the last synchronize(): read from a gradient hook, it
  /// shows the communication overlapping the backward sweep (0 with one rank).
  [[nodiscard]] std::size_t buckets_started() const;
  /// The buckets, each a list of indices into module().parameters(), in the order they are reduced
  /// (empty with one rank, where there are none).
  [[nodiscard]] std::vector<std::vector<std::size_t>> buckets() const;

 private:
  struct State;
  nn::Module& module_;
  std::unique_ptr<State> state_;  // null with one rank
};

}  // namespace tg::distributed
