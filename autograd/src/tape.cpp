#include "tapegrad/detail/tape.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <mutex>  // std::lock_guard
#include <new>
#include <stdexcept>
#include <string>

#include "tapegrad/detail/hooks.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/elementwise.hpp"

namespace tg {
namespace {
// Each tape numbers its records from its own block of 2^40 serials, so that a serial names one record
// of one tape even when a new thread's tape reuses a dead one's address; 0 marks a leaf.
std::atomic<std::uint64_t> next_serial_block{1};

// A quarter of physical memory: a loop that keeps its results hits the byte limit while what the
// closures keep besides the outputs (inputs, leaves, gradients) still fits. 4 GiB where it is unknown.
std::size_t default_byte_limit() {
  static const std::size_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return std::size_t{1} << 32;
    return static_cast<std::size_t>(pages) / 4 * static_cast<std::size_t>(page_size);
  }();
  return bytes;
}
}  // namespace

void set_tape_limit(std::size_t max_records) {
  if (max_records == 0) throw std::invalid_argument("set_tape_limit: the limit must be at least 1");
  detail::current_tape().limit = max_records;
}
std::size_t tape_limit() { return detail::current_tape().limit; }
std::size_t tape_size() { return detail::current_tape().live(); }

void set_tape_byte_limit(std::size_t max_bytes) {
  if (max_bytes == 0) throw std::invalid_argument("set_tape_byte_limit: the limit must be at least 1");
  detail::current_tape().byte_limit = max_bytes;
}
std::size_t tape_byte_limit() { return detail::current_tape().byte_limit; }
std::size_t tape_bytes() { return detail::current_tape().bytes(); }

namespace detail {

namespace {

// Throws when t holds a NaN or an Inf: "detect_anomaly: the forward of 'log' produced nan at element 2 of [4]".
void check_finite(const Tensor& t, const char* op, const char* pass, const char* what) {
  visit_dtype(t.dtype(), [&]<class T>() {
    const T* p = t.data<T>();
    for (std::int64_t i = 0, n = t.numel(); i < n; ++i)
      if (!std::isfinite(p[i]))
        throw std::runtime_error(std::string("detect_anomaly: the ") + pass + " of '" + op + "' produced " +
                                 (std::isnan(p[i]) ? "nan" : "inf") + " at element " + std::to_string(i) + " of " +
                                 what + " " + t.shape().str());
  });
}

// A Tensor handle on a body someone else keeps alive, made and dropped without touching its reference
// count (two atomic operations per record in the sweep).
class Borrowed {
 public:
  explicit Borrowed(TensorImpl* impl) { ::new (static_cast<void*>(storage_)) Tensor(impl); }
  ~Borrowed() = default;  // the Tensor's destructor is deliberately not run: it would release a reference
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  [[nodiscard]] const Tensor& get() const { return *std::launder(reinterpret_cast<const Tensor*>(storage_)); }

