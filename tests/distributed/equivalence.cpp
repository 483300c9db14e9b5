// Data-parallel training equals one process with the whole batch: run by CTest as
// `mpirun -np 2 ... test_distributed_equivalence` (MPI.DataParallelEquivalence, and with -np 1).
//
// Every rank builds its model from its own seed, so only DistributedDataParallel's broadcast makes them
// equal. Rank 0 also trains the one-process reference itself (batch 64, the same start, data and seed)
// rather than comparing with a saved run: nothing to regenerate when an op changes its rounding, and
// the two runs share one build and one OpenBLAS kernel. Each rank trains 20 steps with batch 64 /
// world_size of its shard (DataLoader num_replicas / rank) and checks:
// - every rank holds the same parameters, bit for bit (the reduced gradient is the same on every rank);
// - rank 0's equal the reference's, for SGD with momentum and for Adam, float64 to 1e-12 and float32 to
//   kFloat32Bound below.
// - the first bucket's all-reduce has started when the first layer's weight, the last gradient of the
//   sweep, is final: communication overlaps the backward sweep.
// Then barrier() must order a write on rank 0 before the reads of the others, a checkpoint must resume at
// another world size (resumes_at_another_world_size), and a model with an unused parameter must make
// synchronize() name it.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad/distributed/collectives.hpp"
#include "tapegrad/distributed/data_parallel.hpp"
#include "tapegrad/distributed/environment.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/data_loader.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace dist = tg::distributed;
using Factory = std::function<std::unique_ptr<tg::optim::Optimizer>(std::vector<tg::Tensor>)>;

constexpr int kSteps = 20;
constexpr std::int64_t kGlobalBatch = 64;
// float32: the one-process gradient is one sum over 64 samples, the data-parallel one the sum of two
// sums over 32 (each rank's, then MPI's two-term sum), so each step's gradients differ by the rounding
// of that last addition and the order of the partial sums: a few units in the last place (2^-24
// relative). A step moves a parameter by lr times a function of the gradient that does not amplify such
// a difference much (SGD: linear; Adam: m / sqrt(v), whose relative error is about that of g), so after
// 20 steps the parameters, of order 1, may differ by about 20 steps x a few ulps of their own rounding
// (each update is rounded to the parameter's ulp, and a differing last bit of an update can flip it):
// 20 x 4 x 2^-24 ~ 5e-6. float64 keeps the same argument 2^29 times smaller, far under 1e-12.
constexpr double kFloat32Bound = 20 * 4 * 0x1p-24;
constexpr double kFloat64Bound = 1e-12;

tg::nn::Dataset make_data(tg::Dtype dtype) {
  tg::Generator gen(11);
  // 320 samples: 5 global batches per epoch, so that 20 steps reshuffle 4 times.
  return {.inputs = tg::randn({320, 8}, gen, dtype), .labels = tg::randint(0, 4, {320}, gen), .num_classes = 4};
}

std::shared_ptr<tg::nn::Sequential> make_model(std::uint64_t seed, tg::Dtype dtype) {
  tg::Generator gen(seed);
  auto model = std::make_shared<tg::nn::Sequential>(std::make_shared<tg::nn::Linear>(8, 16, gen),
                                                    std::make_shared<tg::nn::Tanh>(),
                                                    std::make_shared<tg::nn::Linear>(16, 4, gen));
  model->to(dtype);
  return model;
}

// One step on batch; ddp, when given, averages the gradients before the update.
void train_step(tg::nn::Sequential& model, tg::optim::Optimizer& optimizer, const tg::nn::Batch& batch,
                dist::DistributedDataParallel* ddp) {
  const tg::Tensor loss = tg::nn::cross_entropy(model(batch.inputs), batch.labels);
  optimizer.zero_grad();
  loss.backward();
  if (ddp != nullptr) ddp->synchronize();
  optimizer.step();
}

