#pragma once
// Helpers shared by the autograd tests (tests/test_tensor.cpp, test_tape.cpp, test_ops_*.cpp,
// test_gradcheck.cpp): float64 tensors from literals, value and error checks, and gradcheck wrappers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/tapegrad.hpp"

namespace tg::testing {

using Inputs = std::vector<Tensor>;
using Fn = std::function<Tensor(const Inputs&)>;
using UnaryOp = std::function<Tensor(const Tensor&)>;
using BinaryOp = std::function<Tensor(const Tensor&, const Tensor&)>;
using NamedUnaryOps = std::vector<std::pair<std::string, UnaryOp>>;

/// float64 tensor of `shape` from row-major values.
inline Tensor f64(std::initializer_list<double> values, const Shape& shape) { return tensor(values, shape, kFloat64); }

/// The same, as a leaf that requires grad.
inline Tensor leaf(std::initializer_list<double> values, const Shape& shape) {
  Tensor t = f64(values, shape);
  t.requires_grad_();
  return t;
}

/// float64 leaf requiring grad, uniform in [low, high), the same for the same seed.
inline Tensor random_leaf(const Shape& shape, std::uint64_t seed, double low = -1.0, double high = 1.0) {
  Generator gen(seed);
  Tensor t = rand(shape, gen, kFloat64, low, high);
  t.requires_grad_();
  return t;
}

/// Expects t to have `shape` and, element by element, `expected` to within tol * max(1, |expected|).
inline void expect_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected,
                          double tol = 1e-15) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.shape().str(), shape.str());
  const std::vector<double> actual = t.to_vector();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tol * std::max(1.0, std::abs(expected[i]))) << "element " << i;
}

/// expect_values for results that may hold NaN or infinities: a NaN in `expected` asks for a NaN (which is
/// unequal to itself), an infinity for that infinity, a finite value for one within tol * max(1, |expected|)
/// (exactly, by default).
inline void expect_values_or_nan(const Tensor& t, const Shape& shape, const std::vector<double>& expected,
                                 double tol = 0) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.shape().str(), shape.str());
  const std::vector<double> actual = t.to_vector();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) EXPECT_TRUE(std::isnan(actual[i])) << "element " << i << " is " << actual[i];
    else if (std::isinf(expected[i])) EXPECT_EQ(actual[i], expected[i]) << "element " << i;
    else EXPECT_NEAR(actual[i], expected[i], tol * std::max(1.0, std::abs(expected[i]))) << "element " << i;
  }
}

/// Expects every element of t to be finite (neither NaN nor infinite).
inline void expect_finite(const Tensor& t) {
  ASSERT_TRUE(t.defined());
  const std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_TRUE(std::isfinite(values[i])) << "element " << i;
}

/// Expects r (from max(x, dim), sort, topk...) to hold `values` (NaN asking for NaN) and int64 `indices`,
/// both of `shape`.
inline void expect_selected(const ValuesIndices& r, const Shape& shape, const std::vector<double>& values,
                            const std::vector<double>& indices) {
  expect_values_or_nan(r.values, shape, values);
  expect_values(r.indices, shape, indices);
  EXPECT_EQ(r.indices.dtype(), kInt64);
}

/// Expects gradcheck of fn at inputs to pass with the default options, worst error below 1e-10.
inline void expect_gradcheck(const Fn& fn, const Inputs& inputs) {
  const GradcheckResult result = gradcheck(fn, inputs);
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
}

/// gradcheck of op at x alone, and with x fanned out (`op(x) * x`: two paths into x).
inline void expect_unary_gradcheck(const UnaryOp& op, const Tensor& x) {
  {
    SCOPED_TRACE("op(x)");
    expect_gradcheck([&](const Inputs& in) { return op(in[0]); }, {x});
  }
  {
    SCOPED_TRACE("fan-out: op(x) * x");
    expect_gradcheck([&](const Inputs& in) { return op(in[0]) * in[0]; }, {x});
  }
}

/// gradcheck of op(a, b) for one pair of inputs.
inline void expect_binary_gradcheck(const BinaryOp& op, const Tensor& a, const Tensor& b) {
  expect_gradcheck([&](const Inputs& in) { return op(in[0], in[1]); }, {a, b});
}

/// Expects fn() to throw E (or a subclass) whose what() contains `text`.
template <class E, class F>
void expect_throws(F&& fn, const std::string& text) {
  EXPECT_THAT([&] { static_cast<void>(fn()); }, ::testing::ThrowsMessage<E>(::testing::HasSubstr(text)));
}

/// Expects every op, given an undefined tensor, to throw "<name>: an input tensor is undefined".
inline void expect_undefined_inputs_rejected(const NamedUnaryOps& ops) {
  for (const auto& entry : ops) {  // not a structured binding: Clang 14 cannot capture one in a lambda
    const auto& [name, op] = entry;
    SCOPED_TRACE(name);
    expect_throws<std::invalid_argument>([&] { return entry.second(Tensor()); },
                                         name + ": an input tensor is undefined (default-constructed)");
  }
}

/// Prunes records left on this thread's tape by earlier tests (a recorded step and its backward drop
/// every dead record from the tape's end), then expects the tape to be empty.
inline void settle_tape() {
  Tensor x = scalar_tensor(1.0, kFloat64);
  x.requires_grad_();
  (x * 2.0).backward();
  ASSERT_EQ(tape_size(), 0U);
}

}  // namespace tg::testing