 private:
  alignas(Tensor) unsigned char storage_[sizeof(Tensor)];
};

}  // namespace

Tape& current_tape() {
  // The tape's destructor hands its tensors back to this thread's storage cache, so the cache must be
  // constructed first: thread_locals are destroyed in the reverse order of their construction.
  thread_local const std::size_t cache_first = cache_misses();
  thread_local Tape tape;
  static_cast<void>(cache_first);
  return tape;
}

Tape::~Tape() {
  for (Record& r : records_)
    if (r.out != nullptr) {
      r.out->tape = nullptr;
      release(r);
    }
}

bool Tape::holds(const TensorImpl* x) const {
  return x->tape == this && x->record_index < records_.size() && records_[x->record_index].serial == x->record_serial &&
         records_[x->record_index].out != nullptr;
}

void Tape::release(Record& r) {
  r.backward.reset();
  r.grad = Tensor();
  impl_release(r.out);
  r.out = nullptr;
  if (--live_ == 0) ++epoch_;  // the tape is empty: what comes next is a new graph (see Hooks)
  bytes_ -= r.bytes;
}

// Records whose output only the tape still holds can never be reached by a backward sweep: nothing can
// use their output any more. Dropping them from the end keeps a loop that discards its results bounded.
void Tape::drop_dead_tail() {
  while (records_.size() > floor_) {  // a recording sweep may not drop what it is sweeping
    Record& r = records_.back();
    if (r.out != nullptr) {
      if (r.out->refs.load(std::memory_order_acquire) != 1) break;
      release(r);
    }
    records_.pop_back();
  }
}

Tape::Tape()
    : byte_limit(default_byte_limit()), next_serial_(next_serial_block.fetch_add(1, std::memory_order_relaxed) << 40) {}

// A record whose output only the tape holds is dead wherever it stands: whatever could reach it (a user's
// handle, or a later record's closure) would hold a reference. The tail check in push() catches the
// common case; this catches the rest (e.g. `loss = f(x)` reassigned in a loop), sweeping from the end so
// that a release which frees an earlier record's output is seen in the same pass, then closing the gaps.
// It runs when the tape has doubled since the last time, so its cost per record is constant.
void Tape::collect() {
  if (floor_ != 0) return;  // a recording sweep holds indices of the records below floor_
  for (std::size_t i = records_.size(); i-- > 0;) {
    Record& r = records_[i];
    if (r.out != nullptr && r.out->refs.load(std::memory_order_acquire) == 1) release(r);
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < records_.size(); ++i) {
    if (records_[i].out == nullptr) continue;
    if (i != kept) {
      records_[kept] = std::move(records_[i]);
      records_[kept].out->record_index = static_cast<std::uint32_t>(kept);
    }
    ++kept;
  }
  records_.erase(records_.begin() + static_cast<std::ptrdiff_t>(kept), records_.end());
  collect_at_ = std::max<std::size_t>(4096, 2 * kept);
}

namespace {
std::logic_error tape_full(const char* op, const std::string& what, const char* setter, const char* needs) {
  return std::logic_error(std::string(op) + ": " + what +
                          " and no backward() has released them. Run evaluation under tg::NoGradGuard, or call "
                          "backward() each step; raise the bound with tg::" + setter +
                          "() if the model really needs more " + needs + " per step");
}
}  // namespace

// Drops the dead records, and throws when the tape is still at either bound.
void Tape::make_room(const char* op) {
  collect();
  if (live_ >= limit)
    throw tape_full(op, "the tape already holds " + std::to_string(live_) + " records", "set_tape_limit", "ops");
  if (bytes_ >= byte_limit)
    throw tape_full(op, "the tape's records already hold " + std::to_string(bytes_) + " bytes of outputs",
                    "set_tape_byte_limit", "memory");
}

Record& Tape::push(const char* op, const Tensor& out) {
  drop_dead_tail();
  if (records_.size() >= collect_at_ || live_ >= limit || bytes_ >= byte_limit) [[unlikely]]
    make_room(op);
  if (anomaly_enabled) check_finite(out, op, "forward", "its output");
  TensorImpl* y = out.impl();
  // A fresh output is its storage's only holder; a view shares what another tensor already holds.
  const std::size_t bytes = y->storage->refs.load(std::memory_order_relaxed) == 1 ? y->storage->bytes : 0;
  impl_retain(y);
  y->requires_grad = true;
  y->tape = this;
  y->record_index = static_cast<std::uint32_t>(records_.size());
  y->record_serial = ++next_serial_;
  Record& r = records_.emplace_back();
  r.op = op;
  r.out = y;
  r.serial = y->record_serial;
  r.bytes = bytes;
  ++live_;
  bytes_ += bytes;
  return r;
}

void add_into(Tensor& dst, const Tensor& src) {
  visit_dtype(dst.dtype(), [&]<class T>() {
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    for (std::int64_t i = 0, n = dst.numel(); i < n; ++i) d[i] += s[i];
  });
}

bool uniquely_owned(const Tensor& t) {
  const TensorImpl* b = t.impl();
  return b->refs.load(std::memory_order_acquire) == 1 && b->storage->refs.load(std::memory_order_acquire) == 1;
}

namespace {

// Adds dx into a gradient slot. The first gradient is adopted when nobody else holds it, and copied
// otherwise (add's backward hands the same dy to both inputs); later ones add in place when the slot is
// ours alone, so that a gradient handed out by grad() is never changed behind the caller's back.
// (Inlined by hand: a call per gradient is measurable on a tape of tiny ops, ops/record_backward.)
[[gnu::always_inline]] inline void accumulate_into(Tensor& slot, Tensor dx) {
  if (!slot.defined()) {
    slot = uniquely_owned(dx) ? std::move(dx) : dx.detach().clone();
  } else if (uniquely_owned(slot)) {
    add_into(slot, dx);
  } else {
    slot = slot.detach() + dx;
  }
}

// The same for a recording sweep (create_graph): the sum is an op of its own, so that the gradient keeps
// its history, and nothing is ever added in place (a slot may be another record's output).
void accumulate_recorded(Tensor& slot, Tensor dx) {
  if (!slot.defined()) {
    slot = dx.requires_grad() || uniquely_owned(dx) ? std::move(dx) : dx.detach().clone();
  } else {
    slot = slot + dx;
  }
}

// Adds dx into a slot that no record can move: recorded in a create_graph sweep, in place otherwise.
void accumulate_as(Tensor& slot, Tensor dx, bool recorded) {
  if (recorded) [[unlikely]]
    accumulate_recorded(slot, std::move(dx));
  else
    accumulate_into(slot, std::move(dx));
}

// Sweeps on two threads may reach one leaf (a shared parameter): its .grad is updated under a lock, as
// PyTorch locks per leaf. One of 64 locks picked by address, each on its own cache line, so that tensor
// bodies need no mutex. A flag rather than a std::mutex: uncontended it is one atomic exchange and a
// store, where pthread's lock and unlock ran about 50 instructions (cachegrind), a measurable share of a
// small model's step; a waiter sleeps on the flag (C++20 atomic wait) instead of spinning.
class alignas(64) GradLock {
 public:
  void lock() {
    while (flag_.test_and_set(std::memory_order_acquire)) flag_.wait(true, std::memory_order_relaxed);
  }
  void unlock() {
    flag_.clear(std::memory_order_release);
    flag_.notify_one();
  }

