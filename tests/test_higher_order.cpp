// Gradients of gradients: backward(..., create_graph), autograd::grad, and gradient hooks.

#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/detail/tape.hpp"

namespace tg {
namespace {

using testing::expect_values;
using testing::f64;
using testing::leaf;
using ::testing::HasSubstr;

// y = x^3: dy/dx = 3x^2, d2y/dx2 = 6x, d3y/dx3 = 6.
TEST(CreateGraph, ThirdDerivativeOfACube) {
  const Tensor x = leaf({2.0}, {});
  const Tensor y = x.pow(3);
  const Tensor g1 = autograd::grad({y}, {x}, {}, {}, true)[0];
  expect_values(g1, {}, {12.0});
  const Tensor g2 = autograd::grad({g1}, {x}, {}, {}, true)[0];
  expect_values(g2, {}, {12.0});
  const Tensor g3 = autograd::grad({g2}, {x})[0];
  expect_values(g3, {}, {6.0});
  EXPECT_FALSE(g3.requires_grad());  // the last sweep did not record
}

// PyTorch accumulates: after y.backward(create_graph) x.grad = 3x^2 with history; x.grad.backward() adds
// d(3x^2)/dx = 6x into it: 12 + 12 = 24 at x = 2, as torch gives.
TEST(CreateGraph, BackwardOfAGradAccumulatesAsPyTorch) {
  Tensor x = leaf({2.0}, {});
  x.pow(3).backward(Tensor(), {}, true);
  const Tensor g = x.grad();
  ASSERT_TRUE(g.requires_grad());
  expect_values(g, {}, {12.0});
  g.backward();
  expect_values(x.grad(), {}, {24.0});
  x.zero_grad();  // x.grad's history holds x: break the cycle, as PyTorch advises
}

TEST(CreateGraph, WithoutItTheGradientHasNoHistoryAndTheMessageSaysSo) {
  const Tensor x = leaf({2.0}, {});
  x.pow(3).backward();
  EXPECT_FALSE(x.grad().requires_grad());
  try {
    x.grad().backward();
    FAIL() << "expected an error";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("create_graph"));
  }
}

// f = sum(exp(a) * b) with a, b of 3 elements: df/da = exp(a) b, df/db = exp(a);
// the Hessian-vector products with v = (1, 1, 1) for both: d/da (v . df/da) = exp(a) b, d/db = exp(a).
TEST(CreateGraph, MixedSecondDerivatives) {
  const Tensor a = leaf({0.1, -0.2, 0.3}, {3});
  const Tensor b = leaf({1.5, 2.0, -1.0}, {3});
  const Tensor f = sum(exp(a) * b);
  const std::vector<Tensor> g = autograd::grad({f}, {a, b}, {}, {}, true);
  const Tensor s = sum(g[0]) + sum(g[1]);  // v . grad with v = 1
  const std::vector<Tensor> h = autograd::grad({s}, {a, b});
  std::vector<double> ea, eab;
  for (int i = 0; i < 3; ++i) {
    const double ai = a.to_vector()[i], bi = b.to_vector()[i];
    eab.push_back(std::exp(ai) * bi + std::exp(ai));  // d/da of exp(a) b + exp(a)
    ea.push_back(std::exp(ai));                        // d/db of exp(a) b
  }
  expect_values(h[0], {3}, eab);
  expect_values(h[1], {3}, ea);
}

TEST(Gradgradcheck, PassesOnAComposedFunctionWithFanOut) {
  const auto fn = [](const std::vector<Tensor>& in) { return sum(tanh(matmul(in[0], in[1])) * in[0].sum()); };
  const GradcheckResult r = gradgradcheck(fn, {testing::random_leaf({2, 3}, 7), testing::random_leaf({3, 2}, 8)});
  EXPECT_TRUE(r.ok) << r.str();
}

// A third-order check: fn itself returns a gradient (of x^3: 3x^2), so gradgradcheck checks 6x and 6.
TEST(Gradgradcheck, OfAFunctionThatTakesAGradient) {
  const auto first_derivative = [](const std::vector<Tensor>& in) {
    return autograd::grad({sum(in[0].pow(3))}, {in[0]}, {}, {}, true)[0];
  };
  const GradcheckResult r = gradgradcheck(first_derivative, {testing::random_leaf({3}, 1)});
  EXPECT_TRUE(r.ok) << r.str();
}

// A backward written as a raw computation of dy that the recorded sweep cannot see: the second
// derivative comes out wrong, and gradgradcheck says so.
TEST(Gradgradcheck, CatchesABackwardThatIsNotDifferentiable) {
  const auto opaque_square = [](const Tensor& x) {
    Tensor y = x.detach() * x.detach();
    if (detail::needs_grad(x))
      detail::record("opaque_square", y, detail::saves(x), [x](const Tensor& dy, const Tensor&) {
        const NoGradGuard hidden;  // the product is computed out of the recorded sweep's sight
        detail::accumulate_grad(x, dy * 2.0 * x);
      });
    return y;
  };
  const auto fn = [&](const std::vector<Tensor>& in) { return opaque_square(in[0]); };
  const GradcheckResult first = gradcheck(fn, {testing::random_leaf({3}, 9)});
  EXPECT_TRUE(first.ok) << first.str();
  EXPECT_FALSE(gradgradcheck(fn, {testing::random_leaf({3}, 9)}).ok);
}

// A fan-out in a recording sweep sums two gradients with a recorded add, whose record may move the tape's
// records (and the gradient slot held there) when it grows: on a new thread's tape, whose capacity is
// still small, d * d's sweep did exactly that and lost one of v's two paths (d/dv came out half).
TEST(Gradgradcheck, FanOutOnAFreshTapeKeepsBothPaths) {
  GradcheckResult r;
  std::thread fresh([&] {
    const auto square_of_difference = [](const std::vector<Tensor>& in) {
      const Tensor d = in[0] - in[1];
      return d * d;
    };
    r = gradgradcheck(square_of_difference, {testing::random_leaf({2, 3}, 3), testing::random_leaf({2, 3}, 4)});
  });
  fresh.join();
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(AutogradGrad, LeavesDotGradUntouched) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor w = leaf({3.0, 4.0}, {2});
  const Tensor y = sum(x * w);
  const std::vector<Tensor> g = autograd::grad({y}, {x});
  expect_values(g[0], {2}, {3.0, 4.0});
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(AutogradGrad, NonLeafInputStopsAtIt) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor h = x * 3.0;
  const Tensor y = sum(h * h);
  const std::vector<Tensor> g = autograd::grad({y}, {h}, {}, true);
  expect_values(g[0], {2}, {6.0, 12.0});  // 2h
  // The records below h were not swept: a backward from y still reaches x (dy/dx = 18x).
  y.backward();
  expect_values(x.grad(), {2}, {18.0, 36.0});
}

TEST(AutogradGrad, SeveralOutputsWithGradOutputs) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor y1 = x * 2.0;
  const Tensor y2 = x * x;
  const std::vector<Tensor> g = autograd::grad({y1, y2}, {x}, {f64({1, 1}, {2}), f64({0.5, 2}, {2})});
  expect_values(g[0], {2}, {2.0 + 0.5 * 2.0, 2.0 + 2.0 * 4.0});
}

