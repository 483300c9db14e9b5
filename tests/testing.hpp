#pragma once
// Helpers shared by the test programs.

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <string>

#include "tapegrad/grad_mode.hpp"
#include "tapegrad/tensor.hpp"

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

/// A 1-d leaf requiring grad, as an optimizer's parameter.
inline tg::Tensor param(std::initializer_list<double> values, tg::Dtype dtype = tg::kFloat64) {
  tg::Tensor p = tg::tensor(values, dtype);
  p.requires_grad_();
  return p;
}

/// Sets the gradient of p to values, in p's dtype.
inline void set_grad(tg::Tensor& p, std::initializer_list<double> values) { p.set_grad(tg::tensor(values, p.dtype())); }

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
