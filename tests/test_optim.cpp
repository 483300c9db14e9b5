// tg::optim: optimizers checked against hand-computed steps and PyTorch 1.13 trajectories, hyper-parameter
// validation, state_dict round trips, allocation-free steps and the schedules (clipping: test_clip.cpp).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "heap_counter.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/ops.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tensor.hpp"
#include "testing.hpp"

namespace {

using namespace tg::optim;  // NOLINT: the tests read like user code
using testing::HasSubstr;
using testing_support::message_of;
using testing_support::param;
using testing_support::set_grad;
using tg::Tensor;

void expect_close(double actual, double expected, double rel = 1e-12) {
  EXPECT_NEAR(actual, expected, rel * std::abs(expected)) << "expected " << expected;
}

/// Two steps with gradients g1 then g2 on a one-element parameter; returns θ after each.
std::pair<double, double> two_steps(Optimizer& opt, double g1, double g2) {
  Tensor p = opt.params()[0];
  set_grad(p, {g1});
  opt.step();
  const double theta1 = p.item();
  set_grad(p, {g2});
  opt.step();
  return {theta1, p.item()};
}

// The message of the std::invalid_argument that fn throws.
std::string invalid_argument_of(const std::function<void()>& fn) { return message_of<std::invalid_argument>(fn); }

// ---- hand-computed first and second steps: θ0 = 1.5, g1 = 0.5, g2 = -0.25 ----

constexpr double kTheta0 = 1.5, kG1 = 0.5, kG2 = -0.25;

TEST(OptimHand, SgdMomentumDampening) {
  SGD opt({param({kTheta0})}, SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.2});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double b1 = kG1;                    // b1 = g1
  const double b2 = 0.9 * b1 + 0.8 * kG2;   // b2 = μ b1 + (1 - τ) g2
  expect_close(theta1, kTheta0 - 0.1 * b1);
  expect_close(theta2, kTheta0 - 0.1 * b1 - 0.1 * b2);
}

TEST(OptimHand, SgdNesterovWeightDecay) {
  SGD opt({param({kTheta0})}, SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double d1 = kG1 + 0.01 * kTheta0;  // g + λθ
  const double b1 = d1;
  const double expected1 = kTheta0 - 0.1 * (d1 + 0.9 * b1);
  const double d2 = kG2 + 0.01 * expected1;
  const double b2 = 0.9 * b1 + d2;
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 * (d2 + 0.9 * b2));
}

TEST(OptimHand, SgdWeightDecay) {
  SGD opt({param({kTheta0})}, SGDOptions{.lr = 0.1, .weight_decay = 0.1});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double expected1 = kTheta0 - 0.1 * (kG1 + 0.1 * kTheta0);
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 * (kG2 + 0.1 * expected1));
}

TEST(OptimHand, Adagrad) {
  Adagrad opt({param({kTheta0})}, AdagradOptions{.lr = 0.1});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double s1 = kG1 * kG1, s2 = s1 + kG2 * kG2;  // s = s + g²
  const double expected1 = kTheta0 - 0.1 * kG1 / (std::sqrt(s1) + 1e-10);
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 * kG2 / (std::sqrt(s2) + 1e-10));
}

TEST(OptimHand, AdagradLrDecayInitialAccumulatorWeightDecay) {
  Adagrad opt({param({kTheta0})},
              AdagradOptions{.lr = 0.1, .lr_decay = 0.5, .weight_decay = 0.2, .initial_accumulator_value = 0.1});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double d1 = kG1 + 0.2 * kTheta0, s1 = 0.1 + d1 * d1;
  const double expected1 = kTheta0 - 0.1 / (1 + 0 * 0.5) * d1 / (std::sqrt(s1) + 1e-10);
  const double d2 = kG2 + 0.2 * expected1, s2 = s1 + d2 * d2;
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 / (1 + 1 * 0.5) * d2 / (std::sqrt(s2) + 1e-10));
}

TEST(OptimHand, Rmsprop) {
  RMSprop opt({param({kTheta0})});  // lr 0.01, alpha 0.99, eps 1e-8
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double v1 = 0.01 * kG1 * kG1, v2 = 0.99 * v1 + 0.01 * kG2 * kG2;  // v = α v + (1 - α) g²
  const double expected1 = kTheta0 - 0.01 * kG1 / (std::sqrt(v1) + 1e-8);
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.01 * kG2 / (std::sqrt(v2) + 1e-8));
}

TEST(OptimHand, RmspropCenteredMomentum) {
  RMSprop opt({param({kTheta0})}, RMSpropOptions{.alpha = 0.9, .eps = 1e-6, .momentum = 0.8, .centered = true});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double v1 = 0.1 * kG1 * kG1, mean1 = 0.1 * kG1;  // v and ḡ
  const double b1 = kG1 / (std::sqrt(v1 - mean1 * mean1) + 1e-6);
  const double v2 = 0.9 * v1 + 0.1 * kG2 * kG2, mean2 = 0.9 * mean1 + 0.1 * kG2;
  const double b2 = 0.8 * b1 + kG2 / (std::sqrt(v2 - mean2 * mean2) + 1e-6);  // b = μ b + g / avg
  expect_close(theta1, kTheta0 - 0.01 * b1);
  expect_close(theta2, kTheta0 - 0.01 * b1 - 0.01 * b2);
}

