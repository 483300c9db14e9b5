// Custom ops (tg::autograd::Function): values and gradients in closed form, gradcheck with a non-tensor
// argument and fan-out, saved tensors and their version check, needs_input_grad, non-differentiable
// outputs, the messages for a backward that returns the wrong gradients, the anomaly guard naming the op,
// a saved output that does not keep its record alive, two threads using one op at once, and gradients of
// gradients through a backward written in tapegrad ops (closed forms and gradgradcheck).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <any>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "autograd_testing.hpp"
#include "testing.hpp"
#include "tapegrad/function.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp
using testing_support::message_of;
using tg::Tensor;
using tg::autograd::AutogradContext;
using tg::autograd::variable_list;

// y = exp(x), saving its output: dx = dy * y.
struct MyExp : tg::autograd::Function<MyExp> {
  static constexpr const char* name = "my_exp";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor y = tg::exp(x);
    ctx->save_for_backward({y});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->get_saved_variables()[0]};
  }
};

// y = x^3, saving its input: dx = dy * 3 x^2 (in tapegrad ops, so twice differentiable).
struct Cube : tg::autograd::Function<Cube> {
  static constexpr const char* name = "cube";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * 3.0 * x * x};
  }
};

// y = alpha * a * b^2 (a, b of one shape; alpha a double between them, which gets no gradient):
// da = dy * alpha * b^2, db = dy * 2 alpha * a * b.
struct ScaledProduct : tg::autograd::Function<ScaledProduct> {
  static constexpr const char* name = "scaled_product";
  static Tensor forward(AutogradContext* ctx, const Tensor& a, double alpha, const Tensor& b) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["alpha"] = alpha;
    return alpha * a * b * b;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const double alpha = std::any_cast<double>(ctx->saved_data.at("alpha"));
    const Tensor& dy = grad_outputs[0];
    const Tensor da = ctx->needs_input_grad(0) ? dy * alpha * saved[1] * saved[1] : Tensor();
    const Tensor db = ctx->needs_input_grad(2) ? dy * (2 * alpha) * saved[0] * saved[1] : Tensor();
    return {da, Tensor(), db};
  }
};

TEST(Function, ExpValuesAndGradientInClosedForm) {
  const Tensor x = leaf({0.0, 1.0, -2.0}, {3});
  const Tensor y = MyExp::apply(x);
  EXPECT_FALSE(y.is_leaf());
  const std::vector<double> e = {1.0, std::exp(1.0), std::exp(-2.0)};
  expect_values(y, {3}, e);
  tg::sum(y).backward();
  expect_values(x.grad(), {3}, e);  // d/dx e^x = e^x
}

TEST(Function, CubeValuesAndGradientInClosedForm) {
  const Tensor x = leaf({-1.5, 0.5, 2.0}, {3});
  const Tensor y = Cube::apply(x);
  expect_values(y, {3}, {-3.375, 0.125, 8.0});
  tg::sum(y).backward();
  expect_values(x.grad(), {3}, {6.75, 0.75, 12.0});  // 3 x^2
}

TEST(Function, NonTensorArgumentIsPassedAndGetsNoGradient) {
  const Tensor a = leaf({1.0, -2.0}, {2});
  const Tensor b = leaf({3.0, 0.5}, {2});
  const Tensor y = ScaledProduct::apply(a, 0.5, b);
  expect_values(y, {2}, {4.5, -0.25});  // 0.5 * a * b^2
  tg::sum(y).backward();
  expect_values(a.grad(), {2}, {4.5, 0.125});  // 0.5 * b^2
  expect_values(b.grad(), {2}, {3.0, -1.0});   // a * b
}

// The cases both checks run: two inputs and a double, fan-out, the ops used twice in one graph.
struct CheckCase {
  std::string name;
  Fn fn;
  Inputs inputs;
};
std::vector<CheckCase> check_cases() {
  const Tensor a = random_leaf({2, 3}, 1);
  const Tensor b = random_leaf({2, 3}, 2);
  return {
      {"scaled_product(a, 0.7, b)", [](const Inputs& in) { return ScaledProduct::apply(in[0], 0.7, in[1]); }, {a, b}},
      {"fan-out: scaled_product(a, -1.3, a)", [](const Inputs& in) { return ScaledProduct::apply(in[0], -1.3, in[0]); },
       {a}},
      {"used twice: scaled_product(scaled_product(a, 2, b), -1.5, a) * my_exp(b)",
       [](const Inputs& in) {
         return ScaledProduct::apply(ScaledProduct::apply(in[0], 2.0, in[1]), -1.5, in[0]) * MyExp::apply(in[1]);
       },
       {a, b}},
      {"cube(my_exp(a)) * a", [](const Inputs& in) { return Cube::apply(MyExp::apply(in[0])) * in[0]; }, {a}},
  };
}