 private:
  std::atomic_flag flag_;
};
std::array<GradLock, 64> grad_locks;

GradLock& grad_lock(const TensorImpl* t) {
  return grad_locks[(reinterpret_cast<std::uintptr_t>(t) / 64) % grad_locks.size()];
}

// Adds dx to the gradient t keeps in its .grad (a leaf's, or a non-leaf's that retains its gradient).
void accumulate_into_grad(TensorImpl* t, Tensor dx, bool recorded = false) {
  const std::lock_guard lock(grad_lock(t));
  Tensor slot(t->grad);  // adopt, then hand back below
  t->grad = nullptr;
  accumulate_as(slot, std::move(dx), recorded);
  t->grad = slot.impl();
  impl_retain(t->grad);
}

}  // namespace

void Tape::accumulate(const Tensor& x, Tensor dx) {
  if (anomaly_enabled) check_finite(dx, sweeping_ != nullptr ? sweeping_ : "backward", "backward", "an input's gradient");
  TensorImpl* b = x.impl();
  if (dx.shape() != b->shape || dx.dtype() != b->dtype) [[unlikely]]
    throw_misfit(dx, b);
  if (capture_ != nullptr && capture_->trace != nullptr && sweeping_ != nullptr) [[unlikely]]
    capture_->trace->back().inputs.push_back(b);  // the edge into the record being swept (none for roots)
  if (b->record_serial == 0) {
    if (capture_ != nullptr || b->hooks != nullptr) [[unlikely]]
      accumulate_leaf(b, std::move(dx));
    else
      accumulate_into_grad(b, std::move(dx), creating_graph_);
    return;
  }
  if (!holds(b)) [[unlikely]]
    throw_not_recorded_here(b);
  Tensor& slot = records_[b->record_index].grad;
  if (!slot.defined()) {  // first gradient of this record in this sweep: it joins the pending ones
    pending_.push_back(b->record_index);
    if (pending_.size() > 1) std::push_heap(pending_.begin(), pending_.end());  // a chain has one pending
  }
  if (creating_graph_) [[unlikely]] {
    // The sum is an op of its own: its record may move records_, and the slot with it.
    const std::uint32_t i = b->record_index;
    Tensor value = std::move(slot);
    accumulate_recorded(value, std::move(dx));
    records_[i].grad = std::move(value);
  } else {
    accumulate_into(slot, std::move(dx));
  }
}

// A leaf's gradient when the sweep captures gradients (autograd::grad: only the inputs get theirs) or
// the leaf has hooks (the gradient is gathered until final).
void Tape::accumulate_leaf(TensorImpl* leaf, Tensor dx) {
  if (capture_ != nullptr) {
    capture_gradient(leaf, std::move(dx));
  } else {
    gather_hooked(leaf, std::move(dx));
  }
}

void Tape::capture_gradient(const TensorImpl* t, Tensor dx) {
  if (capture_->trace != nullptr) return;  // a trace keeps no gradients (accumulate noted the edge)
  const std::span<const Tensor> inputs = capture_->inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i)  // a few inputs, as a rule: a scan beats a map
    if (inputs[i].impl() == t) {
      accumulate_as((*capture_->captured)[i], std::move(dx), creating_graph_);
      return;  // a tensor listed twice gets its gradient copied at the end (autograd::grad)
    }
}

