// The tape: gradients accumulate across backward() calls until zero_grad(), fan-out, retain_graph,
// NoGradGuard, detach, retain_grad, memory reuse from one step to the next, the pruning of dead records
// and the bound on the tape, and the messages for misusing backward() and grad().

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "autograd_testing.hpp"
#include "testing.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

using testing_support::ScopedTapeLimit;

// One recorded forward pass: sum(x * x).
Tensor sum_of_squares(const Tensor& x) { return (x * x).sum(); }

// ---- gradients ----

TEST(Tape, GradientsAccumulateAcrossBackwardCallsUntilZeroGrad) {
  Tensor x = leaf({1, -2}, {2});
  sum_of_squares(x).backward();
  expect_values(x.grad(), {2}, {2, -4});
  sum_of_squares(x).backward();
  expect_values(x.grad(), {2}, {4, -8});
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum_of_squares(x).backward();
  expect_values(x.grad(), {2}, {2, -4});
}

TEST(Tape, AGradientHandedOutIsNotChangedByALaterBackward) {
  const Tensor x = leaf({1, -2}, {2});
  sum_of_squares(x).backward();
  const Tensor first = x.grad();
  sum_of_squares(x).backward();
  expect_values(first, {2}, {2, -4});
  expect_values(x.grad(), {2}, {4, -8});
}

TEST(Tape, FanOutAddsTheGradientOfEveryUse) {
  Tensor x = leaf({1.5, -2}, {2});
  (x * x).sum().backward();
  expect_values(x.grad(), {2}, {3, -4});
  x.zero_grad();
  add(x, x).sum().backward();
  expect_values(x.grad(), {2}, {2, 2});
  x.zero_grad();
  const Tensor y = x * 2.0;  // a non-leaf used three times: d/dx (4x^2 + 2x) = 8x + 2
  (y * y + y).sum().backward();
  expect_values(x.grad(), {2}, {14, -14});
}

TEST(Tape, BackwardWithAGradOutput) {
  const Tensor x = leaf({1, 2}, {2});
  (x * 3.0).backward(f64({1, -2}, {2}));
  expect_values(x.grad(), {2}, {3, -6});
}

TEST(Tape, BackwardFromALeaf) {
  const Tensor x = leaf({4}, {});
  x.backward();
  expect_values(x.grad(), {}, {1});
}

TEST(Tape, RetainGraphAllowsASecondBackward) {
  const Tensor x = leaf({1, 3}, {2});
  const Tensor y = sum_of_squares(x);
  y.backward({}, true);
  y.backward();
  expect_values(x.grad(), {2}, {4, 12});
  expect_throws<std::logic_error>([&] { y.backward(); },
                                  "already released by an earlier backward(); pass retain_graph=true");
}

// ---- recording switches ----

TEST(Tape, NoGradGuardRecordsNothing) {
  settle_tape();
  const Tensor x = leaf({1, 2}, {2});
  {
    const NoGradGuard no_grad;
    EXPECT_FALSE(is_grad_enabled());
    const Tensor y = exp(x * x) + 1.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_EQ(tape_size(), 0U);
    {
      const EnableGradGuard enable;
      EXPECT_TRUE(is_grad_enabled());
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
}

TEST(Tape, GradModeIsPerThread) {
  const NoGradGuard no_grad;
  bool enabled_elsewhere = false;
  std::thread([&] { enabled_elsewhere = is_grad_enabled(); }).join();
  EXPECT_TRUE(enabled_elsewhere);
}

TEST(Tape, OpsOnTensorsThatDoNotRequireGradAreNotRecorded) {
  settle_tape();
  const Tensor a = f64({1, 2}, {2});
  const Tensor b = exp(a * a) + a;
  EXPECT_FALSE(b.requires_grad());
  EXPECT_EQ(tape_size(), 0U);
}

TEST(Tape, DetachStopsTheGradient) {
  const Tensor x = leaf({1.5, -2}, {2});
  (x * x.detach()).sum().backward();
  expect_values(x.grad(), {2}, {1.5, -2});
}

TEST(Tape, RetainGradKeepsTheGradientOfANonLeaf) {
  const Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 3.0;
  h.retain_grad();
  EXPECT_FALSE(h.grad().defined());  // nothing yet: backward has not run
  (h * h).sum().backward();
  expect_values(h.grad(), {2}, {6, 12});
  expect_values(x.grad(), {2}, {18, 36});
}

TEST(Tape, SetGradReplacesTheGradient) {
  Tensor x = leaf({1, 2}, {2});
  x.set_grad(f64({5, 6}, {2}));
  sum_of_squares(x).backward();
  expect_values(x.grad(), {2}, {7, 10});
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
  expect_throws<std::invalid_argument>([&] { x.set_grad(f64({1, 2, 3}, {3})); },
                                       "set_grad: gradient [3] float64 does not match tensor [2] float64");
}

// ---- tape size, memory and bounds ----

TEST(Tape, TapeSizeReturnsToZeroAfterBackward) {
  settle_tape();
  const Tensor x = leaf({1, 2}, {2});
  const Tensor loss = (exp(x * 2.0) + x).sum();
  EXPECT_EQ(tape_size(), 4U);  // mul, exp, add, sum
  loss.backward();
  EXPECT_EQ(tape_size(), 0U);
}

TEST(Tape, TrainingStepsReuseMemory) {
  settle_tape();
  Generator gen(1);
  Tensor w = randn({4, 3}, gen, kFloat64).requires_grad_();
  const Tensor x = randn({8, 4}, gen, kFloat64);
  const auto step = [&] {
    tanh(matmul(x, w)).pow(2.0).mean().backward();
    const NoGradGuard no_grad;
    Tensor weights = w.detach();
    detail::add_into(weights, w.grad() * -0.1);  // w -= 0.1 dw, in place
    w.zero_grad();
  };
  for (int i = 0; i < 3; ++i) step();
  const std::size_t misses = detail::cache_misses();
  for (int i = 0; i < 100; ++i) step();
  EXPECT_EQ(detail::cache_misses(), misses) << "a steady-state step went to the heap";
  EXPECT_EQ(tape_size(), 0U);
}

TEST(Tape, ALoopThatDropsItsResultsStaysBounded) {
  settle_tape();
  const Tensor x = leaf({0.5, -1, 2}, {3});
  std::size_t most = 0;
  for (int i = 0; i < 100000; ++i) {
    const Tensor loss = sum_of_squares(x);
    most = std::max(most, tape_size());
  }
  EXPECT_LE(most, 4U);
}

TEST(Tape, ALoopThatReassignsAnOuterResultStaysBounded) {
  // The previous iteration's loss is still held when the next one is recorded, so its records never
  // reach the tape's end; the periodic collection drops them once the reassignment frees them.
  settle_tape();
  const Tensor x = leaf({0.5, -1, 2}, {3});
  Tensor loss;
  std::size_t most = 0;
  for (int i = 0; i < 100000; ++i) {
    loss = sum_of_squares(x);
    most = std::max(most, tape_size());
  }
  EXPECT_LE(most, 4096U);
  loss.backward();  // the last loss's records survived every collection
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, -2, 4}));
}

