#include "cluster.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#ifdef TAPEGRAD_WITH_MPI
#include "tapegrad/distributed/collectives.hpp"
#include "tapegrad/distributed/data_parallel.hpp"
#include "tapegrad/distributed/environment.hpp"
#include "tapegrad/tensor.hpp"
#endif

namespace compare {

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

}  // namespace compare
