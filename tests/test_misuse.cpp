// The README's "Misuse errors" section, message for message: if a message changes, this test and the
// README change together.

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "testing.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using testing_support::message_of;


TEST(Misuse, BackwardTwice) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::tensor({1.0, 2.0}).requires_grad_();
              const tg::Tensor y = (x * x).sum();
              y.backward();
              y.backward();
            }),
            "backward: the tape that recorded this tensor was already released by an earlier backward(); pass "
            "retain_graph=true to the first backward(), as in backward({}, true), to call it twice");
}

TEST(Misuse, GradOfANonLeafWithoutRetention) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::tensor({1.0, 2.0}).requires_grad_();
              const tg::Tensor h = x * x;
              h.sum().backward();
              static_cast<void>(h.grad());
            }),
            "grad: this tensor of shape [2] is not a leaf, so backward() does not keep its gradient; call "
            "retain_grad() on it before backward()");
}

TEST(Misuse, GradOfATensorThatNeverRequiredOne) {
  EXPECT_EQ(message_of<std::logic_error>([] { static_cast<void>(tg::tensor({1.0, 2.0}).grad()); }),
            "grad: this tensor of shape [2] does not require grad; call requires_grad_() on it before the forward "
            "pass");
}

TEST(Misuse, BackwardOnANonScalar) {
  EXPECT_EQ(message_of<std::logic_error>([] { (tg::zeros({2, 3}).requires_grad_() * 2.0).backward(); }),
            "backward: called on a tensor of shape [2, 3] without a gradient; only one-element outputs get an "
            "implicit gradient of 1. Pass grad_output, or reduce the output first (e.g. sum() or mean())");
}

TEST(Misuse, ShapeMismatch) {
  EXPECT_EQ(message_of<std::invalid_argument>([] { static_cast<void>(tg::matmul(tg::zeros({64, 10}), tg::zeros({64, 128}))); }),
            "matmul: inner dimensions differ: [64, 10] x [64, 128]");
  EXPECT_EQ(message_of<std::invalid_argument>([] { static_cast<void>(tg::zeros({2, 3}) + tg::zeros({4})); }),
            "add: shapes cannot be broadcast: [2, 3] and [4]");
}

TEST(Misuse, DtypeMix) {
  EXPECT_EQ(message_of<std::invalid_argument>([] { static_cast<void>(tg::zeros({2}) + tg::zeros({2}, tg::kFloat64)); }),
            "add: dtypes differ: float32 and float64; convert one with .to()");
}

TEST(Misuse, BadOptimizerOptions) {
  const tg::Tensor w = tg::zeros({2}).requires_grad_();
  EXPECT_EQ(message_of<std::invalid_argument>([&] { tg::optim::Adam adam({w}, {.lr = -0.1}); }),
            "Adam: lr must be >= 0, got -0.1");
  EXPECT_EQ(message_of<std::invalid_argument>([&] { tg::optim::SGD sgd({w}, {.lr = 0.1, .nesterov = true}); }),
            "SGD: nesterov requires momentum > 0 and dampening = 0, got momentum 0 and dampening 0");
  EXPECT_EQ(message_of<std::invalid_argument>([&] { tg::optim::SGD sgd({w, w.detach().requires_grad_()}, {.lr = 0.1}); }),
            "SGD: parameters 0 and 1 share their storage (one is a detach() or reshape() of the other), so each "
            "step would update it twice; list one of them");
}

TEST(Misuse, RecordingWithoutEverCallingBackward) {
  const testing_support::ScopedTapeLimit limit(100);
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::ones({1}).requires_grad_();
              tg::Tensor total = tg::zeros({1});
              for (int i = 0; i < 1000; ++i) total = total + x * 2.0;  // keeps every step's history
            }),
            "mul: the tape already holds 100 records and no backward() has released them. Run evaluation under "
            "tg::NoGradGuard, or call backward() each step; raise the bound with tg::set_tape_limit() if the model "
            "really needs more ops per step");
}

TEST(Misuse, RecordingLargeResultsWithoutEverCallingBackward) {
  const std::size_t previous = tg::tape_byte_limit();
  tg::set_tape_byte_limit(4096);
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::ones({256}).requires_grad_();  // 1 KiB of float32
              std::vector<tg::Tensor> kept;
              for (int i = 0; i < 1000; ++i) kept.push_back(x * 2.0);  // keeps every result's record
            }),
            "mul: the tape's records already hold 4096 bytes of outputs and no backward() has released them. Run "
            "evaluation under tg::NoGradGuard, or call backward() each step; raise the bound with "
            "tg::set_tape_byte_limit() if the model really needs more memory per step");
  tg::set_tape_byte_limit(previous);
}

TEST(Misuse, BackwardThroughAnotherThreadsIntermediate) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::tensor({1.0, 2.0}).requires_grad_();
              tg::Tensor h;
              std::thread([&] { h = x * 3.0; }).join();
              (h * h).sum().backward();
            }),
            "backward: an input of shape [2] to 'mul' was recorded on another thread's tape; gradients do not flow "
            "from one thread's tape to another, so run the whole forward pass on one thread, or hand the tensor "
            "over as a new leaf (detach().requires_grad_()) and send its gradient back yourself");
}

TEST(Misuse, WritingAValueARecordedBackwardNeeds) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              tg::Tensor a = tg::tensor({1.0, 2.0}).requires_grad_();
              const tg::Tensor b = a * a;
              a.put_({0}, 10);
              b.sum().backward();
            }),
            "backward: one of the variables needed for gradient computation has been modified by an inplace "
            "operation: [float32 [2]], an input of 'mul', is at version 1; expected version 0 instead. Use "
            ".clone() before the in-place write, or do it after backward()");
}

TEST(Misuse, InPlaceOpOnALeafThatRequiresGrad) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              tg::Tensor w = tg::tensor({1.0, 2.0}).requires_grad_();
              w += 1.0;
            }),
            "add_: a leaf Variable that requires grad is being used in an in-place operation. Do it under "
            "tg::NoGradGuard (as optimizers and initialisers do), or write x = x + y for a new tensor");
}

TEST(Misuse, InPlaceOpOnARecordedResult) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              const tg::Tensor x = tg::tensor({1.0, 2.0}).requires_grad_();
              tg::Tensor h = x * 2.0;
              h *= 3.0;
            }),
            "mul_: this tensor has recorded history (a non-leaf that requires grad), and tapegrad does not record "
            "in-place operations; write x = x * y instead");
}

TEST(Misuse, OptimizerOutlivingItsModel) {
  EXPECT_EQ(message_of<std::logic_error>([] {
              std::unique_ptr<tg::optim::SGD> opt;
              {
                tg::nn::Linear layer(2, 1);
                opt = std::make_unique<tg::optim::SGD>(layer.parameters(), tg::optim::SGDOptions{.lr = 0.1});
              }
              opt->step();
            }),
            "SGD: parameter 0 ([2, 1] float32) is held by nothing but this optimizer, so no forward pass can give "
            "it a gradient: its model was destroyed, or the tensor was replaced in the model, after the optimizer "
            "was built. Keep the model alive, and change parameters in place (load_parameter, Module::to) or "
            "build the optimizer afterwards");
}

}  // namespace
