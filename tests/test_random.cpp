// The sampling functions (randint, randperm, bernoulli, multinomial, rand/randn without a generator) and
// the in-place fills: seeded reproducibility, ranges, and frequencies against their distributions.

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Frequencies below are counts of n independent draws: a count with probability p has standard deviation
// sqrt(n p (1 - p)); 5 standard deviations fail a correct sampler with probability below 1e-6 per check,
// and the seeds are fixed, so each check is deterministic anyway.
double five_sigma(double n, double p) { return 5 * std::sqrt(n * p * (1 - p)); }

TEST(Random, RandintStaysInRangeAndCoversIt) {
  Generator gen(1);
  const Tensor t = randint(-3, 4, {10000}, gen);
  EXPECT_EQ(t.dtype(), kInt64);
  std::vector<double> counts(7, 0);
  for (double v : t.to_vector()) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    counts[static_cast<std::size_t>(v + 3)] += 1;
  }
  for (double c : counts) EXPECT_NEAR(c, 10000.0 / 7, five_sigma(10000, 1.0 / 7));
  EXPECT_EQ(randint(5, {2, 3}, gen, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(randint(5, {2, 3}, gen).shape().str(), "[2, 3]");
}

TEST(Random, RandintCoversTheWholeInt64Range) {
  Generator gen(2);
  const std::int64_t lo = INT64_MIN;
  const std::int64_t hi = INT64_MAX;
  const Tensor t = randint(lo, hi, {64}, gen);
  bool negative = false;
  bool positive = false;
  for (std::int64_t i = 0; i < 64; ++i) {
    const std::int64_t v = t.data<std::int64_t>()[i];
    negative |= v < 0;
    positive |= v > 0;
  }
  EXPECT_TRUE(negative && positive);
}

TEST(Random, SameSeedSameNumbersAndTheDefaultGenerator) {
  Generator a(7);
  Generator b(7);
  EXPECT_EQ(randint(0, 100, {20}, a).to_vector(), randint(0, 100, {20}, b).to_vector());
  manual_seed(11);
  const std::vector<double> first = rand({5}).to_vector();
  const std::vector<double> normal = randn({5}, kFloat64).to_vector();
  manual_seed(11);
  EXPECT_EQ(rand({5}).to_vector(), first);
  EXPECT_EQ(randn({5}, kFloat64).to_vector(), normal);
  Generator c(11);
  EXPECT_EQ(rand({5}, c).to_vector(), first);  // the default generator is a Generator like any other
}

TEST(Random, RandpermIsAPermutation) {
  Generator gen(3);
  const Tensor p = randperm(50, gen);
  EXPECT_EQ(p.dtype(), kInt64);
  std::set<double> seen;
  for (double v : p.to_vector()) seen.insert(v);
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 49);
  EXPECT_EQ(randperm(0, gen).numel(), 0);
  // Every ordering of 3 elements is about equally likely.
  std::vector<int> counts(27, 0);
  for (int i = 0; i < 6000; ++i) {
    const std::vector<double> v = randperm(3, gen).to_vector();
    ++counts[static_cast<std::size_t>(v[0] * 9 + v[1] * 3 + v[2])];
  }
  int orderings = 0;
  for (int c : counts)
    if (c > 0) {
      ++orderings;
      EXPECT_NEAR(c, 1000, five_sigma(6000, 1.0 / 6));
    }
  EXPECT_EQ(orderings, 6);
}

TEST(Random, BernoulliFollowsItsProbabilities) {
  Generator gen(4);
  const Tensor probs = tensor({0.0, 1.0, 0.25}, kFloat64);
  double third = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::vector<double> v = bernoulli(probs, gen).to_vector();
    ASSERT_EQ(v[0], 0);
    ASSERT_EQ(v[1], 1);
    third += v[2];
  }
  EXPECT_NEAR(third, 1000, five_sigma(4000, 0.25));
  Tensor t = zeros({4000}, kFloat32);
  t.bernoulli_(0.75, gen);
  EXPECT_NEAR(sum(t).item(), 3000, five_sigma(4000, 0.75));
  expect_throws<std::invalid_argument>([&] { return bernoulli(tensor({0.5, 1.5}), gen); },
                                       "bernoulli: probabilities must lie in [0, 1], got 1.5 at flat index 1");
}