TEST(OptimHand, Adam) {
  Adam opt({param({kTheta0})}, AdamOptions{.lr = 0.1});
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double m1 = 0.1 * kG1, v1 = 0.001 * kG1 * kG1;
  const double expected1 = kTheta0 - 0.1 / (1 - 0.9) * m1 / (std::sqrt(v1) / std::sqrt(1 - 0.999) + 1e-8);
  const double m2 = 0.9 * m1 + 0.1 * kG2, v2 = 0.999 * v1 + 0.001 * kG2 * kG2;
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 / (1 - 0.9 * 0.9) * m2 /
                                       (std::sqrt(v2) / std::sqrt(1 - 0.999 * 0.999) + 1e-8));
}

TEST(OptimHand, AdamAmsgradUsesTheLargestSecondMoment) {
  Adam opt({param({kTheta0})}, AdamOptions{.lr = 0.1, .betas = {0.9, 0.9}, .amsgrad = true});
  const auto [theta1, theta2] = two_steps(opt, 2.0, 0.5);
  const double m1 = 0.1 * 2.0, v1 = 0.1 * 4.0;
  const double m2 = 0.9 * m1 + 0.1 * 0.5, v2 = 0.9 * v1 + 0.1 * 0.25;
  ASSERT_LT(v2, v1);  // so the max matters
  const double expected1 = kTheta0 - 0.1 / (1 - 0.9) * m1 / (std::sqrt(v1) / std::sqrt(1 - 0.9) + 1e-8);
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 - 0.1 / (1 - 0.81) * m2 / (std::sqrt(v1) / std::sqrt(1 - 0.81) + 1e-8));
}

TEST(OptimHand, AdamWDecouplesWeightDecay) {
  AdamW opt({param({kTheta0})}, AdamWOptions{.lr = 0.1});  // weight_decay 0.01
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double m1 = 0.1 * kG1, v1 = 0.001 * kG1 * kG1;
  const double expected1 =
      kTheta0 * (1 - 0.1 * 0.01) - 0.1 / (1 - 0.9) * m1 / (std::sqrt(v1) / std::sqrt(1 - 0.999) + 1e-8);
  const double m2 = 0.9 * m1 + 0.1 * kG2, v2 = 0.999 * v1 + 0.001 * kG2 * kG2;
  expect_close(theta1, expected1);
  expect_close(theta2, expected1 * (1 - 0.1 * 0.01) - 0.1 / (1 - 0.81) * m2 /
                                                          (std::sqrt(v2) / std::sqrt(1 - 0.999 * 0.999) + 1e-8));
}

TEST(OptimHand, Adadelta) {
  Adadelta opt({param({kTheta0})});  // lr 1, rho 0.9, eps 1e-6
  const auto [theta1, theta2] = two_steps(opt, kG1, kG2);
  const double v1 = 0.1 * kG1 * kG1;
  const double delta1 = std::sqrt(0 + 1e-6) / std::sqrt(v1 + 1e-6) * kG1;  // Δ = √(u + ε) / √(v + ε) g
  const double u1 = 0.1 * delta1 * delta1;
  const double v2 = 0.9 * v1 + 0.1 * kG2 * kG2;
  const double delta2 = std::sqrt(u1 + 1e-6) / std::sqrt(v2 + 1e-6) * kG2;
  expect_close(theta1, kTheta0 - delta1);
  expect_close(theta2, kTheta0 - delta1 - delta2);
}

// ---- five steps against PyTorch ----

// Generated by tests/pytorch_optim_reference.py with torch 1.13.0a0 (Debian python3-torch 1.13.1).
// THETA0 = [0.5, -1.25, 2.0]; row t is the parameter after step t with gradient kGrads[t].
constexpr double kGrads[5][3] = {
    {0.25, -0.5, 1.0}, {-0.125, 0.75, 0.5}, {0.375, 0.25, -1.5}, {0.0625, -1.0, 0.25}, {-0.5, 0.125, 0.75}};
