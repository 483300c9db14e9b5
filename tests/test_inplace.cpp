// In-place ops and the version counter: add_ sub_ mul_ div_ zero_ clamp_ copy_ and += -= *= /= (values in
// closed form, int64 and bool, broadcasting and the messages of what they refuse, the autograd rules),
// the version every in-place writer bumps (shared by reshape and detach views), the backward that refuses
// to run on a saved tensor written since (PyTorch's error), the ops whose backward reads nothing and so
// do not mind, Module::to's in-place conversion (a new version), and the optimizer that notices its model
// let go of its parameters.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "autograd_testing.hpp"
#include "testing.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/optim/optim.hpp"

namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp
using testing_support::message_of;
using tg::Tensor;

// ---- values ----

TEST(InPlace, ArithmeticWithTensorsAndScalars) {
  Tensor x = f64({1, 2, 3}, {3});
  const Tensor y = f64({10, 20, 30}, {3});
  expect_values(x.add_(y), {3}, {11, 22, 33});
  expect_values(x.add_(y, 0.5), {3}, {16, 32, 48});
  expect_values(x.sub_(y, 2.0), {3}, {-4, -8, -12});
  expect_values(x.sub_(y), {3}, {-14, -28, -42});
  expect_values(x.mul_(f64({0.5, -1, 2}, {3})), {3}, {-7, 28, -84});
  expect_values(x.div_(f64({7, 4, -12}, {3})), {3}, {-1, 7, 7});
  expect_values(x.add_(2.0), {3}, {1, 9, 9});
  expect_values(x.add_(2.0, 3.0), {3}, {7, 15, 15});
  expect_values(x.sub_(1.0), {3}, {6, 14, 14});
  expect_values(x.sub_(1.0, 4.0), {3}, {2, 10, 10});
  expect_values(x.mul_(-1.5), {3}, {-3, -15, -15});
  expect_values(x.div_(-3.0), {3}, {1, 5, 5});
}

TEST(InPlace, CompoundAssignmentsAreTheInPlaceOps) {
  Tensor x = f64({1, 2}, {2});
  const Tensor y = f64({4, 8}, {2});
  x += y;    // 5, 10
  x -= 1;    // 4, 9
  x *= y;    // 16, 72
  x /= 2;    // 8, 36
  x *= 0.5;  // 4, 18
  x /= y;    // 1, 2.25
  x += 1.5;  // 2.5, 3.75
  x -= y;    // -1.5, -4.25
  expect_values(x, {2}, {-1.5, -4.25});
}

TEST(InPlace, ReturnsTheSameHandleAndKeepsTheDtype) {
  Tensor x = tg::tensor({1.5, 2.5});  // float32
  EXPECT_EQ(&x.add_(1.0), &x);
  EXPECT_EQ(&(x *= 2.0), &x);
  EXPECT_EQ(x.dtype(), tg::kFloat32);
  expect_values(x, {2}, {5, 7});
}

TEST(InPlace, OtherBroadcastsToSelf) {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_values(x.add_(f64({10, 20, 30}, {3})), {2, 3}, {11, 22, 33, 14, 25, 36});
  expect_values(x.mul_(f64({1, -1}, {2, 1})), {2, 3}, {11, 22, 33, -14, -25, -36});
  expect_values(x.sub_(tg::scalar_tensor(1.0, tg::kFloat64)), {2, 3}, {10, 21, 32, -15, -26, -37});
}

TEST(InPlace, OperandSharingSelfsStorage) {
  Tensor x = f64({1, 2, 3, 4}, {2, 2});
  x += x;
  expect_values(x, {2, 2}, {2, 4, 6, 8});
  x.mul_(x.reshape({4}).reshape({2, 2}));
  expect_values(x, {2, 2}, {4, 16, 36, 64});
  x.copy_(x.detach());
  expect_values(x, {2, 2}, {4, 16, 36, 64});
}

TEST(InPlace, ZeroClampCopy) {
  Tensor x = f64({-2, 0.5, 3, NAN}, {4});
  x.clamp_(-1, 1);
  expect_values_or_nan(x, {4}, {-1, 0.5, 1, NAN});  // NaN stays NaN, as clamp's
  x.zero_();
  expect_values(x, {4}, {0, 0, 0, 0});
  Tensor y = tg::zeros({2, 3}, tg::kFloat64);
  y.copy_(f64({1, 2, 3}, {3}));  // broadcast
  expect_values(y, {2, 3}, {1, 2, 3, 1, 2, 3});
  y.copy_(tg::tensor({-1.75, 2.5}, {2, 1}));  // float32 converted, and broadcast
  expect_values(y, {2, 3}, {-1.75, -1.75, -1.75, 2.5, 2.5, 2.5});
}