TEST(Function, Gradcheck) {
  for (const CheckCase& c : check_cases()) {
    SCOPED_TRACE(c.name);
    expect_gradcheck(c.fn, c.inputs);
  }
}

TEST(Function, RetainedGraphRunsTheBackwardTwice) {
  const Tensor x = leaf({0.5, -1.0}, {2});
  const Tensor loss = tg::sum(MyExp::apply(x));
  loss.backward({}, true);
  loss.backward();
  expect_values(x.grad(), {2}, {2 * std::exp(0.5), 2 * std::exp(-1.0)});
}

TEST(Function, UnderNoGradGuardNothingIsRecorded) {
  settle_tape();
  const Tensor x = leaf({1.0}, {1});
  const tg::NoGradGuard no_grad;
  const Tensor y = MyExp::apply(x);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(tg::tape_size(), 0U);
}

// The tape hands the output to the backward rather than the context holding it: otherwise the record
// would keep itself alive once every user handle is gone.
TEST(Function, ASavedOutputDoesNotKeepItsRecordAlive) {
  settle_tape();
  const Tensor x = leaf({1.0, 2.0}, {2});
  {
    const Tensor y = MyExp::apply(x);
    EXPECT_EQ(tg::tape_size(), 1U);
  }
  const Tensor z = x * 2.0;  // recording drops the dead records at the tape's end
  EXPECT_EQ(tg::tape_size(), 1U);
}

// forward may return an input unchanged: the output is a new tensor, and the input stays a leaf.
struct PassThrough : tg::autograd::Function<PassThrough> {
  static constexpr const char* name = "pass_through";
  static Tensor forward(AutogradContext* /*ctx*/, const Tensor& x) { return x; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grad_outputs) { return grad_outputs; }
};

TEST(Function, ReturningAnInputGivesANewOutput) {
  const Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor y = PassThrough::apply(x);
  EXPECT_NE(y.impl(), x.impl());
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  tg::sum(y * y).backward();
  expect_values(x.grad(), {2}, {2.0, 4.0});
}

// ---- gradients of gradients ----

// The backwards above are written in tapegrad ops, so a recording sweep (create_graph) records them.
TEST(Function, SecondAndThirdDerivativesInClosedForm) {
  const Tensor x = leaf({0.5, -1.0, 2.0}, {3});
  const std::vector<double> e = {std::exp(0.5), std::exp(-1.0), std::exp(2.0)};
  const Tensor de = tg::autograd::grad({tg::sum(MyExp::apply(x))}, {x}, {}, {}, true)[0];
  expect_values(de, {3}, e);
  expect_values(tg::autograd::grad({tg::sum(de)}, {x})[0], {3}, e);  // d2/dx2 e^x = e^x, via the saved output
  const Tensor d1 = tg::autograd::grad({tg::sum(Cube::apply(x))}, {x}, {}, {}, true)[0];
  expect_values(d1, {3}, {0.75, 3.0, 12.0});  // 3 x^2
  const Tensor d2 = tg::autograd::grad({tg::sum(d1)}, {x}, {}, {}, true)[0];
  expect_values(d2, {3}, {3.0, -6.0, 12.0});  // 6 x
  expect_values(tg::autograd::grad({tg::sum(d2)}, {x})[0], {3}, {6.0, 6.0, 6.0});
}

TEST(Function, BackwardWithCreateGraphAccumulatesTheSecondDerivative) {
  const Tensor x = leaf({2.0}, {});
  Cube::apply(x).backward(Tensor(), {}, true);
  const Tensor g = x.grad();
  ASSERT_TRUE(g.requires_grad());
  expect_values(g, {}, {12.0});
  g.backward();
  expect_values(x.grad(), {}, {24.0});  // 3 x^2 + 6 x at 2, as PyTorch accumulates
}

TEST(Function, Gradgradcheck) {
  for (const CheckCase& c : check_cases()) {
    SCOPED_TRACE(c.name);
    const tg::GradcheckResult result = tg::gradgradcheck(c.fn, c.inputs);
    EXPECT_TRUE(result.ok) << result.str();
    EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
  }
}