// SGD(lr=0.1)
constexpr double kSgdPlain[5][3] = {
    {0.47499999999999998, -1.2, 1.8999999999999999},
    {0.48749999999999999, -1.2749999999999999, 1.8499999999999999},
    {0.45000000000000001, -1.2999999999999998, 1.9999999999999998},
    {0.44375000000000003, -1.1999999999999997, 1.9749999999999999},
    {0.49375000000000002, -1.2124999999999997, 1.8999999999999999},
};
// SGD(lr=0.1, momentum=0.9, dampening=0.1)
constexpr double kSgdMomentum[5][3] = {
    {0.47499999999999998, -1.2, 1.8999999999999999},
    {0.46375, -1.2224999999999999, 1.7649999999999999},
    {0.419875, -1.26525, 1.7785},
    {0.3747625, -1.2137249999999999, 1.7681499999999999},
    {0.37916125000000001, -1.1786025, 1.6913349999999998},
};
// SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
constexpr double kSgdNesterov[5][3] = {
    {0.45155000000000001, -1.152625, 1.8062},
    {0.45378705499999999, -1.2514225125, 1.62514822},
    {0.37284460409550002, -1.3189999334762501, 1.7907394163820001},
    {0.32157140188316857, -1.1659397927425204, 1.7553317216326743},
    {0.37577509437217821, -1.1409074804160813, 1.6017413315619227},
};
// SGD(lr=0.1, weight_decay=0.1)
constexpr double kSgdWeightDecay[5][3] = {
    {0.46999999999999997, -1.1875, 1.8799999999999999},
    {0.47779999999999995, -1.2506250000000001, 1.8111999999999999},
    {0.43552199999999996, -1.2631187500000001, 1.9430879999999999},
    {0.42491677999999994, -1.1504875624999999, 1.89865712},
    {0.47066761219999992, -1.1514826868749999, 1.8046705487999999},
};
// Adagrad(lr=0.1)
constexpr double kAdagrad[5][3] = {
    {0.40000000004000003, -1.1500000000199999, 1.9000000000099999},
    {0.44472135957399583, -1.2332050294445536, 1.855278640464004},
    {0.36454298701741139, -1.2599311536329389, 1.9354570130334456},
    {0.35129766344956798, -1.1869014793042501, 1.9222116894634969},
    {0.42402493616626219, -1.1959923883944981, 1.8852842421715152},
};
// Adagrad(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-08)
constexpr double kAdagradDecay[5][3] = {
    {0.44429139958136721, -1.1686749949791566, 1.9062957435985437},
    {0.45838371804811839, -1.2292317979535521, 1.8610894814452827},
    {0.40279094307229291, -1.2407404124926507, 1.922017312266137},
    {0.38994658443345204, -1.1758811519949337, 1.902883774484426},
    {0.43597289292527608, -1.1762909945748448, 1.8675681807855233},
};
// RMSprop(lr=0.01)
constexpr double kRmsprop[5][3] = {
    {0.40000003999998407, -1.150000019999996, 1.900000009999999},
    {0.4449013493776513, -1.233333344074071, 1.8550986885255629},
    {0.36446518511995241, -1.2602228351642366, 1.935534865723217},
    {0.35111227785986709, -1.1868154876871313, 1.9221819563235298},
    {0.42428711432981681, -1.1959986648517933, 1.8848346336416326},
};
// RMSprop(lr=0.01, alpha=0.9, eps=1e-06, weight_decay=0.1, momentum=0.8, centered=True)
constexpr double kRmspropCenteredMomentum[5][3] = {
    {0.46666703703292184, -1.2166668444434963, 1.9666667592590021},
    {0.44857491331324362, -1.2130062037496132, 1.9218030391270824},
    {0.40576975786260089, -1.2149958854370582, 1.9086605886409593},
    {0.36422576447531951, -1.1900542158044629, 1.8902629577783985},
    {0.35335687978641983, -1.170249949804532, 1.85965814047123},
};
// Adam(lr=0.1)
constexpr double kAdam[5][3] = {
    {0.4000000039999998, -1.1500000020000001, 1.900000001},
    {0.3733663013817326, -1.174770183224827, 1.806782038298161},
    {0.30983428539971059, -1.210303622027229, 1.8149797180073588},
    {0.25054854435659379, -1.1877140807864734, 1.8139320489535402},
    {0.25587579710592728, -1.1736639854354585, 1.7929429851397711},
};
// Adam(lr=0.1, betas=(0.8, 0.99), eps=1e-06, weight_decay=0.1, amsgrad=True)
constexpr double kAdamAmsgradWeightDecay[5][3] = {
    {0.40000033333222224, -1.150000159999744, 1.900000083333264},
    {0.36086091612664994, -1.1619040521293971, 1.8062295187872313},
    {0.28735447610935339, -1.1809998209202142, 1.8062064037818788},
    {0.22015515199977737, -1.1374893902554128, 1.7912809386489439},
    {0.22600446922353062, -1.1039179987981742, 1.7521536724457756},
};
// AdamW(lr=0.1)
constexpr double kAdamW[5][3] = {
    {0.39950000399999985, -1.1487500019999999, 1.898000001},
    {0.37246680137773264, -1.1723714332228268, 1.8028840382971609},
    {0.30856231859433286, -1.206732500592006, 1.8092788339680617},
    {0.24896801523262174, -1.1829362268506585, 1.8064218860802752},
    {0.25404629996672262, -1.1677031952727928, 1.7836264003804259},
};
// AdamW(lr=0.1, betas=(0.85, 0.95), weight_decay=0.1, amsgrad=True)
constexpr double kAdamWAmsgrad[5][3] = {
    {0.39500000399999979, -1.1375000019999999, 1.880000001},
    {0.36693302100381764, -1.1535523576258375, 1.7681773488872938},
    {0.29916834762183891, -1.1801130281285275, 1.7630650380353414},
    {0.2378119940283564, -1.1432824863173958, 1.7470634936638283},
    {0.24594133441338892, -1.1170334954208039, 1.7084343796288615},
};
// Adadelta()
constexpr double kAdadelta[5][3] = {
    {0.4968379752916906, -1.2468377855834876, 1.9968377381511013},
    {0.49892289100560044, -1.2506173685211797, 1.9947526082891076},
    {0.49492423568782551, -1.2522597088195868, 1.9987515469727004},
    {0.49403730534582546, -1.2478027125163873, 1.9978645445941252},
    {0.4986664988023341, -1.2485230512327425, 1.9953800067548437},
};
// Adadelta(lr=0.5, rho=0.8, eps=1e-05, weight_decay=0.1)
constexpr double kAdadeltaWeightDecay[5][3] = {
    {0.49646544777780294, -1.2464646923465172, 1.9964645274732657},
    {0.49781666052965945, -1.2501921570587018, 1.9937341849628389},
    {0.49356385499471767, -1.2511834222104905, 1.9978406608395483},
    {0.49200671533801549, -1.2462977630522782, 1.9960067592349662},
    {0.49652115732398394, -1.2463000429530242, 1.9925089016770934},
};
// Adam(lr=0.1) on float32: float math throughout, as tapegrad does for float32 parameters.
constexpr double kAdamFloat32[5][3] = {
    {0.40000000596046448, -1.1499999761581421, 1.8999999761581421},
    {0.37336629629135132, -1.1747701168060303, 1.8067820072174072},
    {0.30983427166938782, -1.2103035449981689, 1.8149796724319458},
    {0.25054854154586792, -1.1877139806747437, 1.8139320611953735},
    {0.25587579607963562, -1.173663854598999, 1.792943000793457},
};

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;
struct ReferenceCase {
  const char* name;
  Factory make;
  const double (*expected)[3];
};

