#pragma once
// Internals of Tensor: reference-counted storage and tensor bodies, both drawn from caches so that a
// training step in steady state does not touch the heap.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tapegrad/dtype.hpp"
#include "tapegrad/shape.hpp"

namespace tg::detail {

class Tape;
struct Hooks;

/// What each thread's storage cache may hold for reuse, at least: a thread may keep, per size class, as
/// much as it ever had alive at once in that class (its working set), so that a training step whose
/// tensors outgrow this (fashion_cnn's, 111 MiB) is served from the cache too. A block handed back to
/// the heap costs more than the malloc: glibc returns large blocks to the kernel, and faulting them back
/// in took 17.6% of fashion_cnn's step (perf, 2026-12-03). The largest MLP workload (wide,
/// 1024-2048-2048-10 at batch 256) peaks at 42 MiB cached within a step.
inline constexpr std::size_t kCacheBudgetBytes = std::size_t{64} << 20;

struct Storage {
  std::atomic<std::int32_t> refs{1};
  // Bumped by every in-place write to the elements (PyTorch's version counter, shared as there by every
  // tensor on this storage); a record checks the versions of what its backward reads. 0 when allocated.
  std::atomic<std::uint32_t> version{0};
  std::size_t bytes = 0;
  void* data = nullptr;  // 64-byte aligned
  Storage* next = nullptr;  // link while in the cache's free list
};

/// Storage for at least `bytes` bytes (uninitialised; at most 2^62), reused from this thread's cache when
/// possible; nullptr when the heap refuses (impl_alloc turns that into a tg::AllocationError).
[[nodiscard]] Storage* storage_alloc(std::size_t bytes);
void storage_release(Storage* storage);

struct TensorImpl {
  std::atomic<std::int32_t> refs{1};
  Shape shape;
  std::int64_t numel = 0;
  Dtype dtype = Dtype::Float32;
  bool requires_grad = false;
  bool retains_grad = false;
  Storage* storage = nullptr;
  TensorImpl* grad = nullptr;  // accumulated gradient (leaves, and non-leaves that retain it)
  // The record that produced this tensor; record_serial == 0 marks a leaf.
  Tape* tape = nullptr;
  std::uint32_t record_index = 0;
  std::uint64_t record_serial = 0;
  Hooks* hooks = nullptr;  // registered gradient hooks (see detail/hooks.hpp); nullptr for almost every tensor
};

/// A new body with one reference and fresh storage for shape and dtype.
[[nodiscard]] TensorImpl* impl_alloc(const Shape& shape, Dtype dtype);
/// A new body with one reference sharing `storage` (which gains a reference).
[[nodiscard]] TensorImpl* impl_alloc_shared(const Shape& shape, Dtype dtype, Storage* storage);
inline void impl_retain(TensorImpl* impl) { impl->refs.fetch_add(1, std::memory_order_relaxed); }
/// Frees a body whose last reference is gone (and its gradient chain); use impl_release.
void impl_destroy(TensorImpl* impl);
inline void impl_release(TensorImpl* impl) {
  if (impl->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) impl_destroy(impl);
}

/// Marks an in-place write to t's elements (put_, fill_, add_, an optimizer's step...): one relaxed increment.
inline void bump_version(const TensorImpl* t) { t->storage->version.fetch_add(1, std::memory_order_relaxed); }
[[nodiscard]] inline std::uint32_t version_of(const TensorImpl* t) {
  return t->storage->version.load(std::memory_order_relaxed);
}
/// PyTorch's error for a tensor a backward needs that an in-place write changed since it was saved at
/// saved_version; `which` names it ("an input of 'mul'"). One text for the tape and custom Functions.
[[nodiscard]] std::logic_error modified_error(const TensorImpl* t, const std::string& which,
                                              std::uint32_t saved_version);

/// Converts the leaf t's elements to dtype in place: t keeps its body (every handle to it sees the new
/// dtype) and gets new storage at the old version + 1, so that a record which saved t refuses to run.
/// Other tensors on the old storage (detach() or reshape() views) keep the old values. For Module::to;
/// throws std::logic_error for a non-leaf, std::invalid_argument for a non-float dtype if t requires grad.
void convert_leaf_(TensorImpl* t, Dtype dtype);

/// Heap allocations made by tapegrad's caches on this thread so far (for the benchmarks).
[[nodiscard]] std::size_t cache_misses();
/// Bytes of storage blocks this thread's cache holds for reuse; never more than cache_budget().
[[nodiscard]] std::size_t cached_bytes();
/// What this thread's cache may hold now: kCacheBudgetBytes or the thread's working set (the sum
/// over size classes of the most it had alive at once in each), the larger.
[[nodiscard]] std::size_t cache_budget();

}  // namespace tg::detail