// A leaf's post-accumulate hook runs once its gradient is whole: apply notes each input as used, as the
// built-in ops do, so a custom op that uses the leaf first still sends its gradient before the hook runs.
TEST(Function, PostAccumulateHookOfALeafSeesTheCustomOpsGradient) {
  const Tensor x = leaf({2.0}, {1});
  int calls = 0;
  x.register_post_accumulate_grad_hook([&](const Tensor& t) {
    ++calls;
    expect_values(t.grad(), {1}, {3.0 * 2.0 * 2.0 + 5.0});  // d/dx (x^3 + 5 x) at 2
  });
  const Tensor c = Cube::apply(x);  // first use
  const Tensor d = x * 5.0;         // a later one
  tg::sum(c + d).backward();
  EXPECT_EQ(calls, 1);
}

// ---- the version check of saved tensors ----

std::string modified(const std::string& what, const std::string& op, int now, int then) {
  return "backward: one of the variables needed for gradient computation has been modified by an inplace "
         "operation: [" + what + "], " + op + ", is at version " + std::to_string(now) + "; expected version " +
         std::to_string(then) + " instead. Use .clone() before the in-place write, or do it after backward()";
}

TEST(Function, SavedInputWrittenByPutRefusesBackward) {
  Tensor a = leaf({1.0, 2.0}, {2});
  const Tensor b = leaf({3.0, 4.0}, {2});
  const Tensor loss = tg::sum(ScaledProduct::apply(a, 1.0, b));
  a.put_({0}, 10);  // b's gradient 2 a b would silently use 10
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }),
            modified("float64 [2]", "an input of 'scaled_product'", 1, 0));
  EXPECT_FALSE(b.grad().defined());
}

TEST(Function, SavedOutputWrittenByAddRefusesBackward) {
  const Tensor x = leaf({0.0, 1.0}, {2});
  Tensor y = MyExp::apply(x);
  {
    const tg::NoGradGuard no_grad;  // an in-place op on a non-leaf is allowed here, and counted
    y.add_(1.0);
  }
  EXPECT_EQ(message_of<std::logic_error>([&] { tg::sum(y).backward(); }),
            modified("float64 [2]", "the output of 'my_exp'", 1, 0));
}

// Saves a view of its input (sharing its storage, and so its version): y = 2 x.
struct DoubleViaView : tg::autograd::Function<DoubleViaView> {
  static constexpr const char* name = "double_via_view";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x.reshape({x.numel()})});
    return x * 2.0;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    static_cast<void>(ctx->get_saved_variables());
    return {grad_outputs[0] * 2.0};
  }
};

TEST(Function, SavedViewOfAWrittenInputRefusesBackward) {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0}, {2, 2});
  const Tensor loss = tg::sum(DoubleViaView::apply(x));
  x.fill_(0.0);
  EXPECT_EQ(message_of<std::logic_error>([&] { loss.backward(); }),
            modified("float64 [4]", "a tensor saved by 'double_via_view'", 1, 0));
}

// ---- needs_input_grad and non-differentiable outputs ----

// y = a + b + c (c a double); records what needs_input_grad said in forward and backward.
struct Sum3 : tg::autograd::Function<Sum3> {
  static constexpr const char* name = "sum3";
  static inline std::vector<bool> in_forward, in_backward;
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b, double c) {
    in_forward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1), ctx->needs_input_grad(2)};
    return a + b + c;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    in_backward = {ctx->needs_input_grad(0), ctx->needs_input_grad(1), ctx->needs_input_grad(2)};
    return {ctx->needs_input_grad(0) ? grad_outputs[0] : Tensor(), Tensor(), Tensor()};
  }
};

TEST(Function, NeedsInputGradSaysWhichTensorArgumentsRequireGrad) {
  const Tensor a = leaf({1.0, 2.0}, {2});
  const Tensor b = f64({3.0, 4.0}, {2});
  const Tensor y = Sum3::apply(a, b, 0.5);
  EXPECT_EQ(Sum3::in_forward, (std::vector<bool>{true, false, false}));
  expect_values(y, {2}, {4.5, 6.5});
  tg::sum(y).backward();
  EXPECT_EQ(Sum3::in_backward, (std::vector<bool>{true, false, false}));
  expect_values(a.grad(), {2}, {1.0, 1.0});
  {
    const tg::NoGradGuard no_grad;  // nothing needs a gradient then
    static_cast<void>(Sum3::apply(a, b, 0.5));
    EXPECT_EQ(Sum3::in_forward, (std::vector<bool>{false, false, false}));
  }
}

struct AskTooFar : tg::autograd::Function<AskTooFar> {
  static constexpr const char* name = "ask_too_far";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    static_cast<void>(ctx->needs_input_grad(1));
    return x;
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grad_outputs) { return grad_outputs; }
};

TEST(Function, NeedsInputGradOutOfRangeNamesTheOp) {
  const Tensor x = leaf({1.0}, {1});
  EXPECT_EQ(message_of<std::out_of_range>([&] { static_cast<void>(AskTooFar::apply(x)); }),
            "ask_too_far: needs_input_grad(1): forward has 1 arguments after the context");
}

