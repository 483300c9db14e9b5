// hessian: the full 9x9 Hessian of the tutorial 2-2-1 network's loss over its 9 parameters, by
// tg::autograd::hessian (second derivatives through the recorded backward sweep). The network, data and
// weights are examples/gender.cpp's before training: the four people, seed 4's normal(0, 1) draws, the
// mean squared error over all four (examples/hessian_221.hpp). The Hessian is checked against five-point
// finite differences of the autograd gradient and, for the output neuron's (w5, w6, b3) block, against
// the closed form derived in hessian_221.hpp; then one Newton step on the loss.
// Run: build/examples/hessian

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "hessian_221.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using Matrix = std::vector<std::vector<double>>;
namespace net = examples::hessian_221;

void print_hessian(const Matrix& h) {
  std::printf("%6s", "");
  for (const std::string& name : net::kNames) std::printf("%11s", name.c_str());
  std::printf("\n");
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::printf("%6s", net::kNames[i].c_str());
    for (const double v : h[i]) std::printf("%11.6f", v);
    std::printf("\n");
  }
}

// The largest |a - b| over the block of a starting at (first, first) with b's size.
double worst_difference(const Matrix& a, const Matrix& b, std::size_t first = 0) {
  double worst = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    for (std::size_t j = 0; j < b.size(); ++j) worst = std::max(worst, std::abs(a[first + i][first + j] - b[i][j]));
  return worst;
}

// Solves a d = g for a symmetric positive definite a by Cholesky, a = L L^T: forward substitution
// L y = g, then back substitution L^T d = y. std::nullopt when a pivot is not positive (a is not
// positive definite), which is also how the Newton step below tests for that.
std::optional<std::vector<double>> cholesky_solve(const Matrix& a, const std::vector<double>& g) {
  const std::size_t n = g.size();
  Matrix l(n, std::vector<double>(n, 0.0));
  for (std::size_t j = 0; j < n; ++j) {
    double pivot = a[j][j];
    for (std::size_t k = 0; k < j; ++k) pivot -= l[j][k] * l[j][k];
    if (!(pivot > 0)) return std::nullopt;
    l[j][j] = std::sqrt(pivot);
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (std::size_t k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
      l[i][j] = s / l[j][j];
    }
  }
  std::vector<double> y(n), d(n);
  for (std::size_t i = 0; i < n; ++i) {  // L y = g
    double s = g[i];
    for (std::size_t k = 0; k < i; ++k) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  for (std::size_t i = n; i-- > 0;) {  // L^T d = y
    double s = y[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= l[k][i] * d[k];
    d[i] = s / l[i][i];
  }
  return d;
}

double loss_at(const std::vector<double>& theta) {
  const tg::NoGradGuard no_grad;
  return net::loss(tg::tensor(theta, {static_cast<std::int64_t>(theta.size())}, tg::kFloat64)).item();
}

// One Newton step theta - d with (H + lambda I) d = g. lambda = 0 (the plain Newton step) when H is
// positive definite; otherwise Levenberg's damping: lambda from 1e-3 up by factors of 10 until H + lambda I
// is positive definite and the step lowers the loss. At gender.cpp's initial weights H is indefinite:
// its diagonal holds negative entries (w3, w4, w6, b3: e_i^T H e_i < 0) beside positive ones (w1, w5), so
// the plain step, towards the quadratic model's saddle, need not descend. The damped step prints its lambda.
std::vector<double> newton_step(const Matrix& h, const std::vector<double>& g, const std::vector<double>& theta) {
  for (double lambda = 0; lambda < 1e9; lambda = lambda == 0 ? 1e-3 : lambda * 10) {
    Matrix damped = h;
    for (std::size_t i = 0; i < h.size(); ++i) damped[i][i] += lambda;
    const std::optional<std::vector<double>> d = cholesky_solve(damped, g);
    if (!d) continue;
    std::vector<double> next = theta;
    for (std::size_t i = 0; i < next.size(); ++i) next[i] -= (*d)[i];
    if (loss_at(next) < loss_at(theta)) {
      if (lambda == 0) std::printf("H is positive definite: plain Newton step\n");
      else std::printf("H is not positive definite: Levenberg step with lambda = %g\n", lambda);
      return next;
    }
  }
  throw std::runtime_error("newton_step: no damping up to 1e9 lowers the loss");
}

Matrix as_matrix(const tg::Tensor& h) {
  const std::vector<double> v = h.to_vector();
  const auto n = static_cast<std::size_t>(h.size(0));
  Matrix m(n, std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) m[i][j] = v[i * n + j];
  return m;
}

}  // namespace

int main(int argc, char** argv) try {
  if (const std::optional<int> exit_code = examples::parse_flags(argc, argv, {})) return *exit_code;

  // the network's 9 parameters at gender.cpp's initial weights, and the Hessian of its loss over them
  const tg::Tensor theta = net::initial_parameters();
  const Matrix h = as_matrix(tg::autograd::hessian(net::loss, theta));
  std::printf("Hessian of the MSE loss over the 9 parameters (float64):\n");
  print_hessian(h);

  // check: five-point finite differences of the autograd gradient, and the output neuron's closed form
  const std::vector<double> theta_v = theta.to_vector();
  const Matrix fd = net::finite_difference_hessian(net::gradient, theta_v);
  std::printf("worst difference from finite differences: %.3g\n", worst_difference(h, fd));
  const double block = worst_difference(h, net::output_block_closed_form(theta_v), net::kOutputBlock);
  std::printf("output neuron block (w5, w6, b3) against its closed form: worst difference %.3g\n", block);

  // one Newton step: solve H d = g and step to theta - d
  std::printf("loss before the Newton step: %.10f\n", loss_at(theta_v));
  const std::vector<double> next = newton_step(h, net::gradient(theta_v), theta_v);
  std::printf("loss after the Newton step:  %.10f\n", loss_at(next));
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
