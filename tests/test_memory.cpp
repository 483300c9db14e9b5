// Memory: training reaches a steady state after its first epoch (tapegrad's caches stop going to the heap
// and the resident set stops growing), evaluation that forgets NoGradGuard but drops its results stays
// bounded, and a loop that keeps its results with recording on fails with a message that names the fix.
// Each thread's storage cache stays within its budget, also when it frees batches a loader thread made
// or holds sizes it no longer uses, and an allocation the heap refuses says what it was for.
// Resident memory is VmRSS from /proc/self/status (Linux).

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tapegrad/nn.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/tapegrad.hpp"
#include "testing.hpp"

using tg::Tensor;

// Under AddressSanitizer freed blocks wait in a quarantine and every allocation carries redzones, so the
// resident set measures the sanitizer, not tapegrad; the RSS checks are skipped there. So is asking the
// heap for an impossible size: the sanitizer aborts on it rather than returning null.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TAPEGRAD_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TAPEGRAD_SANITIZED 1
#endif
#endif

namespace {

constexpr std::int64_t kMiB = 1024;  // in the KiB that VmRSS counts

#ifdef TAPEGRAD_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr bool kMeasureRss = !kSanitized;
constexpr std::size_t kMiBytes = std::size_t{1} << 20;

// Resident set size of this process in KiB ("VmRSS:   12345 kB"); -1 when /proc is not there.
std::int64_t rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::int64_t kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

// The tutorial's 64-128-128-10 sigmoid network.
std::shared_ptr<tg::nn::Sequential> digits_network(tg::Generator& gen) {
  return std::make_shared<tg::nn::Sequential>(
      std::make_shared<tg::nn::Linear>(64, 128, gen), std::make_shared<tg::nn::Sigmoid>(),
      std::make_shared<tg::nn::Linear>(128, 128, gen), std::make_shared<tg::nn::Sigmoid>(),
      std::make_shared<tg::nn::Linear>(128, 10, gen));
}

// The bounded hand-off between a data-loading thread and a training thread.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  void push(Tensor batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return batches_.size() < capacity_; });
    batches_.push_back(std::move(batch));
    changed_.notify_all();
  }
  Tensor pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !batches_.empty(); });
    Tensor batch = std::move(batches_.front());
    batches_.pop_front();
    changed_.notify_all();
    return batch;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Tensor> batches_;
};

}  // namespace

TEST(Memory, TrainingTheDigitsNetworkStopsAllocatingAfterTheFirstEpoch) {
  if (kMeasureRss) {
    ASSERT_GT(rss_kib(), 0) << "no VmRSS in /proc/self/status";
  }
  const tg::nn::Dataset digits = tg::nn::load_digits(std::filesystem::path(TAPEGRAD_SOURCE_DIR) / "data" / "digits.csv.gz");
  tg::nn::DataLoader loader(digits, {.batch_size = 64, .shuffle = true, .seed = 1});
  tg::Generator gen(1);
  const auto model = digits_network(gen);
  tg::optim::SGD optimizer(model->parameters(), {.lr = 0.5});

  constexpr int kEpochs = 20;
  std::int64_t rss_after[kEpochs + 1] = {};
  std::size_t misses_after[kEpochs + 1] = {};
  double last_loss = 0;
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    for (const tg::nn::Batch& batch : loader) {
      const Tensor loss = tg::nn::cross_entropy((*model)(batch.inputs), batch.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      last_loss = loss.item();
    }
    rss_after[epoch] = rss_kib();
    misses_after[epoch] = tg::detail::cache_misses();
  }
  EXPECT_LT(last_loss, 0.5) << "the network did not train";
  // Every step after the first epoch is served from the caches: no heap allocation per step.
  for (int epoch = 2; epoch <= kEpochs; ++epoch)
    EXPECT_EQ(misses_after[epoch], misses_after[1]) << "tapegrad's caches went to the heap in epoch " << epoch;
  if (kMeasureRss) {
    EXPECT_LT(rss_after[kEpochs] - rss_after[2], kMiB)
        << "resident memory grew from " << rss_after[2] << " KiB after epoch 2 to " << rss_after[kEpochs]
        << " KiB after epoch " << kEpochs;
  }
  EXPECT_EQ(tg::tape_size(), 0U);
}

