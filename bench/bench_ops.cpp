// Per-op cost of tapegrad on tiny tensors, and tapegrad's matmul against raw sgemm.
//
// ops/forward/<op>/<numel>:          the op alone, nothing recorded (inputs do not require grad).
// ops/record_backward/<op>/<numel>:  a chain of kChain ops recorded on the tape, then one backward
//                                    sweep; counters report nanoseconds per op (forward + record + backward).
// matmul/tapegrad/<n>:               tg::matmul on n x n float32 matrices (compare matmul/sgemm/<n>).
// ops/conv2d/{forward,forward_backward}/{1,2}: tg::conv2d at fashion_cnn's two layers, batch 128, 3x3,
//                                    padding 1, float32: [128, 1, 28, 28] * [32, 1, 3, 3] (the input needs
//                                    no gradient) and [128, 32, 14, 14] * [64, 32, 3, 3] (it does); FLOPS
//                                    counts the multiply-adds of the convolutions run (x2).

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

// fashion_cnn's convolution layers: input [128, C, S, S], weight [O, C, 3, 3], padding 1.
struct ConvLayer {
  std::int64_t c, s, o;
  bool input_grad;  // the second layer's input comes from the first, so it needs a gradient
};
constexpr ConvLayer kConvLayers[] = {{1, 28, 32, false}, {32, 14, 64, true}};

void conv2d_layer(benchmark::State& state, bool backward) {
  const ConvLayer& l = kConvLayers[state.range(0) - 1];
  tg::Generator gen(1);
  tg::Tensor x = tg::randn({128, l.c, l.s, l.s}, gen);
  tg::Tensor w = tg::randn({l.o, l.c, 3, 3}, gen).requires_grad_();
  tg::Tensor b = tg::randn({l.o}, gen).requires_grad_();
  if (l.input_grad && backward) x.requires_grad_();
  const tg::Tensor dy = tg::randn({128, l.o, l.s, l.s}, gen);
  for (auto _ : state) {
    if (!backward) {
      const tg::NoGradGuard no_grad;
      tg::Tensor y = tg::conv2d(x, w, b, 1, 1);
      benchmark::DoNotOptimize(y.impl());
      continue;
    }
    tg::conv2d(x, w, b, 1, 1).backward(dy);
    w.zero_grad();
    b.zero_grad();
    if (l.input_grad) x.zero_grad();
  }
  const double products = backward ? (l.input_grad ? 3.0 : 2.0) : 1.0;  // forward, weight and input gradients
  state.counters["FLOPS"] = benchmark::Counter(products * 2.0 * 128 * l.o * l.c * 9 * l.s * l.s,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(conv2d_layer, forward, false)->Name("ops/conv2d/forward")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(conv2d_layer, forward_backward, true)->Name("ops/conv2d/forward_backward")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(forward_only, mul, op_mul)->Name("ops/forward/mul")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(forward_only, add, op_add)->Name("ops/forward/add")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(forward_only, sigmoid, op_sigmoid)->Name("ops/forward/sigmoid")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, mul, op_mul)->Name("ops/record_backward/mul")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, add, op_add)->Name("ops/record_backward/add")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, sigmoid, op_sigmoid)->Name("ops/record_backward/sigmoid")->Arg(1)->Arg(4);
BENCHMARK_CAPTURE(record_backward, tanh, op_tanh)->Name("ops/record_backward/tanh")->Arg(1)->Arg(4);
BENCHMARK(matmul_tapegrad)->Name("matmul/tapegrad")->RangeMultiplier(2)->Range(4, 2048);
