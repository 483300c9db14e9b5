#pragma once
// Data-parallel training for the examples (compare_optimizers --distributed, fashion_cnn --distributed):
// the MPI job a program runs in (mpirun -np N), and what one training of it needs. Every rank draws the
// same batches as one process would and takes its contiguous share of every batch (share()); each
// differentiates world / n times its summed loss (batch_loss()), so that the gradients averaged over the
// ranks are the whole batch's mean gradient, an uneven last batch included. With world 1 the training is
// the single-process one, bit for bit. Built on tapegrad::distributed where the build found MPI; without
// it, starting a Cluster throws std::invalid_argument saying so.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "tapegrad/nn/data_loader.hpp"
#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/module.hpp"
#include "tapegrad/tensor.hpp"

namespace examples {

/// This process is rank `rank` of `world` that train one model together.
struct Replicas {
  int rank = 0;
  int world = 1;
  /// Sums values elementwise over the ranks, in place, the same result on every rank (MPI_Allreduce).
  std::function<void(std::span<double>)> sum;
  /// Between backward() and step(): leaves every gradient the average over the ranks.
  std::function<void()> average_gradients;
};

/// Rank r's rows [first, last) of n rows shared by `world` ranks: contiguous, sizes differing by at most 1.
struct Share {
  std::int64_t first = 0;
  std::int64_t last = 0;
};
[[nodiscard]] Share share(std::int64_t n, int rank, int world);

/// One batch's loss to differentiate, and its value: the batch's mean cross-entropy. Across replicas each
/// rank differentiates world / n times the summed loss of its share; the value is the sum over the ranks
/// divided by n, on every rank.
[[nodiscard]] std::pair<tg::Tensor, double> batch_loss(tg::nn::Layer& model, const tg::nn::Batch& batch,
                                                       const Replicas& replicas);

/// Mean cross-entropy and accuracy of model on data, in eval mode and without recording; the forward pass
/// takes at most kEvaluationRows samples at a time (the cnn's first activations for 10,000 images would
/// take 1.2 GB). With replicas.world > 1 each rank scores its share() of data and the sums are reduced.
inline constexpr std::int64_t kEvaluationRows = 1000;
struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};
[[nodiscard]] Evaluation evaluate(tg::nn::Layer& model, const tg::nn::Dataset& data, const Replicas& replicas = {});

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

}  // namespace examples
