#pragma once
// compare_optimizers --jobs: independent trainings on a few threads, collected by index.
//
// Threads rather than processes: tapegrad's tape, storage cache and default generator are per thread,
// and a training touches nothing shared, so every run computes the same bits on any thread. OpenBLAS's
// thread count is one global setting (openblas_set_num_threads is not safe to call while another thread
// multiplies), so the caller sets it to 1 once, before run_parallel starts any thread; OpenBLAS's
// multithreaded build takes concurrent calls from several threads.

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace compare {

/// results[i] = work(i) for i in [0, count), on `jobs` threads (jobs = 1: on this thread, in order).
/// Which thread runs which index depends on scheduling; the results do not. The first exception (by
/// index) is rethrown after every thread has finished; the indices after it may not have run.
template <class Result>
std::vector<Result> run_parallel(std::size_t count, int jobs, const std::function<Result(std::size_t)>& work) {
  std::vector<Result> results(count);
  std::vector<std::exception_ptr> errors(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  const auto worker = [&] {
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        results[i] = work(i);
      } catch (...) {
        errors[i] = std::current_exception();
        failed = true;
      }
    }
  };
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::jthread> threads;
    for (int t = 0; t < jobs && static_cast<std::size_t>(t) < count; ++t) threads.emplace_back(worker);
  }  // the jthreads join here
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace compare
