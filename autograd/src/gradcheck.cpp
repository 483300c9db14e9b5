#include "tapegrad/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tapegrad/grad_mode.hpp"

namespace tg {

namespace {

// "[1, 0]": the row-major multi-index of element `flat` of `shape`.
std::string multi_index(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(shape.size()));
  for (int d = shape.size() - 1; d >= 0; --d) {
    index[static_cast<std::size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  std::string text = "[";
  for (std::size_t d = 0; d < index.size(); ++d) text += (d == 0 ? "" : ", ") + std::to_string(index[d]);
  return text + "]";
}

}  // namespace

std::string GradcheckResult::str() const {
  std::ostringstream os;
  os.precision(17);
  os << (ok ? "gradcheck passed" : "gradcheck FAILED") << ": worst |analytic - numeric| = " << max_abs_error;
  if (input < 0) return os.str();
  os << " at input " << input << ", element " << element << " (index " << multi_index(element, input_shape)
     << " of shape " << input_shape.str() << "), output element " << output << " (index "
     << multi_index(output, output_shape) << " of shape " << output_shape.str() << "): analytic " << analytic
     << ", numeric " << numeric;
  if (ok) return os.str();
  os.precision(6);  // a diagnosis: the digits that tell the values apart are enough
  if (kink)
    os << "; the one-sided differences disagree (left " << left_difference << ", right " << right_difference
       << "): the function has a kink here (relu, abs, max...); move the input off it";
  else if (kink_nearby)
    os << "; the stencil at a 16 times smaller step gives " << fine_numeric
       << ": the function is not smooth within 2 steps of this point (a kink nearby, or it varies faster than "
          "the step resolves); move the input away or pass a smaller step";
  else
    os << "; no kink at or near this point (one-sided differences left " << left_difference << ", right "
       << right_difference << "; a 16 times smaller step gives " << fine_numeric << "), so the backward is wrong here";
  return os.str();
}

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using Rows = std::vector<std::vector<double>>;  // rows[j][e] or columns[e][j] of one input's Jacobian

std::vector<double> evaluate(const Fn& fn, const std::vector<Tensor>& inputs) {
  const NoGradGuard no_grad;
  return fn(inputs).to_vector();
}

// fn's outputs with element e of input `which` moved by `offset` (and put back).
std::vector<double> evaluate_moved(const Fn& fn, std::vector<Tensor>& inputs, std::size_t which, std::int64_t e,
                                   double offset) {
  double& x = inputs[which].data<double>()[e];
  const double saved = x;
  x = saved + offset;
  std::vector<double> outputs = evaluate(fn, inputs);
  x = saved;
  return outputs;
}

// The five-point central stencil from f(x-2h), f(x-h), f(x+h), f(x+2h): f'(x) + O(h^4).
double stencil(double m2, double m1, double p1, double p2, double h) { return (m2 - 8 * m1 + 8 * p1 - p2) / (12 * h); }

// The columns of the Jacobian for one input, by the stencil.
Rows numeric_columns(const Fn& fn, std::vector<Tensor>& inputs, std::size_t which, double h) {
  Rows columns;
  for (std::int64_t e = 0; e < inputs[which].numel(); ++e) {
    const auto at = [&](double offset) { return evaluate_moved(fn, inputs, which, e, offset); };
    const std::vector<double> m2 = at(-2 * h), m1 = at(-h), p1 = at(h), p2 = at(2 * h);
    std::vector<double> column(m2.size());
    for (std::size_t j = 0; j < column.size(); ++j) column[j] = stencil(m2[j], m1[j], p1[j], p2[j], h);
    columns.push_back(std::move(column));
  }
  return columns;
}

// rows[i][j][e]: d output j / d element e of input i, row j from a backward with a one-hot dy (empty for
// the inputs that do not require grad).
std::vector<Rows> analytic_rows(const Tensor& y, std::vector<Tensor>& leaves) {
  std::vector<Rows> rows(leaves.size());
  const std::int64_t outputs = y.numel();
  for (std::int64_t j = 0; j < outputs; ++j) {
    for (Tensor& leaf : leaves)
      if (leaf.requires_grad()) leaf.zero_grad();
    Tensor dy = zeros(y.shape(), kFloat64);
    dy.data<double>()[j] = 1.0;
    if (y.requires_grad()) y.backward(dy, j + 1 < outputs);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (!leaves[i].requires_grad()) continue;
      const Tensor g = leaves[i].grad();
      const auto n = static_cast<std::size_t>(leaves[i].numel());
      rows[i].push_back(g.defined() ? g.to_vector() : std::vector<double>(n, 0.0));
    }
  }
  return rows;
}

// Folds input i's elements into result: ok while every one passes, the worst one kept.
void compare(const Rows& analytic, const Rows& numeric, int i, const GradcheckOptions& options,
             GradcheckResult& result) {
  for (std::size_t e = 0; e < numeric.size(); ++e)
    for (std::size_t j = 0; j < numeric[e].size(); ++j) {
      const double a = analytic[j][e];
      const double n = numeric[e][j];
      const double err = std::abs(a - n);
      const bool pass = err <= options.atol + options.rtol * std::abs(n);
      const bool worse = std::isnan(err) ? !std::isnan(result.max_abs_error) : err > result.max_abs_error;
      if (worse) {
        result.max_abs_error = err;
        result.input = i;
        result.element = static_cast<std::int64_t>(e);
        result.output = static_cast<std::int64_t>(j);
        result.analytic = a;
        result.numeric = n;
      }
      result.ok = result.ok && pass;
    }
}

// How much finer the second look is; a power of 2 keeps x +- h/16 exact.
constexpr double kFineRatio = 16;

// Whether the worst element sits on a kink, near one, or neither, from f around it at steps h and t = h/16.
// At x: the one-sided differences have truncation errors +-(h/2) f'' + O(h^2), so for a smooth f, right -
// left = h f'' + O(h^3) shrinks with the step, where across a kink at x it stays the jump of the slope. At
// t a smooth f's is 16 times smaller and a kink's the same: a quarter (the geometric middle) tells them
// apart. Near x: a smooth f gives the same stencil at h and at t, to the check's own tolerance; a kink
// within 2h of x (or a variation faster than h resolves) moves the one at h. Differences below the
// rounding of quotients at step t (about 2 eps |f| / t; a margin of 1000 for an f off by many ulps) say
// nothing.
void diagnose(const Fn& fn, std::vector<Tensor>& leaves, const GradcheckOptions& options, GradcheckResult& result) {
  const auto which = static_cast<std::size_t>(result.input);
  const auto j = static_cast<std::size_t>(result.output);
  const auto at = [&](double offset) { return evaluate_moved(fn, leaves, which, result.element, offset)[j]; };
  const double h = options.step;
  const double t = h / kFineRatio;
  const double f0 = at(0.0), m2 = at(-2 * t), m1 = at(-t), p1 = at(t), p2 = at(2 * t);
  result.left_difference = (f0 - at(-h)) / h;
  result.right_difference = (at(h) - f0) / h;
  result.fine_numeric = stencil(m2, m1, p1, p2, t);
  const double scale = std::max({std::abs(f0), std::abs(m2), std::abs(m1), std::abs(p1), std::abs(p2)});
  const double rounding = 1000 * 2 * std::numeric_limits<double>::epsilon() * scale / t;
  const double jump = std::abs((p1 - f0) / t - (f0 - m1) / t);
  result.kink = jump > std::abs(result.right_difference - result.left_difference) / 4 && jump > rounding;
  const double moved = std::abs(result.numeric - result.fine_numeric);
  result.kink_nearby =
      !result.kink && moved > options.atol + options.rtol * std::abs(result.fine_numeric) + rounding;
}

}  // namespace

GradcheckResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<Tensor> leaves;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() != kFloat64)
      throw std::invalid_argument("gradcheck: input " + std::to_string(i) + " is " +
                                  std::string(dtype_name(inputs[i].dtype())) + "; finite differences need float64");
    Tensor leaf = inputs[i].detach().clone();
    leaf.requires_grad_(inputs[i].requires_grad());
    leaves.push_back(leaf);
  }
  const Tensor y = fn(leaves);
  const std::vector<Rows> analytic = analytic_rows(y, leaves);
  GradcheckResult result;
  result.ok = true;
  result.output_shape = y.shape();
  for (std::size_t i = 0; i < leaves.size(); ++i)
    if (leaves[i].requires_grad())
      compare(analytic[i], numeric_columns(fn, leaves, i, options.step), static_cast<int>(i), options, result);
  if (result.input >= 0) {
    result.input_shape = leaves[static_cast<std::size_t>(result.input)].shape();
    diagnose(fn, leaves, options, result);
  }
  return result;
}

}  // namespace tg
