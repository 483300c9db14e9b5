#pragma once
// The fashion_cnn workload of /work/shared/WORKLOADS.md, shared by train_step/autograd/fashion_cnn and
// train_step/libtorch/fashion_cnn: conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) -
// ReLU - maxpool 2 - flatten - Linear(3136->128) - ReLU - Linear(128->10), cross-entropy, Adam lr 1e-3,
// on one fixed batch of 128 images [128, 1, 28, 28].

#include <cstdint>
#include <random>
#include <vector>

namespace tg::bench::cnn {

inline constexpr int kBatch = 128;
inline constexpr int kSide = 28;
inline constexpr int kClasses = 10;
inline constexpr float kLr = 1e-3f;

/// FLOPs of one step: 2 per multiply-add of each convolution and linear layer, forward, weight gradient
/// and input gradient (none for the first convolution, whose input needs none). Pooling, ReLU and the
/// optimizer are not counted. About 3.2 GFLOP, conv2 three quarters of it.
[[nodiscard]] constexpr double flops_per_step() {
  const double b = kBatch;
  const double conv1 = 2.0 * b * 28 * 28 * 32 * (1 * 9);
  const double conv2 = 2.0 * b * 14 * 14 * 64 * (32 * 9);
  const double fc1 = 2.0 * b * 3136 * 128;
  const double fc2 = 2.0 * b * 128 * 10;
  return 2 * conv1 + 3 * conv2 + 3 * fc1 + 3 * fc2;
}

/// The fixed batch: images standard normal, labels uniform in [0, 10); same seed, same batch.
struct Batch {
  std::vector<float> x;  // kBatch * 28 * 28
  std::vector<std::int64_t> labels;
};

[[nodiscard]] inline Batch make_batch(std::uint32_t seed = 42) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<std::int64_t> cls(0, kClasses - 1);
  Batch b;
  b.x.resize(static_cast<std::size_t>(kBatch) * kSide * kSide);
  for (float& v : b.x) v = normal(gen);
  b.labels.resize(kBatch);
  for (auto& c : b.labels) c = cls(gen);
  return b;
}

}  // namespace tg::bench::cnn
