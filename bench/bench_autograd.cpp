// train_step/autograd/<workload>: one training step (zero_grad, forward, loss, backward, optimizer
// update) of tapegrad's nn modules, losses and optimizers on the workloads of workloads.hpp.
// Counters: FLOPS (rate), and heap allocations per step in steady state: `allocs` adds operator new
// calls and tapegrad's cache misses over the timed loop after one warm-up step (an upper bound: a
// tensor-body miss is in both; 0 means no heap at all).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "tapegrad/nn.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"
#include "heap_counter.hpp"  // tests/heap_counter.hpp
#include "workloads.hpp"

namespace {

using tg::bench::Workload;

std::unique_ptr<tg::nn::Sequential> make_model(const Workload& w) {
  tg::Generator gen(1);
  auto model = std::make_unique<tg::nn::Sequential>();
  for (int l = 0; l < w.num_layers(); ++l) {
    model->emplace<tg::nn::Linear>(w.sizes[l], w.sizes[l + 1], gen);
    const bool last = l + 1 == w.num_layers();
    if (!last && w.hidden == tg::bench::Activation::kRelu) model->emplace<tg::nn::ReLU>();
    if (!last && w.hidden == tg::bench::Activation::kSigmoid) model->emplace<tg::nn::Sigmoid>();
  }
  if (w.loss == tg::bench::Loss::kSigmoidMse) model->emplace<tg::nn::Sigmoid>();
  return model;
}

std::unique_ptr<tg::optim::Optimizer> make_optimizer(const Workload& w, tg::nn::Module& model) {
  if (w.optimizer == tg::bench::Optimizer::kAdam)
    return std::make_unique<tg::optim::Adam>(model.parameters(), tg::optim::AdamOptions{.lr = w.lr});
  return std::make_unique<tg::optim::SGD>(model.parameters(), tg::optim::SGDOptions{.lr = w.lr});
}

void train_step_autograd(benchmark::State& state, const Workload& w) {
  const tg::bench::Batch data = tg::bench::make_batch(w);
  const tg::Tensor x = tg::tensor(std::vector<double>(data.x.begin(), data.x.end()), {w.batch, w.inputs()});
  const bool mse = w.loss == tg::bench::Loss::kSigmoidMse;
  const tg::Tensor y = mse ? tg::tensor(std::vector<double>(data.targets.begin(), data.targets.end()),
                                        {w.batch, w.outputs()})
                           : tg::tensor(std::vector<double>(data.labels.begin(), data.labels.end()), {w.batch});
  const auto model = make_model(w);
  const auto optimizer = make_optimizer(w, *model);
  const auto step = [&] {
    optimizer->zero_grad();
    const tg::Tensor out = (*model)(x);
    const tg::Tensor loss = mse ? tg::nn::mse_loss(out, y) : tg::nn::cross_entropy(out, y);
    loss.backward();
    optimizer->step();
  };
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