void Tape::gather_hooked(TensorImpl* leaf, Tensor dx) {
  Hooks& h = *leaf->hooks;
  if (h.fired)
    throw std::logic_error("backward: internal error: a gradient reached a leaf of shape " + leaf->shape.str() +
                           " from '" + (sweeping_ != nullptr ? sweeping_ : "?") +
                           "' after its hooks ran; an op records without asking needs_grad() about this input");
  if (!h.listed) {
    h.listed = true;
    impl_retain(leaf);  // kept until its hooks have run, whatever the sweep releases meanwhile
    hooked_.push_back(leaf);
  }
  accumulate_as(h.gathered, std::move(dx), creating_graph_);
}

// Runs the hooks of the listed leaves whose gradient is final: no record still to be swept can send
// them more (see Hooks::first_use); `all` at the end of the sweep.
void Tape::fire_ready_hooks(bool all) {
  const std::uint64_t next = all || pending_.empty() ? 0 : records_[pending_.front()].serial;
  for (TensorImpl* leaf : hooked_) {
    Hooks& h = *leaf->hooks;
    if (h.fired) continue;
    const bool known = h.used_on == this && h.epoch == epoch_ && h.first_use != 0;
    if (next != 0 && !(known && h.first_use > next)) continue;
    h.fired = true;
    Tensor g = run_grad_hooks(h, std::move(h.gathered));
    h.gathered = Tensor();
    accumulate_into_grad(leaf, std::move(g), creating_graph_);
    Tensor self(leaf);
    impl_retain(leaf);
    for (const Hooks::PostHook& hook : h.post_hooks) hook.fn(self);
  }
}

// Puts back what a sweep changed, whether it ended or threw: the pending gradients, the hooked leaves.
void Tape::end_sweep() {
  sweeping_ = nullptr;
  for (const std::uint32_t i : pending_) records_[i].grad = Tensor();
  pending_.clear();
  for (TensorImpl* leaf : hooked_) {
    Hooks& h = *leaf->hooks;
    h.gathered = Tensor();
    h.listed = false;
    h.fired = false;
    impl_release(leaf);
  }
  hooked_.clear();
  in_sweep_ = false;
  creating_graph_ = false;
  capture_ = nullptr;
  stop_below_ = 0;
  floor_ = 0;
}

