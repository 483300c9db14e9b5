// train_step/manual/<workload>: one training step of the hand-written nets of manual.hpp, and
// matmul/sgemm/<n>: raw OpenBLAS sgemm on square matrices, the ceiling every matmul is reported against.
// Run through scripts/bench.sh, which sets OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS first.

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>
#include <string>
#include <vector>

#include "manual.hpp"
#include "workloads.hpp"

namespace {

using tg::bench::Workload;

void train_step_manual(benchmark::State& state, const Workload& w) {
  const tg::bench::Batch batch = tg::bench::make_batch(w);
  tg::bench::manual::Net net(w);
  for (auto _ : state) benchmark::DoNotOptimize(net.train_step(batch));
  state.counters["FLOPS"] =
      benchmark::Counter(tg::bench::flops_per_step(w), benchmark::Counter::kIsIterationInvariantRate);
}

void matmul_sgemm(benchmark::State& state, int n) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> a(static_cast<std::size_t>(n) * n);
  std::vector<float> b(a.size());
  std::vector<float> c(a.size());
  for (float& v : a) v = normal(gen);
  for (float& v : b) v = normal(gen);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate);
}

// Registered from a static initialiser so that this file needs no main of its own (benchmark_main gives
// it); the openblas_core context line says which kernel OPENBLAS_CORETYPE picked.
const bool kRegistered = [] {
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  benchmark::AddCustomContext("openblas_threads", std::to_string(openblas_get_num_threads()));
  for (const Workload& w : tg::bench::kWorkloads)
    benchmark::RegisterBenchmark(("train_step/manual/" + std::string(w.name)).c_str(), train_step_manual, w)
        ->Unit(benchmark::kMicrosecond);
  for (int n = 4; n <= 2048; n *= 2)
    benchmark::RegisterBenchmark(("matmul/sgemm/" + std::to_string(n)).c_str(), matmul_sgemm, n)
        ->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