TEST(Random, MultinomialWithReplacementFollowsTheWeights) {
  Generator gen(5);
  const Tensor w = tensor({1.0, 0.0, 3.0}, kFloat64);  // unnormalised: p = 1/4, 0, 3/4
  const Tensor s = multinomial(w, 8000, true, gen);
  EXPECT_EQ(s.dtype(), kInt64);
  EXPECT_EQ(s.shape().str(), "[8000]");
  std::vector<double> counts(3, 0);
  for (double v : s.to_vector()) counts[static_cast<std::size_t>(v)] += 1;
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0], 2000, five_sigma(8000, 0.25));
}

TEST(Random, MultinomialWithoutReplacementDrawsDistinctCategories) {
  Generator gen(6);
  const Tensor w = tensor({1, 2, 0, 4, 1, 1, 1, 1}, {2, 4}, kFloat64);
  for (int i = 0; i < 200; ++i) {
    const Tensor s = multinomial(w, 3, false, gen);
    ASSERT_EQ(s.shape().str(), "[2, 3]");
    const std::vector<double> v = s.to_vector();
    EXPECT_EQ(std::set<double>(v.begin(), v.begin() + 3), (std::set<double>{0, 1, 3}));  // row 0 has 3 non-zero
    EXPECT_EQ(std::set<double>(v.begin() + 3, v.end()).size(), 3u);
  }
  // The first draw without replacement has the weights' distribution: P(first = 3) = 4/7 in row 0.
  double first3 = 0;
  for (int i = 0; i < 7000; ++i) first3 += multinomial(slice(w, 0, 0, 1).reshape({4}), 1, false, gen).item() == 3;
  EXPECT_NEAR(first3, 4000, five_sigma(7000, 4.0 / 7));
  // The second draw: P(second = 1) = sum over first in {0, 3} of P(first) * w1 / (7 - w_first)
  //                 = 1/7 * 2/6 + 4/7 * 2/3 = 2/42 + 16/42 = 3/7.
  double second1 = 0;
  for (int i = 0; i < 7000; ++i)
    second1 += multinomial(slice(w, 0, 0, 1).reshape({4}), 2, false, gen).at({1}) == 1;
  EXPECT_NEAR(second1, 3000, five_sigma(7000, 3.0 / 7));
}

TEST(Random, MultinomialRejectsBadDistributions) {
  Generator gen(0);
  expect_throws<std::invalid_argument>([&] { return multinomial(tensor({1.0, -1.0}), 1, true, gen); },
                                       "multinomial: row 0 holds -1 at category 1; weights must be finite and non-negative");
  expect_throws<std::invalid_argument>([&] { return multinomial(tensor({0.0, 0.0}), 1, true, gen); },
                                       "multinomial: row 0 has weights summing to 0");
  expect_throws<std::invalid_argument>([&] { return multinomial(tensor({1.0, 0.0, 1.0}), 3, false, gen); },
                                       "multinomial: row 0 has 2 non-zero weights, too few for 3 samples without replacement");
  expect_throws<std::invalid_argument>([&] { return multinomial(tensor({1.0, 1.0}), 3, false, gen); },
                                       "multinomial: cannot draw 3 samples without replacement from 2 categories");
  expect_throws<std::invalid_argument>([&] { return multinomial(ones({2, 2, 2}), 1, true, gen); },
                                       "multinomial: probs must be 1-d or 2-d, got shape [2, 2, 2]");
  expect_throws<std::invalid_argument>([&] { return multinomial(ones({3}), 0, true, gen); },
                                       "multinomial: num_samples must be positive, got 0");
  expect_throws<std::invalid_argument>([&] { return multinomial(ones({3}, kInt64), 1, true, gen); },
                                       "multinomial: needs a float32 or float64 tensor, got int64");
}

TEST(Random, InPlaceFillsAndTheirChecks) {
  Generator a(9);
  Generator b(9);
  Tensor t = empty({1000}, kFloat64);
  t.uniform_(-2, 3, a);
  EXPECT_EQ(t.to_vector(), rand({1000}, b, kFloat64, -2, 3).to_vector());  // the same formula as rand
  t.normal_(1, 2, a);
  EXPECT_EQ(t.to_vector(), randn({1000}, b, kFloat64, 1, 2).to_vector());
  expect_throws<std::invalid_argument>([&] { return t.uniform_(1, 1, a); }, "uniform_: from (1) must be below to (1)");
  expect_throws<std::invalid_argument>([&] { return t.normal_(0, -1, a); }, "normal_: std must be non-negative");
  Tensor i = zeros({2}, kInt64);
  expect_throws<std::invalid_argument>([&] { return i.normal_(); }, "normal_: needs a float32 or float64 tensor, got int64");
}

