#pragma once
// Counts every operator new of the program, to prove that a training or optimizer step does not touch the
// heap. Include it in exactly one source file of a program (tests/test_optim.cpp, bench/bench_autograd.cpp):
// it replaces the global operator new and delete. tapegrad's caches count their own misses
// (tg::detail::cache_misses()): a storage miss takes memory with aligned_alloc, which only that count
// sees; a tensor-body miss also calls operator new, which both see. Callers check both.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace tapegrad_testing {
inline std::atomic<std::size_t> operator_news{0};
inline std::atomic<std::size_t> operator_new_bytes{0};  // the sum of every size asked for
}  // namespace tapegrad_testing

// All three out of line: GCC would otherwise inline one side, see malloc or free paired with an operator
// new or delete it cannot see into, and warn of a mismatched pair (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t bytes) {
  tapegrad_testing::operator_news.fetch_add(1, std::memory_order_relaxed);
  tapegrad_testing::operator_new_bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t /*bytes*/) noexcept { std::free(p); }