TEST(InPlace, CopyConvertsAsToDoes) {
  Tensor i = tg::zeros({3}, tg::kInt64);
  i.copy_(f64({-2.7, 0.5, 9.9}, {3}));  // toward zero
  EXPECT_EQ(i.to_vector(), (std::vector<double>{-2, 0, 9}));
  Tensor b = tg::zeros({3}, tg::kBool);
  b.copy_(i);
  EXPECT_EQ(b.to_vector(), (std::vector<double>{1, 0, 1}));
  b.zero_();
  EXPECT_EQ(b.to_vector(), (std::vector<double>{0, 0, 0}));
  expect_throws<std::invalid_argument>([&] { return i.copy_(f64({NAN}, {1})); },
                                       "to: nan cannot be converted to int64");
}

// ---- int64 ----

TEST(InPlace, Int64AddSubMulAreExactAndWrap) {
  constexpr std::int64_t kBig = (std::int64_t{1} << 53) + 1;  // not a double
  const std::vector<std::int64_t> values{kBig, -3, 7};
  Tensor x = tg::tensor(values, {3});
  x += tg::tensor(std::vector<std::int64_t>{1, 1, 1}, {3});
  x.mul_(tg::tensor(std::vector<std::int64_t>{1, -2, 3}, {3}));
  x.sub_(tg::tensor(std::vector<std::int64_t>{0, 1, 4}, {3}), 2.0);
  x.add_(5.0);
  x.mul_(2.0);
  EXPECT_EQ(x.data<std::int64_t>()[0], 2 * (kBig + 1 + 5));
  EXPECT_EQ(x.data<std::int64_t>()[1], 2 * (-2 * -2 - 2 + 5));
  EXPECT_EQ(x.data<std::int64_t>()[2], 2 * (8 * 3 - 8 + 5));
  Tensor top = tg::tensor(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max()}, {1});
  top += 1.0;  // modulo 2^64, as PyTorch's int64
  EXPECT_EQ(top.item<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  Tensor c = tg::tensor(std::vector<std::int64_t>{-5, 2, 9}, {3});
  c.clamp_(0, 4);
  EXPECT_EQ(c.to_vector(), (std::vector<double>{0, 2, 4}));
}

TEST(InPlace, Int64RefusesFractionsAndTrueDivision) {
  Tensor x = tg::tensor(std::vector<std::int64_t>{1, 2}, {2});
  expect_throws<std::invalid_argument>(
      [&] { return x.add_(2.5); },
      "add_: the scalar 2.5 is not a whole number in int64's range, so the int64 tensor cannot hold the result; "
      "convert it with .to(tg::kFloat64) first");
  expect_throws<std::invalid_argument>([&] { return x.add_(x, 0.5); }, "add_: alpha 0.5 is not a whole number");
  expect_throws<std::invalid_argument>([&] { return x.clamp_(0.5, 1); }, "clamp_: min 0.5 is not a whole number");
  expect_throws<std::invalid_argument>(
      [&] { return x /= 2; },
      "div_: needs a float32 or float64 tensor, got int64 (int64 / int64 is a float in PyTorch too: convert with "
      ".to(tg::kFloat64) first)");
  Tensor b = tg::zeros({2}, tg::kBool);
  expect_throws<std::invalid_argument>([&] { return b.add_(b); },
                                       "add_: needs a float32, float64 or int64 tensor, got bool");
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 2}));  // nothing refused was written
  EXPECT_EQ(x.version(), 0);
}

// ---- what is refused ----

TEST(InPlace, ShapeDtypeAndBoundMessages) {
  Tensor x = f64({1, 2, 3}, {3});
  expect_throws<std::invalid_argument>(
      [&] { return x.add_(tg::zeros({2, 3}, tg::kFloat64)); },
      "add_: output with shape [3] doesn't match the broadcast shape [2, 3] (other is [2, 3]); an in-place result "
      "keeps this tensor's shape");
  expect_throws<std::invalid_argument>([&] { return x.mul_(f64({1, 2}, {2})); },
                                       "mul_: shapes cannot be broadcast: [3] and [2]");
  expect_throws<std::invalid_argument>([&] { return x.copy_(tg::zeros({2, 1})); },
                                       "copy_: output with shape [3] doesn't match the broadcast shape [2, 3]");
  expect_throws<std::invalid_argument>([&] { return x.sub_(tg::zeros({3})); },
                                       "sub_: dtypes differ: float64 and float32; convert one with .to()");
  expect_throws<std::invalid_argument>([&] { return x.clamp_(2, 1); }, "clamp_: min (2) must not exceed max (1)");
  expect_throws<std::invalid_argument>([&] { return x.add_(Tensor()); },
                                       "add_: an input tensor is undefined (default-constructed)");
  EXPECT_EQ(x.version(), 0);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 2, 3}));
}