// kSteps steps over the loader's epochs; ddp, when given, averages the gradients before each step.
void train(tg::nn::Sequential& model, tg::nn::DataLoader& loader, const Factory& make_optimizer,
           dist::DistributedDataParallel* ddp) {
  std::unique_ptr<tg::optim::Optimizer> optimizer = make_optimizer(model.parameters());
  int step = 0;
  while (step < kSteps)
    for (const tg::nn::Batch& batch : loader) {
      if (step++ == kSteps) break;
      train_step(model, *optimizer, batch, ddp);
    }
}

double max_difference(const std::vector<tg::Tensor>& a, const std::vector<tg::Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, tg::max(tg::abs(a[i] - b[i])).item());
  return worst;
}

// The largest difference between this rank's parameters and rank 0's.
double max_difference_from_rank0(const std::vector<tg::Tensor>& params) {
  std::vector<tg::Tensor> rank0;
  for (const tg::Tensor& p : params) {
    tg::Tensor copy = p.detach().clone();
    dist::broadcast(copy, 0);
    rank0.push_back(copy);
  }
  return max_difference(params, rank0);
}

bool run(const char* name, const Factory& make_optimizer, tg::Dtype dtype) {
  const int rank = dist::rank();
  const int world = dist::world_size();
  const tg::nn::Dataset data = make_data(dtype);
  auto model = make_model(100 + static_cast<std::uint64_t>(rank), dtype);
  // Registered before DDP's own hooks, so that it runs before the weight's bucket is started.
  std::size_t started_before_last = 0;
  dist::DistributedDataParallel* seen = nullptr;
  const tg::HookHandle watch = model->parameters()[0].register_post_accumulate_grad_hook(
      [&](const tg::Tensor&) { started_before_last = std::max(started_before_last, seen->buckets_started()); });
  // A cap of the last layer's size, so that the four parameters spread over three buckets: [2.bias,
  // 2.weight], [0.bias], [0.weight].
  const std::int64_t last_layer_bytes = (16 * 4 + 4) * (dtype == tg::kFloat64 ? 8 : 4);
  dist::DistributedDataParallel ddp(*model, {.bucket_cap_bytes = last_layer_bytes});
  seen = &ddp;
  auto reference = make_model(0, dtype);
  reference->load_state_dict(model->state_dict());
  tg::nn::DataLoader loader(data, {.batch_size = kGlobalBatch / world, .shuffle = true, .seed = 7,
                                   .num_replicas = world, .rank = rank});
  train(*model, loader, make_optimizer, &ddp);
  const double across_ranks = max_difference_from_rank0(model->parameters());
  bool ok = across_ranks == 0 && (world == 1 || (started_before_last >= 1 && ddp.buckets().size() == 3));
  if (rank == 0) {
    tg::nn::DataLoader whole(data, {.batch_size = kGlobalBatch, .shuffle = true, .seed = 7});
    train(*reference, whole, make_optimizer, nullptr);
    const double bound = dtype == tg::kFloat64 ? kFloat64Bound : kFloat32Bound;
    const double diff = max_difference(model->parameters(), reference->parameters());
    ok = ok && diff <= bound;
    std::printf("%s %s: %d ranks, %zu buckets (%zu started before the last gradient): max |ddp - one process| = "
                "%.3g (bound %.3g)%s\n", name, std::string(tg::dtype_name(dtype)).c_str(), world,
                ddp.buckets().size(), started_before_last, diff, bound, ok ? "" : "  FAILED");
  }
  if (across_ranks != 0) std::printf("rank %d: parameters differ from rank 0's by %.3g  FAILED\n", rank, across_ranks);
  return ok;
}

// Epochs [from, to) of loader (set_epoch(from) first, as a resumed run does).
void train_epochs(tg::nn::Sequential& model, tg::optim::Optimizer& optimizer, tg::nn::DataLoader& loader, int from,
                  int to, dist::DistributedDataParallel* ddp) {
  loader.set_epoch(from);
  for (int epoch = from; epoch < to; ++epoch)
    for (const tg::nn::Batch& batch : loader) train_step(model, optimizer, batch, ddp);
}