template <class Opt, class Options>
Factory factory(Options options) {
  return [options](std::vector<Tensor> params) { return std::make_unique<Opt>(std::move(params), options); };
}

std::vector<ReferenceCase> reference_cases() {
  return {
      {"SGD", factory<SGD>(SGDOptions{.lr = 0.1}), kSgdPlain},
      {"SGD momentum", factory<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1}), kSgdMomentum},
      {"SGD nesterov", factory<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true}),
       kSgdNesterov},
      {"SGD weight decay", factory<SGD>(SGDOptions{.lr = 0.1, .weight_decay = 0.1}), kSgdWeightDecay},
      {"Adagrad", factory<Adagrad>(AdagradOptions{.lr = 0.1}), kAdagrad},
      {"Adagrad decay",
       factory<Adagrad>(AdagradOptions{
           .lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.1, .initial_accumulator_value = 0.2, .eps = 1e-8}),
       kAdagradDecay},
      {"RMSprop", factory<RMSprop>(RMSpropOptions{}), kRmsprop},
      {"RMSprop centered momentum",
       factory<RMSprop>(RMSpropOptions{
           .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.1, .momentum = 0.8, .centered = true}),
       kRmspropCenteredMomentum},
      {"Adam", factory<Adam>(AdamOptions{.lr = 0.1}), kAdam},
      {"Adam amsgrad weight decay",
       factory<Adam>(AdamOptions{.lr = 0.1, .betas = {0.8, 0.99}, .eps = 1e-6, .weight_decay = 0.1, .amsgrad = true}),
       kAdamAmsgradWeightDecay},
      {"AdamW", factory<AdamW>(AdamWOptions{.lr = 0.1}), kAdamW},
      {"AdamW amsgrad",
       factory<AdamW>(AdamWOptions{.lr = 0.1, .betas = {0.85, 0.95}, .weight_decay = 0.1, .amsgrad = true}),
       kAdamWAmsgrad},
      {"Adadelta", factory<Adadelta>(AdadeltaOptions{}), kAdadelta},
      {"Adadelta weight decay",
       factory<Adadelta>(AdadeltaOptions{.lr = 0.5, .rho = 0.8, .eps = 1e-5, .weight_decay = 0.1}),
       kAdadeltaWeightDecay},
  };
}

void expect_trajectory(const ReferenceCase& c, tg::Dtype dtype, double rel) {
  SCOPED_TRACE(c.name);
  Tensor p = param({0.5, -1.25, 2.0}, dtype);
  const std::unique_ptr<Optimizer> opt = c.make({p});
  for (int t = 0; t < 5; ++t) {
    set_grad(p, {kGrads[t][0], kGrads[t][1], kGrads[t][2]});
    opt->step();
    for (int j = 0; j < 3; ++j) expect_close(p.at({j}), c.expected[t][j], rel);
  }
}

TEST(OptimPytorch, FiveStepsOfEveryConfigurationMatchFloat64) {
  for (const ReferenceCase& c : reference_cases()) expect_trajectory(c, tg::kFloat64, 1e-12);
}