TEST(InPlace, LeafThatRequiresGradOnlyUnderNoGradGuard) {
  Tensor w = leaf({1, 2}, {2});
  expect_throws<std::logic_error>(
      [&] { return w.add_(1.0); },
      "add_: a leaf Variable that requires grad is being used in an in-place operation. Do it under "
      "tg::NoGradGuard (as optimizers and initialisers do), or write x = x + y for a new tensor");
  expect_throws<std::logic_error>([&] { return w.zero_(); }, "zero_: a leaf Variable that requires grad");
  {
    const tg::NoGradGuard no_grad;
    w -= f64({0.5, 0.5}, {2});
    w.mul_(2.0);
  }
  expect_values(w, {2}, {1, 3});
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
}

TEST(InPlace, RecordedHistoryIsNotRebased) {
  const Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 2.0;
  expect_throws<std::logic_error>([&] { return h.mul_(3.0); },
                                  "mul_: this tensor has recorded history (a non-leaf that requires grad), and "
                                  "tapegrad does not record in-place operations; write x = x * y instead");
  Tensor acc = tg::zeros({2}, tg::kFloat64);
  expect_throws<std::logic_error>([&] { return acc += h; },
                                  "add_: the other operand requires grad, and tapegrad does not record in-place "
                                  "operations; write x = x + y instead (or run it under tg::NoGradGuard to leave "
                                  "the gradient out)");
  expect_throws<std::logic_error>([&] { return acc.copy_(x); }, "write x = y.to(x.dtype()) instead");
  EXPECT_FALSE(acc.requires_grad());
  EXPECT_EQ(acc.version(), 0);
}

// ---- the version counter ----

TEST(Version, FreshTensorsStartAtZero) {
  tg::Generator gen(3);
  for (const Tensor& t : {tg::zeros({2}), tg::ones({2}), tg::full({2}, 4.0), tg::empty({2}), tg::tensor({1.0}),
                          tg::randn({2}, gen), tg::arange(3), f64({1, 2}, {2}) * 2.0})
    EXPECT_EQ(t.version(), 0);
  expect_throws<std::logic_error>([] { return Tensor().version(); }, "version: the tensor is undefined");
}

TEST(Version, EveryInPlaceWriterBumpsIt) {
  tg::Generator gen(1);
  Tensor x = tg::zeros({2, 2}, tg::kFloat64);
  const Tensor y = tg::ones({2, 2}, tg::kFloat64);
  std::int64_t expected = 0;
  const auto expect_bumped = [&](const char* writer) { EXPECT_EQ(x.version(), ++expected) << writer; };
  x.put_({0, 1}, 3.0), expect_bumped("put_");
  x.fill_(2.0), expect_bumped("fill_");
  x.normal_(0.0, 1.0, gen), expect_bumped("normal_");
  x.uniform_(0.0, 1.0, gen), expect_bumped("uniform_");
  x.bernoulli_(0.5, gen), expect_bumped("bernoulli_");
  x.add_(y), expect_bumped("add_");
  x.add_(1.0), expect_bumped("add_ scalar");
  x.sub_(y), expect_bumped("sub_");
  x.sub_(1.0), expect_bumped("sub_ scalar");
  x.mul_(y), expect_bumped("mul_");
  x.mul_(2.0), expect_bumped("mul_ scalar");
  x.div_(y), expect_bumped("div_");
  x.div_(2.0), expect_bumped("div_ scalar");
  x.zero_(), expect_bumped("zero_");
  x.clamp_(0, 1), expect_bumped("clamp_");
  x.copy_(y), expect_bumped("copy_");
  x += y, expect_bumped("+=");
  x -= 1.0, expect_bumped("-=");
  x *= y, expect_bumped("*=");
  x /= 1.0, expect_bumped("/=");
  const Tensor z = x + y;  // reading writes nothing
  EXPECT_EQ(x.version(), expected);
  EXPECT_EQ(z.version(), 0);
}