TEST(AutogradGrad, RepeatedInputGetsTheSameGradient) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const std::vector<Tensor> g = autograd::grad({sum(x * x)}, {x, x});
  expect_values(g[0], {2}, {2.0, 4.0});
  expect_values(g[1], {2}, {2.0, 4.0});
}

TEST(AutogradGrad, UnusedInputIsAnErrorUnlessAllowed) {
  const Tensor x = leaf({1.0}, {1});
  const Tensor z = leaf({1.0}, {1});
  const Tensor y = sum(x * 2.0);
  try {
    static_cast<void>(autograd::grad({y}, {x, z}, {}, true));
    FAIL() << "expected an error";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("input 1 of shape [1] was not used"));
    EXPECT_THAT(e.what(), HasSubstr("allow_unused"));
  }
  const std::vector<Tensor> g = autograd::grad({y}, {x, z}, {}, {}, false, true);
  expect_values(g[0], {1}, {2.0});
  EXPECT_FALSE(g[1].defined());
}

TEST(AutogradGrad, InputThatDoesNotRequireGradIsNamed) {
  const Tensor x = leaf({1.0}, {1});
  const Tensor c = f64({1.0}, {1});
  try {
    static_cast<void>(autograd::grad({sum(x * c)}, {c}));
    FAIL() << "expected an error";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("input 0 of shape [1] does not require grad"));
  }
}

TEST(AutogradGrad, WrongNumberOfGradOutputs) {
  const Tensor x = leaf({1.0}, {1});
  try {
    static_cast<void>(autograd::grad({x * 2.0}, {x}, {f64({1}, {1}), f64({1}, {1})}));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 grad_outputs for 1 outputs"));
  }
}

// A gradient penalty: p = |d(sum(tanh(w x)))/dx|^2 depends on w through the input gradient;
// p.backward() must give dp/dw, checked against central differences of p in w.
TEST(CreateGraph, GradientPenaltyReachesTheWeights) {
  const Tensor x0 = f64({0.3, -0.7}, {2});
  const auto penalty = [&](const Tensor& w) {
    const Tensor x = x0.detach().clone().requires_grad_();
    const Tensor out = sum(tanh(matmul(w, x)));
    const Tensor gx = autograd::grad({out}, {x}, {}, {}, true)[0];
    return sum(gx * gx);
  };
  const Tensor w = leaf({0.5, -1.2, 0.8, 0.4}, {2, 2});
  penalty(w).backward();
  const std::vector<double> analytic = w.grad().to_vector();
  const double h = 1e-5;
  for (int e = 0; e < 4; ++e) {
    const NoGradGuard none;  // the finite differences read values only
    const auto at = [&](double d) {
      Tensor wd = w.detach().clone();
      wd.data<double>()[e] += d;
      const EnableGradGuard on;
      return penalty(wd).item<double>();
    };
    const double numeric = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
    // Five-point stencil: truncation O(h^4) ~ 1e-20 and rounding ~ 1e-16 / h ~ 1e-11.
    EXPECT_NEAR(analytic[e], numeric, 1e-9) << "element " << e;
  }
}

