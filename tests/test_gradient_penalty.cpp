// The gradient-penalty loss of examples/gradient_penalty.cpp (examples/gradient_penalty.hpp): its
// gradient reaches the weights through the penalty term, and equals central finite differences of the
// total loss with respect to weight elements.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gradient_penalty.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace gp = examples::gradient_penalty;
using PerSample = std::function<tg::Tensor(const tg::Tensor&, const tg::Tensor&)>;

// A small float64 MLP, 4 -> 5 sigmoid -> 3, and a batch of 6 rows with their classes.
struct SmallNet {
  SmallNet() {
    const tg::nn::LinearOptions f64{.dtype = tg::kFloat64};
    tg::Generator gen(7);
    model = std::make_shared<tg::nn::Sequential>(std::make_shared<tg::nn::Linear>(4, 5, gen, f64),
                                                 std::make_shared<tg::nn::Sigmoid>(),
                                                 std::make_shared<tg::nn::Linear>(5, 3, gen, f64));
    x = tg::randn({6, 4}, gen, tg::kFloat64);
    labels = tg::tensor(std::vector<std::int64_t>{0, 2, 1, 1, 0, 2}, {6});
  }
  std::shared_ptr<tg::nn::Sequential> model;
  tg::Tensor x, labels;
};

PerSample cross_entropy_per_row() {
  return [](const tg::Tensor& logits, const tg::Tensor& y) {
    return tg::nn::cross_entropy(logits, y, tg::nn::Reduction::None);
  };
}

// The total loss's gradient by autograd, then by central differences (step 1e-6: truncation h^2 |f'''| / 6
// ~ 1e-13 for these O(1) derivatives, rounding ~ 1e-16 / 1e-6 = 1e-10), for the first elements of every
// parameter; 1e-8 is a few hundred times both errors.
void expect_gradient_matches_finite_differences(const PerSample& per_sample, double lambda) {
  SmallNet s;
  const auto model = [&](const tg::Tensor& in) { return (*s.model)(in); };
  s.model->zero_grad();
  gp::penalized_loss(model, per_sample, s.x, s.labels, lambda).total.backward();
  for (tg::Tensor& p : s.model->parameters()) {
    const std::vector<double> grad = p.grad().to_vector();
    for (std::int64_t k = 0; k < std::min<std::int64_t>(p.numel(), 4); ++k) {
      const auto total_at = [&](double step) {
        p.data<double>()[k] += step;  // a raw write: the recorded graph above has been swept already
        const double t = gp::penalized_loss(model, per_sample, s.x, s.labels, lambda).total.item();
        p.data<double>()[k] -= step;
        return t;
      };
      constexpr double kStep = 1e-6;
      const double fd = (total_at(kStep) - total_at(-kStep)) / (2 * kStep);
      EXPECT_NEAR(grad[static_cast<std::size_t>(k)], fd, 1e-8) << p.shape().str() << " element " << k;
    }
  }
}

// With lambda = 0 the penalty adds nothing; with lambda = 1 the weights' gradient changes: the
// penalty's gradient reaches them (before create_graph it silently did not).
TEST(GradientPenalty, PenaltyGradientReachesTheWeights) {
  SmallNet s;
  const auto model = [&](const tg::Tensor& in) { return (*s.model)(in); };
  std::vector<std::vector<double>> grads[2];
  for (int i = 0; i < 2; ++i) {
    s.model->zero_grad();
    const gp::PenalizedLoss loss = gp::penalized_loss(model, gp::cross_entropy_per_row, s.x, s.labels, i);
    EXPECT_GT(loss.penalty.item(), 0.0);
    loss.total.backward();
    for (const tg::Tensor& p : s.model->parameters()) grads[i].push_back(p.grad().to_vector());
  }
  for (std::size_t j = 0; j < grads[0].size(); ++j) EXPECT_NE(grads[0][j], grads[1][j]) << "parameter " << j;
}

TEST(GradientPenalty, ComposedCrossEntropyGradientMatchesFiniteDifferences) {
  expect_gradient_matches_finite_differences(gp::cross_entropy_per_row, 1.0);
}

TEST(GradientPenalty, ComposedCrossEntropyEqualsTheLibrarys) {
  SmallNet s;
  const tg::Tensor logits = (*s.model)(s.x);
  const std::vector<double> composed = gp::cross_entropy_per_row(logits, s.labels).to_vector();
  const std::vector<double> library = cross_entropy_per_row()(logits, s.labels).to_vector();
  for (std::size_t i = 0; i < composed.size(); ++i) EXPECT_NEAR(composed[i], library[i], 1e-15) << "row " << i;
}

}  // namespace