TEST(Version, SharedByViewsOfTheSameStorage) {
  Tensor a = tg::zeros({2, 3}, tg::kFloat64);
  Tensor r = a.reshape({6});
  Tensor d = a.detach();
  r.add_(1.0);
  d.put_({1, 2}, 5.0);
  tg::flatten(a).fill_(7.0);
  EXPECT_EQ(a.version(), 3);
  EXPECT_EQ(r.version(), 3);
  EXPECT_EQ(d.version(), 3);
  Tensor c = a.clone();  // its own storage
  c.fill_(1.0);
  EXPECT_EQ(c.version(), 1);
  EXPECT_EQ(a.version(), 3);
}

TEST(Version, OptimizerStepsInitialisersClippingAndLoadsBumpIt) {
  tg::Generator gen(2);
  tg::nn::Linear layer(3, 2, gen);
  Tensor& w = layer.weight;
  const std::int64_t v0 = w.version();
  tg::nn::init::xavier_uniform_(w, gen);
  tg::nn::init::zeros_(layer.bias);
  EXPECT_EQ(w.version(), v0 + 1);
  tg::optim::SGD opt(layer.parameters(), tg::optim::SGDOptions{.lr = 0.1});
  tg::sum(layer(tg::ones({4, 3}))).backward();
  const std::int64_t grad_version = w.grad().version();
  tg::optim::clip_grad_value_(layer.parameters(), 0.5);
  EXPECT_EQ(w.grad().version(), grad_version + 1);
  const std::int64_t v1 = w.version();
  opt.step();
  EXPECT_EQ(w.version(), v1 + 1);

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tapegrad_test_inplace_" + std::to_string(::getpid()) + ".safetensors");
  tg::nn::save(layer, file);
  tg::nn::Linear other(3, 2, gen);
  const std::int64_t before = other.weight.version();
  tg::nn::load(other, file);
  std::filesystem::remove(file);
  EXPECT_EQ(other.weight.version(), before + 1);
  EXPECT_EQ(other.weight.to_vector(), w.to_vector());
}

// ---- the saved-tensor check ----

std::string modified(const std::string& what, const std::string& op, int now, int then) {
  return "backward: one of the variables needed for gradient computation has been modified by an inplace "
         "operation: [" + what + "], " + op + ", is at version " + std::to_string(now) + "; expected version " +
         std::to_string(then) + " instead. Use .clone() before the in-place write, or do it after backward()";
}

TEST(SavedTensors, MulInputWrittenByPutRefusesBackward) {
  Tensor a = tg::tensor({1.0, 2.0}).requires_grad_();
  const Tensor b = a * a;
  a.put_({0}, 10);  // without the check, backward gave [20, 4] instead of [2, 4]
  EXPECT_EQ(message_of<std::logic_error>([&] { tg::sum(b).backward(); }),
            modified("float32 [2]", "an input of 'mul'", 1, 0));
  EXPECT_FALSE(a.grad().defined());
}

TEST(SavedTensors, ExpOutputWrittenThroughAViewRefusesBackward) {
  const Tensor x = leaf({0.0, 1.0}, {2});
  const Tensor y = tg::exp(x);
  Tensor view = y.detach();
  view += 1.0;
  EXPECT_EQ(message_of<std::logic_error>([&] { tg::sum(y).backward(); }),
            modified("float64 [2]", "the output of 'exp'", 1, 0));
  Tensor z = tg::exp(x);
  {
    const tg::NoGradGuard no_grad;  // an in-place op on a non-leaf is allowed here, and counted
    z.mul_(2.0);
    z.mul_(2.0);
  }
  EXPECT_EQ(message_of<std::logic_error>([&] { tg::sum(z).backward(); }),
            modified("float64 [2]", "the output of 'exp'", 2, 0));
}

TEST(SavedTensors, FilledMatmulInputRefusesBackward) {
  Tensor a = f64({1, 2, 3, 4}, {2, 2});
  const Tensor w = leaf({1, 0, 0, 1}, {2, 2});
  const Tensor loss = tg::sum(tg::matmul(a, w));
  a.fill_(0.0);
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }),
            modified("float64 [2, 2]", "an input of 'matmul'", 1, 0));
}

TEST(SavedTensors, AnOptimizerStepBetweenTwoBackwardsRefusesTheSecond) {
  const Tensor w = leaf({0.5, -1.0}, {2});
  tg::optim::SGD opt({w}, tg::optim::SGDOptions{.lr = 0.1});
  const Tensor loss = tg::sum(w * w);
  loss.backward({}, /*retain_graph=*/true);
  opt.step();
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }),
            modified("float64 [2]", "an input of 'mul'", 1, 0));
}