TEST(Random, RangeErrors) {
  Generator gen(0);
  expect_throws<std::invalid_argument>([&] { return randint(3, 3, {1}, gen); },
                                       "randint: low (3) must be below high (3)");
  expect_throws<std::invalid_argument>([&] { return randperm(-1, gen); }, "randperm: n must be >= 0, got -1");
  expect_throws<std::invalid_argument>([&] { return rand({2}, gen, kInt64); },
                                       "rand: needs a float32 or float64 tensor, got int64");
}

// ---- dropout2d ----

TEST(Dropout2d, ZeroesWholeChannelsAndScalesTheRest) {
  // p = 0.25 over 2000 x 3 channels of 2 x 2: each channel is all 0 or all x / 0.75, and the gradient
  // of sum(y) is the same mask.
  Generator gen(7);
  Tensor x = ones({2000, 3, 2, 2}, kFloat64);
  x.requires_grad_();
  const Tensor y = dropout2d(x, 0.25, true, gen);
  const Tensor dx = autograd::grad({sum(y)}, {x})[0];
  EXPECT_EQ(dx.to_vector(), y.detach().to_vector());
  const std::vector<double> v = y.to_vector();
  double zeroed = 0;
  for (std::size_t c = 0; c < v.size(); c += 4) {
    for (std::size_t k = 1; k < 4; ++k) ASSERT_EQ(v[c + k], v[c]) << "channel " << c / 4 << " is not uniform";
    ASSERT_TRUE(v[c] == 0 || v[c] == 1 / 0.75) << v[c];
    zeroed += v[c] == 0 ? 1 : 0;
  }
  EXPECT_NEAR(zeroed, 6000 * 0.25, five_sigma(6000, 0.25));
  // The same seed gives the same mask; the default generator's overload draws from default_generator().
  Generator again(7);
  EXPECT_EQ(dropout2d(x.detach(), 0.25, true, again).to_vector(), v);
  manual_seed(7);
  EXPECT_EQ(dropout2d(x.detach(), 0.25).to_vector(), v);
}

TEST(Dropout2d, ThreeDimensionalInputIsNCL) {
  // PyTorch 1.13 reads a 3-d input as [N, C, L]: the mask is [N, C, 1], uniform along L.
  Generator gen(3);
  const std::vector<double> v = dropout2d(ones({50, 4, 3}), 0.5, true, gen).to_vector();
  for (std::size_t row = 0; row < v.size(); row += 3) {
    EXPECT_EQ(v[row + 1], v[row]);
    EXPECT_EQ(v[row + 2], v[row]);
  }
}

TEST(Dropout2d, IdentityZerosAndErrors) {
  Generator gen(0);
  const Tensor x = counting({2, 3, 2, 2});
  EXPECT_EQ(dropout2d(x, 0.5, false, gen).impl(), x.impl());  // evaluation: the input itself, as PyTorch
  EXPECT_EQ(dropout2d(x, 0.0, true, gen).impl(), x.impl());
  Tensor l = counting({2, 3, 2, 2});
  l.requires_grad_();
  const Tensor z = dropout2d(l, 1.0, true, gen);
  expect_values(z, {2, 3, 2, 2}, std::vector<double>(24, 0.0));
  expect_values(autograd::grad({sum(z)}, {l})[0], {2, 3, 2, 2}, std::vector<double>(24, 0.0));
  expect_throws<std::invalid_argument>([&] { return dropout2d(x, 1.5, true, gen); },
                                       "dropout2d: p, the probability of zeroing a channel, must lie in [0, 1], got 1.5");
  expect_throws<std::invalid_argument>([&] { return dropout2d(x, -0.1, false, gen); },
                                       "dropout2d: p, the probability of zeroing a channel, must lie in [0, 1], got -0.1");
  expect_throws<std::invalid_argument>([&] { return dropout2d(zeros({4}), 0.5, true, gen); },
                                       "dropout2d: expected an input [N, C, ...] of at least 2 dimensions, got [4]");
  expect_throws<std::invalid_argument>([&] { return dropout2d(zeros({2, 2}, kInt64), 0.5, true, gen); },
                                       "dropout2d: needs a float32 or float64 tensor, got int64");
}

TEST(Dropout2d, GradcheckAndGradgradcheck) {
  // A fresh generator with a fixed seed per call, so that every evaluation draws the same mask.
  const auto fn = [](const Inputs& in) {
    Generator gen(11);
    return dropout2d(in[0], 0.4, true, gen) * in[0];  // fan-out: a non-zero second derivative
  };
  const Tensor x = random_leaf({3, 4, 2, 2}, 5);
  expect_gradcheck(fn, {x});
  expect_gradgradcheck(fn, {x});
}

}  // namespace
}  // namespace tg