TEST(OptimPytorch, AdamInFloat32UsesFloatMath) {
  // Float arithmetic at every operation, as PyTorch: bit-identical on the development machine; two float
  // ulps of slack for compilers that contract a * b + c into one rounding.
  expect_trajectory({"Adam float32", factory<Adam>(AdamOptions{.lr = 0.1}), kAdamFloat32}, tg::kFloat32, 2.4e-7);
}

// ---- behaviour shared by every optimizer ----

TEST(Optim, SkipsParametersWithoutGradient) {
  for (const ReferenceCase& c : reference_cases()) {
    SCOPED_TRACE(c.name);
    Tensor a = param({1.0, 2.0}), b = param({3.0});
    const std::unique_ptr<Optimizer> opt = c.make({a, b});
    set_grad(b, {0.5});
    opt->step();
    EXPECT_EQ(a.to_vector(), (std::vector<double>{1.0, 2.0}));
    EXPECT_NE(b.item(), 3.0);
    const bool eager = std::string(c.name).starts_with("Adagrad");  // PyTorch's Adagrad creates state up front
    for (const auto& entry : opt->state_dict()) EXPECT_TRUE(eager || entry.first.starts_with("1.")) << entry.first;
  }
}

TEST(Optim, ZeroGradDropsEveryGradient) {
  Tensor a = param({1.0}), b = param({2.0});
  SGD opt({a, b}, SGDOptions{.lr = 0.1});
  set_grad(a, {1.0});
  set_grad(b, {1.0});
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Optim, StepsAfterTheFirstDoNotAllocate) {
  for (const tg::Dtype dtype : {tg::kFloat32, tg::kFloat64}) {
    for (const ReferenceCase& c : reference_cases()) {
      SCOPED_TRACE(c.name);
      Tensor w = tg::zeros({64, 32}, dtype).requires_grad_(), bias = tg::zeros({32}, dtype).requires_grad_();
      w.set_grad(tg::full({64, 32}, 0.25, dtype));
      bias.set_grad(tg::full({32}, -0.5, dtype));
      const std::unique_ptr<Optimizer> opt = c.make({w, bias});
      opt->step();
      const std::size_t heap_before = tapegrad_testing::operator_news.load();
      const std::size_t cache_before = tg::detail::cache_misses();
      for (int t = 0; t < 3; ++t) opt->step();
      EXPECT_EQ(tapegrad_testing::operator_news.load() - heap_before, 0u);
      EXPECT_EQ(tg::detail::cache_misses() - cache_before, 0u);
    }
  }
}

// ---- hyper-parameter validation ----

TEST(OptimValidation, RejectsBadParameterLists) {
  Tensor p = param({1.0});
  const SGDOptions sgd{.lr = 0.1};
  EXPECT_THAT(invalid_argument_of([&] { SGD({}, sgd); }), HasSubstr("SGD: the parameter list is empty"));
  EXPECT_THAT(invalid_argument_of([&] { SGD({Tensor()}, sgd); }), HasSubstr("SGD: parameter 0 is undefined"));
  EXPECT_THAT(invalid_argument_of([&] { SGD({p, tg::tensor({1.0})}, sgd); }),
              HasSubstr("SGD: parameter 1 does not require grad"));
  EXPECT_THAT(invalid_argument_of([&] { Adam({p * 2.0}); }), HasSubstr("Adam: parameter 0 is not a leaf"));
  EXPECT_THAT(invalid_argument_of([&] { Adam({p, p}); }),
              HasSubstr("Adam: parameter 1 is the same tensor as parameter 0"));
}

// detach() and reshape() share their source's storage: listing such an alias beside the parameter would
// update the same memory twice per step (issue 11).
TEST(OptimValidation, RejectsParametersThatShareStorage) {
  Tensor p = param({1.0, 2.0});
  Tensor q = param({3.0});
  Tensor detached = p.detach().requires_grad_();
  Tensor reshaped = [&] {
    const tg::NoGradGuard no_grad;  // a leaf, as the optimizer requires
    return p.reshape({2, 1});
  }();
  reshaped.requires_grad_();
  EXPECT_THAT(invalid_argument_of([&] { SGD({p, q, detached}, {.lr = 0.1}); }),
              HasSubstr("SGD: parameters 0 and 2 share their storage (one is a detach() or reshape() of the other), "
                        "so each step would update it twice; list one of them"));
  EXPECT_THAT(invalid_argument_of([&] { Adam({reshaped, q, p}); }),
              HasSubstr("Adam: parameters 0 and 2 share their storage"));
  // A clone() has storage of its own.
  EXPECT_NO_THROW(SGD({p, p.detach().clone().requires_grad_()}, {.lr = 0.1}));
}

