// Threads: each thread records on its own tape and draws from its own storage cache, so two models trained
// at once on two threads end bit-identical to the same models trained one after the other; tensors cross
// threads safely, and backward() on another thread's tensor is a clean std::logic_error.
// scripts/tsan.sh runs this file under ThreadSanitizer.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/tapegrad.hpp"

using tg::Tensor;

namespace {

using testing_support::message_of;

constexpr std::int64_t kSamples = 96;
constexpr std::int64_t kFeatures = 64;
constexpr std::int64_t kClasses = 10;
constexpr int kSteps = 50;

enum class Rule { Sgd, Adam };

// A 64-32-10 MLP, its optimizer and its data, all from one seed; train() runs on whichever thread calls it.
struct Job {
  Job(std::uint64_t seed, Rule rule) : rule(rule) {
    tg::Generator gen(seed);
    model = std::make_shared<tg::nn::Sequential>(std::make_shared<tg::nn::Linear>(kFeatures, 32, gen),
                                                 std::make_shared<tg::nn::Tanh>(),
                                                 std::make_shared<tg::nn::Linear>(32, kClasses, gen));
    inputs = tg::randn({kSamples, kFeatures}, gen);
    std::vector<std::int64_t> classes(kSamples);
    for (std::int64_t& c : classes) c = static_cast<std::int64_t>(gen.below(kClasses));
    labels = tg::tensor(classes, {kSamples});
  }

  void train() {
    std::unique_ptr<tg::optim::Optimizer> optimizer;
    if (rule == Rule::Sgd)
      optimizer = std::make_unique<tg::optim::SGD>(model->parameters(), tg::optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
    else
      optimizer = std::make_unique<tg::optim::Adam>(model->parameters(), tg::optim::AdamOptions{.lr = 1e-2});
    for (int step = 0; step < kSteps; ++step) {
      const Tensor loss = tg::nn::cross_entropy((*model)(inputs), labels);
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
    }
  }

  Rule rule;
  std::shared_ptr<tg::nn::Sequential> model;
  Tensor inputs;
  Tensor labels;
};

// Every element of every parameter of a equals b's, bit for bit (the first mismatch of each is reported).
void expect_identical(const Job& a, const Job& b) {
  const auto pa = a.model->named_parameters();
  const auto pb = b.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k) {
    const std::vector<double> va = pa[k].second.to_vector();
    const std::vector<double> vb = pb[k].second.to_vector();
    ASSERT_EQ(va.size(), vb.size()) << pa[k].first;
    for (std::size_t i = 0; i < va.size(); ++i) {
      EXPECT_EQ(va[i], vb[i]) << pa[k].first << "[" << i << "]";
      if (va[i] != vb[i]) break;
    }
  }
}


constexpr const char* kOtherThread = "backward: this tensor was recorded on another thread's tape; call backward() on "
                                     "the thread that ran its forward pass";

}  // namespace

TEST(Threads, TwoModelsTrainedAtOnceEqualTheSameModelsTrainedOneAfterTheOther) {
  Job sgd_alone(1, Rule::Sgd);
  Job adam_alone(2, Rule::Adam);
  sgd_alone.train();
  adam_alone.train();

  // The models are built here and trained on two threads that start together; the results are read here.
  Job sgd_together(1, Rule::Sgd);
  Job adam_together(2, Rule::Adam);
  std::latch start(2);
  const auto run = [&start](Job& job) {
    start.arrive_and_wait();
    job.train();
  };
  std::thread first(run, std::ref(sgd_together));
  std::thread second(run, std::ref(adam_together));
  first.join();
  second.join();

  expect_identical(sgd_alone, sgd_together);
  expect_identical(adam_alone, adam_together);
  EXPECT_EQ(tg::tape_size(), 0U);
}

TEST(Threads, ATensorRecordedOnOneThreadCannotGoBackwardOnAnother) {
  const Tensor w = tg::tensor({0.5, -1.0, 2.0}, {3}).requires_grad_();
  const Tensor loss = (w * w).sum();
  std::string message;
  std::thread([&] { message = message_of<std::logic_error>([&] { loss.backward(); }); }).join();
  EXPECT_EQ(message.rfind(kOtherThread, 0), 0U) << message;

  // The failed call left this thread's tape intact: the backward here still works.
  loss.backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1.0, -2.0, 4.0}));
}

