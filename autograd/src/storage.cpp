// Caches behind Storage and TensorImpl. Each thread keeps free lists by size class; memory freed on
// another thread joins that thread's lists. A training step allocates the same sizes every time, so
// after the first step every request is served from the lists.

#include <cstdlib>
#include <new>
#include <vector>

#include "tapegrad/detail/impl.hpp"

namespace tg::detail {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kHeader = 64;                     // Storage header, then the data
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 31;  // per thread

// Size classes: multiples of 64 bytes below 4 KiB, then four classes per power of two.
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

struct Cache {
  std::vector<std::vector<Storage*>> storages;
  std::vector<TensorImpl*> impls;
  std::size_t cached_bytes = 0;
  std::size_t misses = 0;

  ~Cache() {
    for (auto& list : storages)
      for (Storage* s : list) std::free(s);
    for (TensorImpl* t : impls) ::operator delete(t);
  }
};

Cache& cache() {
  thread_local Cache c;
  return c;
}

}  // namespace

Storage* storage_alloc(std::size_t bytes) {
  Cache& c = cache();
  std::size_t rounded = 0;
  const std::size_t cls = size_class(bytes == 0 ? 1 : bytes, &rounded);
  if (cls < c.storages.size() && !c.storages[cls].empty()) {
    Storage* s = c.storages[cls].back();
    c.storages[cls].pop_back();
    c.cached_bytes -= s->bytes;
    s->refs.store(1, std::memory_order_relaxed);
    return s;
  }
  ++c.misses;
  void* block = std::aligned_alloc(kAlign, kHeader + rounded);
  if (block == nullptr) throw std::bad_alloc();
  auto* s = ::new (block) Storage;
  s->bytes = rounded;
  s->data = static_cast<std::byte*>(block) + kHeader;
  return s;
}

void storage_release(Storage* storage) {
  if (storage->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  Cache& c = cache();
  std::size_t rounded = 0;
  const std::size_t cls = size_class(storage->bytes, &rounded);
  if (c.cached_bytes + storage->bytes > kMaxCachedBytes) {
    std::free(storage);
    return;
  }
  if (cls >= c.storages.size()) c.storages.resize(cls + 1);
  c.storages[cls].push_back(storage);
  c.cached_bytes += storage->bytes;
}

static TensorImpl* impl_body() {
  Cache& c = cache();
  if (!c.impls.empty()) {
    TensorImpl* t = c.impls.back();
    c.impls.pop_back();
    return ::new (t) TensorImpl;
  }
  ++c.misses;
  return ::new (::operator new(sizeof(TensorImpl))) TensorImpl;
}

TensorImpl* impl_alloc(const Shape& shape, Dtype dtype) {
  const std::int64_t numel = shape.numel();
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

void impl_release(TensorImpl* impl) {
  // Iterative over the chain impl -> grad, so that nothing recurses deeply.
  while (impl != nullptr && impl->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    TensorImpl* next = impl->grad;
    if (impl->storage != nullptr) storage_release(impl->storage);
    impl->~TensorImpl();
    Cache& c = cache();
    if (c.impls.size() < 1u << 16) c.impls.push_back(impl);
    else ::operator delete(impl);
    impl = next;
  }
}

std::size_t cache_misses() { return cache().misses; }

}  // namespace tg::detail
