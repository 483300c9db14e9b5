#pragma once
// The four reference training workloads of /work/shared/WORKLOADS.md as data, shared by every
// train_step/<implementation>/<workload> benchmark, with the FLOPs of one step and the fixed random batch
// each implementation trains on.

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace tg::bench {

enum class Activation { kSigmoid, kRelu };
enum class Loss { kSoftmaxCrossEntropy, kSigmoidMse };  // output layer and the loss on it
enum class Optimizer { kSgd, kAdam };

/// Adam's fixed hyper-parameters (PyTorch's defaults); the learning rate is per workload. In double, as
/// tapegrad's and PyTorch's optimizers hold them; a float32 step rounds them to float.
inline constexpr double kAdamBeta1 = 0.9;
inline constexpr double kAdamBeta2 = 0.999;
inline constexpr double kAdamEps = 1e-8;

/// A fully connected net: sizes {D, H1, ..., O}, one weight (in, out) and one bias per layer.
struct Workload {
  std::string_view name;
  std::span<const int> sizes;
  int batch;
  Activation hidden;  // after every layer but the last
  Loss loss;
  Optimizer optimizer;
  float lr;

  [[nodiscard]] constexpr int num_layers() const { return static_cast<int>(sizes.size()) - 1; }
  [[nodiscard]] constexpr int inputs() const { return sizes.front(); }
  [[nodiscard]] constexpr int outputs() const { return sizes.back(); }
};

inline constexpr int kZhouSizes[] = {2, 2, 1};
inline constexpr int kDigitsSizes[] = {64, 128, 128, 10};
inline constexpr int kFashionSizes[] = {784, 256, 256, 10};
inline constexpr int kWideSizes[] = {1024, 2048, 2048, 10};

inline constexpr std::array<Workload, 4> kWorkloads{{
    {"zhou", kZhouSizes, 1, Activation::kSigmoid, Loss::kSigmoidMse, Optimizer::kSgd, 0.1f},
    {"digits", kDigitsSizes, 64, Activation::kSigmoid, Loss::kSoftmaxCrossEntropy, Optimizer::kSgd, 0.5f},
    {"fashion", kFashionSizes, 128, Activation::kRelu, Loss::kSoftmaxCrossEntropy, Optimizer::kAdam, 1e-3f},
    {"wide", kWideSizes, 256, Activation::kRelu, Loss::kSoftmaxCrossEntropy, Optimizer::kSgd, 0.01f},
}};

/// FLOPs of one training step: per layer 2*B*in*out forward, as many for the weight gradient, and as many
/// again for the input gradient of every layer but the first (elementwise work is not counted).
[[nodiscard]] constexpr double flops_per_step(const Workload& w) {
  double flops = 0;
  for (int l = 0; l < w.num_layers(); ++l) {
    const double gemm = 2.0 * w.batch * w.sizes[l] * w.sizes[l + 1];
    flops += (l == 0 ? 2 : 3) * gemm;
  }
  return flops;
}

/// The fixed random batch a step trains on: x (B, D) standard normal, and either class labels in [0, O)
/// (softmax + cross-entropy) or targets (B, O) in {0, 1} (sigmoid + MSE). Same seed, same batch; the
/// values are drawn in float, so the float64 batch (for tests) holds the same numbers as the float32 one.
template <class T = float>
struct BasicBatch {
  std::vector<T> x;
  std::vector<std::int64_t> labels;  // B entries, softmax + cross-entropy only
  std::vector<T> targets;            // B * O entries, sigmoid + MSE only
};
using Batch = BasicBatch<float>;

template <class T = float>
[[nodiscard]] BasicBatch<T> make_batch(const Workload& w, std::uint32_t seed = 42) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  BasicBatch<T> b;
  b.x.resize(static_cast<std::size_t>(w.batch) * w.inputs());
  for (T& v : b.x) v = normal(gen);
  if (w.loss == Loss::kSoftmaxCrossEntropy) {
    std::uniform_int_distribution<std::int64_t> cls(0, w.outputs() - 1);
    b.labels.resize(w.batch);
    for (auto& c : b.labels) c = cls(gen);
  } else {
    std::bernoulli_distribution coin(0.5);
    b.targets.resize(static_cast<std::size_t>(w.batch) * w.outputs());
    for (T& t : b.targets) t = coin(gen) ? 1 : 0;
  }
  return b;
}

/// PyTorch's nn.Linear initialisation, U(-1/sqrt(in), 1/sqrt(in)), for a weight or bias of a layer with
/// `in` inputs; drawn in float whatever T is, so a float64 net starts from the float32 net's weights.
template <class T>
void init_uniform(std::span<T> p, int in, std::mt19937& gen) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in));
  std::uniform_real_distribution<float> uniform(-bound, bound);
  for (T& v : p) v = uniform(gen);
}

}  // namespace tg::bench