// One path for every rank, another for every run of the test: stem and rank 0's process id, in the
// temporary directory.
std::filesystem::path shared_temp_file(const std::string& stem) {
  tg::Tensor pid = tg::tensor(std::vector<double>{static_cast<double>(getpid())}, {1}, tg::kFloat64);
  dist::broadcast(pid, 0);
  return std::filesystem::temp_directory_path() /
         (stem + std::to_string(static_cast<long long>(pid.item())));
}

// barrier(): what rank 0 writes before it, every rank reads after it. Rank 0 writes late (100 ms in), so
// that without the wait the others would look before the file exists.
bool barrier_orders_the_ranks() {
  const std::filesystem::path file = shared_temp_file("tapegrad_barrier_");
  if (dist::rank() == 0) {
    usleep(100'000);
    std::FILE* out = std::fopen(file.c_str(), "w");
    const bool written = out != nullptr && std::fputs("written before the barrier", out) >= 0;
    if (out != nullptr) std::fclose(out);
    if (!written) std::printf("barrier: cannot write %s  FAILED\n", file.c_str());
  }
  dist::barrier();
  std::string text(64, '\0');
  std::FILE* in = std::fopen(file.c_str(), "r");
  text.resize(in != nullptr ? std::fread(text.data(), 1, text.size(), in) : 0);
  if (in != nullptr) std::fclose(in);
  const bool ok = text == "written before the barrier";
  dist::barrier();  // every rank has read it
  if (dist::rank() == 0) std::filesystem::remove(file);
  if (!ok || dist::rank() == 0)
    std::printf("barrier: rank %d read '%s' after it%s\n", dist::rank(), text.c_str(), ok ? "" : "  FAILED");
  return ok;
}

// A checkpoint saved after 2 of 4 epochs resumes at another world size, float64, Adam (its moments travel
// in the checkpoint, so every rank loads the file rather than relying on DDP's broadcast of parameters):
// (a) the ranks train 2 epochs data-parallel, rank 0 saves, and rank 0 alone resumes as one process with
// the whole batch; (b) rank 0 alone trains 2 epochs as one process and saves, and every rank resumes from
// it data-parallel. Both must end where 4 uninterrupted epochs of one process end, to kFloat64Bound.
bool resumes_at_another_world_size() {
  const int rank = dist::rank();
  const int world = dist::world_size();
  const tg::nn::Dataset data = make_data(tg::kFloat64);
  const auto adam = [](const tg::nn::Sequential& model) {
    return tg::optim::Adam(model.parameters(), tg::optim::AdamOptions{.lr = 1e-2});
  };
  const tg::nn::DataLoaderOptions whole{.batch_size = kGlobalBatch, .shuffle = true, .seed = 7};
  const tg::nn::DataLoaderOptions shard{.batch_size = kGlobalBatch / world, .shuffle = true, .seed = 7,
                                        .num_replicas = world, .rank = rank};
  const std::filesystem::path file = shared_temp_file("tapegrad_resume_").concat(".safetensors");

  const auto reference = make_model(100, tg::kFloat64);  // rank 0's start, which DDP broadcasts
  if (rank == 0) {
    tg::optim::Adam optimizer = adam(*reference);
    tg::nn::DataLoader loader(data, whole);
    train_epochs(*reference, optimizer, loader, 0, 4, nullptr);
  }
  std::vector<double> diffs;

  {  // (a) saved by the ranks together, resumed by one process
    const auto model = make_model(100 + static_cast<std::uint64_t>(rank), tg::kFloat64);
    dist::DistributedDataParallel ddp(*model);
    tg::optim::Adam optimizer = adam(*model);
    tg::nn::DataLoader loader(data, shard);
    train_epochs(*model, optimizer, loader, 0, 2, &ddp);
    if (rank == 0) {
      tg::nn::save_checkpoint(file, *model, optimizer, 2);
      const auto alone = make_model(1, tg::kFloat64);
      tg::optim::Adam resumed = adam(*alone);
      const int epoch = tg::nn::load_checkpoint(file, *alone, resumed);
      tg::nn::DataLoader loader_alone(data, whole);
      train_epochs(*alone, resumed, loader_alone, epoch, 4, nullptr);
      diffs.push_back(max_difference(alone->parameters(), reference->parameters()));
    }
  }
  dist::barrier();  // nobody reads the file before rank 0 has rewritten it below

  {  // (b) saved by one process, resumed by the ranks together
    if (rank == 0) {
      const auto model = make_model(100, tg::kFloat64);
      tg::optim::Adam optimizer = adam(*model);
      tg::nn::DataLoader loader(data, whole);
      train_epochs(*model, optimizer, loader, 0, 2, nullptr);
      tg::nn::save_checkpoint(file, *model, optimizer, 2);
    }
    dist::barrier();
    const auto model = make_model(200 + static_cast<std::uint64_t>(rank), tg::kFloat64);
    tg::optim::Adam optimizer = adam(*model);
    const int epoch = tg::nn::load_checkpoint(file, *model, optimizer);
    dist::DistributedDataParallel ddp(*model);
    tg::nn::DataLoader loader(data, shard);
    train_epochs(*model, optimizer, loader, epoch, 4, &ddp);
    if (rank == 0) diffs.push_back(max_difference(model->parameters(), reference->parameters()));
  }
  dist::barrier();
  if (rank != 0) return true;
  std::filesystem::remove(file);
  const bool ok = diffs.size() == 2 && diffs[0] <= kFloat64Bound && diffs[1] <= kFloat64Bound;
  std::printf("resume at another world size (Adam float64, %d ranks): max |resumed - one process| = %.3g saved by "
              "the ranks, %.3g saved by one process (bound %.3g)%s\n", world, diffs[0], diffs[1], kFloat64Bound,
              ok ? "" : "  FAILED");
  return ok;
}

// A head that takes no part in the loss: synchronize() must name its parameter, on every rank.
struct UnusedHead : tg::nn::Module {
  UnusedHead() {
    tg::Generator gen(1);
    used = register_module("used", std::make_shared<tg::nn::Linear>(3, 2, gen));
    unused = register_module("unused", std::make_shared<tg::nn::Linear>(3, 2, gen));
  }
  [[nodiscard]] std::string name() const override { return "UnusedHead"; }
  std::shared_ptr<tg::nn::Linear> used, unused;
};

bool unused_parameter_is_named() {
  if (dist::world_size() == 1) return true;  // nothing is checked without communication
  UnusedHead model;
  dist::DistributedDataParallel ddp(model);
  tg::sum((*model.used)(tg::ones({1, 3}))).backward();
  try {
    ddp.synchronize();
  } catch (const std::logic_error& e) {
    const bool ok = std::string(e.what()).find("parameter 'unused.weight' (and 1 more) got no gradient") !=
                    std::string::npos;
    if (!ok || dist::rank() == 0) std::printf("unused parameter: %s%s\n", e.what(), ok ? "" : "  FAILED");
    return ok;
  }
  std::printf("unused parameter: synchronize() did not throw  FAILED\n");
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  dist::Environment env(argc, argv);
  const Factory sgd = [](std::vector<tg::Tensor> p) {
    return std::make_unique<tg::optim::SGD>(std::move(p), tg::optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  };
  const Factory adam = [](std::vector<tg::Tensor> p) {
    return std::make_unique<tg::optim::Adam>(std::move(p), tg::optim::AdamOptions{.lr = 1e-2});
  };
  bool ok = true;
  for (const tg::Dtype dtype : {tg::kFloat64, tg::kFloat32}) {
    ok = run("SGD(momentum 0.9)", sgd, dtype) && ok;
    ok = run("Adam", adam, dtype) && ok;
  }
  ok = barrier_orders_the_ranks() && ok;
  ok = resumes_at_another_world_size() && ok;
  ok = unused_parameter_is_named() && ok;
  return ok ? 0 : 1;
}
