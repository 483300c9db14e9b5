// build/bench/tapegrad_bench_ddp: the time of one data-parallel training step of a workload of
// bench/workloads.hpp (fashion, wide) at the global batch of one process, run under mpirun with one
// OpenBLAS thread per rank (scripts/bench_distributed.sh runs it at 1 and 2 ranks beside PyTorch's DDP).
//
//   mpirun -np 2 build/bench/tapegrad_bench_ddp --workload fashion
//
// Rank 0 prints one line with the medians over --repeats blocks of --steps steps:
//   step_ms       zero_grad, forward, loss, backward (each bucket's all-reduce started from its hooks),
//                 DistributedDataParallel::synchronize, optimizer step
//   compute_ms    the same step on every rank at once without any communication (a second model, no DDP):
//                 compute(B / N) with N ranks sharing the machine
//   allreduce_ms  one all-reduce (a sum) of the gradients' bytes alone (float32, one buffer)
// or, with --allreduce-sweep, the all-reduce alone of buffers of 16 KiB to 16 MiB, a line per size;
// which is what the scaling model step = compute(B / N) + all-reduce(bytes, N) is fitted from.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd_net.hpp"
#include "tapegrad/distributed/collectives.hpp"
#include "tapegrad/distributed/data_parallel.hpp"
#include "tapegrad/distributed/environment.hpp"
#include "tapegrad/linalg.hpp"
#include "workloads.hpp"

namespace {

namespace d = tg::distributed;
using tg::bench::Workload;

// The median over `repeats` blocks of `steps` calls of step, in milliseconds per call, every rank starting
// and ending each block together; after `warmup` calls.
double median_ms(const std::function<void()>& step, int warmup, int repeats, int steps) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> blocks;
  for (int r = 0; r < repeats; ++r) {
    d::barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    d::barrier();
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    blocks.push_back(elapsed.count() / steps);
  }
  std::sort(blocks.begin(), blocks.end());
  return blocks[blocks.size() / 2];
}

// One training step of model on (x, y); synchronize, when given, runs between backward and the update.
struct Trainer {
  Trainer(const Workload& w, const tg::bench::Batch& batch)
      : x(tg::tensor(std::vector<double>(batch.x.begin(), batch.x.end()), {w.batch, w.inputs()})),
        y(tg::tensor(batch.labels, {w.batch})),
        model(tg::bench::make_model(w)),
        optimizer(tg::bench::make_optimizer(w, *model)) {}

  void step(d::DistributedDataParallel* ddp) {
    optimizer->zero_grad();
    tg::nn::cross_entropy((*model)(x), y).backward();
    if (ddp) ddp->synchronize();
    optimizer->step();
  }

  tg::Tensor x, y;
  std::unique_ptr<tg::nn::Sequential> model;
  std::unique_ptr<tg::optim::Optimizer> optimizer;
};

