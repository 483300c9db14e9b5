// Trains nothing: checks that an installed tapegrad links and differentiates (d/dx of x^2 at 3 is 6).
#include <cstdio>

#include "tapegrad/nn.hpp"
#include "tapegrad/tapegrad.hpp"

int main() {
  tg::Tensor x = tg::scalar_tensor(3.0, tg::kFloat64).requires_grad_();
  (x * x).backward();
  tg::nn::Linear layer(2, 1);
  std::printf("grad %g params %zu\n", x.grad().item(), layer.parameters().size());
  return x.grad().item() == 6.0 && layer.parameters().size() == 2 ? 0 : 1;
}
