// train_step/autograd/<workload>: one training step (zero_grad, forward, loss, backward, optimizer
// update) of tapegrad's nn modules, losses and optimizers on the workloads of workloads.hpp.
// Counters: FLOPS (rate), and heap allocations per step in steady state: `allocs` adds operator new
// calls and tapegrad's cache misses over the timed loop after one warm-up step (an upper bound: a
// tensor-body miss is in both; 0 means no heap at all).

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "autograd_net.hpp"
#include "charlm.hpp"
#include "cnn.hpp"
#include "heap_counter.hpp"  // tests/heap_counter.hpp
#include "models/cnn.hpp"    // examples/models/cnn.hpp
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/optim/clip.hpp"
#include "workloads.hpp"

namespace {

using tg::bench::Workload;

// Times step() after one warm-up step, with the counters above.
template <class Step>
void time_steps(benchmark::State& state, const Step& step, double flops) {
  step();  // warm-up: the caches and the optimizer state fill here
  const std::size_t news_before = tapegrad_testing::operator_news.load();
  const std::size_t misses_before = tg::detail::cache_misses();
  for (auto _ : state) step();
  const double allocs = static_cast<double>(tapegrad_testing::operator_news.load() - news_before +
                                            tg::detail::cache_misses() - misses_before);
  state.counters["allocs"] = benchmark::Counter(allocs, benchmark::Counter::kAvgIterations);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void train_step_autograd(benchmark::State& state, const Workload& w) {
  tg::bench::AutogradNet net(w, tg::bench::make_batch(w));
  time_steps(state, [&] { benchmark::DoNotOptimize(net.step().impl()); }, tg::bench::flops_per_step(w));
}

// fashion_cnn as the example builds it (examples/models/cnn.hpp), with PyTorch's default initialisation.
void train_step_autograd_cnn(benchmark::State& state) {
  namespace cnn = tg::bench::cnn;
  const cnn::Batch batch = cnn::make_batch();
  const tg::Tensor x = tg::tensor(std::vector<double>(batch.x.begin(), batch.x.end()),
                                  {cnn::kBatch, cnn::kSide * cnn::kSide});  // rows: the model unflattens them
  const tg::Tensor labels = tg::tensor(batch.labels, {cnn::kBatch});
  tg::Generator gen(1);
  const std::unique_ptr<tg::nn::Sequential> model = examples::make_cnn(cnn::kSide, cnn::kClasses, gen);
  tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions{.lr = cnn::kLr});
  const auto step = [&] {
    optimizer.zero_grad();
    const tg::Tensor loss = tg::nn::cross_entropy((*model)(x), labels);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.impl());
  };
  time_steps(state, step, cnn::flops_per_step());
}

// charlm: tg::nn::Embedding, LSTM and Linear, with PyTorch's default initialisation.
void train_step_autograd_charlm(benchmark::State& state) {
  namespace lm = tg::bench::charlm;
  const lm::Batch batch = lm::make_batch();
  const tg::Tensor inputs = tg::tensor(batch.inputs, {lm::kBatch, lm::kSteps});
  const tg::Tensor targets = tg::tensor(batch.targets, {lm::kBatch * lm::kSteps});
  tg::Generator gen(1);
  tg::nn::Embedding embedding(lm::kVocab, lm::kEmbedding, gen);
  tg::nn::LSTM lstm(lm::kEmbedding, lm::kHidden, gen, {.batch_first = true});
  tg::nn::Linear head(lm::kHidden, lm::kVocab, gen);
  std::vector<tg::Tensor> params = embedding.parameters();
  for (const tg::nn::Module* m : {static_cast<const tg::nn::Module*>(&lstm), static_cast<const tg::nn::Module*>(&head)})
    for (const tg::Tensor& p : m->parameters()) params.push_back(p);
  tg::optim::Adam optimizer(params, tg::optim::AdamOptions{.lr = lm::kLr});
  const auto step = [&] {
    optimizer.zero_grad();
    const auto [out, state_n] = lstm.forward(embedding(inputs));
    const tg::Tensor loss =
        tg::nn::cross_entropy(head(tg::reshape(out, {lm::kBatch * lm::kSteps, lm::kHidden})), targets);
    loss.backward();
    static_cast<void>(tg::optim::clip_grad_norm_(params, lm::kClip));
    optimizer.step();
    benchmark::DoNotOptimize(loss.impl());
  };
  time_steps(state, step, lm::flops_per_step());
}

const bool kRegistered = [] {
  for (const Workload& w : tg::bench::kWorkloads)
    benchmark::RegisterBenchmark(("train_step/autograd/" + std::string(w.name)).c_str(), train_step_autograd, w)
        ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("train_step/autograd/fashion_cnn", train_step_autograd_cnn)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("train_step/autograd/charlm", train_step_autograd_charlm)->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
