#pragma once
// Helpers shared by the test programs.

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <string>

#include "tapegrad/grad_mode.hpp"

namespace testing_support {

/// The message of the E that fn throws; "" and a test failure when it throws another type or nothing.
template <class E>
std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "threw nothing";
  return "";
}

/// Sets this thread's tape limit for the lifetime of the object, then restores the previous one.
class ScopedTapeLimit {
 public:
  explicit ScopedTapeLimit(std::size_t limit) : previous_(tg::tape_limit()) { tg::set_tape_limit(limit); }
  ~ScopedTapeLimit() { tg::set_tape_limit(previous_); }
  ScopedTapeLimit(const ScopedTapeLimit&) = delete;
  ScopedTapeLimit& operator=(const ScopedTapeLimit&) = delete;

 private:
  std::size_t previous_;
};

}  // namespace testing_support