int run(const std::string& name, int global_batch, double bucket_mib, int warmup, int repeats, int steps) {
  const int ranks = d::world_size();
  const auto found = std::find_if(tg::bench::kWorkloads.begin(), tg::bench::kWorkloads.end(),
                                  [&](const Workload& w) { return w.name == name; });
  if (found == tg::bench::kWorkloads.end() || found->loss != tg::bench::Loss::kSoftmaxCrossEntropy)
    throw std::invalid_argument("--workload: unknown or not a classifier: '" + name + "' (digits, fashion or wide)");
  if (global_batch == 0) global_batch = found->batch;
  if (global_batch % ranks != 0)
    throw std::invalid_argument("--workload " + name + ": the global batch " + std::to_string(global_batch) +
                                " does not split evenly over " + std::to_string(ranks) + " ranks");
  Workload local = *found;
  local.batch = global_batch / ranks;
  const tg::bench::Batch batch = tg::bench::make_batch(local, 42 + static_cast<std::uint32_t>(d::rank()));

  Trainer parallel(local, batch);
  d::DistributedDataParallel ddp(*parallel.model,
                                 {.bucket_cap_bytes = static_cast<std::int64_t>(bucket_mib * 1024 * 1024)});
  const double step_ms = median_ms([&] { parallel.step(&ddp); }, warmup, repeats, steps);

  Trainer alone(local, batch);
  const double compute_ms = median_ms([&] { alone.step(nullptr); }, warmup, repeats, steps);

  std::int64_t parameters = 0;
  for (const tg::Tensor& p : alone.model->parameters()) parameters += p.numel();
  tg::Tensor gradients = tg::zeros({parameters});
  const double allreduce_ms = median_ms([&] { d::all_reduce(gradients); }, warmup, repeats, steps);

  if (d::rank() == 0)
    std::printf("tapegrad_ddp workload=%s ranks=%d global_batch=%d per_rank=%d step_ms=%.3f compute_ms=%.3f "
                "allreduce_ms=%.3f grad_bytes=%lld bucket_mib=%g buckets=%zu\n",
                name.c_str(), ranks, global_batch, local.batch, step_ms, compute_ms, allreduce_ms,
                static_cast<long long>(parameters * 4), bucket_mib, std::max<std::size_t>(ddp.buckets().size(), 1));
  return 0;
}

// The all-reduce (a sum, float32) of 16 KiB to 16 MiB alone, a line per size: what the scaling model's
// all-reduce(bytes, N) is fitted to. Not beyond: there Open MPI 4.1's default algorithm for 2 ranks on
// shared memory falls off a cliff (32 MiB took 80 ms here on 2026-12-04, 5 ms with the ring, mca
// coll_tuned_allreduce_algorithm 4), which DistributedDataParallel's buckets of at most 25 MiB stay below.
int sweep(int warmup, int repeats) {
  for (std::int64_t bytes = std::int64_t{16} << 10; bytes <= std::int64_t{16} << 20; bytes *= 2) {
    tg::Tensor buffer = tg::zeros({bytes / 4});
    const int steps = static_cast<int>(std::clamp<std::int64_t>((std::int64_t{64} << 20) / bytes, 4, 200));
    const double ms = median_ms([&] { d::all_reduce(buffer); }, warmup, repeats, steps);
    if (d::rank() == 0)
      std::printf("tapegrad_allreduce ranks=%d bytes=%lld ms=%.4f\n", d::world_size(), static_cast<long long>(bytes),
                  ms);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  d::Environment environment(argc, argv);
  CLI::App app{"One data-parallel training step of a bench workload, timed under mpirun."};
  std::string workload = "fashion";
  int warmup = 20, repeats = 5, steps = 0, batch = 0;
  bool allreduce_sweep = false;
  double bucket_mib = 25;
  app.add_option("--workload", workload, "fashion or wide (bench/workloads.hpp)")->capture_default_str();
  app.add_option("--batch", batch, "the global batch, split evenly over the ranks (default the workload's: 128 "
                 "for fashion, 256 for wide)")->check(CLI::PositiveNumber);
  app.add_option("--bucket-mib", bucket_mib, "DistributedDataParallel's bucket_cap_bytes in MiB (PyTorch's 25)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps first")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--repeats", repeats, "timed blocks (the median is printed)")->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--steps", steps, "steps per block (default 100 for fashion, 20 for wide)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--allreduce-sweep", allreduce_sweep,
               "time the all-reduce alone of 16 KiB to 16 MiB instead (a line per size)");
  CLI11_PARSE(app, argc, argv);
  if (steps == 0) steps = workload == "wide" ? 20 : 100;
  tg::set_num_threads(1);
  try {
    if (allreduce_sweep) return sweep(warmup, repeats);
    return run(workload, batch, bucket_mib, warmup, repeats, steps);
  } catch (const std::exception& e) {  // named here; leaving `environment` by it then ends every rank
    std::fprintf(stderr, "tapegrad_bench_ddp: rank %d: error: %s\n", d::rank(), e.what());
    throw;
  }
}