TEST(Memory, EvaluationWithoutNoGradGuardThatDropsItsResultsStaysBounded) {
  tg::Generator gen(2);
  const auto model = digits_network(gen);  // parameters require grad: every forward pass is recorded
  const Tensor inputs = tg::rand({8, 64}, gen);

  constexpr int kPasses = 10000;
  std::size_t largest_tape = 0;
  std::int64_t rss_at_1000 = 0;
  for (int pass = 1; pass <= kPasses; ++pass) {
    static_cast<void>((*model)(inputs));
    largest_tape = std::max(largest_tape, tg::tape_size());
    if (pass == 1000) rss_at_1000 = rss_kib();
  }
  // Records nobody can reach are dropped as they fall off the tape's end: at most one pass's worth live.
  EXPECT_LE(largest_tape, 8U);
  if (kMeasureRss) {
    EXPECT_LT(rss_kib() - rss_at_1000, kMiB) << "resident memory grew from " << rss_at_1000 << " KiB after 1000 "
                                            << "passes to " << rss_kib() << " KiB after " << kPasses;
  }
}

TEST(Memory, KeepingResultsWithRecordingOnFailsAndNamesNoGradGuard) {
  tg::Generator gen(3);
  const auto model = digits_network(gen);
  const Tensor inputs = tg::rand({8, 64}, gen);
  const Tensor labels = tg::arange(8, tg::kInt64);
  {
    const testing_support::ScopedTapeLimit limit(1000);
    Tensor total = tg::scalar_tensor(0.0);
    std::string message;
    int passes = 0;
    try {
      for (; passes < 10000; ++passes) total = total + tg::nn::cross_entropy((*model)(inputs), labels);
    } catch (const std::logic_error& e) {
      message = e.what();
    }
    EXPECT_LT(passes, 1000) << "the tape limit was never reached";
    EXPECT_NE(message.find("Run evaluation under tg::NoGradGuard"), std::string::npos) << message;
    EXPECT_EQ(tg::tape_size(), 1000U);
    {
      const tg::NoGradGuard no_grad;  // the fix the message names: the same loop records nothing
      for (int pass = 0; pass < 2000; ++pass)
        total = total.detach() + tg::nn::cross_entropy((*model)(inputs), labels);
    }
    EXPECT_EQ(tg::tape_size(), 1000U);  // nothing recorded; the old records stay until the next op drops them
  }
  // Nobody holds the outputs of those records any more: the next recorded op drops them.
  static_cast<void>((*model)(inputs));
  EXPECT_LE(tg::tape_size(), 8U);
}

