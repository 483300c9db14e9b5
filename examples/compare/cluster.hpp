#pragma once
// compare_optimizers --distributed: the MPI job the tool runs in (mpirun -np N), and the Replicas one
// training of it needs. Built on tapegrad::distributed where the build found MPI; without it, starting
// a Cluster throws std::invalid_argument saying so.

#include <memory>

#include "experiment.hpp"
#include "tapegrad/nn/module.hpp"

namespace compare {

class Cluster {
 public:
  /// Starts MPI (tg::distributed::Environment) for the life of this object.
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  [[nodiscard]] int rank() const;
  [[nodiscard]] int world_size() const;
  /// For one training of `model` (collective: every rank calls it with the same network): broadcasts rank
  /// 0's parameters and buffers, and returns the Replicas whose average_gradients is a
  /// DistributedDataParallel's synchronize() on model, which must outlive every copy of the result.
  [[nodiscard]] Replicas replicate(tg::nn::Module& model) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace compare