// Out of line, like the next one, so that accumulate() stays small enough to be compiled as one piece.
void Tape::throw_misfit(const Tensor& dx, const TensorImpl* x) {
  if (dx.shape() == x->shape)  // the only way the dtypes part: the leaf was converted in place
    throw std::logic_error("backward: a gradient " + std::string(dtype_name(dx.dtype())) + " " + dx.shape().str() +
                           " was sent to a tensor that is now " + std::string(dtype_name(x->dtype)) +
                           ": it was converted (Module::to) after the forward pass that used it was recorded; "
                           "run the forward pass again after converting");
  throw std::logic_error("backward: internal error: a gradient of shape " + dx.shape().str() + " " +
                         std::string(dtype_name(dx.dtype())) + " was sent to a tensor of shape " + x->shape.str() +
                         " " + std::string(dtype_name(x->dtype)));
}

// Says why x's record is not live on this tape; the root (nothing sweeping yet) and an op's input are
// told apart so that the message says which tensor is meant.
void Tape::throw_not_recorded_here(const TensorImpl* x) const {
  if (x->tape != this) {
    if (sweeping_ == nullptr)
      throw std::logic_error("backward: this tensor was recorded on another thread's tape; call backward() on "
                             "the thread that ran its forward pass");
    throw std::logic_error("backward: an input of shape " + x->shape.str() + " to '" + sweeping_ +
                           "' was recorded on another thread's tape; gradients do not flow from one thread's tape "
                           "to another, so run the whole forward pass on one thread, or hand the tensor over as a "
                           "new leaf (detach().requires_grad_()) and send its gradient back yourself");
  }
  if (sweeping_ == nullptr)
    throw std::logic_error(
        "backward: the tape that recorded this tensor was already released by an earlier backward(); pass "
        "retain_graph=true to the first backward(), as in backward({}, true), to call it twice");
  throw std::logic_error(
      "backward: trying to go back through a part of the tape that an earlier backward() already released; "
      "pass retain_graph=true to the first backward(), as in backward({}, true), to go through it twice");
}

// PyTorch's saved-tensor check, naming the op and the tensor; the hint is what PyTorch users are told.
void Tape::throw_modified(const Record& r, int i) {
  const TensorImpl* t = r.saved[i];
  throw modified_error(t, std::string(t == r.out ? "the output" : "an input") + " of '" + r.op + "'",
                       r.saved_version[i]);
}

// Runs the backward of every pending record, highest index first. A record's inputs were recorded
// before it, so each gradient it sends lands below the records already swept: when a record is taken,
// every gradient it will get has arrived. The cost is the records reached (times the log of how many
// are pending at once), however many unreachable ones lie between them. Hooks and a recording sweep
// may push records, which may move records_: the loop holds an index, never a reference, across them.
void Tape::sweep(bool retain_graph) {
  while (!pending_.empty() && pending_.front() >= stop_below_) {
    std::pop_heap(pending_.begin(), pending_.end());
    const std::uint32_t i = pending_.back();
    pending_.pop_back();
    ++visits_;
    Record& r = records_[i];
    Tensor dy = std::move(r.grad);
    r.grad = Tensor();
    for (int k = 0; k < r.saved_count; ++k)
      if (version_of(r.saved[k]) != r.saved_version[k]) [[unlikely]]
        throw_modified(r, k);
    TensorImpl* out = r.out;
    if (capture_ != nullptr && capture_->trace != nullptr) [[unlikely]]
      capture_->trace->push_back({r.op, out, {}});
    else if (out->hooks != nullptr) [[unlikely]]
      dy = run_grad_hooks(*out->hooks, std::move(dy));
    if (capture_ != nullptr) [[unlikely]]
      capture_gradient(out, dy);
    else if (out->retains_grad)
      accumulate_into_grad(out, dy, creating_graph_);  // a copy of dy's handle: stored as a clone
    const Borrowed y(out);  // the record keeps it alive
    sweeping_ = records_[i].op;
    if (creating_graph_) [[unlikely]]
      run_recorded(i, dy, y.get(), retain_graph);
    else if (Record& rec = records_[i]; rec.backward)  // empty only if storing the closure threw
      rec.backward(dy, y.get());
    sweeping_ = nullptr;
    if (!retain_graph) release(records_[i]);
    if (!hooked_.empty()) [[unlikely]]
      fire_ready_hooks(false);
  }
}

