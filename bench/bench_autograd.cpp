// train_step/autograd/<workload>: one training step (zero_grad, forward, loss, backward, optimizer
// update) of tapegrad's nn modules, losses and optimizers on the workloads of workloads.hpp.
// Counters: FLOPS (rate), and heap allocations per step in steady state: `allocs` adds operator new
// calls and tapegrad's cache misses over the timed loop after one warm-up step (an upper bound: a
// tensor-body miss is in both; 0 means no heap at all).

#include <benchmark/benchmark.h>

#include <string>

#include "autograd_net.hpp"
#include "heap_counter.hpp"  // tests/heap_counter.hpp
#include "tapegrad/detail/impl.hpp"
#include "workloads.hpp"

namespace {

using tg::bench::Workload;

void train_step_autograd(benchmark::State& state, const Workload& w) {
  tg::bench::AutogradNet net(w, tg::bench::make_batch(w));
  const auto step = [&] { benchmark::DoNotOptimize(net.step().impl()); };
  step();  // warm-up: the caches and the optimizer state fill here
  const std::size_t news_before = tapegrad_testing::operator_news.load();
  const std::size_t misses_before = tg::detail::cache_misses();
  for (auto _ : state) step();
  const double allocs = static_cast<double>(tapegrad_testing::operator_news.load() - news_before +
                                            tg::detail::cache_misses() - misses_before);
  state.counters["allocs"] = benchmark::Counter(allocs, benchmark::Counter::kAvgIterations);
  state.counters["FLOPS"] =
      benchmark::Counter(tg::bench::flops_per_step(w), benchmark::Counter::kIsIterationInvariantRate);
}

const bool kRegistered = [] {
  for (const Workload& w : tg::bench::kWorkloads)
    benchmark::RegisterBenchmark(("train_step/autograd/" + std::string(w.name)).c_str(), train_step_autograd, w)
        ->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
