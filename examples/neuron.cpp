// neuron: the seed tutorial's single neuron, sigmoid(w . x + b), with w = [0, 1], b = 4, x = [2, 3].
// tapegrad computes the output and, by one backward sweep, its gradient with respect to w and b; the
// program prints both beside the closed form sigma'(7) * x and sigma'(7).
// Run: build/examples/neuron

#include <cmath>
#include <cstdio>

#include "common.hpp"
#include "tapegrad/tapegrad.hpp"

int main(int, char** argv) try {
  // data and model, in float64 so that the printed digits are exact
  const tg::Tensor x = tg::tensor({2, 3}, tg::kFloat64);
  tg::Tensor w = tg::tensor({0, 1}, tg::kFloat64).requires_grad_();
  tg::Tensor b = tg::scalar_tensor(4, tg::kFloat64).requires_grad_();

  // forward: sigmoid(w . x + b) = sigmoid(7)
  const tg::Tensor y = tg::sigmoid(tg::sum(w * x) + b);
  std::printf("output   sigmoid(w . x + b) = %.16g\n", y.item());

  // backward: dy/dw = sigma'(7) * x, dy/db = sigma'(7)
  y.backward();
  const double s = 1.0 / (1.0 + std::exp(-7.0));
  const double ds = s * (1.0 - s);
  std::printf("dy/dw    autograd [%.17g, %.17g]\n", w.grad().at({0}), w.grad().at({1}));
  std::printf("         closed   [%.17g, %.17g]\n", ds * 2, ds * 3);
  std::printf("dy/db    autograd %.17g\n", b.grad().item());
  std::printf("         closed   %.17g\n", ds);
  return 0;
} catch (const std::exception& e) {
  return examples::report_error(argv[0], e);
}