TEST(Threads, ATensorRecordedOnAThreadThatHasEndedCannotGoBackward) {
  // The worker's tape is gone with the worker; its tensors stay valid as values.
  const Tensor w = tg::tensor({3.0}, {1}).requires_grad_();
  Tensor loss;
  std::thread([&] { loss = (w * w).sum(); }).join();
  EXPECT_EQ(loss.item(), 9.0);
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }).rfind(kOtherThread, 0), 0U);
  EXPECT_FALSE(w.grad().defined());
}

TEST(Threads, TwoThreadsGoingBackwardThroughOneLeafAddEveryGradient) {
  // Each thread sends `scale` to every element of w's gradient kSteps times; integers are exact in float64,
  // so the sum must be exactly kSteps * (1 + 2) whatever the interleaving. scripts/tsan.sh checks the locking.
  constexpr int kBackwardSteps = 50000;
  const Tensor w = tg::zeros({1024}, tg::kFloat64).requires_grad_();
  std::latch start(2);
  const auto run = [&](double scale) {
    start.arrive_and_wait();
    for (int step = 0; step < kBackwardSteps; ++step) (w * scale).sum().backward();
  };
  std::thread first(run, 1.0);
  std::thread second(run, 2.0);
  first.join();
  second.join();
  EXPECT_EQ(w.grad().to_vector(), std::vector<double>(1024, 3.0 * kBackwardSteps));
}

constexpr const char* kInputFromOtherThread =
    "backward: an input of shape [2] to 'mul' was recorded on another thread's tape; gradients do not flow from "
    "one thread's tape to another, so run the whole forward pass on one thread, or hand the tensor over as a new "
    "leaf (detach().requires_grad_()) and send its gradient back yourself";

TEST(Threads, AnInputRecordedOnAThreadThatHasEndedIsNamedAsSuch) {
  const Tensor w = tg::tensor({1.0, 2.0}, {2}).requires_grad_();
  Tensor h;
  std::thread([&] { h = w * 3.0; }).join();
  const Tensor loss = (h * h).sum();  // recorded here; h was recorded on the worker's tape, now gone
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }), kInputFromOtherThread);
  EXPECT_FALSE(w.grad().defined());
}

TEST(Threads, AnInputRecordedOnAThreadStillRunningIsNamedAsSuch) {
  const Tensor w = tg::tensor({1.0, 2.0}, {2}).requires_grad_();
  Tensor h;
  std::latch recorded(1);
  std::latch done(1);
  std::thread worker([&] {
    h = w * 3.0;
    recorded.count_down();
    done.wait();  // the worker's tape, and h's record on it, stay alive while this thread tries
  });
  recorded.wait();
  const Tensor loss = (h * h).sum();
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }), kInputFromOtherThread);
  done.count_down();
  worker.join();
  EXPECT_FALSE(w.grad().defined());
}

TEST(Threads, TensorsMadeOnEndedThreadsAreUsedAndFreedHere) {
  // Storage allocated on a worker's cache is released on this thread (and joins this thread's cache).
  std::vector<Tensor> made;
  for (int t = 0; t < 4; ++t)
    std::thread([&made, t] {
      tg::Generator gen(static_cast<std::uint64_t>(t));
      const Tensor x = tg::randn({16, 16}, gen);
      made.push_back(tg::matmul(x, x.t()) + 1.0);
    }).join();
  const tg::NoGradGuard no_grad;
  Tensor total = tg::zeros({16, 16});
  for (const Tensor& m : made) total = total + m;
  made.clear();
  // The same sums made here, on one thread: the memory that crossed threads held the right numbers.
  Tensor expected = tg::zeros({16, 16});
  for (int t = 0; t < 4; ++t) {
    tg::Generator gen(static_cast<std::uint64_t>(t));
    const Tensor x = tg::randn({16, 16}, gen);
    expected = expected + (tg::matmul(x, x.t()) + 1.0);
  }
  EXPECT_EQ(total.shape(), tg::Shape({16, 16}));
  EXPECT_EQ(total.to_vector(), expected.to_vector());
}
