// train_step/libtorch/<workload>: the same nets in LibTorch (Debian's libtorch-dev, PyTorch 1.13) with
// torch::nn::Linear (and Conv2d, MaxPool2d for fashion_cnn; Embedding, LSTM for charlm), torch::optim::SGD /
// Adam and F::cross_entropy / F::mse_loss, as a PyTorch user writes them. Built only when CMake finds Torch;
// the LibTorch headers compile slowly, so they stay in this file.
// Threads: TAPEGRAD_BENCH_THREADS, else OPENBLAS_NUM_THREADS, else LibTorch's default (one per core).

#include <benchmark/benchmark.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "charlm.hpp"
#include "cnn.hpp"
#include "workloads.hpp"

namespace {

using tg::bench::Workload;
namespace F = torch::nn::functional;

torch::nn::Sequential make_net(const Workload& w) {
  torch::nn::Sequential net;
  for (int l = 0; l < w.num_layers(); ++l) {
    net->push_back(torch::nn::Linear(w.sizes[l], w.sizes[l + 1]));
    if (l < w.num_layers() - 1) {
      if (w.hidden == tg::bench::Activation::kSigmoid)
        net->push_back(torch::nn::Sigmoid());
      else
        net->push_back(torch::nn::ReLU());
    }
  }
  return net;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Workload& w, torch::nn::Sequential& net) {
  if (w.optimizer == tg::bench::Optimizer::kAdam)
    return std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(w.lr));
  return std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(w.lr));
}

void train_step_libtorch(benchmark::State& state, const Workload& w) {
  torch::manual_seed(1);
  tg::bench::Batch batch = tg::bench::make_batch(w);
  const torch::Tensor x = torch::from_blob(batch.x.data(), {w.batch, w.inputs()}, torch::kFloat).clone();
  const bool softmax = w.loss == tg::bench::Loss::kSoftmaxCrossEntropy;
  const torch::Tensor target =
      softmax ? torch::from_blob(batch.labels.data(), {w.batch}, torch::kLong).clone()
              : torch::from_blob(batch.targets.data(), {w.batch, w.outputs()}, torch::kFloat).clone();
  torch::nn::Sequential net = make_net(w);
  const std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(w, net);

  for (auto _ : state) {
    optimizer->zero_grad();
    const torch::Tensor out = net->forward(x);
    const torch::Tensor loss = softmax ? F::cross_entropy(out, target) : F::mse_loss(torch::sigmoid(out), target);
    loss.backward();
    optimizer->step();
  }
  state.counters["FLOPS"] =
      benchmark::Counter(tg::bench::flops_per_step(w), benchmark::Counter::kIsIterationInvariantRate);
}

// fashion_cnn as a LibTorch user writes it (its convolutions run on oneDNN in Debian's build).
void train_step_libtorch_cnn(benchmark::State& state) {
  namespace cnn = tg::bench::cnn;
  torch::manual_seed(1);
  cnn::Batch batch = cnn::make_batch();
  const torch::Tensor x =
      torch::from_blob(batch.x.data(), {cnn::kBatch, 1, cnn::kSide, cnn::kSide}, torch::kFloat).clone();
  const torch::Tensor labels = torch::from_blob(batch.labels.data(), {cnn::kBatch}, torch::kLong).clone();
  torch::nn::Sequential net(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)), torch::nn::ReLU(),
      torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)),
      torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)), torch::nn::ReLU(),
      torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)), torch::nn::Flatten(), torch::nn::Linear(3136, 128),
      torch::nn::ReLU(), torch::nn::Linear(128, cnn::kClasses));
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(cnn::kLr));
  for (auto _ : state) {
    optimizer.zero_grad();
    const torch::Tensor loss = F::cross_entropy(net->forward(x), labels);
    loss.backward();
    optimizer.step();
  }
  state.counters["FLOPS"] = benchmark::Counter(cnn::flops_per_step(), benchmark::Counter::kIsIterationInvariantRate);
}

// charlm as a LibTorch user writes it: torch::nn::Embedding, LSTM (batch_first) and Linear.
void train_step_libtorch_charlm(benchmark::State& state) {
  namespace lm = tg::bench::charlm;
  torch::manual_seed(1);
  lm::Batch batch = lm::make_batch();
  const torch::Tensor inputs = torch::from_blob(batch.inputs.data(), {lm::kBatch, lm::kSteps}, torch::kLong).clone();
  const torch::Tensor targets =
      torch::from_blob(batch.targets.data(), {lm::kBatch * lm::kSteps}, torch::kLong).clone();
  torch::nn::Embedding embedding(lm::kVocab, lm::kEmbedding);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(lm::kEmbedding, lm::kHidden).batch_first(true));
  torch::nn::Linear head(lm::kHidden, lm::kVocab);
  std::vector<torch::Tensor> params = embedding->parameters();
  for (const auto& p : lstm->parameters()) params.push_back(p);
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(lm::kLr));
  for (auto _ : state) {
    optimizer.zero_grad();
    const torch::Tensor out = std::get<0>(lstm->forward(embedding->forward(inputs)));
    const torch::Tensor loss = F::cross_entropy(head->forward(out.reshape({-1, lm::kHidden})), targets);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, lm::kClip);
    optimizer.step();
  }
  state.counters["FLOPS"] = benchmark::Counter(lm::flops_per_step(), benchmark::Counter::kIsIterationInvariantRate);
}

// The thread count the bench runs with, from the environment; 0 leaves LibTorch's default.
int bench_threads() {
  for (const char* name : {"TAPEGRAD_BENCH_THREADS", "OPENBLAS_NUM_THREADS"})
    if (const char* v = std::getenv(name); v != nullptr && std::atoi(v) > 0) return std::atoi(v);
  return 0;
}

const bool kRegistered = [] {
  if (const int n = bench_threads(); n > 0) torch::set_num_threads(n);
  benchmark::AddCustomContext("torch_threads", std::to_string(torch::get_num_threads()));
  for (const Workload& w : tg::bench::kWorkloads)
    benchmark::RegisterBenchmark(("train_step/libtorch/" + std::string(w.name)).c_str(), train_step_libtorch, w)
        ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("train_step/libtorch/fashion_cnn", train_step_libtorch_cnn)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("train_step/libtorch/charlm", train_step_libtorch_charlm)->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