TEST(OptimValidation, RejectsEveryBadHyperParameter) {
  const std::vector<Tensor> ps = {param({1.0})};
  const std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { SGD(ps, SGDOptions{}); }, "SGD: lr is required"},
      {[&] { SGD(ps, SGDOptions{.lr = -0.1}); }, "SGD: lr must be >= 0, got -0.1"},
      {[&] { SGD(ps, SGDOptions{.lr = std::nan("")}); }, "SGD: lr must be >= 0, got nan"},
      {[&] { SGD(ps, SGDOptions{.lr = std::numeric_limits<double>::infinity()}); }, "SGD: lr must be finite, got inf"},
      {[&] { SGD(ps, SGDOptions{.lr = 0.1, .momentum = -0.5}); }, "SGD: momentum must be >= 0, got -0.5"},
      {[&] { SGD(ps, SGDOptions{.lr = 0.1, .dampening = 1.5}); }, "SGD: dampening must be in [0, 1], got 1.5"},
      {[&] { SGD(ps, SGDOptions{.lr = 0.1, .weight_decay = -1}); }, "SGD: weight_decay must be >= 0, got -1"},
      {[&] { SGD(ps, SGDOptions{.lr = 0.1, .nesterov = true}); },
       "SGD: nesterov requires momentum > 0 and dampening = 0, got momentum 0 and dampening 0"},
      {[&] { SGD(ps, SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
       "SGD: nesterov requires momentum > 0 and dampening = 0, got momentum 0.9 and dampening 0.1"},
      {[&] { Adagrad(ps, AdagradOptions{.lr = -1}); }, "Adagrad: lr must be >= 0, got -1"},
      {[&] { Adagrad(ps, AdagradOptions{.lr_decay = -1}); }, "Adagrad: lr_decay must be >= 0, got -1"},
      {[&] { Adagrad(ps, AdagradOptions{.weight_decay = -1}); }, "Adagrad: weight_decay must be >= 0, got -1"},
      {[&] { Adagrad(ps, AdagradOptions{.initial_accumulator_value = -1}); },
       "Adagrad: initial_accumulator_value must be >= 0, got -1"},
      {[&] { Adagrad(ps, AdagradOptions{.eps = -1e-10}); }, "Adagrad: eps must be >= 0, got -1e-10"},
      {[&] { RMSprop(ps, RMSpropOptions{.lr = -1}); }, "RMSprop: lr must be >= 0, got -1"},
      {[&] { RMSprop(ps, RMSpropOptions{.alpha = 1.5}); }, "RMSprop: alpha must be in [0, 1], got 1.5"},
      {[&] { RMSprop(ps, RMSpropOptions{.eps = -1}); }, "RMSprop: eps must be >= 0, got -1"},
      {[&] { RMSprop(ps, RMSpropOptions{.weight_decay = -1}); }, "RMSprop: weight_decay must be >= 0, got -1"},
      {[&] { RMSprop(ps, RMSpropOptions{.momentum = -1}); }, "RMSprop: momentum must be >= 0, got -1"},
      {[&] { Adam(ps, AdamOptions{.lr = -0.1}); }, "Adam: lr must be >= 0, got -0.1"},
      {[&] { Adam(ps, AdamOptions{.betas = {1.0, 0.999}}); }, "Adam: betas.first must be in [0, 1), got 1"},
      {[&] { Adam(ps, AdamOptions{.betas = {0.9, -0.1}}); }, "Adam: betas.second must be in [0, 1), got -0.1"},
      {[&] { Adam(ps, AdamOptions{.eps = -1}); }, "Adam: eps must be >= 0, got -1"},
      {[&] { Adam(ps, AdamOptions{.weight_decay = -1}); }, "Adam: weight_decay must be >= 0, got -1"},
      {[&] { AdamW(ps, AdamWOptions{.lr = -1}); }, "AdamW: lr must be >= 0, got -1"},
      {[&] { AdamW(ps, AdamWOptions{.betas = {0.9, 1.0}}); }, "AdamW: betas.second must be in [0, 1), got 1"},
      {[&] { AdamW(ps, AdamWOptions{.eps = -1}); }, "AdamW: eps must be >= 0, got -1"},
      {[&] { AdamW(ps, AdamWOptions{.weight_decay = -0.01}); }, "AdamW: weight_decay must be >= 0, got -0.01"},
      {[&] { Adadelta(ps, AdadeltaOptions{.lr = -1}); }, "Adadelta: lr must be >= 0, got -1"},
      {[&] { Adadelta(ps, AdadeltaOptions{.rho = 1.1}); }, "Adadelta: rho must be in [0, 1], got 1.1"},
      {[&] { Adadelta(ps, AdadeltaOptions{.eps = -1}); }, "Adadelta: eps must be >= 0, got -1"},
      {[&] { Adadelta(ps, AdadeltaOptions{.weight_decay = -1}); }, "Adadelta: weight_decay must be >= 0, got -1"},
      {[&] { Adam(ps).set_lr(-2); }, "Adam: lr must be >= 0, got -2"},
  };
  for (const auto& [make, message] : cases) EXPECT_THAT(invalid_argument_of(make), HasSubstr(message));
}

// ---- state_dict / load_state_dict ----

