// tg::nn::init: the bounds and standard deviations of each initialiser (literal numbers from the formulas,
// e.g. python3 -c "import math; print(repr(math.sqrt(6 / 500)))"), sample statistics over 60,000
// elements, determinism per seed, in-place writes that record nothing, and the validation messages.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>

#include "tapegrad/grad_mode.hpp"
#include "tapegrad/nn/init.hpp"
#include "tapegrad/ops.hpp"

namespace {

using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::HasSubstr;
using testing::ThrowsMessage;
using tg::Generator;
using tg::Tensor;

// A (300, 200) weight: fan_in = 300, fan_out = 200.
constexpr std::int64_t kFanIn = 300;
constexpr std::int64_t kFanOut = 200;

Tensor weight(tg::Dtype dtype = tg::kFloat64) { return tg::zeros({kFanIn, kFanOut}, dtype); }

struct Stats {
  double mean = 0;
  double stddev = 0;
  double max_abs = 0;
  double min = 0;
  double max = 0;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector();
  Stats s;
  for (const double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (const double x : v) s.stddev += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(s.stddev / static_cast<double>(v.size()));
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  s.min = *lo;
  s.max = *hi;
  s.max_abs = std::max(-s.min, s.max);
  return s;
}

// Every |value| <= bound, the extremes reach within 0.1% of it (60,000 draws), and the standard
// deviation is bound / sqrt(3) within 1%.
void expect_symmetric_uniform(const Tensor& t, double bound) {
  const Stats s = stats_of(t);
  EXPECT_LE(s.max_abs, bound);
  EXPECT_GT(s.max, 0.999 * bound);
  EXPECT_LT(s.min, -0.999 * bound);
  EXPECT_NEAR(s.mean, 0.0, 0.01 * bound);
  EXPECT_NEAR(s.stddev, bound / std::sqrt(3.0), 0.01 * bound);
}

// Mean 0 and the given standard deviation, each within 1% of stddev (the standard error is 0.4%).
void expect_centred_normal(const Tensor& t, double stddev) {
  const Stats s = stats_of(t);
  EXPECT_NEAR(s.mean, 0.0, 0.01 * stddev);
  EXPECT_NEAR(s.stddev, stddev, 0.01 * stddev);
}

TEST(Init, NormalHasTheRequestedMeanAndStd) {
  Generator gen(1);
  Tensor t = weight();
  init::normal_(t, gen, 2.0, 0.5);
  const Stats s = stats_of(t);
  EXPECT_NEAR(s.mean, 2.0, 0.005);
  EXPECT_NEAR(s.stddev, 0.5, 0.005);
}

TEST(Init, UniformStaysInsideItsBounds) {
  Generator gen(2);
  Tensor t = weight(tg::kFloat32);
  init::uniform_(t, gen, -3.0, 5.0);
  const Stats s = stats_of(t);
  EXPECT_GE(s.min, -3.0);
  EXPECT_LE(s.max, 5.0);
  EXPECT_LT(s.min, -2.99);
  EXPECT_GT(s.max, 4.99);
  EXPECT_NEAR(s.mean, 1.0, 0.03);
  EXPECT_NEAR(s.stddev, 8.0 / std::sqrt(12.0), 0.03);
}

TEST(Init, NormalAndUniformDrawWhatRandnAndRandDraw) {
  Generator a(7);
  Generator b(7);
  Tensor t = weight();
  init::normal_(t, a, 0.5, 3.0);
  EXPECT_EQ(t.to_vector(), tg::randn({kFanIn, kFanOut}, b, tg::kFloat64, 0.5, 3.0).to_vector());
  init::uniform_(t, a, -1.0, 2.0);
  EXPECT_EQ(t.to_vector(), tg::rand({kFanIn, kFanOut}, b, tg::kFloat64, -1.0, 2.0).to_vector());
}

TEST(Init, SameSeedSameValuesOtherSeedOtherValues) {
  const std::vector<std::function<void(Tensor&, Generator&)>> initialisers = {
      [](Tensor& t, Generator& g) { init::normal_(t, g); },          [](Tensor& t, Generator& g) { init::uniform_(t, g); },
      [](Tensor& t, Generator& g) { init::xavier_uniform_(t, g); },  [](Tensor& t, Generator& g) { init::xavier_normal_(t, g); },
      [](Tensor& t, Generator& g) { init::kaiming_uniform_(t, g); }, [](Tensor& t, Generator& g) { init::kaiming_normal_(t, g); },
      [](Tensor& t, Generator& g) { init::scaled_normal_(t, g); }};
  for (const auto& fill : initialisers) {
    Tensor first = weight();
    Tensor again = weight();
    Tensor other = weight();
    Generator g1(42);
    Generator g2(42);
    Generator g3(43);
    fill(first, g1);
    fill(again, g2);
    fill(other, g3);
    EXPECT_EQ(first.to_vector(), again.to_vector());
    EXPECT_NE(first.to_vector(), other.to_vector());
  }
}

TEST(Init, XavierUniformBoundIsGainTimesRootSixOverFans) {
  Generator gen(3);
  Tensor t = weight();
  init::xavier_uniform_(t, gen);
  expect_symmetric_uniform(t, 0.10954451150103323);  // sqrt(6 / (300 + 200))
  init::xavier_uniform_(t, gen, 2.0);
  expect_symmetric_uniform(t, 0.21908902300206645);  // 2 sqrt(6 / 500)
  Tensor bias = tg::zeros({60000}, tg::kFloat64);    // 1-d: fan_in = fan_out = 60000
  init::xavier_uniform_(bias, gen);
  expect_symmetric_uniform(bias, std::sqrt(6.0 / 120000.0));
}

TEST(Init, XavierNormalStdIsGainTimesRootTwoOverFans) {
  Generator gen(4);
  Tensor t = weight();
  init::xavier_normal_(t, gen);
  expect_centred_normal(t, 0.06324555320336758);  // sqrt(2 / 500)
  init::xavier_normal_(t, gen, 0.5);
  expect_centred_normal(t, 0.5 * 0.06324555320336758);
}

TEST(Init, KaimingUsesFanIn) {
  Generator gen(5);
  Tensor t = weight();
  init::kaiming_uniform_(t, gen);
  expect_symmetric_uniform(t, 0.1414213562373095);  // sqrt(6 / 300)
  init::kaiming_normal_(t, gen);
  expect_centred_normal(t, 0.08164965809277261);  // sqrt(2 / 300)
}

TEST(Init, ScaledNormalIsTheTutorialsRandnOverRootFanIn) {
  Generator a(6);
  Generator b(6);
  Tensor t = weight();
  init::scaled_normal_(t, a);
  const std::vector<double> z = tg::randn({kFanIn, kFanOut}, b, tg::kFloat64).to_vector();
  const std::vector<double> got = t.to_vector();
  for (std::size_t i = 0; i < z.size(); ++i) ASSERT_EQ(got[i], z[i] / std::sqrt(300.0)) << i;
  expect_centred_normal(t, 1.0 / std::sqrt(300.0));
}

TEST(Init, WritesInPlaceWithoutRecording) {
  Generator gen(8);
  Tensor p = tg::ones({4, 3}, tg::kFloat64).requires_grad_();
  const Tensor alias = p;  // a handle on the same storage, as an optimizer holds it
  const std::size_t before = tg::tape_size();
  init::kaiming_uniform_(p, gen);
  EXPECT_EQ(tg::tape_size(), before);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(alias.to_vector(), p.to_vector());
  EXPECT_NE(p.at({0, 0}), 1.0);
  init::zeros_(p);
  EXPECT_EQ(alias.to_vector(), std::vector<double>(12, 0.0));
  EXPECT_EQ(tg::tape_size(), before);
}

TEST(Init, RejectsUndefinedAndScalarTensorsAndBadParameters) {
  Generator gen(9);
  Tensor undefined;
  Tensor scalar = tg::scalar_tensor(1.0, tg::kFloat64);
  Tensor t = weight();
  const auto message = [](const char* text) { return ThrowsMessage<std::invalid_argument>(HasSubstr(text)); };
  EXPECT_THAT([&] { init::normal_(undefined, gen); }, message("init::normal_: the tensor is undefined"));
  EXPECT_THAT([&] { init::uniform_(undefined, gen); }, message("init::uniform_: the tensor is undefined"));
  EXPECT_THAT([&] { init::zeros_(undefined); }, message("init::zeros_: the tensor is undefined"));
  EXPECT_THAT([&] { init::xavier_uniform_(undefined, gen); }, message("init::xavier_uniform_: the tensor is undefined"));
  EXPECT_THAT([&] { init::scaled_normal_(undefined, gen); }, message("init::scaled_normal_: the tensor is undefined"));
  EXPECT_THAT([&] { init::xavier_normal_(scalar, gen); },
              message("init::xavier_normal_: needs a tensor with at least 1 dimension, got shape []"));
  EXPECT_THAT([&] { init::kaiming_uniform_(scalar, gen); }, message("init::kaiming_uniform_: needs a tensor with at least 1"));
  EXPECT_THAT([&] { init::kaiming_normal_(scalar, gen); }, message("init::kaiming_normal_: needs a tensor with at least 1"));
  EXPECT_THAT([&] { init::normal_(t, gen, 0.0, -1.0); }, message("init::normal_: stddev must be non-negative, got -1"));
  EXPECT_THAT([&] { init::uniform_(t, gen, 1.0, 1.0); }, message("init::uniform_: low (1) must be below high (1)"));
  EXPECT_THAT([&] { init::xavier_uniform_(t, gen, -2.0); }, message("init::xavier_uniform_: gain must be non-negative"));
  EXPECT_THAT([&] { init::xavier_normal_(t, gen, NAN); }, message("init::xavier_normal_: gain must be non-negative"));
}

}  // namespace
