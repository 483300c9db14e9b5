#pragma once
// Helpers shared by the test programs.

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

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

}  // namespace testing_support
