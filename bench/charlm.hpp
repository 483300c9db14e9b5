#pragma once
// The charlm workload of /work/shared/WORKLOADS.md, shared by train_step/autograd/charlm and
// train_step/libtorch/charlm: Embedding(96, 64) - LSTM(64, 256, one layer, batch_first) - Linear(256, 96) at
// every position, cross-entropy over all positions, Adam lr 2e-3, gradients clipped to norm 5, on one fixed
// batch of 32 sequences of 64 characters.

#include <cstdint>
#include <random>
#include <vector>

namespace tg::bench::charlm {

inline constexpr int kBatch = 32;
inline constexpr int kSteps = 64;  // sequence length
inline constexpr int kVocab = 96;
inline constexpr int kEmbedding = 64;
inline constexpr int kHidden = 256;
inline constexpr double kLr = 2e-3;
inline constexpr double kClip = 5.0;

/// FLOPs of one step: 2 per multiply-add of the LSTM's input and hidden products and of the output layer,
/// forward, weight gradient and input gradient. The gate arithmetic, the embedding and the optimizer are
/// not counted. About 4.3 GFLOP, the LSTM nine tenths of it.
[[nodiscard]] constexpr double flops_per_step() {
  const double rows = static_cast<double>(kBatch) * kSteps;
  const double lstm = 2.0 * rows * (kEmbedding + kHidden) * 4 * kHidden;
  const double head = 2.0 * rows * kHidden * kVocab;
  return 3 * lstm + 3 * head;
}

/// The fixed batch: characters uniform in [0, 96), the targets the same text one position on.
struct Batch {
  std::vector<std::int64_t> inputs;   // kBatch * kSteps, row-major [kBatch, kSteps]
  std::vector<std::int64_t> targets;  // the same shape
};

[[nodiscard]] inline Batch make_batch(std::uint32_t seed = 42) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::int64_t> token(0, kVocab - 1);
  std::vector<std::int64_t> text(static_cast<std::size_t>(kBatch) * (kSteps + 1));
  for (auto& c : text) c = token(gen);
  Batch b;
  for (int n = 0; n < kBatch; ++n)
    for (int t = 0; t < kSteps; ++t) {
      b.inputs.push_back(text[static_cast<std::size_t>(n * (kSteps + 1) + t)]);
      b.targets.push_back(text[static_cast<std::size_t>(n * (kSteps + 1) + t + 1)]);
    }
  return b;
}

}  // namespace tg::bench::charlm
