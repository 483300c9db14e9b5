// barrier, broadcast and all_reduce over MPI_COMM_WORLD, in place.

#include "tapegrad/distributed/collectives.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mpi_util.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/distributed/environment.hpp"
#include "tapegrad/grad_mode.hpp"

namespace tg::distributed {

namespace {

void* raw(const Tensor& t) { return t.impl()->storage->data; }

int count_of(const Tensor& t, std::string_view op) {
  if (t.numel() > std::numeric_limits<int>::max())
    throw std::invalid_argument(std::string(op) + ": a tensor of " + std::to_string(t.numel()) +
                                " elements exceeds MPI's int count");
  return static_cast<int>(t.numel());
}

// The module's layout as numbers: entry count, then each entry's dtype, rank and extents.
std::vector<std::int64_t> layout_of(const std::vector<std::pair<std::string, Tensor>>& state) {
  std::vector<std::int64_t> layout{static_cast<std::int64_t>(state.size())};
  for (const auto& [name, t] : state) {
    layout.push_back(static_cast<std::int64_t>(t.dtype()));
    layout.push_back(t.dim());
    for (int d = 0; d < t.dim(); ++d) layout.push_back(t.size(d));
  }
  return layout;
}

// Every rank compares its layout with root's and says where they part, so that no rank copies
// root's values into tensors of another shape.
void check_same_layout(const std::vector<std::pair<std::string, Tensor>>& state, int root) {
  const std::vector<std::int64_t> mine = layout_of(state);
  std::int64_t length = static_cast<std::int64_t>(mine.size());
  detail::check(MPI_Bcast(&length, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  std::vector<std::int64_t> roots = mine;
  roots.resize(static_cast<std::size_t>(length));
  detail::check(MPI_Bcast(roots.data(), static_cast<int>(length), MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  if (roots == mine) return;
  if (roots[0] != mine[0])
    throw std::invalid_argument("broadcast: this rank's module has " + std::to_string(mine[0]) +
                                " parameters and buffers, rank " + std::to_string(root) + "'s has " +
                                std::to_string(roots[0]));
  std::size_t at = 1;  // walk both layouts entry by entry to name the first that differs
  for (const auto& [name, t] : state) {
    const std::size_t width = 2 + static_cast<std::size_t>(t.dim());
    if (!std::equal(mine.begin() + at, mine.begin() + at + width, roots.begin() + at))
      throw std::invalid_argument("broadcast: '" + name + "' is " + t.shape().str() + " " +
                                  std::string(dtype_name(t.dtype())) + " on this rank but differs on rank " +
                                  std::to_string(root));
    at += width;
  }
}

}  // namespace

void barrier() {
  detail::require_initialized("barrier");
  detail::check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void broadcast(Tensor& tensor, int root) {
  detail::require_initialized("broadcast");
  detail::check(MPI_Bcast(raw(tensor), count_of(tensor, "broadcast"), detail::mpi_type(tensor.dtype()), root,
                          MPI_COMM_WORLD), "MPI_Bcast");
  tg::detail::bump_version(tensor.impl());
}

void broadcast(nn::Module& module, int root) {
  detail::require_initialized("broadcast");
  std::vector<std::pair<std::string, Tensor>> state = module.state_dict();
  check_same_layout(state, root);
  for (auto& [name, t] : state) broadcast(t, root);
}

void all_reduce(Tensor& tensor, ReduceOp op) {
  detail::require_initialized("all_reduce");
  const Dtype dtype = tensor.dtype();
  const bool is_float = dtype == kFloat32 || dtype == kFloat64;
  if (!is_float && !(dtype == kInt64 && op == ReduceOp::kSum))
    throw std::invalid_argument("all_reduce: takes float32 or float64 tensors (and int64 for a sum), got " +
                                std::string(dtype_name(dtype)) + (dtype == kInt64 ? " with kAverage" : ""));
  detail::check(MPI_Allreduce(MPI_IN_PLACE, raw(tensor), count_of(tensor, "all_reduce"), detail::mpi_type(dtype),
                              MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  tg::detail::bump_version(tensor.impl());
  if (op == ReduceOp::kAverage) {
    NoGradGuard no_grad;
    tensor.div_(static_cast<double>(world_size()));
  }
}

}  // namespace tg::distributed
