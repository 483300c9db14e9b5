// The Hessian example's figures (examples/hessian.cpp, on examples/hessian_221.hpp): the 9x9 Hessian of
// the tutorial 2-2-1 network's loss by tg::autograd::hessian against finite differences of the autograd
// gradient, and its output neuron's block against the closed form derived by hand.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hessian_221.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace net = examples::hessian_221;

std::vector<double> hessian_at(const tg::Tensor& theta) {
  const tg::Tensor h = tg::autograd::hessian(net::loss, theta);
  EXPECT_EQ(h.shape().str(), tg::Shape({9, 9}).str());
  return h.to_vector();
}

// The five-point stencil's truncation error is h^4 |g^(5)| / 30; the inputs reach 25, so a fifth derivative
// by w1..w4 carries up to 25^5 ~ 1e7 (times sigmoid derivatives below 1): ~ 3e-11 at h = 1e-4 (at 1e-3 it
// reaches 1.6e-7 for seed 1's w3, w3 entry). Rounding adds ~ 1e-16 |g| / h ~ 1e-11: 1e-8 is safe.
// Seeds 4 (the example's) and 1, 2 (other weights, so that the check is not one lucky point).
TEST(HessianExample, MatchesFiniteDifferencesOfTheGradient) {
  for (const std::uint64_t seed : {4, 1, 2}) {
    const tg::Tensor theta = net::initial_parameters(seed);
    const std::vector<double> h = hessian_at(theta);
    const auto fd = net::finite_difference_hessian(net::gradient, theta.to_vector());
    for (std::size_t i = 0; i < 9; ++i)
      for (std::size_t j = 0; j < 9; ++j) {
        const std::string where = "seed " + std::to_string(seed) + ", " + net::kNames[i] + ", " + net::kNames[j];
        EXPECT_NEAR(h[i * 9 + j], fd[i][j], 1e-8) << where;
        // H[i][j] and H[j][i] come from different sweeps, summed in other orders: equal to rounding.
        EXPECT_NEAR(h[i * 9 + j], h[j * 9 + i], 1e-15) << where;
      }
  }
}

// Both sides sum the same four terms in a different order: rounding differs by a few ulps of values below 1.
TEST(HessianExample, OutputNeuronBlockMatchesTheClosedForm) {
  for (const std::uint64_t seed : {4, 1, 2}) {
    const tg::Tensor theta = net::initial_parameters(seed);
    const std::vector<double> h = hessian_at(theta);
    const auto block = net::output_block_closed_form(theta.to_vector());
    for (std::size_t a = 0; a < 3; ++a)
      for (std::size_t b = 0; b < 3; ++b) {
        const std::size_t i = net::kOutputBlock + a, j = net::kOutputBlock + b;
        EXPECT_NEAR(h[i * 9 + j], block[a][b], 1e-12) << "seed " << seed << ", " << net::kNames[i] << ", "
                                                      << net::kNames[j];
      }
  }
}

// The flat parameters are gender.cpp's Sequential's, drawn in its order: the first is hidden.weight[0][0].
TEST(HessianExample, ParametersAreGenderExampleInitialWeights) {
  tg::Generator gen(4);
  const tg::Tensor expected = tg::randn({9}, gen, tg::kFloat64);
  const std::vector<double> theta = net::initial_parameters(4).to_vector(), drawn = expected.to_vector();
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(theta[i], drawn[i]) << net::kNames[i];
}

}  // namespace