TEST(Hooks, NonLeafHookSeesAndReplacesItsGradient) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor h = x * 3.0;
  std::vector<double> seen;
  h.register_hook([&](const Tensor& g) {
    seen = g.to_vector();
    return g * 2.0;
  });
  sum(h * h).backward();
  EXPECT_EQ(seen, (std::vector<double>{6.0, 12.0}));
  expect_values(x.grad(), {2}, {36.0, 72.0});  // 2 * 2h * 3
}

TEST(Hooks, LeafHookSeesTheWholeGradientOnce) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  int calls = 0;
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.to_vector();
  });
  sum(x * x + x * 3.0).backward();  // two uses: 2x + 3
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, (std::vector<double>{5.0, 7.0}));
  expect_values(x.grad(), {2}, {5.0, 7.0});
}

TEST(Hooks, RemovedHookDoesNotRun) {
  const Tensor x = leaf({1.0}, {1});
  int calls = 0;
  HookHandle handle = x.register_hook([&](const Tensor&) { ++calls; });
  sum(x * 2.0).backward();
  handle.remove();
  handle.remove();  // a second call does nothing
  sum(x * 2.0).backward();
  EXPECT_EQ(calls, 1);
  expect_values(x.grad(), {1}, {4.0});
}

TEST(Hooks, ReplacementOfAnotherShapeIsRefused) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  x.register_hook([](const Tensor&) { return f64({1.0}, {1}); });
  try {
    sum(x * 2.0).backward();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("a hook returned a gradient of shape [1] float64 for a gradient of shape [2]"));
  }
}

TEST(Hooks, OnATensorThatDoesNotRequireGradIsRefused) {
  const Tensor c = f64({1.0}, {1});
  EXPECT_THROW(static_cast<void>(c.register_hook([](const Tensor&) {})), std::logic_error);
  const Tensor x = leaf({1.0}, {1});
  EXPECT_THROW(static_cast<void>((x * 2.0).register_post_accumulate_grad_hook([](const Tensor&) {})),
               std::logic_error);
}

// A three-layer chain of leaves w1 -> w2 -> w3: the post-accumulate hooks run as soon as each leaf's
// gradient is final, w3's first, while the sweep is still to reach the earlier layers.
TEST(Hooks, PostAccumulateHooksRunWhenEachGradientIsFinal) {
  const Tensor x = f64({0.5, -0.5}, {1, 2});
  Tensor w1 = testing::random_leaf({2, 2}, 1);
  Tensor w2 = testing::random_leaf({2, 2}, 2);
  Tensor w3 = testing::random_leaf({2, 1}, 3);
  std::vector<std::string> order;
  const auto note = [&](const char* name) {
    return [&, name](const Tensor& t) {
      order.push_back(name);
      EXPECT_TRUE(t.grad().defined());
    };
  };
  w1.register_post_accumulate_grad_hook(note("w1"));
  w2.register_post_accumulate_grad_hook(note("w2"));
  w3.register_post_accumulate_grad_hook(note("w3"));
  // w3's hook checks that the sweep has not reached w1's product yet: w1 has no gradient then.
  w3.register_post_accumulate_grad_hook([&](const Tensor&) { EXPECT_FALSE(w1.grad().defined()); });
  const Tensor h1 = tanh(matmul(x, w1));
  const Tensor h2 = tanh(matmul(h1, w2));
  sum(matmul(h2, w3)).backward();
  EXPECT_EQ(order, (std::vector<std::string>{"w3", "w2", "w1"}));
  // The same again on the next step: the marks follow the new graph.
  order.clear();
  for (Tensor* w : {&w1, &w2, &w3}) w->zero_grad();
  sum(matmul(tanh(matmul(tanh(matmul(x, w1)), w2)), w3)).backward();
  EXPECT_EQ(order, (std::vector<std::string>{"w3", "w2", "w1"}));
}

TEST(Hooks, PostAccumulateHookOfALeafUsedTwiceRunsOnceAfterBothUses) {
  const Tensor w = leaf({2.0}, {1});
  int calls = 0;
  w.register_post_accumulate_grad_hook([&](const Tensor& t) {
    ++calls;
    expect_values(t.grad(), {1}, {2.0 * 2.0 * 3.0 + 1.0});  // d/dw (3 w^2 + w) at 2
  });
  const Tensor a = w * 1.0;       // first use
  const Tensor b = tanh(a) * 0.0;  // unrelated ops between
  const Tensor c = w * w * 3.0;   // later uses
  sum(c + a + b).backward();
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tg