// round(x), marked non-differentiable (its gradient is zero almost everywhere); or, with mark_other, a
// tensor that is not the output is marked by mistake.
struct Round : tg::autograd::Function<Round> {
  static constexpr const char* name = "round";
  static Tensor forward(AutogradContext* ctx, const Tensor& x, bool mark_other) {
    Tensor y = tg::round(x);
    ctx->mark_non_differentiable({mark_other ? x : y});
    return y;
  }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list /*grad_outputs*/) {
    throw std::logic_error("round: backward must not run");
  }
};

TEST(Function, NonDifferentiableOutputIsNotRecorded) {
  settle_tape();
  const Tensor x = leaf({0.4, 1.6}, {2});
  const Tensor y = Round::apply(x, false);
  expect_values(y, {2}, {0.0, 2.0});
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(tg::tape_size(), 0U);
  EXPECT_EQ(message_of<std::logic_error>([&] { static_cast<void>(Round::apply(x, true)); }),
            "round: mark_non_differentiable was given a tensor that forward did not return; only the output can "
            "be marked");
}

// An integer output is never differentiable, as in PyTorch.
struct Truncate : tg::autograd::Function<Truncate> {
  static constexpr const char* name = "truncate";
  static Tensor forward(AutogradContext* /*ctx*/, const Tensor& x) { return x.to(tg::kInt64); }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list /*grad_outputs*/) {
    throw std::logic_error("truncate: backward must not run");
  }
};

TEST(Function, IntegerOutputDoesNotRequireGrad) {
  const Tensor x = leaf({1.7, -2.2}, {2});
  const Tensor i = Truncate::apply(x);
  expect_values(i, {2}, {1.0, -2.0});
  EXPECT_EQ(i.dtype(), tg::kInt64);
  EXPECT_FALSE(i.requires_grad());
}

// ---- a backward that returns the wrong gradients ----

// y = a * b for a, b of one shape, with an int mode; backward returns what the mode asks for.
enum class Reply { TooFew, TrailingUndefined, WrongShape, WrongDtype, GradientForTheInt };
struct Misreply : tg::autograd::Function<Misreply> {
  static constexpr const char* name = "misreply";
  static Tensor forward(AutogradContext* ctx, const Tensor& a, const Tensor& b, Reply reply) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["reply"] = reply;
    return a * b;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list ab = ctx->get_saved_variables();
    const Tensor& dy = grad_outputs[0];
    switch (std::any_cast<Reply>(ctx->saved_data.at("reply"))) {
      case Reply::TooFew: return {dy * ab[1]};
      case Reply::TrailingUndefined: return {dy * ab[1], dy * ab[0], Tensor(), Tensor()};
      case Reply::WrongShape: return {tg::sum(dy * ab[1]), dy * ab[0], Tensor()};
      case Reply::WrongDtype: return {dy * ab[1], (dy * ab[0]).to(tg::kFloat32), Tensor()};
      case Reply::GradientForTheInt: return {dy * ab[1], dy * ab[0], dy};
    }
    return {};
  }
};

std::string backward_error(Reply reply) {
  const Tensor a = leaf({1.0, 2.0}, {2});
  const Tensor b = leaf({3.0, 4.0}, {2});
  return message_of<std::logic_error>([&] { tg::sum(Misreply::apply(a, b, reply)).backward(); });
}

TEST(Function, WrongNumberOfGradientsNamesTheOp) {
  EXPECT_EQ(backward_error(Reply::TooFew),
            "misreply: backward returned 1 gradient for the 3 arguments of forward; return one per argument, an "
            "undefined tg::Tensor() for a non-tensor argument or an input that needs no gradient");
}

TEST(Function, ExtraTrailingUndefinedGradientsAreAllowed) {
  const Tensor a = leaf({1.0, 2.0}, {2});
  const Tensor b = leaf({3.0, 4.0}, {2});
  tg::sum(Misreply::apply(a, b, Reply::TrailingUndefined)).backward();
  expect_values(a.grad(), {2}, {3.0, 4.0});
  expect_values(b.grad(), {2}, {1.0, 2.0});
}

TEST(Function, GradientOfTheWrongShapeOrDtypeNamesTheArgumentAndBothShapes) {
  EXPECT_EQ(backward_error(Reply::WrongShape),
            "misreply: backward's gradient for argument 0 of forward is [] float64, but the argument is [2] "
            "float64; return each input's gradient in its shape and dtype");
  EXPECT_EQ(backward_error(Reply::WrongDtype),
            "misreply: backward's gradient for argument 1 of forward is [2] float32, but the argument is [2] "
            "float64; return each input's gradient in its shape and dtype");
}