// A loader thread makes every batch and the training thread frees it, so the trainer's cache is offered
// blocks it never allocated. It used to keep them all (up to 2 GiB): resident memory grew by every batch.
TEST(Memory, TrainingOnBatchesFromALoaderThreadStaysBoundedAndOffTheHeap) {
  constexpr std::int64_t kRows = 64;
  constexpr std::int64_t kFeatures = 1024;  // 256 KiB float32 batches
  constexpr int kBatches = 600;             // 150 MiB through the queue, twice the cache budget
  constexpr int kWarm = 300;                // after 75 MiB: any hoarding cache would be at its budget by now
  BatchQueue queue(4);                      // at most 5 batches (1.25 MiB) alive
  std::thread loader([&] {
    for (int b = 0; b < kBatches; ++b) queue.push(tg::full({kRows, kFeatures}, 0.01 * (b % 7)));
  });
  tg::Generator gen(4);
  tg::nn::Linear model(kFeatures, kRows, gen);  // its 256 KiB weight gradient lives from one step to the next
  tg::optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  const Tensor labels = tg::arange(kRows, tg::kInt64);  // row i is class i
  std::size_t most_cached = 0;
  std::size_t misses_warm = 0;
  std::int64_t rss_warm = 0;
  for (int b = 1; b <= kBatches; ++b) {
    const Tensor batch = queue.pop();
    const Tensor loss = tg::nn::cross_entropy(model(batch), labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    most_cached = std::max(most_cached, tg::detail::cached_bytes());
    if (b == kWarm) {
      misses_warm = tg::detail::cache_misses();
      rss_warm = rss_kib();
    }
  }
  loader.join();
  EXPECT_LE(most_cached, tg::detail::kCacheBudgetBytes);  // the trainer's own working set is far below it
  EXPECT_EQ(tg::detail::cache_misses(), misses_warm) << "the training thread's own step went to the heap";
  if (kMeasureRss) {
    // Both caches are settled by batch 300 and the queue bounds what is alive, so nothing should grow:
    // 8 MiB is slack for malloc's arenas; a cache keeping the batches grows 75 MiB here.
    EXPECT_LT(rss_kib() - rss_warm, 8 * kMiB) << "resident memory grew from " << rss_warm << " KiB after batch "
                                               << kWarm << " to " << rss_kib() << " KiB after " << kBatches;
  }
}

TEST(Memory, TheStorageCacheHoldsEachSizesPeakAndNoMore) {
  // Ten rounds of 10 MiB, each in blocks of a size no other round uses: 100 MiB handed back, at most
  // 10 MiB alive at once. The budget is the sum of each size's peak, and the cache holds all of it.
  constexpr std::size_t kSizes[] = {4, 5, 6, 7, 8, 10, 12, 14, 16, 20};  // quarter MiBs: ten size classes
  const std::size_t budget_before = tg::detail::cache_budget();
  std::size_t offered = 0;
  for (const std::size_t quarters : kSizes) {
    const std::int64_t floats = static_cast<std::int64_t>(quarters * kMiBytes / 4 / sizeof(float));
    std::vector<Tensor> blocks;
    for (std::size_t i = 0; i < 40 / quarters; ++i) blocks.push_back(tg::empty({floats}));
    offered += 40 / quarters * quarters * kMiBytes / 4;
  }
  EXPECT_GE(tg::detail::cache_budget(), offered);
  EXPECT_LE(tg::detail::cache_budget(), budget_before + offered);  // grown by those peaks, no more
  EXPECT_GE(tg::detail::cached_bytes(), offered);
  EXPECT_LE(tg::detail::cached_bytes(), tg::detail::cache_budget());
}

// A working set above the floor (fashion_cnn's step) is kept whole.
TEST(Memory, TheStorageCacheKeepsAWorkingSetLargerThanItsFloor) {
  const std::size_t floor = tg::detail::kCacheBudgetBytes;
  const std::int64_t blocks = static_cast<std::int64_t>(floor / kMiBytes) * 3 / 2;  // 1.5 times the floor, in MiBs
  std::size_t misses_warm = 0;
  for (int step = 1; step <= 3; ++step) {
    if (step == 2) misses_warm = tg::detail::cache_misses();
    std::vector<Tensor> alive;
    for (std::int64_t i = 0; i < blocks; ++i) alive.push_back(tg::empty({static_cast<std::int64_t>(kMiBytes / sizeof(float))}));
  }
  EXPECT_EQ(tg::detail::cache_misses(), misses_warm) << "a step of the same working set went to the heap";
  EXPECT_GE(tg::detail::cache_budget(), static_cast<std::size_t>(blocks) * kMiBytes);
  EXPECT_GE(tg::detail::cached_bytes(), static_cast<std::size_t>(blocks) * kMiBytes);
}

// A cache full of one size must not turn away the sizes a new workload on the same thread asks for.
TEST(Memory, SizesAThreadNoLongerAsksForMakeWayForTheOnesItDoes) {
  {
    std::vector<Tensor> blocks;
    // 80 MiB of a size nothing below uses, in blocks of 20 KiB: the cache is full to its budget when the
    // step's 270 KiB of other sizes first come back.
    for (int i = 0; i < 4096; ++i) blocks.push_back(tg::empty({4 * 1024 + 1}));
  }
  ASSERT_GT(tg::detail::cached_bytes() + kMiBytes / 16, tg::detail::cache_budget());
  tg::Generator gen(5);
  const auto model = digits_network(gen);
  tg::optim::SGD optimizer(model->parameters(), {.lr = 0.5});
  const Tensor inputs = tg::rand({64, 64}, gen);
  const Tensor labels = tg::full({64}, 3, tg::kInt64);
  std::size_t misses_warm = 0;
  for (int step = 1; step <= 20; ++step) {
    const Tensor loss = tg::nn::cross_entropy((*model)(inputs), labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (step == 2) misses_warm = tg::detail::cache_misses();
  }
  EXPECT_EQ(tg::detail::cache_misses(), misses_warm) << "steady-state steps went to the heap";
}

TEST(Memory, AnAllocationTheHeapRefusesSaysWhatItWasFor) {
  if (kSanitized) return;  // see TAPEGRAD_SANITIZED
  // 2^61 bytes: below tapegrad's own limit, above any machine's address space, so the heap says no.
  const std::string message = testing_support::message_of<tg::AllocationError>([] { static_cast<void>(tg::empty({1LL << 59})); });
  EXPECT_EQ(message, "cannot allocate 2305843009213693952 bytes for a float32 tensor of shape [576460752303423488]");
  EXPECT_THROW(static_cast<void>(tg::empty({1LL << 59})), std::bad_alloc);
}