TEST(OptimState, NamesFollowPytorchKeys) {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  Adam adam({a, b}, AdamOptions{.amsgrad = true});
  EXPECT_TRUE(adam.state_dict().empty());  // created lazily
  set_grad(b, {1.0});
  for (int t = 0; t < 3; ++t) adam.step();
  const StateDict state = adam.state_dict();
  ASSERT_EQ(state.size(), 4u);
  EXPECT_EQ(state[0].first, "1.step");
  EXPECT_EQ(state[1].first, "1.exp_avg");
  EXPECT_EQ(state[2].first, "1.exp_avg_sq");
  EXPECT_EQ(state[3].first, "1.max_exp_avg_sq");
  EXPECT_EQ(state[0].second.dim(), 0);
  EXPECT_EQ(state[0].second.dtype(), tg::kFloat64);
  EXPECT_EQ(state[0].second.item(), 3.0);
  expect_close(state[1].second.item(), 1 - 0.9 * 0.9 * 0.9);  // m after three unit gradients
  adam.step();
  EXPECT_EQ(state[0].second.item(), 3.0);  // a copy, not a view of the live state

  SGD sgd({a}, SGDOptions{.lr = 0.1, .momentum = 0.9});
  set_grad(a, {1.0, 2.0});
  sgd.step();
  ASSERT_EQ(sgd.state_dict().size(), 1u);
  EXPECT_EQ(sgd.state_dict()[0].first, "0.momentum_buffer");

  RMSprop rmsprop({a}, RMSpropOptions{.momentum = 0.5, .centered = true});
  rmsprop.step();
  std::vector<std::string> names;
  for (const auto& entry : rmsprop.state_dict()) names.push_back(entry.first);
  EXPECT_EQ(names, (std::vector<std::string>{"0.step", "0.square_avg", "0.momentum_buffer", "0.grad_avg"}));

  Adagrad adagrad({a}, AdagradOptions{.initial_accumulator_value = 0.5});  // eager, as PyTorch
  ASSERT_EQ(adagrad.state_dict().size(), 2u);
  EXPECT_EQ(adagrad.state_dict()[0].second.item(), 0.0);
  EXPECT_EQ(adagrad.state_dict()[1].second.to_vector(), (std::vector<double>{0.5, 0.5}));
}

// Parameters of mixed shapes and dtypes, and a gradient for step t that varies by element and step.
std::vector<Tensor> make_params() {
  Tensor w = tg::tensor({0.5, -1.25, 2.0, 0.75, -0.5, 1.0}, {2, 3}, tg::kFloat64);
  return {w.requires_grad_(), param({1.0, -2.0, 0.25, 3.0}, tg::kFloat32)};
}
void set_step_grads(std::vector<Tensor>& ps, int t) {
  for (Tensor& p : ps) {
    std::vector<double> g(static_cast<std::size_t>(p.numel()));
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = 0.25 * ((t + static_cast<int>(i)) % 3) - 0.3 + 0.1 * t * i;
    p.set_grad(tg::tensor(g, p.shape(), p.dtype()));
  }
}

TEST(OptimState, StopRestoreContinueIsBitIdentical) {
  for (const ReferenceCase& c : reference_cases()) {
    SCOPED_TRACE(c.name);
    std::vector<Tensor> ps = make_params();
    const std::unique_ptr<Optimizer> opt = c.make(ps);
    for (int t = 0; t < 3; ++t) set_step_grads(ps, t), opt->step();
    const StateDict saved = opt->state_dict();
    std::vector<Tensor> restored;
    for (const Tensor& p : ps) restored.push_back(p.detach().clone().requires_grad_());
    for (int t = 3; t < 5; ++t) set_step_grads(ps, t), opt->step();

    const std::unique_ptr<Optimizer> fresh = c.make(restored);
    fresh->load_state_dict(saved);
    for (int t = 3; t < 5; ++t) set_step_grads(restored, t), fresh->step();
    for (std::size_t k = 0; k < ps.size(); ++k) EXPECT_EQ(restored[k].to_vector(), ps[k].to_vector());
  }
}

