// The benchmark's yardstick checked: bench/manual.cpp's hand-written net and tapegrad's autograd net
// (bench/autograd_net.hpp), started from the same weights on the same batch, compute the same losses and
// weights step after step, so that the autograd/manual ratios of the benchmark table compare like with
// like. wide is left out (the same code as fashion, 60 times the work).
//
// The weights are compared in float64 (both nets are templates on the element type; the benchmark times
// the float32 instantiation of the same code). In float32 the comparison cannot be sound: one Adam step
// moves a weight by about lr whatever the size of its gradient, so a gradient that cancels down to the
// size of its rounding error can move its weight by up to 2·lr differently under two correct summation
// orders, and OpenBLAS's kernels (Haswell, SkylakeX, Cooperlake) sum in different orders.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd_net.hpp"
#include "manual.hpp"
#include "workloads.hpp"

namespace {

using tg::bench::Workload;

const Workload& workload(const std::string& name) {
  return *std::find_if(tg::bench::kWorkloads.begin(), tg::bench::kWorkloads.end(),
                       [&](const Workload& w) { return w.name == name; });
}

// Copies the hand-written net's weights and biases into the autograd model (both lay a weight out as
// (in, out); parameters() lists weight then bias, layer by layer).
template <class T>
void copy_weights(tg::bench::manual::BasicNet<T>& from, tg::nn::Module& to, int layers) {
  const std::vector<tg::Tensor> params = to.parameters();
  ASSERT_EQ(params.size(), static_cast<std::size_t>(2 * layers));
  for (int l = 0; l < layers; ++l) {
    const std::span<T> w = from.weight(l);
    const std::span<T> b = from.bias(l);
    ASSERT_EQ(params[2 * l].numel(), static_cast<std::int64_t>(w.size()));
    ASSERT_EQ(params[2 * l + 1].numel(), static_cast<std::int64_t>(b.size()));
    std::copy(w.begin(), w.end(), params[2 * l].data<T>());
    std::copy(b.begin(), b.end(), params[2 * l + 1].data<T>());
  }
}

// The largest |a - b| between the two nets' parameters.
template <class T>
double worst_weight_difference(tg::bench::manual::BasicNet<T>& manual, tg::nn::Module& model, int layers) {
  const std::vector<tg::Tensor> params = model.parameters();
  double worst = 0;
  for (int l = 0; l < layers; ++l)
    for (const auto& [reference, tensor] : {std::pair{manual.weight(l), params[2 * l]},
                                            std::pair{manual.bias(l), params[2 * l + 1]}}) {
      const T* p = tensor.template data<T>();
      for (std::size_t i = 0; i < reference.size(); ++i)
        worst = std::max(worst, std::abs(double{p[i]} - double{reference[i]}));
    }
  return worst;
}

constexpr int kSteps = 3;

class BenchReference : public testing::TestWithParam<std::string> {};

// float32, what the benchmark times: the losses of three steps agree. Measured worst relative difference
// 1.1e-6 under the Haswell, SkylakeX, Cooperlake and Zen kernels (2026-12-01); the bound is 9x that,
// about 170 float32 roundings (u = 6e-8), where the rounding of sums of K terms grows as sqrt(K)·u and a
// wrong step (a missed bias gradient, a wrong scale) moves the second and third losses by 1e-3 or more.
// The few weights that Adam moves differently (above) have gradients near 0, so they barely move the loss.
TEST_P(BenchReference, Float32LossesAgree) {
  const Workload& w = workload(GetParam());
  const tg::bench::Batch batch = tg::bench::make_batch(w);
  tg::bench::manual::Net manual(w);
  tg::bench::AutogradNet autograd(w, batch);
  copy_weights(manual, autograd.model(), w.num_layers());
  for (int step = 1; step <= kSteps; ++step) {
    const double manual_loss = manual.train_step(batch);
    const double autograd_loss = autograd.step().item();
    EXPECT_NEAR(autograd_loss, manual_loss, 1e-5 * std::abs(manual_loss)) << "loss at step " << step;
  }
}

// float64: losses and weights after three steps agree to a bound derived from the update rules. Each
// gradient is a sum of at most K = 784 products of magnitude below 1 here, so two summation orders give
// gradients within δ = 2·K·u ≈ 1.7e-13 (u = 2^-53) of each other. An SGD step turns that into a weight
// difference of lr·δ; an Adam step, whose update g/(|g| + eps) has slope at most 1/eps, into lr·δ/eps.
// Over three steps these add up; the differences they feed into the next gradients are second order
// (the gradient moves by the Hessian times a weight difference of 1e-13 or less). Measured worst
// differences: 0 (zhou), 2.8e-17 (digits), 8.0e-15 (fashion), under four kernels.
TEST_P(BenchReference, Float64StepsAgree) {
  const Workload& w = workload(GetParam());
  const tg::bench::BasicBatch<double> batch = tg::bench::make_batch<double>(w);
  tg::bench::manual::BasicNet<double> manual(w);
  tg::bench::AutogradNet autograd(w, batch);
  copy_weights(manual, autograd.model(), w.num_layers());
  for (int step = 1; step <= kSteps; ++step) {
    const double manual_loss = manual.train_step(batch);
    const double autograd_loss = autograd.step().item();
    EXPECT_NEAR(autograd_loss, manual_loss, 1e-12 * std::abs(manual_loss)) << "loss at step " << step;
  }
  const double delta = 2 * 784 * std::numeric_limits<double>::epsilon() / 2;
  const double per_step = w.optimizer == tg::bench::Optimizer::kAdam ? w.lr * delta / tg::bench::kAdamEps : w.lr * delta;
  const double worst = worst_weight_difference(manual, autograd.model(), w.num_layers());
  EXPECT_LE(worst, kSteps * per_step);
}

INSTANTIATE_TEST_SUITE_P(Workloads, BenchReference, testing::Values("zhou", "digits", "fashion"),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
