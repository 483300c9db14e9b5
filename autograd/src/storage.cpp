// Caches behind Storage and TensorImpl. Each thread keeps free lists by size class; memory freed on
// another thread joins that thread's lists. A training step allocates the same sizes every time, so
// after the first step every request is served from the lists. The lists hold at most cache_budget()
// per thread: kCacheBudgetBytes, or if it is more, the sum over size classes of the most this thread
// had alive at once in each (what a repeating step needs to never miss). So a thread which frees more
// than it allocates (the consumer of a loader thread's batches) does not hoard what it receives: a block
// of a size the thread never asks for goes back to the heap, and past the budget so do blocks of the
// size it holds the most of.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/hooks.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kHeader = 64;                            // Storage header, then the data
// No machine has this much memory, and below it size_class's rounding and the header cannot overflow.
constexpr std::size_t kMaxBytes = std::size_t{1} << 62;
constexpr std::size_t kMaxCachedImpls = std::size_t{1} << 16;
constexpr std::size_t kClasses = 64 + 4 * 52;

// Size classes: multiples of 64 bytes up to 4 KiB, then four classes per power of two.
std::size_t size_class(std::size_t bytes, std::size_t* rounded) {
  if (bytes <= 4096) {
    const std::size_t n = (bytes + 63) / 64;
    *rounded = n * 64;
    return n;
  }
  const int log2 = 63 - __builtin_clzll(bytes - 1);  // 2^log2 < bytes <= 2^(log2+1)
  const std::size_t base = std::size_t{1} << log2;
  const std::size_t quarter = base / 4;
  const std::size_t step = (bytes - base + quarter - 1) / quarter;  // 1..4
  *rounded = base + step * quarter;
  return 64 + static_cast<std::size_t>(log2 - 12) * 4 + step;
}

// Intrusive free lists in a constant-initialised thread_local, so that the fast path is a few loads
// with no initialisation guard. Storage::next and TensorImpl::grad link the free entries.
struct FreeLists {
  Storage* storages[kClasses];
  std::size_t class_bytes[kClasses];  // what each list holds
  bool requested[kClasses];           // whether this thread has ever asked for the class
  TensorImpl* impls;
  std::size_t impl_count;
  std::size_t cached_bytes;
  std::size_t misses;
  // Per class, bytes of blocks alive now and the most ever alive at once, as this thread counts them
  // (a block freed here is taken off here, wherever it was made, so `live` can go below zero), and the
  // sum of those peaks: what the lists must be able to hold for a step that repeats never to miss.
  std::int64_t live[kClasses];
  std::int64_t peak[kClasses];
  std::int64_t peak_sum;
};
constinit thread_local FreeLists lists{};

Storage* pop(std::size_t cls) {
  Storage* s = std::exchange(lists.storages[cls], lists.storages[cls]->next);
  lists.class_bytes[cls] -= s->bytes;
  lists.cached_bytes -= s->bytes;
  return s;
}

void push(std::size_t cls, Storage* s) {
  s->next = std::exchange(lists.storages[cls], s);
  lists.class_bytes[cls] += s->bytes;
  lists.cached_bytes += s->bytes;
}

void free_cached_storages() {
  for (std::size_t cls = 0; cls < kClasses; ++cls)
    while (lists.storages[cls] != nullptr) std::free(pop(cls));
}

// Hands the cached blocks back to the heap when the thread ends. It is created on the first miss,
// before this thread's tape (see current_tape), so it is destroyed after the tape has returned its tensors.
struct Cleanup {
  ~Cleanup() {
    free_cached_storages();
    while (lists.impls != nullptr) ::operator delete(std::exchange(lists.impls, lists.impls->grad));
    lists.impl_count = 0;
  }
};

void ensure_cleanup() {
  thread_local Cleanup cleanup;
  static_cast<void>(cleanup);
}

void count_miss() {
  ensure_cleanup();
  ++lists.misses;
}

TensorImpl* impl_body() {
  if (TensorImpl* t = lists.impls) {
    lists.impls = t->grad;
    --lists.impl_count;
    return ::new (t) TensorImpl;
  }
  count_miss();
  return ::new (::operator new(sizeof(TensorImpl))) TensorImpl;
}

// Makes room within the budget for a block of `bytes` in class `cls` by handing back blocks of the class
// that holds the most: that is where a surplus piles up (batches another thread allocated, the sizes of
// a model this thread no longer trains), while the sizes a training step cycles through hold a few
// blocks each. False when `cls` itself, with the new block, holds the most.
bool make_room(std::size_t cls, std::size_t bytes) {
  const std::size_t budget = cache_budget();
  if (bytes > budget) return false;
  while (lists.cached_bytes + bytes > budget) {
    std::size_t largest = cls;
    std::size_t most = lists.class_bytes[cls] + bytes;
    for (std::size_t c = 0; c < kClasses; ++c)
      if (lists.class_bytes[c] > most) {
        largest = c;
        most = lists.class_bytes[c];
      }
    if (largest == cls) return false;
    std::free(pop(largest));
  }
  return true;
}