TEST(SavedTensors, TheTapeStaysUsableAfterTheError) {
  Tensor a = leaf({1, 2}, {2});
  const Tensor b = tg::sum(a * 3.0 * a);
  a.put_({1}, 4);
  EXPECT_THROW(b.backward(), std::logic_error);
  a.zero_grad();
  tg::sum(a * a).backward();  // d/da sum(a^2) = 2a, a = [1, 4]
  expect_values(a.grad(), {2}, {2, 8});
}

TEST(SavedTensors, BackwardsThatReadNoValuesDoNotMind) {
  // add, sum, reshape, scalar mul, cat and slice read only dy and shapes: PyTorch lets their inputs be
  // written between forward and backward, and so does tapegrad, with the gradient of the recorded graph.
  Tensor x = leaf({1, 2}, {2});
  Tensor c = f64({3, 4}, {2});
  const Tensor y = x + c;
  const Tensor r = tg::reshape(x, {2, 1});
  const Tensor s = tg::sum(x) * 3.0;
  const Tensor k = tg::slice(tg::cat({x, c}), 0, 1, 3);
  c.put_({0}, 100);
  x.put_({1}, -5);
  (tg::sum(y) + tg::sum(r * 2.0) + s + tg::sum(k)).backward();
  expect_values(x.grad(), {2}, {1 + 2 + 3, 1 + 2 + 3 + 1});  // k holds x[1] and c[0]
}

TEST(SavedTensors, WritesBeforeTheOpOrAfterBackwardAreFine) {
  Tensor a = leaf({1, 2}, {2});
  a.put_({0}, 3);
  const Tensor b = a * a;
  tg::sum(b).backward();
  a.put_({0}, 5);  // after backward
  expect_values(a.grad(), {2}, {6, 4});
}

// ---- Module::to, and optimizers whose model let go ----

TEST(SavedTensors, ABackwardRecordedBeforeModuleToRefusesToRun) {
  tg::Generator gen(4);
  tg::nn::Linear layer(2, 1, gen);
  const auto version = static_cast<std::uint32_t>(layer.weight.version());
  const Tensor loss = tg::sum(tg::matmul(tg::ones({1, 2}), layer.weight));  // matmul saves the weight
  layer.to(tg::kFloat64);  // the weight's storage is replaced: the record would read float64 as float32
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }),
            modified("float64 [2, 1]", "an input of 'matmul'", version + 1, version));
}

TEST(ConvertLeaf, RefusesANonLeafAndANonFloatDtypeForATensorThatRequiresGrad) {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor y = x * 2.0;
  EXPECT_EQ(message_of<std::logic_error>([&] { tg::detail::convert_leaf_(y.impl(), tg::kFloat32); }),
            "to: this tensor of shape [2] was produced by a recorded op, so it cannot be converted in place (only "
            "a leaf can); convert a copy with .to(dtype)");
  EXPECT_EQ(message_of<std::invalid_argument>([&] { tg::detail::convert_leaf_(x.impl(), tg::kInt64); }),
            "to: a tensor that requires grad must stay float32 or float64, got int64");
  expect_values(x, {2}, {1, 2}, 0);
  const Tensor i = tg::tensor({1.5, -2.5}, tg::kFloat64);  // a plain tensor may become int64: truncated
  tg::detail::convert_leaf_(i.impl(), tg::kInt64);
  EXPECT_EQ(i.dtype(), tg::kInt64);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{1, -2}));
}

TEST(Optimizer, NoticesParametersThatItsModelNoLongerHolds) {
  tg::Generator gen(4);
  std::unique_ptr<tg::optim::SGD> orphaned;
  {
    tg::nn::Linear layer(2, 1, gen);
    orphaned = std::make_unique<tg::optim::SGD>(layer.parameters(), tg::optim::SGDOptions{.lr = 0.1});
  }  // the model is gone: nothing can give its parameters a gradient any more
  const std::string message = message_of<std::logic_error>([&] { orphaned->step(); });
  EXPECT_EQ(message,
            "SGD: parameter 0 ([2, 1] float32) is held by nothing but this optimizer, so no forward pass can give "
            "it a gradient: its model was destroyed, or the tensor was replaced in the model, after the optimizer "
            "was built. Keep the model alive, and change parameters in place (load_parameter, Module::to) or "
            "build the optimizer afterwards");

  tg::nn::Linear layer(2, 1, gen);
  tg::optim::SGD stale(layer.parameters(), tg::optim::SGDOptions{.lr = 0.1});
  layer.weight = tg::zeros({2, 1}).requires_grad_();  // the model's member now holds another tensor
  tg::sum(layer(tg::ones({1, 2}))).backward();
  EXPECT_EQ(message_of<std::logic_error>([&] { stale.step(); }), message);
}

}  // namespace