TEST(Tape, ALoopThatKeepsItsResultsHitsTheLimit) {
  settle_tape();
  {
    const ScopedTapeLimit limit(1000);
    EXPECT_EQ(tape_limit(), 1000U);
    const Tensor x = leaf({0.5, -1, 2}, {3});
    Tensor total = scalar_tensor(0.0, kFloat64);
    expect_throws<std::logic_error>(
        [&] {
          for (int i = 0; i < 100000; ++i) total = total + sum_of_squares(x);
        },
        "the tape already holds 1000 records and no backward() has released them. Run evaluation under "
        "tg::NoGradGuard");
    EXPECT_EQ(tape_size(), 1000U);
    {
      const NoGradGuard no_grad;  // the fix the message suggests
      for (int i = 0; i < 100000; ++i) total = total.detach() + sum_of_squares(x);
    }
    EXPECT_EQ(tape_size(), 1000U);
  }
  EXPECT_EQ(tape_limit(), 1'000'000U);
  settle_tape();
  expect_throws<std::invalid_argument>([] { set_tape_limit(0); }, "set_tape_limit: the limit must be at least 1");
}

// ---- the sweep's work ----

TEST(Tape, ASweepVisitsOnlyTheRecordsReachableFromItsRoot) {
  // `running = running + loss` without .item() keeps one record per step that no later step reaches; a
  // step's backward must not walk them (the step would get slower as they pile up).
  settle_tape();
  const Tensor x = leaf({0.5, -1, 2}, {3});
  const detail::Tape& tape = detail::current_tape();
  Tensor running = scalar_tensor(0.0, kFloat64);
  for (int step = 0; step < 10000; ++step) {
    const Tensor loss = sum_of_squares(x);
    running = running + loss;
    loss.backward();
    EXPECT_EQ(tape.last_sweep_visits(), 2U) << "step " << step;  // sum, mul
    if (tape.last_sweep_visits() != 2U) break;
  }
  EXPECT_EQ(tape_size(), 10000U);  // the adds
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{10000, -20000, 40000}));
}

TEST(Tape, ASweepSkipsUnreachableRecordsBetweenReachableOnes) {
  // h is recorded first and kept; 30000 unreachable records follow; then a loss through h. The sweep
  // jumps from the loss's records to h's without looking at those in between.
  settle_tape();
  const Tensor x = leaf({1, 2}, {2});
  const Tensor h = x * 3.0;
  Tensor kept = scalar_tensor(0.0, kFloat64);
  for (int i = 0; i < 10000; ++i) kept = kept + sum_of_squares(x);
  const Tensor loss = (h * h).sum();
  loss.backward();
  EXPECT_EQ(detail::current_tape().last_sweep_visits(), 3U);  // sum, mul, h's mul
  expect_values(x.grad(), {2}, {18, 36});                       // d/dx (3x)^2 = 18x
  EXPECT_EQ(tape_size(), 30000U);                               // kept's records, untouched
}

