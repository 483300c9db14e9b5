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
#include <limits>
#include <span>
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

/// A quiet NaN and +infinity, for the cases that propagate or order them.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

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

// ---- fixtures the op tests share ----

/// [[1, 2, 3], [4, 5, 6]] in float64.
inline Tensor one_to_six() { return f64({1, 2, 3, 4, 5, 6}, {2, 3}); }
/// 0, 1, 2, ... in row-major order, float64.
inline Tensor counting(const Shape& shape) { return arange(shape.numel(), kFloat64).reshape(shape); }
/// counting({2, 3, 4}).
inline Tensor arange24() { return counting({2, 3, 4}); }
/// Leaves of distinct values, each more than 0.01 from every other (and so are the squares of distinct23's):
/// max, min and sorting are smooth around them, so that a finite difference reorders nothing.
inline Tensor distinct23() { return leaf({0.3, -0.5, 1.1, 0.7, -0.9, 0.2}, {2, 3}); }
inline Tensor distinct232() { return leaf({0.3, -0.5, 1.1, 0.7, -0.9, 0.2, 0.5, 1.4, -0.1, 0.9, -1.2, 0.6}, {2, 3, 2}); }

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

/// A reduction over `dims` (empty: everything) with keepdim, as one signature for the shared checks.
using Reduce = std::function<Tensor(const Tensor&, std::span<const int>, bool)>;

struct ReductionCase {
  std::string name;
  Shape shape;
  std::vector<int> dims;
  bool keepdim;
};

/// Dims and keepdim combinations over [2, 3] and [2, 3, 2]; the empty dims list reduces everything.
inline std::vector<ReductionCase> reduction_cases() {
  return {{"all of [2, 3]", {2, 3}, {}, false},         {"all of [2, 3], keepdim", {2, 3}, {}, true},
          {"dim 0 of [2, 3]", {2, 3}, {0}, false},      {"dim 1 of [2, 3], keepdim", {2, 3}, {1}, true},
          {"dim -1 of [2, 3]", {2, 3}, {-1}, false},    {"dims 0, 2 of [2, 3, 2]", {2, 3, 2}, {0, 2}, false},
          {"dim 1 of [2, 3, 2], keepdim", {2, 3, 2}, {1}, true}};
}

/// gradcheck of reduce for every case of reduction_cases() (x23 is [2, 3], x232 is [2, 3, 2]), and fanned
/// out: the kept reduction of x broadcast back against x itself.
inline void expect_reduction_gradchecks(const Reduce& reduce, const Tensor& x23, const Tensor& x232) {
  for (const ReductionCase& c : reduction_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor& x = c.shape.size() == 2 ? x23 : x232;
    expect_gradcheck([&](const Inputs& in) { return reduce(in[0], c.dims, c.keepdim); }, {x});
  }
  SCOPED_TRACE("fan-out: reduce(x, {1}, keepdim) * x");
  expect_gradcheck([&](const Inputs& in) { return reduce(in[0], std::vector<int>{1}, true) * in[0]; }, {x23});
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

// ---- second derivatives ----

/// Expects gradgradcheck of fn at inputs to pass (with the default options unless given), worst error
/// below 1e-10.
inline void expect_gradgradcheck(const Fn& fn, const Inputs& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult result = gradgradcheck(fn, inputs, Tensor(), options);
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
}

/// expect_gradgradcheck with the default options, as a value to hand to the helpers that take a check.
inline void expect_gradgradcheck_default(const Fn& fn, const Inputs& inputs) { expect_gradgradcheck(fn, inputs); }

/// gradgradcheck of op at x alone, and with x fanned out (`op(x) * x`), as expect_unary_gradcheck.
inline void expect_unary_gradgradcheck(const UnaryOp& op, const Tensor& x) {
  {
    SCOPED_TRACE("gradgrad op(x)");
    expect_gradgradcheck([&](const Inputs& in) { return op(in[0]); }, {x});
  }
  {
    SCOPED_TRACE("gradgrad fan-out: op(x) * x");
    expect_gradgradcheck([&](const Inputs& in) { return op(in[0]) * in[0]; }, {x});
  }
}

/// The second derivative of an elementwise op at x, element by element: d/dx sum(d/dx sum(op(x))), by
/// autograd::grad twice (the first sweep recorded).
inline Tensor elementwise_second_derivative(const UnaryOp& op, const Tensor& x) {
  const Tensor dx = autograd::grad({sum(op(x))}, {x}, {}, {}, true)[0];
  return autograd::grad({sum(dx)}, {x})[0];
}

/// H v at x for the scalar f: the gradient of grad(f(x), x) . v, from two sweeps (the first recorded).
inline Tensor hessian_times(const UnaryOp& f, const Tensor& x, const Tensor& v) {
  const Tensor g = autograd::grad({f(x)}, {x}, {}, {}, true)[0];
  return autograd::grad({sum(g * v)}, {x})[0];
}

/// gradgradcheck of reduce for every case of reduction_cases(), and fanned out with a broadcast: the kept
/// reduction of x times x itself (as expect_reduction_gradchecks).
inline void expect_reduction_gradgradchecks(const Reduce& reduce, const Tensor& x23, const Tensor& x232) {
  for (const ReductionCase& c : reduction_cases()) {
    SCOPED_TRACE(c.name);
    const Tensor& x = c.shape.size() == 2 ? x23 : x232;
    expect_gradgradcheck([&](const Inputs& in) { return reduce(in[0], c.dims, c.keepdim); }, {x});
  }
  SCOPED_TRACE("fan-out and broadcast: reduce(x, {1}, keepdim) * x");
  expect_gradgradcheck([&](const Inputs& in) { return reduce(in[0], std::vector<int>{1}, true) * in[0]; }, {x23});
}

}  // namespace tg::testing
