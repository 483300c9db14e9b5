// Caches behind Storage and TensorImpl. Each thread keeps free lists by size class; memory freed on
// another thread joins that thread's lists. A training step allocates the same sizes every time, so
// after the first step every request is served from the lists.

#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "tapegrad/detail/impl.hpp"

namespace tg::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kHeader = 64;                            // Storage header, then the data
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 31;  // per thread
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
  TensorImpl* impls;
  std::size_t impl_count;
  std::size_t cached_bytes;
  std::size_t misses;
};
constinit thread_local FreeLists lists{};

// Hands the cached blocks back to the heap when the thread ends. It is created on the first miss,
// before this thread's tape (see current_tape), so it is destroyed after the tape has returned its tensors.
struct Cleanup {
  ~Cleanup() {
    for (Storage*& head : lists.storages)
      while (head != nullptr) std::free(std::exchange(head, head->next));
    while (lists.impls != nullptr) ::operator delete(std::exchange(lists.impls, lists.impls->grad));
    lists.impl_count = 0;
    lists.cached_bytes = 0;
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

}  // namespace

Storage* storage_alloc(std::size_t bytes) {
  std::size_t rounded = 0;
  const std::size_t cls = size_class(bytes == 0 ? 1 : bytes, &rounded);
  if (cls < kClasses && lists.storages[cls] != nullptr) {
    Storage* s = lists.storages[cls];
    lists.storages[cls] = s->next;
    lists.cached_bytes -= s->bytes;
    s->refs.store(1, std::memory_order_relaxed);
    return s;
  }
  count_miss();
  void* block = std::aligned_alloc(kAlign, kHeader + rounded);
  if (block == nullptr) throw std::bad_alloc();
  auto* s = ::new (block) Storage;
  s->bytes = rounded;
  s->data = static_cast<std::byte*>(block) + kHeader;
  return s;
}

void storage_release(Storage* storage) {
  if (storage->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::size_t rounded = 0;
  const std::size_t cls = size_class(storage->bytes, &rounded);
  if (cls >= kClasses || lists.cached_bytes + storage->bytes > kMaxCachedBytes) {
    std::free(storage);
    return;
  }
  storage->next = lists.storages[cls];
  lists.storages[cls] = storage;
  lists.cached_bytes += storage->bytes;
}

TensorImpl* impl_alloc(const Shape& shape, Dtype dtype) {
  const std::int64_t numel = shape.numel();
  for (std::int64_t extent : shape)
    if (extent < 0)
      throw std::invalid_argument("empty: shape " + shape.str() + " has a -1 extent; only reshape can infer one");
  Storage* storage = storage_alloc(static_cast<std::size_t>(numel) * dtype_size(dtype));
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

}  // namespace tg::detail
