#pragma once
// The tape: a Wengert list of records, one per differentiable op, in execution order. backward() sweeps
// it in reverse, visiting only the records its root reaches. Ops use it through three calls:
//
//   Tensor mul(const Tensor& a, const Tensor& b) {
//     Tensor y = ...compute...;
//     if (detail::needs_grad(a, b))
//       detail::record("mul", y, detail::saves(a, b), [a, b](const Tensor& dy, const Tensor&) {
//         detail::accumulate_grad(a, dy * b);
//         detail::accumulate_grad(b, dy * a);
//       });
//     return y;
//   }
//
// A backward closure receives dy and the op's own output y (so that it never captures y, which would
// keep its own record alive). dy is the sweep's, dropped after the call: a closure that declares it
// `Tensor& dy` may take it (std::move), and write its result into dy's storage when uniquely_owned(dy)
// says nobody else can see it (see zip_reusing in kernels.hpp). It must capture (by value) every input it
// sends a gradient to: the captures keep the inputs, and the records that made them, alive. Closures up
// to kInline bytes live inside the record.
//
// The third argument says which values the backward reads: saves(a, b) for inputs (each one a tensor the
// closure captures; an undefined one, such as an absent bias, is skipped), saves_output for y,
// saves(x).and_output() for both, saves_nothing when it reads only dy and shapes (add, sum, reshape). The record keeps their versions (see Storage::version), and
// the sweep refuses to run a backward whose saved values an in-place write has changed since, as
// PyTorch does. When unsure, declare it: a needless error is safe, a wrong gradient is not.

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::detail {

/// A type-erased `void(Tensor& dy, const Tensor& y)` stored inline when small enough; closures taking
/// `const Tensor& dy` fit it too.
class BackwardFn {
 public:
  static constexpr std::size_t kInline = 96;

  BackwardFn() = default;
  /// Stores fn (this must be empty).
  template <class F>
  void emplace(F&& fn) {
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInline && alignof(Fn) <= alignof(std::max_align_t)) {
      ::new (static_cast<void*>(buf_)) Fn(std::forward<F>(fn));
      call_ = [](void* p, Tensor& dy, const Tensor& y) { (*static_cast<Fn*>(p))(dy, y); };
      manage_ = [](void* dst, void* src) {
        if (dst != nullptr) ::new (dst) Fn(std::move(*static_cast<Fn*>(src)));
        static_cast<Fn*>(src)->~Fn();
      };
    } else {
      *reinterpret_cast<Fn**>(buf_) = new Fn(std::forward<F>(fn));
      call_ = [](void* p, Tensor& dy, const Tensor& y) { (**static_cast<Fn**>(p))(dy, y); };
      manage_ = [](void* dst, void* src) {
        if (dst != nullptr) *static_cast<Fn**>(dst) = *static_cast<Fn**>(src);
        else delete *static_cast<Fn**>(src);
      };
    }
  }
  BackwardFn(BackwardFn&& other) noexcept { take(other); }
  BackwardFn& operator=(BackwardFn&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  BackwardFn(const BackwardFn&) = delete;
  BackwardFn& operator=(const BackwardFn&) = delete;
  ~BackwardFn() { reset(); }

  explicit operator bool() const { return call_ != nullptr; }
  void operator()(Tensor& dy, const Tensor& y) { call_(buf_, dy, y); }
  void reset() {
    if (manage_ != nullptr) manage_(nullptr, buf_);
    call_ = nullptr;
    manage_ = nullptr;
  }

 private:
  void take(BackwardFn& other) {
    if (other.manage_ != nullptr) other.manage_(buf_, other.buf_);
    call_ = other.call_;
    manage_ = other.manage_;
    other.call_ = nullptr;
    other.manage_ = nullptr;
  }

  alignas(std::max_align_t) std::byte buf_[kInline];
  void (*call_)(void*, Tensor&, const Tensor&) = nullptr;
  void (*manage_)(void*, void*) = nullptr;  // move into dst (if any), then destroy src
};

/// Tensors a record keeps versions of: the inputs its backward reads, and its output.
inline constexpr std::size_t kMaxSaved = 5;

/// What a backward reads besides dy (see the top of this file): N inputs (a null entry is an undefined
/// tensor, e.g. an absent bias) and, if `output`, the op's output y. N is known at compile time, so
/// that recording one stays a few stores.
template <std::size_t N>
struct Saves {
  static_assert(N < kMaxSaved, "saves: at most kMaxSaved - 1 inputs, one entry is kept for the output");
  std::array<const TensorImpl*, N> inputs;
  bool output = false;
  /// The same, and the op's output y as well.
  [[nodiscard]] constexpr Saves and_output() const { return {inputs, true}; }
};

inline constexpr Saves<0> saves_nothing{};
inline constexpr Saves<0> saves_output{{}, true};
/// The backward reads these inputs.
template <class... Ts>
[[nodiscard]] Saves<sizeof...(Ts)> saves(const Ts&... inputs) {
  return {{inputs.impl()...}, false};
}

struct Record {
  // Not `= default`, with which emplace_back() would zero all of a record, the closure's 96-byte buffer
  // included, before push() sets it; the members that need a value have one below.
  Record() noexcept {}  // NOLINT(modernize-use-equals-default)

  const char* op = nullptr;
  TensorImpl* out = nullptr;  // holds one reference; nullptr once released
  std::uint64_t serial = 0;
  std::size_t bytes = 0;  // out's storage size towards the byte limit; 0 for a view of another's storage
  Tensor grad;  // gradient of `out` gathered during a sweep
  BackwardFn backward;
  // What the backward reads (`out` itself, or inputs its closure keeps alive), and their versions then.
  const TensorImpl* saved[kMaxSaved] = {};
  std::uint32_t saved_version[kMaxSaved] = {};
  std::uint8_t saved_count = 0;

  /// Notes what the backward reads, at the versions it has now.
  template <std::size_t N>
  void save(const Saves<N>& s) {
    std::uint8_t n = 0;
    const auto keep = [&](const TensorImpl* t) {
      if (t == nullptr) return;
      saved[n] = t;
      saved_version[n++] = version_of(t);
    };
    std::apply([&](auto... t) { (keep(t), ...); }, s.inputs);  // unrolled: GCC keeps a loop over the array
    if (s.output) keep(out);
    saved_count = n;
  }
};

/// One record a trace reached: its op, its output, and the tensors its backward sends gradients to
/// (inputs that require grad: other records' outputs, or leaves).
struct TracedRecord {
  const char* op;
  const TensorImpl* out;
  std::vector<const TensorImpl*> inputs;
};

/// What a sweep does beyond the default (each leaf's .grad gets its gradient, records are released).
struct SweepOptions {
  /// PyTorch's rule for the two flags: retain_graph defaults to create_graph.
  explicit SweepOptions(std::optional<bool> retain = std::nullopt, bool create = false)
      : retain_graph(retain.value_or(create)), create_graph(create) {}
  bool retain_graph;  // keep the records, so that another sweep can go through them
  bool create_graph;  // record the sweep itself: the gradients get history (gradients of gradients)
  // autograd::grad: the gradients of `inputs` go to `captured` (one slot each), and no .grad changes.
  std::span<const Tensor> inputs;
  std::vector<Tensor>* captured = nullptr;
  // A trace (graph export): every record reached, in sweep order, with its inputs; no gradient is kept
  // and no hook runs (the backward closures run on zero gradients, under NoGradGuard).
  std::vector<TracedRecord>* trace = nullptr;
};

class Tape {
 public:
  Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;
  ~Tape();

  /// Appends a record producing `out` (which becomes a non-leaf requiring grad); the caller stores what
  /// its backward reads and the backward closure in the returned record.
  Record& push(const char* op, const Tensor& out);
  /// Reverse sweep from `roots`, seeded with grad_outputs (an undefined one is 1 for a one-element root);
  /// see Tensor::backward and autograd::grad.
  void backward(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs, const SweepOptions& options);
  /// Adds dx into the gradient slot of x (its record's slot, or its .grad for a leaf).
  void accumulate(const Tensor& x, Tensor dx);
  /// Whether x was produced by a record that is still on this tape.
  [[nodiscard]] bool holds(const TensorImpl* x) const;

  [[nodiscard]] std::size_t live() const { return live_; }
  /// Bytes held by the outputs of the live records (views of another tensor's storage count 0).
  [[nodiscard]] std::size_t bytes() const { return bytes_; }
  /// Records the last backward() ran the backward of (a count of its work, for tests).
  [[nodiscard]] std::size_t last_sweep_visits() const { return visits_; }
  /// The serial the next record will get.
  [[nodiscard]] std::uint64_t next_serial() const { return next_serial_ + 1; }
  /// The graph epoch, which moves on whenever the tape empties; the dead records at the end are dropped
  /// first, so that a tape holding only those counts as empty.
  [[nodiscard]] std::uint64_t current_epoch() {
    drop_dead_tail();
    return epoch_;
  }
  [[nodiscard]] std::uint64_t epoch() const { return epoch_; }
  std::size_t limit = 1'000'000;
  std::size_t byte_limit;  // a quarter of physical memory unless set

 private:
  void release(Record& r);
  void drop_dead_tail();
  void collect();
  void make_room(const char* op);
  [[noreturn]] static void throw_misfit(const Tensor& dx, const TensorImpl* x);
  [[noreturn]] void throw_not_recorded_here(const TensorImpl* x) const;
  [[noreturn]] static void throw_modified(const Record& r, int i);
  void seed(std::span<const Tensor> roots, std::span<const Tensor> grad_outputs);
  void sweep(bool retain_graph);
  void run_recorded(std::uint32_t i, Tensor& dy, const Tensor& y, bool retain_graph);
  void accumulate_leaf(TensorImpl* leaf, Tensor dx);
  void gather_hooked(TensorImpl* leaf, Tensor dx);
  void fire_ready_hooks(bool all);
  void capture_gradient(const TensorImpl* t, Tensor dx);
  void end_sweep();

  std::vector<Record> records_;  // capacity is kept from one step to the next
  // Indices of the records holding a gradient not yet swept, as a max-heap: the sweep takes them from
  // the highest down, i.e. in reverse execution order, and never looks at a record nothing reached.
  std::vector<std::uint32_t> pending_;
  std::size_t live_ = 0;
  std::size_t bytes_ = 0;
  std::size_t visits_ = 0;
  std::size_t collect_at_ = 4096;  // records_.size() at which collect() runs next
  std::uint64_t next_serial_;       // serials of different tapes never meet: see the constructor
  const char* sweeping_ = nullptr;  // the op whose backward is running, for anomaly and misuse messages
  std::uint64_t epoch_ = 0;
  // The state of the sweep under way (see SweepOptions): whether it records, the first record it may
  // not drop or move (those it is sweeping lie below), where the gradients of autograd::grad's inputs
  // go, the index below which nothing leads to them, and the leaves with hooks that got a gradient.
  bool in_sweep_ = false;
  bool creating_graph_ = false;
  std::size_t floor_ = 0;
  const SweepOptions* capture_ = nullptr;
  std::uint32_t stop_below_ = 0;
  std::vector<TensorImpl*> hooked_;
};

/// This thread's tape.
[[nodiscard]] Tape& current_tape();

void note_use(TensorImpl* t);  // detail/hooks.hpp

/// Whether an op on `t` needs recording: t requires grad. A leaf with hooks is told that an op uses it.
[[nodiscard]] inline bool wants_grad(const Tensor& t) {
  if (!t.requires_grad()) return false;
  if (t.impl()->hooks != nullptr) [[unlikely]]
    note_use(t.impl());
  return true;
}

/// True when recording is on and some input requires grad. Every op that records asks this (or the
/// span form) with all of its differentiable inputs, before recording: hooks rely on it (see Hooks).
template <class... Ts>
[[nodiscard]] bool needs_grad(const Ts&... inputs) {
  if (!is_grad_enabled()) return false;
  return (static_cast<int>(wants_grad(inputs)) | ...) != 0;  // no short cut: every input is noted
}
[[nodiscard]] bool needs_grad(std::span<const Tensor> inputs);

/// Records op's backward for out; `saves` declares what the backward reads (see the top of this file).
template <std::size_t N, class F>
void record(const char* op, const Tensor& out, const Saves<N>& saves, F&& backward) {
  Record& r = current_tape().push(op, out);
  r.save(saves);
  r.backward.emplace(std::forward<F>(backward));
}

/// Sends dx to x if x requires grad; called from backward closures.
inline void accumulate_grad(const Tensor& x, Tensor dx) {
  if (x.requires_grad()) current_tape().accumulate(x, std::move(dx));
}

/// Adds src into dst elementwise (same shape and dtype); not recorded.
void add_into(Tensor& dst, const Tensor& src);

/// Whether t's handle and storage are held by nobody else, so that writing into t is seen by nobody.
[[nodiscard]] bool uniquely_owned(const Tensor& t);

}  // namespace tg::detail
