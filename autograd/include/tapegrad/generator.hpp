#pragma once
// Generator: the seeded pseudo-random source every random op draws from (xoshiro256** seeded through
// splitmix64), and each thread's default one.

#include <cstdint>
#include <span>

namespace tg {

/// Seeded pseudo-random source. The same seed gives the same numbers with every compiler.
class Generator {
 public:
  explicit Generator(std::uint64_t seed);
  /// Uniform in [0, 1) with 53 random bits.
  [[nodiscard]] double uniform();
  /// Standard normal (Box-Muller).
  [[nodiscard]] double normal();
  /// Uniform integer in [0, n).
  [[nodiscard]] std::uint64_t below(std::uint64_t n);
  [[nodiscard]] std::uint64_t next_u64();

 private:
  std::uint64_t state_[4];
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

/// This thread's default generator (seeded with 0 until manual_seed), used where no generator is given.
[[nodiscard]] Generator& default_generator();
/// Reseeds this thread's default generator.
void manual_seed(std::uint64_t seed);

/// Fills order with a uniformly random permutation of 0 .. size-1 (Fisher-Yates from the back): the
/// shuffle randperm and the data loaders use, with no allocation.
void random_permutation(std::span<std::int64_t> order, Generator& gen);

}  // namespace tg
