#include "tapegrad/gradcheck.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "tapegrad/grad_mode.hpp"

namespace tg {

std::string GradcheckResult::str() const {
  std::ostringstream os;
  os.precision(17);
  os << (ok ? "gradcheck passed" : "gradcheck FAILED") << ": worst |analytic - numeric| = " << max_abs_error;
  if (input >= 0)
    os << " at input " << input << " element " << element << " (output " << output << "): analytic " << analytic
       << ", numeric " << numeric;
  return os.str();
}

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

std::vector<double> evaluate(const Fn& fn, const std::vector<Tensor>& inputs) {
  const NoGradGuard no_grad;
  return fn(inputs).to_vector();
}

// The columns of the Jacobian for one input, by the five-point central stencil:
// f'(x) ~ (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h, whose error is O(h^4).
std::vector<std::vector<double>> numeric_columns(const Fn& fn, std::vector<Tensor>& inputs, std::size_t which,
                                                 double h) {
  Tensor& x = inputs[which];
  double* p = x.data<double>();
  std::vector<std::vector<double>> columns;
  for (std::int64_t e = 0; e < x.numel(); ++e) {
    const double saved = p[e];
    const auto at = [&](double offset) {
      p[e] = saved + offset;
      return evaluate(fn, inputs);
    };
    const std::vector<double> m2 = at(-2 * h), m1 = at(-h), p1 = at(h), p2 = at(2 * h);
    p[e] = saved;
    std::vector<double> column(m2.size());
    for (std::size_t j = 0; j < column.size(); ++j) column[j] = (m2[j] - 8 * m1[j] + 8 * p1[j] - p2[j]) / (12 * h);
    columns.push_back(std::move(column));
  }
  return columns;
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
  const std::int64_t outputs = y.numel();
  GradcheckResult result;
  result.ok = true;
  // analytic[i][j][e]: d output j / d element e of input i, row j from a backward with a one-hot dy.
  std::vector<std::vector<std::vector<double>>> analytic(leaves.size());
  for (std::int64_t j = 0; j < outputs; ++j) {
    for (Tensor& leaf : leaves)
      if (leaf.requires_grad()) leaf.zero_grad();
    Tensor dy = zeros(y.shape(), kFloat64);
    dy.data<double>()[j] = 1.0;
    if (y.requires_grad()) y.backward(dy, j + 1 < outputs);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (!leaves[i].requires_grad()) continue;
      const Tensor g = leaves[i].grad();
      analytic[i].push_back(g.defined() ? g.to_vector() : std::vector<double>(static_cast<std::size_t>(leaves[i].numel()), 0.0));
    }
  }
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].requires_grad()) continue;
    const auto columns = numeric_columns(fn, leaves, i, options.step);
    for (std::size_t e = 0; e < columns.size(); ++e)
      for (std::size_t j = 0; j < columns[e].size(); ++j) {
        const double a = analytic[i][j][e];
        const double n = columns[e][j];
        const double err = std::abs(a - n);
        const bool pass = err <= options.atol + options.rtol * std::abs(n);
        const bool worse = std::isnan(err) ? !std::isnan(result.max_abs_error) : err > result.max_abs_error;
        if (worse) {
          result.max_abs_error = err;
          result.input = static_cast<int>(i);
          result.element = static_cast<std::int64_t>(e);
          result.output = static_cast<std::int64_t>(j);
          result.analytic = a;
          result.numeric = n;
        }
        result.ok = result.ok && pass;
      }
  }
  return result;
}

}  // namespace tg
