#pragma once
// Switches for recording: NoGradGuard (nothing is recorded while it lives), EnableGradGuard,
// DetectAnomalyGuard, and the tape's bound.

#include <cstddef>

namespace tg {

namespace detail {
inline constinit thread_local bool grad_enabled = true;
inline constinit thread_local bool anomaly_enabled = false;
}

/// True when ops on tensors that require grad are recorded on this thread's tape.
[[nodiscard]] inline bool is_grad_enabled() { return detail::grad_enabled; }

namespace detail {
// Sets one of this thread's switches above for the guard's lifetime and puts back what it was: the one
// mechanism behind the guards below, which therefore nest in any order.
class SwitchGuard {
 public:
  SwitchGuard(bool& flag, bool value) : flag_(flag), previous_(flag) { flag = value; }
  ~SwitchGuard() { flag_ = previous_; }
  SwitchGuard(const SwitchGuard&) = delete;
  SwitchGuard& operator=(const SwitchGuard&) = delete;

 private:
  bool& flag_;
  bool previous_;
};
}  // namespace detail

/// RAII: records nothing on this thread while alive (for evaluation and parameter updates).
class NoGradGuard : detail::SwitchGuard {
 public:
  NoGradGuard() : SwitchGuard(detail::grad_enabled, false) {}
};

/// RAII: re-enables recording inside a NoGradGuard.
class EnableGradGuard : detail::SwitchGuard {
 public:
  EnableGradGuard() : SwitchGuard(detail::grad_enabled, true) {}
};

/// RAII: while alive, every recorded op's forward output and every gradient its backward produces is
/// checked for NaN and Inf on this thread, and the first one throws std::runtime_error naming the op and
/// whether it was forward or backward (PyTorch's detect_anomaly). Slow: for debugging.
class DetectAnomalyGuard : detail::SwitchGuard {
 public:
  DetectAnomalyGuard() : SwitchGuard(detail::anomaly_enabled, true) {}
};

[[nodiscard]] inline bool is_anomaly_enabled() { return detail::anomaly_enabled; }

/// Most records this thread's tape may hold before an op throws std::logic_error (default 1,000,000).
/// Records whose outputs nobody holds any more are dropped (at once from the tape's end, and in a
/// periodic sweep elsewhere), so a loop that discards or overwrites its results stays bounded; one that keeps them (e.g. sums losses with recording on)
/// hits this limit and is told to use NoGradGuard.
void set_tape_limit(std::size_t max_records);
[[nodiscard]] std::size_t tape_limit();
/// Records currently live on this thread's tape.
[[nodiscard]] std::size_t tape_size();

/// Most bytes the outputs of this thread's tape's records may hold before an op throws std::logic_error
/// (default: a quarter of physical memory, per thread), so that a loop keeping its results is stopped
/// before memory runs out. An output that is a view of another tensor's storage (reshape) counts
/// nothing; tensors the backward closures keep besides other records' outputs (e.g. a batch of inputs)
/// are not counted, which is why the default leaves room.
void set_tape_byte_limit(std::size_t max_bytes);
[[nodiscard]] std::size_t tape_byte_limit();
/// Bytes held by the outputs of the records live on this thread's tape.
[[nodiscard]] std::size_t tape_bytes();

}  // namespace tg