// A recording sweep's backward pushes records, so its closure must not run where records_ may move
// it: it runs from here, and goes back into its record when the graph is retained (even if it throws).
void Tape::run_recorded(std::uint32_t i, Tensor& dy, const Tensor& y, bool retain_graph) {
  struct PutBack {
    Tape& tape;
    std::uint32_t i;
    bool retain;
    BackwardFn fn;
    ~PutBack() {
      if (retain) tape.records_[i].backward = std::move(fn);
    }
  } held{*this, i, retain_graph, std::move(records_[i].backward)};
  if (held.fn) held.fn(dy, y);
}

void Tape::seed(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs) {
  if (grad_outputs.size() != roots.size() && !grad_outputs.empty())
    throw std::invalid_argument("backward: " + std::to_string(grad_outputs.size()) + " grad_outputs for " +
                                std::to_string(roots.size()) + " outputs; give one for each, or none");
  std::vector<Tensor> seeds;
  seeds.reserve(roots.size());
  for (std::size_t k = 0; k < roots.size(); ++k) {  // all checked before any gradient moves
    const TensorImpl* b = roots[k].impl();
    const bool one = roots.size() == 1;
    const std::string which = one ? "the tensor" : "output " + std::to_string(k);
    const std::string called_on = one ? "a tensor" : which;
    const std::string matched = one ? "the output" : which;
    if (b == nullptr) throw std::invalid_argument("backward: " + which + " is undefined");
    if (!b->requires_grad)
      throw std::logic_error("backward: " + which + " of shape " + b->shape.str() +
                             " does not require grad and has no recorded history; call requires_grad_() on the "
                             "inputs (and do not run the forward pass under NoGradGuard). A gradient has history "
                             "only when backward() or autograd::grad() ran with create_graph=true");
    Tensor s = grad_outputs.empty() ? Tensor() : grad_outputs[k];
    if (!s.defined()) {
      if (b->numel != 1)
        throw std::logic_error("backward: called on " + called_on + " of shape " + b->shape.str() +
                               " without a gradient; only one-element outputs get an implicit gradient of 1. Pass "
                               "grad_output, or reduce the output first (e.g. sum() or mean())");
      s = ones(b->shape, b->dtype);
    } else if (s.shape() != b->shape || s.dtype() != b->dtype) {
      throw std::invalid_argument("backward: grad_output " + s.shape().str() + " " +
                                  std::string(dtype_name(s.dtype())) + " does not match " + matched + " " +
                                  b->shape.str() + " " + std::string(dtype_name(b->dtype)));
    }
    seeds.push_back(std::move(s));
  }
  for (std::size_t k = 0; k < roots.size(); ++k)
    accumulate(roots[k], std::move(seeds[k]));  // checks that root's record is live here; a leaf just gets seed
}

void Tape::backward(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs, const SweepOptions& options) {
  if (in_sweep_)
    throw std::logic_error("backward: called while a backward sweep is running on this thread (from a hook or a "
                           "custom Function's backward); tapegrad does not run sweeps inside sweeps");
  in_sweep_ = true;
  creating_graph_ = options.create_graph;
  if (options.captured != nullptr || options.trace != nullptr) {
    capture_ = &options;
    // When every input is a non-leaf, nothing below the lowest of them leads to one: stop there.
    std::uint32_t lowest = UINT32_MAX;
    for (const Tensor& t : options.inputs)
      lowest = t.impl()->record_serial == 0 ? 0 : std::min(lowest, t.impl()->record_index);
    stop_below_ = options.inputs.empty() ? 0 : lowest;
  }
  if (creating_graph_) floor_ = records_.size();
  // The gradients are values, not new history, unless the sweep is to record itself.
  const SwitchGuard grad_mode(grad_enabled, options.create_graph);
  visits_ = 0;
  try {
    seed(roots, grad_outputs);
    sweep(options.retain_graph);
    if (!hooked_.empty()) fire_ready_hooks(true);
  } catch (...) {
    end_sweep();
    throw;
  }
  end_sweep();
  drop_dead_tail();
}

}  // namespace detail
}  // namespace tg
