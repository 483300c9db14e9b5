#pragma once
// Switches for recording: NoGradGuard (nothing is recorded while it lives) and the tape's bound.

#include <cstddef>

namespace tg {

namespace detail {
inline constinit thread_local bool grad_enabled = true;
inline constinit thread_local bool anomaly_enabled = false;
}

/// True when ops on tensors that require grad are recorded on this thread's tape.
[[nodiscard]] inline bool is_grad_enabled() { return detail::grad_enabled; }

/// RAII: records nothing on this thread while alive (for evaluation and parameter updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// RAII: re-enables recording inside a NoGradGuard.
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

/// RAII: while alive, every recorded op's forward output and every gradient its backward produces is
/// checked for NaN and Inf on this thread, and the first one throws std::runtime_error naming the op and
/// whether it was forward or backward (PyTorch's detect_anomaly). Slow: for debugging.
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
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

}  // namespace tg