TEST(Tape, ALoopThatKeepsLargeResultsHitsTheByteLimit) {
  settle_tape();
  const std::size_t previous = tape_byte_limit();
  EXPECT_GT(previous, std::size_t{1} << 26);  // a fraction of physical memory, which is far more than 64 MiB
  set_tape_byte_limit(std::size_t{1} << 20);
  const Tensor x = random_leaf({1024}, 4);  // 8 KiB of float64: each kept result adds 8 KiB to the tape
  std::vector<Tensor> kept;
  expect_throws<std::logic_error>(
      [&] {
        for (int i = 0; i < 1000; ++i) kept.push_back(x * 2.0);
      },
      "mul: the tape's records already hold 1048576 bytes of outputs and no backward() has released them. Run "
      "evaluation under tg::NoGradGuard, or call backward() each step; raise the bound with "
      "tg::set_tape_byte_limit() if the model really needs more memory per step");
  EXPECT_EQ(kept.size(), 128U);  // 128 * 8 KiB = 1 MiB: the 129th op was refused
  EXPECT_EQ(tape_bytes(), std::size_t{1} << 20);
  kept.clear();
  settle_tape();
  EXPECT_EQ(tape_bytes(), 0U);
  set_tape_byte_limit(previous);
  EXPECT_EQ(tape_byte_limit(), previous);
  expect_throws<std::invalid_argument>([] { set_tape_byte_limit(0); },
                                       "set_tape_byte_limit: the limit must be at least 1");
}

TEST(Tape, AViewDoesNotCountTowardsTheByteLimitTwice) {
  // reshape shares its input's storage: the bytes are held once, by the record that made them.
  settle_tape();
  const Tensor x = random_leaf({1024}, 5);
  const Tensor y = x * 2.0;
  const Tensor z = y.reshape({32, 32});
  EXPECT_EQ(tape_size(), 2U);
  EXPECT_EQ(tape_bytes(), 8192U);
  static_cast<void>(z);
}

TEST(Tape, AThreadThatEndsWithRecordsOnItsTapeExitsCleanly) {
  // The thread touches its tape before its first tensor, yet the tape's destructor must still find the
  // storage cache alive: under AddressSanitizer the wrong order shows as a use after free or a leak.
  std::thread([] {
    EXPECT_EQ(tape_size(), 0U);
    const Tensor x = leaf({1, 2}, {2});
    const Tensor y = x * 2.0;
    static_cast<void>(y * 3.0);
  }).join();
}

// ---- misuse ----

TEST(Tape, BackwardOnANonScalarNeedsAGradOutput) {
  const Tensor y = leaf({1, 2, 3, 4, 5, 6}, {2, 3}) * 2.0;
  expect_throws<std::logic_error>([&] { y.backward(); },
                                  "backward: called on a tensor of shape [2, 3] without a gradient; only one-element "
                                  "outputs get an implicit gradient of 1");
  expect_throws<std::invalid_argument>([&] { y.backward(f64({1, 2, 3}, {3})); },
                                       "backward: grad_output [3] float64 does not match the output [2, 3] float64");
}

TEST(Tape, BackwardOnATensorWithoutHistory) {
  expect_throws<std::logic_error>(
      [] { f64({1}, {1}).backward(); },
      "backward: the tensor of shape [1] does not require grad and has no recorded history");
}

TEST(Tape, BackwardThroughAPartAnEarlierBackwardReleased) {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor y = x * 2.0;
  const Tensor a = y.sum();
  const Tensor b = (y * 3.0).sum();
  a.backward();
  expect_throws<std::logic_error>([&] { b.backward(); },
                                  "backward: trying to go back through a part of the tape that an earlier backward() "
                                  "already released; pass retain_graph=true");
}

TEST(Tape, BackwardOnAnotherThreadsTensor) {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor loss = sum_of_squares(x);
  std::thread([&] {
    expect_throws<std::logic_error>([&] { loss.backward(); },
                                    "backward: this tensor was recorded on another thread's tape");
  }).join();
}

TEST(Tape, GradOfATensorThatNeverRequiredGrad) {
  expect_throws<std::logic_error>([] { return f64({1, 2}, {2}).grad(); },
                                  "grad: this tensor of shape [2] does not require grad; call requires_grad_() on it "
                                  "before the forward pass");
}

TEST(Tape, GradOfANonLeafWithoutRetainGrad) {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor h = x * 3.0;
  (h * h).sum().backward();
  expect_throws<std::logic_error>([&] { return h.grad(); },
                                  "grad: this tensor of shape [2] is not a leaf, so backward() does not keep its "
                                  "gradient; call retain_grad() on it before backward()");
}

TEST(Tape, OnlyLeavesCanBeMarked) {
  const Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 3.0;
  expect_throws<std::logic_error>([&] { h.requires_grad_(); },
                                  "requires_grad_: only leaf tensors can be marked; this tensor was produced by a "
                                  "recorded op (use detach().requires_grad_() for a new leaf)");
  EXPECT_TRUE(h.detach().requires_grad_().is_leaf());
  Tensor c = f64({1}, {1});
  expect_throws<std::logic_error>([&] { c.retain_grad(); },
                                  "retain_grad: this tensor does not require grad, so it will never have a gradient");
}

}  // namespace
}  // namespace tg