TEST(Function, GradientForANonTensorArgumentIsRefused) {
  EXPECT_EQ(backward_error(Reply::GradientForTheInt),
            "misreply: backward returned a gradient for argument 2 of forward, which is not a defined tensor; "
            "return an undefined tg::Tensor() in its place");
}

// Without a `name` the op is called by its type's name.
struct Unnamed : tg::autograd::Function<Unnamed> {
  static Tensor forward(AutogradContext* /*ctx*/, const Tensor& x) { return x * 1.0; }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list /*grad_outputs*/) { return {}; }
};

TEST(Function, WithoutANameTheTypeNameIsUsed) {
  const Tensor x = leaf({1.0}, {1});
  EXPECT_THAT(message_of<std::logic_error>([&] { Unnamed::apply(x).backward(); }),
              ::testing::StartsWith("(anonymous namespace)::Unnamed: backward returned 0 gradients for the 1 "
                                    "argument of forward"));
}

// ---- the anomaly guard ----

// The Euclidean norm y = sqrt(sum(x^2)), with dx = dy * x / y: 0 / 0 = NaN at x = 0.
struct Norm : tg::autograd::Function<Norm> {
  static constexpr const char* name = "norm";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    Tensor y = tg::sqrt(tg::sum(x * x));
    ctx->save_for_backward({x, y});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    return {grad_outputs[0] * saved[0] / saved[1]};
  }
};

TEST(Function, AnomalyGuardNamesTheOpWhoseBackwardMadeANaN) {
  const Tensor x = leaf({0.0, 0.0}, {2});
  const tg::DetectAnomalyGuard anomaly;
  const Tensor y = Norm::apply(x);
  EXPECT_EQ(y.item(), 0.0);
  EXPECT_EQ(message_of<std::runtime_error>([&] { y.backward(); }),
            "detect_anomaly: the backward of 'norm' produced nan at element 0 of an input's gradient [2]");
}

// y = log(x): dx = dy / x.
struct MyLog : tg::autograd::Function<MyLog> {
  static constexpr const char* name = "my_log";
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return tg::log(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] / ctx->get_saved_variables()[0]};
  }
};

TEST(Function, AnomalyGuardNamesTheOpWhoseForwardMadeANaN) {
  const Tensor x = leaf({1.0, -4.0}, {2});
  const tg::DetectAnomalyGuard anomaly;
  EXPECT_EQ(message_of<std::runtime_error>([&] { static_cast<void>(MyLog::apply(x)); }),
            "detect_anomaly: the forward of 'my_log' produced nan at element 1 of its output [2]");
}

// ---- threads ----

TEST(Function, TwoThreadsRunTheOpAtOnce) {
  // Each thread records on its own tape: y = scaled_product(x, 0.5, my_exp(x)) = x e^(2x) / 2, whose
  // derivative is e^(2x) (1/2 + x).
  const std::vector<double> xs0 = {0.1, -0.3, 0.7}, xs1 = {1.2, -0.8, 0.0};
  std::vector<double> y0, y1, g0, g1;
  const auto job = [](const std::vector<double>& values, std::vector<double>& y, std::vector<double>& g) {
    Tensor x = tg::tensor(values, {static_cast<std::int64_t>(values.size())}, tg::kFloat64).requires_grad_();
    for (int step = 0; step < 200; ++step) {
      x.zero_grad();
      const Tensor out = ScaledProduct::apply(x, 0.5, MyExp::apply(x));
      tg::sum(out).backward();
      y = out.to_vector();
      g = x.grad().to_vector();
    }
  };
  std::thread t0(job, std::cref(xs0), std::ref(y0), std::ref(g0));
  std::thread t1(job, std::cref(xs1), std::ref(y1), std::ref(g1));
  t0.join();
  t1.join();
  // Both sides are a few float64 roundings (each at most 1.1e-16 relative) of the same closed form.
  for (const auto& [xs, y, g] : {std::tie(xs0, y0, g0), std::tie(xs1, y1, g1)}) {
    ASSERT_EQ(y.size(), xs.size());
    ASSERT_EQ(g.size(), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double x = xs[i], e2x = std::exp(2 * x);
      EXPECT_NEAR(y[i], 0.5 * x * e2x, 1e-14 * std::max(1.0, e2x)) << "x = " << x;
      EXPECT_NEAR(g[i], e2x * (0.5 + x), 1e-14 * std::max(1.0, e2x)) << "x = " << x;
    }
  }
}

}  // namespace
