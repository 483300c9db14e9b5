// Per-op cost of tapegrad on tiny tensors, and tapegrad's matmul against raw sgemm.
//
// ops/forward/<op>/<numel>:          the op alone, nothing recorded (inputs do not require grad).
// ops/record_backward/<op>/<numel>:  a chain of kChain ops recorded on the tape, then one backward
//                                    sweep; counters report nanoseconds per op (forward + record + backward).
// matmul/tapegrad/<n>:               tg::matmul on n x n float32 matrices (compare matmul/sgemm/<n>).

#include <benchmark/benchmark.h>

#include "tapegrad/tapegrad.hpp"

namespace {

constexpr int kChain = 16;

// An op of the chain: y -> op(y, w); the unary ones ignore w.
using ChainOp = tg::Tensor (*)(const tg::Tensor&, const tg::Tensor&);

tg::Tensor op_mul(const tg::Tensor& x, const tg::Tensor& w) { return x * w; }
tg::Tensor op_add(const tg::Tensor& x, const tg::Tensor& w) { return x + w; }
tg::Tensor op_sigmoid(const tg::Tensor& x, const tg::Tensor&) { return tg::sigmoid(x); }
tg::Tensor op_tanh(const tg::Tensor& x, const tg::Tensor&) { return tg::tanh(x); }

void per_op_counter(benchmark::State& state) {
  state.counters["ns_per_op"] =
      benchmark::Counter(kChain * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void forward_only(benchmark::State& state, ChainOp op) {
  tg::Generator gen(1);
  const tg::Tensor x = tg::rand({state.range(0)}, gen, tg::kFloat32, 0.1, 0.9);
  const tg::Tensor w = tg::rand({state.range(0)}, gen, tg::kFloat32, 0.9, 1.1);
  for (auto _ : state) {
    tg::Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = op(y, w);
    benchmark::DoNotOptimize(y.impl());
  }
  per_op_counter(state);
}

void record_backward(benchmark::State& state, ChainOp op) {
  tg::Generator gen(1);
  tg::Tensor x = tg::rand({state.range(0)}, gen, tg::kFloat32, 0.1, 0.9).requires_grad_();
  const tg::Tensor w = tg::rand({state.range(0)}, gen, tg::kFloat32, 0.9, 1.1);
  for (auto _ : state) {
    tg::Tensor y = x;
    for (int i = 0; i < kChain - 1; ++i) y = op(y, w);
    tg::sum(y).backward();  // the sum is the chain's last op
    x.zero_grad();
  }
  per_op_counter(state);
}

void matmul_tapegrad(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  tg::Generator gen(1);
  const tg::Tensor a = tg::randn({n, n}, gen);
  const tg::Tensor b = tg::randn({n, n}, gen);
  for (auto _ : state) {
    tg::Tensor c = tg::matmul(a, b);
    benchmark::DoNotOptimize(c.impl());
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(forward_only, mul, op_mul)->Name("ops/forward/mul")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(forward_only, add, op_add)->Name("ops/forward/add")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(forward_only, sigmoid, op_sigmoid)->Name("ops/forward/sigmoid")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, mul, op_mul)->Name("ops/record_backward/mul")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, add, op_add)->Name("ops/record_backward/add")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, sigmoid, op_sigmoid)->Name("ops/record_backward/sigmoid")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, tanh, op_tanh)->Name("ops/record_backward/tanh")->Arg(1)->Arg(4);
BENCHMARK(matmul_tapegrad)->Name("matmul/tapegrad")->RangeMultiplier(2)->Range(4, 2048);