// numel * size in decimal, exact even where it overflows size_t (numel < 2^63, size <= 8).
std::string times(std::uint64_t numel, std::uint64_t size) {
  const std::uint64_t low = (numel % 10) * size;
  const std::uint64_t high = (numel / 10) * size + low / 10;
  return (high == 0 ? "" : std::to_string(high)) + std::to_string(low % 10);
}

[[noreturn]] void throw_allocation_error(const Shape& shape, Dtype dtype) {
  throw AllocationError("cannot allocate " + times(static_cast<std::uint64_t>(shape.numel()), dtype_size(dtype)) +
                        " bytes for a " + std::string(dtype_name(dtype)) + " tensor of shape " + shape.str());
}

// Counts a block of `bytes` in class `cls` as alive on this thread.
void note_alive(std::size_t cls, std::size_t bytes) {
  lists.live[cls] += static_cast<std::int64_t>(bytes);
  if (lists.live[cls] > lists.peak[cls]) {
    lists.peak_sum += lists.live[cls] - lists.peak[cls];
    lists.peak[cls] = lists.live[cls];
  }
}

}  // namespace

Storage* storage_alloc(std::size_t bytes) {
  std::size_t rounded = 0;
  const std::size_t cls = size_class(bytes == 0 ? 1 : bytes, &rounded);
  lists.requested[cls] = true;
  note_alive(cls, rounded);
  if (lists.storages[cls] != nullptr) {
    Storage* s = pop(cls);
    s->refs.store(1, std::memory_order_relaxed);
    s->version.store(0, std::memory_order_relaxed);
    return s;
  }
  count_miss();
  void* block = std::aligned_alloc(kAlign, kHeader + rounded);
  if (block == nullptr && lists.cached_bytes > 0) {  // blocks of other sizes may make room
    free_cached_storages();
    block = std::aligned_alloc(kAlign, kHeader + rounded);
  }
  if (block == nullptr) {
    lists.live[cls] -= static_cast<std::int64_t>(rounded);
    return nullptr;
  }
  auto* s = ::new (block) Storage;
  s->bytes = rounded;
  s->data = static_cast<std::byte*>(block) + kHeader;
  return s;
}

void storage_release(Storage* storage) {
  if (storage->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::size_t rounded = 0;
  const std::size_t cls = size_class(storage->bytes, &rounded);
  lists.live[cls] -= static_cast<std::int64_t>(storage->bytes);
  // A size this thread has never asked for (a block another thread allocated) would only take up room.
  if (!lists.requested[cls] || !make_room(cls, storage->bytes)) {
    std::free(storage);
    return;
  }
  push(cls, storage);
}

TensorImpl* impl_alloc(const Shape& shape, Dtype dtype) {
  for (std::int64_t extent : shape)
    if (extent < 0)
      throw std::invalid_argument("empty: shape " + shape.str() + " has a -1 extent; only reshape can infer one");
  const std::int64_t numel = shape.numel();
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::size_t>(numel), dtype_size(dtype), &bytes) || bytes > kMaxBytes)
    throw_allocation_error(shape, dtype);
  Storage* storage = storage_alloc(bytes);
  if (storage == nullptr) throw_allocation_error(shape, dtype);
  TensorImpl* t = impl_body();
  t->shape = shape;
  t->numel = numel;
  t->dtype = dtype;
  t->storage = storage;
  return t;
}

TensorImpl* impl_alloc_shared(const Shape& shape, Dtype dtype, Storage* storage) {
  storage->refs.fetch_add(1, std::memory_order_relaxed);
  TensorImpl* t = impl_body();
  t->shape = shape;
  t->numel = shape.numel();
  t->dtype = dtype;
  t->storage = storage;
  return t;
}

void impl_destroy(TensorImpl* impl) {
  // Iterative over the chain impl -> grad, so that nothing recurses deeply.
  while (impl != nullptr) {
    TensorImpl* next = impl->grad;
    if (impl->storage != nullptr) storage_release(impl->storage);
    if (impl->hooks != nullptr) destroy_hooks(impl->hooks);
    impl->~TensorImpl();
    if (lists.impl_count < kMaxCachedImpls) {
      impl->grad = lists.impls;
      lists.impls = impl;
      ++lists.impl_count;
    } else {
      ::operator delete(impl);
    }
    impl = next != nullptr && next->refs.fetch_sub(1, std::memory_order_acq_rel) == 1 ? next : nullptr;
  }
}

std::size_t cache_misses() {
  ensure_cleanup();  // before anything that returns memory at thread exit (the tape) is constructed
  return lists.misses;
}

std::size_t cached_bytes() { return lists.cached_bytes; }

std::size_t cache_budget() { return std::max(kCacheBudgetBytes, static_cast<std::size_t>(lists.peak_sum)); }

}  // namespace tg::detail
