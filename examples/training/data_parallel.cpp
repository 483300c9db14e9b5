#include "data_parallel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "../common.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/shape_ops.hpp"

#ifdef TAPEGRAD_WITH_MPI
#include "tapegrad/distributed/collectives.hpp"
#include "tapegrad/distributed/data_parallel.hpp"
#include "tapegrad/distributed/environment.hpp"
#endif

namespace examples {

Share share(std::int64_t n, int rank, int world) {
  const std::int64_t base = n / world;
  const std::int64_t extra = n % world;  // the first `extra` ranks take one row more
  const auto first = [&](std::int64_t r) { return r * base + std::min(r, extra); };
  return {first(rank), first(rank + 1)};
}

std::pair<tg::Tensor, double> batch_loss(tg::nn::Layer& model, const tg::nn::Batch& batch, const Replicas& replicas) {
  if (replicas.world == 1) {
    tg::Tensor loss = tg::nn::cross_entropy(model(batch.inputs), batch.labels);
    const double value = loss.item();
    return {std::move(loss), value};
  }
  const std::int64_t n = batch.inputs.size(0);
  const Share mine = share(n, replicas.rank, replicas.world);
  const tg::Tensor logits = model(tg::slice(batch.inputs, 0, mine.first, mine.last));
  const tg::Tensor sum =
      tg::nn::cross_entropy(logits, tg::slice(batch.labels, 0, mine.first, mine.last), tg::nn::Reduction::Sum);
  std::array<double, 1> total{sum.item()};
  replicas.sum(total);
  return {sum * (static_cast<double>(replicas.world) / static_cast<double>(n)), total[0] / static_cast<double>(n)};
}

namespace {

// Rows of logits whose largest entry sits at the row's label.
double correct_rows(const tg::Tensor& logits, const tg::Tensor& labels) {
  if (labels.numel() == 0) return 0;
  return static_cast<double>(std::llround(accuracy(logits, labels) * static_cast<double>(labels.numel())));
}

}  // namespace

Evaluation evaluate(tg::nn::Layer& model, const tg::nn::Dataset& data, const Replicas& replicas) {
  const tg::NoGradGuard no_grad;
  const Share mine = share(data.size(), replicas.rank, replicas.world);
  model.eval();
  std::vector<tg::Tensor> parts;  // one at least: an empty set gives what the model gives for no rows
  for (std::int64_t start = mine.first; parts.empty() || start < mine.last; start += kEvaluationRows)
    parts.push_back(model(tg::slice(data.inputs, 0, start, std::min(start + kEvaluationRows, mine.last))));
  const tg::Tensor logits = parts.size() == 1 ? parts.front() : tg::cat(parts);
  model.train();
  if (replicas.world == 1) return {tg::nn::cross_entropy(logits, data.labels).item(), accuracy(logits, data.labels)};
  const tg::Tensor labels = tg::slice(data.labels, 0, mine.first, mine.last);
  std::array<double, 2> sums{tg::nn::cross_entropy(logits, labels, tg::nn::Reduction::Sum).item(),
                             correct_rows(logits, labels)};
  replicas.sum(sums);
  const auto n = static_cast<double>(data.size());
  return {sums[0] / n, sums[1] / n};
}

#ifdef TAPEGRAD_WITH_MPI

struct Cluster::State {
  tg::distributed::Environment environment;
};

Cluster::Cluster() : state_(std::make_unique<State>()) {}

int Cluster::rank() const { return state_->environment.rank(); }
int Cluster::world_size() const { return state_->environment.world_size(); }

Replicas Cluster::replicate(tg::nn::Module& model) const {
  namespace d = tg::distributed;
  const auto ddp = std::make_shared<d::DistributedDataParallel>(model);  // broadcasts rank 0's weights
  return {.rank = rank(),
          .world = world_size(),
          .sum =
              [](std::span<double> values) {
                tg::Tensor t = tg::tensor(values, {static_cast<std::int64_t>(values.size())}, tg::kFloat64);
                d::all_reduce(t, d::ReduceOp::kSum);
                const std::vector<double> sums = t.to_vector();
                std::copy(sums.begin(), sums.end(), values.begin());
              },
          .average_gradients = [ddp] { ddp->synchronize(); }};
}

#else

struct Cluster::State {};

Cluster::Cluster() {
  throw std::invalid_argument(
      "--distributed: this build has no MPI (install libopenmpi-dev and openmpi-bin, as scripts/setup.sh does, "
      "and configure again)");
}

int Cluster::rank() const { return 0; }
int Cluster::world_size() const { return 1; }
Replicas Cluster::replicate(tg::nn::Module&) const { return {}; }

#endif

Cluster::~Cluster() = default;

}  // namespace examples