TEST(OptimState, LoadRejectsBadEntriesAndChangesNothing) {
  Tensor a = param({1.0, 2.0}), b = param({3.0}, tg::kFloat32);
  Adam opt({a, b});
  set_grad(a, {0.5, -0.5});
  set_grad(b, {1.0});
  opt.step();
  const StateDict good = opt.state_dict();  // 0.step 0.exp_avg 0.exp_avg_sq 1.step 1.exp_avg 1.exp_avg_sq
  const auto with = [&](std::size_t index, std::string name, Tensor value) {
    StateDict changed = good;
    changed[index] = {std::move(name), std::move(value)};
    return changed;
  };
  const std::vector<std::pair<StateDict, std::string>> cases = {
      {with(1, "exp_avg", tg::zeros({2}, tg::kFloat64)), "'exp_avg' is not of the form '<parameter index>.<key>'"},
      {with(1, "x.exp_avg", tg::zeros({2}, tg::kFloat64)), "'x.exp_avg' is not of the form"},
      {with(1, "7.exp_avg", tg::zeros({2}, tg::kFloat64)),
       "'7.exp_avg' refers to parameter 7, but the optimizer has 2 parameters"},
      {with(1, "0.momentum_buffer", tg::zeros({2}, tg::kFloat64)),
       "Adam: load_state_dict: the entry '0.momentum_buffer' has the unknown key 'momentum_buffer'; Adam with these "
       "options keeps step, exp_avg, exp_avg_sq"},
      {with(1, "0.exp_avg", tg::zeros({3}, tg::kFloat64)), "'0.exp_avg' is [3] float64 but parameter 0 is [2] float64"},
      {with(4, "1.exp_avg", tg::zeros({1}, tg::kFloat64)), "'1.exp_avg' is [1] float64 but parameter 1 is [1] float32"},
      {with(0, "0.step", tg::scalar_tensor(1.0, tg::kFloat32)),
       "'0.step' must be a 0-d float64 tensor, got [] float32"},
      {with(0, "0.step", tg::scalar_tensor(1.5, tg::kFloat64)), "'0.step' must hold a whole step count >= 0, got 1.5"},
      {with(0, "0.exp_avg", good[1].second), "the entry '0.exp_avg' appears twice"},
      {with(0, "0.step", Tensor()), "the entry '0.step' is an undefined tensor"},
      {StateDict(good.begin(), good.end() - 1), "parameter 1 has state but no '1.exp_avg_sq' entry"},
  };
  for (const auto& [state, message] : cases)
    EXPECT_THAT(invalid_argument_of([&, &state = state] { opt.load_state_dict(state); }), HasSubstr(message));

  const StateDict after = opt.state_dict();  // all-or-nothing: unchanged by the failed loads
  ASSERT_EQ(after.size(), good.size());
  for (std::size_t k = 0; k < good.size(); ++k) {
    EXPECT_EQ(after[k].first, good[k].first);
    EXPECT_EQ(after[k].second.to_vector(), good[k].second.to_vector());
  }
  opt.load_state_dict({});  // no entries: every parameter starts afresh
  EXPECT_TRUE(opt.state_dict().empty());
}

// ---- schedules: PyTorch's closed forms ----

TEST(OptimSchedule, StepLR) {
  SGD opt({param({1.0})}, SGDOptions{.lr = 0.1});
  StepLR schedule(opt, 3, 0.5);
  EXPECT_EQ(schedule.last_lr(), 0.1);
  for (int epoch = 1; epoch <= 7; ++epoch) {
    schedule.step();
    const double expected = 0.1 * std::pow(0.5, epoch / 3);  // η0 γ^⌊t/3⌋
    EXPECT_EQ(schedule.last_lr(), expected) << "epoch " << epoch;
    EXPECT_EQ(opt.lr(), expected);
  }
  EXPECT_EQ(schedule.last_lr(), 0.025);
}

TEST(OptimSchedule, ExponentialLR) {
  Adam opt({param({1.0})}, AdamOptions{.lr = 0.2});
  ExponentialLR schedule(opt, 0.9);
  for (int epoch = 1; epoch <= 5; ++epoch) schedule.step();
  EXPECT_EQ(schedule.last_epoch(), 5);
  EXPECT_EQ(opt.lr(), 0.2 * std::pow(0.9, 5));  // η0 γ^t
  expect_close(opt.lr(), 0.2 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9);
}

TEST(OptimSchedule, CosineAnnealingLR) {
  Adam opt({param({1.0})}, AdamOptions{.lr = 0.1});
  CosineAnnealingLR schedule(opt, 10, 0.001);
  for (int epoch = 1; epoch <= 12; ++epoch) {
    schedule.step();
    // η_min + (η0 - η_min)(1 + cos(π t / T_max)) / 2
    const double expected = 0.001 + (0.1 - 0.001) * (1 + std::cos(std::numbers::pi * epoch / 10)) / 2;
    EXPECT_EQ(opt.lr(), expected) << "epoch " << epoch;
    if (epoch == 5) expect_close(opt.lr(), (0.1 + 0.001) / 2);  // half way
    if (epoch == 10) expect_close(opt.lr(), 0.001);             // the minimum at T_max
  }
}

TEST(OptimSchedule, RejectsBadArguments) {
  SGD opt({param({1.0})}, SGDOptions{.lr = 0.1});
  EXPECT_THAT(invalid_argument_of([&] { StepLR(opt, 0); }), HasSubstr("StepLR: step_size must be >= 1, got 0"));
  EXPECT_THAT(invalid_argument_of([&] { StepLR(opt, 2, -0.5); }),
              HasSubstr("StepLR: gamma must be a finite number > 0, got -0.5"));
  EXPECT_THAT(invalid_argument_of([&] { ExponentialLR(opt, 0.0); }),
              HasSubstr("ExponentialLR: gamma must be a finite number > 0, got 0"));
  EXPECT_THAT(invalid_argument_of([&] { CosineAnnealingLR(opt, 0); }),
              HasSubstr("CosineAnnealingLR: T_max must be >= 1, got 0"));
  EXPECT_THAT(invalid_argument_of([&] { CosineAnnealingLR(opt, 10, -1.0); }),
              HasSubstr("CosineAnnealingLR: eta_min must be a finite number >= 0, got -1"));
}

}  // namespace
