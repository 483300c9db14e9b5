// conv2d, conv1d and conv_transpose2d: closed forms, PyTorch 1.13's values (tests/conv_reference.py),
// gradcheck and gradgradcheck across the options, the adjoint identity, float32 against float64, the
// heap after warm-up, and the error messages.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"
#include "conv_reference_values.hpp"
#include "heap_counter.hpp"
#include "tapegrad/detail/impl.hpp"

namespace tg {
namespace {

using testing::expect_gradcheck;
using testing::expect_gradgradcheck;
using testing::expect_values;
using testing::f64;
using testing::Inputs;
using testing::random_leaf;

// ---- closed forms ----

TEST(Conv2d, HandComputedTinyCase) {
  // x = 1..9 as 3x3, w = [[1, 2], [3, 4]]: y[i, j] = x[i, j] + 2 x[i, j+1] + 3 x[i+1, j] + 4 x[i+1, j+1],
  // e.g. y[0, 0] = 1 + 4 + 12 + 20 = 37; plus the bias 0.5.
  const Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = f64({1, 2, 3, 4}, {1, 1, 2, 2});
  expect_values(conv2d(x, w, f64({0.5}, {1})), {1, 1, 2, 2}, {37.5, 47.5, 67.5, 77.5});
  // Padding 1, stride 2: outputs at input rows and columns -1 and 1, e.g. y[0, 0] = 4 x[0, 0] = 4,
  // y[0, 1] = 3 x[0, 1] + 4 x[0, 2] = 18, y[1, 0] = 2 x[1, 0] + 4 x[2, 0] = 36, y[1, 1] = 5 + 12 + 24 + 36.
  expect_values(conv2d(x, w, {}, 2, 1), {1, 1, 2, 2}, {4, 18, 36, 77});
  // Dilation 2 reads the corners: 1 + 2 * 3 + 3 * 7 + 4 * 9 = 64.
  expect_values(conv2d(x, w, {}, 1, 0, 2), {1, 1, 1, 1}, {64});
}

TEST(Conv2d, IdentityKernelReturnsTheInput) {
  // w[o, c] is the 3x3 kernel with a 1 in the middle when o == c: with padding 1, y = x.
  Tensor w = zeros({3, 3, 3, 3}, kFloat64);
  for (std::int64_t c = 0; c < 3; ++c) w.put_({c, c, 1, 1}, 1.0);
  const Tensor x = random_leaf({2, 3, 5, 4}, 1).detach();
  expect_values(conv2d(x, w, {}, 1, 1), {2, 3, 5, 4}, x.to_vector());
}

TEST(Conv2d, OneByOneIsAMatmulPerPixel) {
  // y[n, :, h, w] = W [O, C] @ x[n, :, h, w]: per image, W @ x_n viewed as [C, H W].
  const Tensor x = random_leaf({2, 3, 4, 5}, 2).detach();
  const Tensor w = random_leaf({4, 3, 1, 1}, 3).detach();
  const Tensor y = conv2d(x, w);
  for (std::int64_t n = 0; n < 2; ++n)
    expect_values(y[n].reshape({4, 20}), {4, 20}, matmul(w.reshape({4, 3}), x[n].reshape({3, 20})).to_vector(), 1e-14);
}

// ---- PyTorch's values ----

// Input, weight and bias as tests/conv_reference.py builds them, from their flat index.
Tensor closed_form(const Shape& shape, double (*f)(std::int64_t)) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = f(static_cast<std::int64_t>(i));
  Tensor t = tensor(v, shape, kFloat64);
  t.requires_grad_();
  return t;
}
double x_at(std::int64_t i) { return std::sin(0.7 * static_cast<double>(i) + 0.3); }
double w_at(std::int64_t i) { return 0.5 * std::cos(1.3 * static_cast<double>(i) + 0.2); }
double b_at(std::int64_t i) { return 0.1 * static_cast<double>(i + 1); }
double g_at(std::int64_t i) { return std::sin(0.5 * static_cast<double>(i) - 0.4); }

struct Reference {
  const std::vector<double>& y;
  const std::vector<double>& dx;
  const std::vector<double>& dw;
  const std::vector<double>& db;
};

// Checks op(x, w, b) and the gradients of sum(y * g) against PyTorch's, to 1e-12 (both are float64 sums of
// a few dozen products, in different orders).
void expect_reference(const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& op, const Shape& xs,
                      const Shape& ws, std::int64_t bias, const Reference& ref) {
  const Tensor x = closed_form(xs, x_at);
  const Tensor w = closed_form(ws, w_at);
  const Tensor b = closed_form({bias}, b_at);
  const Tensor y = op(x, w, b);
  expect_values(y, y.shape(), ref.y, 1e-12);
  sum(y * closed_form(y.shape(), g_at).detach()).backward();
  expect_values(x.grad(), xs, ref.dx, 1e-12);
  expect_values(w.grad(), ws, ref.dw, 1e-12);
  expect_values(b.grad(), {bias}, ref.db, 1e-12);
}

TEST(ConvReference, MatchesPyTorch) {
  namespace r = conv_reference;
  {
    SCOPED_TRACE("conv2d, stride (2, 1), padding 1, dilation (1, 2), 2 groups");
    expect_reference([](const Tensor& x, const Tensor& w, const Tensor& b) { return conv2d(x, w, b, {2, 1}, 1, {1, 2}, 2); },
                     {2, 4, 5, 4}, {4, 2, 3, 2}, 4, {r::kConv2dY, r::kConv2dDx, r::kConv2dDw, r::kConv2dDb});
  }
  {
    SCOPED_TRACE("conv2d, defaults");
    expect_reference([](const Tensor& x, const Tensor& w, const Tensor& b) { return conv2d(x, w, b); }, {1, 2, 4, 5},
                     {3, 2, 2, 3}, 3, {r::kConv2dPlainY, r::kConv2dPlainDx, r::kConv2dPlainDw, r::kConv2dPlainDb});
  }
  {
    SCOPED_TRACE("conv1d, stride 2, padding 1, dilation 2");
    expect_reference([](const Tensor& x, const Tensor& w, const Tensor& b) { return conv1d(x, w, b, 2, 1, 2); },
                     {2, 3, 9}, {4, 3, 3}, 4, {r::kConv1dY, r::kConv1dDx, r::kConv1dDw, r::kConv1dDb});
  }
  {
    SCOPED_TRACE("conv_transpose2d, stride (2, 3), padding (1, 0), output_padding (1, 2), 2 groups, dilation (1, 2)");
    expect_reference(
        [](const Tensor& x, const Tensor& w, const Tensor& b) { return conv_transpose2d(x, w, b, {2, 3}, {1, 0}, {1, 2}, 2, {1, 2}); },
        {2, 4, 3, 2}, {4, 3, 3, 2}, 6,
        {r::kConvTranspose2dY, r::kConvTranspose2dDx, r::kConvTranspose2dDw, r::kConvTranspose2dDb});
  }
  {
    SCOPED_TRACE("conv_transpose2d, output_padding 1 at stride 1 (below the dilation 2)");
    expect_reference([](const Tensor& x, const Tensor& w, const Tensor& b) { return conv_transpose2d(x, w, b, 1, 0, 1, 1, 2); },
                     {1, 2, 3, 3}, {2, 2, 2, 2}, 2,
                     {r::kConvTransposeDilatedY, r::kConvTransposeDilatedDx, r::kConvTransposeDilatedDw,
                      r::kConvTransposeDilatedDb});
  }
}

// ---- gradcheck and gradgradcheck ----

struct Case {
  std::string name;
  Shape x, w;
  bool bias;
  Size2 stride, padding, dilation, output_padding;
  std::int64_t groups;
};

// Output channels of a case's weight (conv2d: dim 0; transposed: dim 1 times groups).
std::int64_t out_channels(const Case& c, bool transposed) { return transposed ? c.w[1] * c.groups : c.w[0]; }

void expect_checks(const Case& c, bool transposed) {
  SCOPED_TRACE(c.name);
  Inputs in{random_leaf(c.x, 11), random_leaf(c.w, 12)};
  if (c.bias) in.push_back(random_leaf({out_channels(c, transposed)}, 13));
  const testing::Fn fn = [&](const Inputs& t) {
    const Tensor b = t.size() > 2 ? t[2] : Tensor();
    if (transposed) return conv_transpose2d(t[0], t[1], b, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    return conv2d(t[0], t[1], b, c.stride, c.padding, c.dilation, c.groups);
  };
  expect_gradcheck(fn, in);
  expect_gradgradcheck(fn, in);
}

TEST(Conv2d, GradcheckAndGradgradcheck) {
  const std::vector<Case> cases = {
      {"plain 3x2 kernel", {2, 2, 4, 3}, {3, 2, 3, 2}, true, 1, 0, 1, 0, 1},
      {"stride (2, 1), padding (1, 2), dilation (1, 2)", {1, 2, 5, 4}, {2, 2, 2, 2}, true, {2, 1}, {1, 2}, {1, 2}, 0, 1},
      {"2 groups, odd sizes, no bias", {2, 4, 5, 3}, {4, 2, 2, 3}, false, 1, {0, 1}, 1, 0, 2},
      {"depthwise, padding 1", {1, 3, 4, 4}, {3, 1, 3, 3}, true, 1, 1, 1, 0, 3},
      {"stride 2 and 3, batch 1", {1, 1, 7, 5}, {2, 1, 3, 3}, true, {2, 3}, 1, 1, 0, 1},
      {"1x1 (a gemm per image)", {2, 3, 3, 2}, {2, 3, 1, 1}, true, 1, 0, 1, 0, 1},
      {"unbatched", {2, 4, 3}, {2, 2, 2, 2}, true, 1, {1, 0}, 1, 0, 1},
  };
  for (const Case& c : cases) expect_checks(c, false);
}

TEST(ConvTranspose2d, GradcheckAndGradgradcheck) {
  const std::vector<Case> cases = {
      {"plain", {2, 2, 3, 2}, {2, 3, 2, 3}, true, 1, 0, 1, 0, 1},
      {"stride (2, 3), padding (1, 0), output_padding (1, 2)", {1, 2, 3, 3}, {2, 2, 3, 2}, true, {2, 3}, {1, 0}, 1, {1, 2}, 1},
      {"2 groups, dilation 2, output_padding 1 at stride 1", {1, 4, 3, 2}, {4, 1, 2, 2}, false, 1, 0, 2, 1, 2},
      {"depthwise", {1, 3, 3, 3}, {3, 1, 2, 2}, true, 2, 1, 1, 0, 3},
      {"1x1", {2, 3, 2, 2}, {3, 2, 1, 1}, true, 1, 0, 1, 0, 1},
      {"unbatched", {2, 3, 2}, {2, 2, 2, 2}, true, 2, 0, 1, 1, 1},
  };
  for (const Case& c : cases) expect_checks(c, true);
}

TEST(Conv1d, GradcheckAndGradgradcheck) {
  struct Case1 {
    std::string name;
    Shape x, w;
    std::int64_t stride, padding, dilation, groups;
  };
  const std::vector<Case1> cases = {
      {"plain", {2, 2, 6}, {3, 2, 3}, 1, 0, 1, 1},
      {"stride 2, padding 2, dilation 2, 2 groups", {1, 4, 7}, {2, 2, 2}, 2, 2, 2, 2},
      {"unbatched", {2, 5}, {2, 2, 2}, 1, 1, 1, 1},
  };
  for (const Case1& c : cases) {
    SCOPED_TRACE(c.name);
    const Inputs in{random_leaf(c.x, 21), random_leaf(c.w, 22), random_leaf({c.w[0]}, 23)};
    const testing::Fn fn = [&](const Inputs& t) { return conv1d(t[0], t[1], t[2], c.stride, c.padding, c.dilation, c.groups); };
    expect_gradcheck(fn, in);
    expect_gradgradcheck(fn, in);
  }
}

TEST(Conv2d, ThirdOrderThroughTheWeightGradient) {
  // gradgradcheck of a function that itself takes a gradient: checks the backward of the backward of
  // conv2d_weight_grad and conv_transpose2d (third derivatives, by the product rule through them).
  const Inputs in{random_leaf({1, 2, 4, 3}, 31), random_leaf({2, 2, 2, 2}, 32)};
  expect_gradgradcheck(
      [](const Inputs& t) {
        const Tensor y = conv2d(t[0], t[1], {}, 1, 1);
        const std::vector<Tensor> g = autograd::grad({sum(y * y)}, {t[0], t[1]}, {}, {}, true);
        return sum(g[0] * g[0]) + sum(g[1] * t[1]);
      },
      in);
}

TEST(Conv2d, WeightGradientWithoutTheInputGradient) {
  // The first layer's case: the input needs no gradient (and none is computed); the weight's is the same.
  const Tensor x = random_leaf({2, 1, 5, 5}, 41);
  const Tensor w = random_leaf({3, 1, 3, 3}, 42);
  const Tensor both = autograd::grad({sum(conv2d(x, w, {}, 1, 1))}, {x, w})[1];
  const Tensor alone = autograd::grad({sum(conv2d(x.detach(), w, {}, 1, 1))}, {w})[0];
  expect_values(alone, w.shape(), both.to_vector(), 0);
}

// ---- identities ----

TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  // <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, the output_padding making up the rows and columns
  // conv2d's floor drops, to 1e-12 (sums of a few hundred float64 products of values below 1).
  const std::vector<Case> cases = {
      {"plain", {2, 3, 6, 5}, {4, 3, 3, 2}, false, 1, 0, 1, 0, 1},
      {"stride (2, 3), padding (1, 2), dilation (2, 1)", {1, 2, 8, 9}, {3, 2, 3, 3}, false, {2, 3}, {1, 2}, {2, 1}, 0, 1},
      {"3 groups", {2, 6, 5, 5}, {3, 2, 2, 2}, false, 2, 1, 1, 0, 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Tensor x = random_leaf(c.x, 51).detach();
    const Tensor w = random_leaf(c.w, 52).detach();
    const Tensor cx = conv2d(x, w, {}, c.stride, c.padding, c.dilation, c.groups);
    const Tensor y = random_leaf(cx.shape(), 53).detach();
    // conv2d's output size rounds down: output_padding restores the input's size.
    const std::int64_t oph = c.x[2] - ((cx.size(2) - 1) * c.stride.h - 2 * c.padding.h + c.dilation.h * (c.w[2] - 1) + 1);
    const std::int64_t opw = c.x[3] - ((cx.size(3) - 1) * c.stride.w - 2 * c.padding.w + c.dilation.w * (c.w[3] - 1) + 1);
    const Tensor ty = conv_transpose2d(y, w, {}, c.stride, c.padding, {oph, opw}, c.groups, c.dilation);
    ASSERT_EQ(ty.shape(), x.shape());
    const double lhs = sum(cx * y).item();
    EXPECT_NEAR(lhs, sum(x * ty).item(), 1e-12 * std::max(1.0, std::abs(lhs)));
  }
}

// |y32 - y64| <= bound elementwise.
void expect_within(const Tensor& y32, const Tensor& y64, const Tensor& bound) {
  ASSERT_EQ(y32.dtype(), kFloat32);
  ASSERT_EQ(y32.shape(), y64.shape());
  const std::vector<double> a = y32.to_vector();
  const std::vector<double> e = y64.to_vector();
  const std::vector<double> t = bound.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_LE(std::abs(a[i] - e[i]), t[i]) << "element " << i;
}

TEST(Conv2d, Float32AgreesWithFloat64) {
  // An output is b + a sum of K products x w. In float32 (unit roundoff u = 2^-24) rounding x, w and b
  // costs u per factor and the K-term summation (K - 1) u times the sum of |terms| (to first order), so
  // |y32 - y64| <= (K + 2) u (|b| + sum |x| |w|) = (K + 2) u conv(|x|, |w|, |b|): the bound, elementwise.
  const Tensor x = random_leaf({3, 8, 9, 7}, 61).detach();
  const Tensor w = random_leaf({5, 8, 3, 3}, 62).detach();
  const Tensor b = random_leaf({5}, 63).detach();
  const double u = std::ldexp(1.0, -24);
  const Tensor y64 = conv2d(x, w, b, 1, 1);
  expect_within(conv2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), 1, 1), y64,
                conv2d(abs(x), abs(w), abs(b), 1, 1) * ((8 * 9 + 2) * u));
  // conv_transpose2d of y64 (5 channels) with w read as [C_in = 5, O = 8, 3, 3]: K = 5 * 9 terms.
  expect_within(conv_transpose2d(y64.to(kFloat32), w.to(kFloat32), {}, 2, 1), conv_transpose2d(y64, w, {}, 2, 1),
                conv_transpose2d(abs(y64), abs(w), {}, 2, 1) * ((5 * 9 + 2) * u));
}

TEST(Conv2d, NoHeapAfterWarmUp) {
  // The column buffer is reused and outputs come from the storage cache: once warm, neither conv2d nor
  // conv_transpose2d (the input gradient's kernel) touches the heap.
  Generator gen(71);
  const Tensor x = rand({4, 3, 10, 10}, gen);
  const Tensor w = rand({8, 3, 3, 3}, gen);
  const Tensor b = rand({8}, gen);
  NoGradGuard no_grad;
  const auto step = [&] { (void)conv_transpose2d(conv2d(x, w, b, 1, 1), w, {}, 1, 1); };
  step();
  const std::size_t heap_before = tapegrad_testing::operator_news.load();
  const std::size_t cache_before = detail::cache_misses();
  for (int i = 0; i < 3; ++i) step();
  EXPECT_EQ(tapegrad_testing::operator_news.load() - heap_before, 0u);
  EXPECT_EQ(detail::cache_misses() - cache_before, 0u);
}

// ---- Winograd F(2x2, 3x3) against im2col ----

// Sets this thread's convolution kernel while it lives.
class KernelScope {
 public:
  explicit KernelScope(detail::ConvKernel kernel) : before_(detail::conv_kernel()) { detail::set_conv_kernel(kernel); }
  ~KernelScope() { detail::set_conv_kernel(before_); }
  KernelScope(const KernelScope&) = delete;
  KernelScope& operator=(const KernelScope&) = delete;

 private:
  detail::ConvKernel before_;
};

// The 3x3, stride-1 cases Winograd serves: odd and even sizes, paddings 0 to 2, batch 1, unbatched.
// conv_transpose2d reads c.w as [in, out, 3, 3], so its input has c.w[0] channels.
const std::vector<Case>& winograd_cases() {
  static const std::vector<Case> cases = {
      {"padding 1, odd height and width", {2, 3, 5, 7}, {3, 3, 3, 3}, true, 1, 1, 1, 0, 1},
      {"padding 0, even sizes", {1, 2, 6, 6}, {2, 2, 3, 3}, true, 1, 0, 1, 0, 1},
      {"padding 2, a last tile row half outside", {3, 4, 3, 5}, {4, 4, 3, 3}, true, 1, 2, 1, 0, 1},
      {"padding (0, 2), batch 1, 5 channels", {1, 5, 4, 8}, {5, 5, 3, 3}, true, 1, {0, 2}, 1, 0, 1},
      {"a 3x3 input, one channel, no bias", {2, 1, 3, 3}, {1, 1, 3, 3}, false, 1, 0, 1, 0, 1},
      {"unbatched, padding (1, 0)", {2, 5, 4}, {2, 2, 3, 3}, true, 1, {1, 0}, 1, 0, 1},
  };
  return cases;
}

// Shapes for the comparison with im2col only (too large for gradcheck): several 8-tile groups a tile row,
// several blocks of 256 tiles (starting inside an image, a short last one), one tile row a block, a weight
// gradient in several products, tiny images under padding 2, and every mixed padding.
const std::vector<Case>& winograd_layout_cases() {
  static const std::vector<Case> cases = {
      {"three 8-tile groups a row, the last of 3", {2, 2, 5, 37}, {2, 2, 3, 3}, true, 1, 1, 1, 0, 1},
      {"8 tiles a row: whole 16-value stores", {1, 2, 4, 16}, {2, 2, 3, 3}, true, 1, 1, 1, 0, 1},
      {"blocks starting inside an image, a short last block", {3, 2, 30, 30}, {2, 2, 3, 3}, true, 1, 1, 1, 0, 1},
      {"the CNN's 14 x 14 over two blocks", {6, 2, 14, 14}, {2, 2, 3, 3}, true, 1, 1, 1, 0, 1},
      {"258 tiles a row: a block of one row", {1, 2, 3, 515}, {2, 2, 3, 3}, true, 1, 1, 1, 0, 1},
      // with OpenBLAS's small-matrix kernels (SkylakeX, Cooperlake), products of 31 and 9 output channels
      {"33 -> 40 channels: the weight gradient split by output channels", {2, 33, 6, 6}, {40, 33, 3, 3}, true, 1, 1,
       1, 0, 1},
      {"a 1 x 1 image under padding 2", {1, 2, 1, 1}, {2, 2, 3, 3}, true, 1, 2, 1, 0, 1},
      {"2 x 2 images under padding 2", {2, 2, 2, 2}, {2, 2, 3, 3}, true, 1, 2, 1, 0, 1},
      {"padding (2, 1)", {1, 2, 1, 4}, {2, 2, 3, 3}, true, 1, {2, 1}, 1, 0, 1},
      {"padding (2, 0)", {1, 2, 4, 5}, {2, 2, 3, 3}, true, 1, {2, 0}, 1, 0, 1},
      {"padding (0, 1)", {1, 2, 5, 4}, {2, 2, 3, 3}, true, 1, {0, 1}, 1, 0, 1},
      {"17 channels to 16: the default choice takes Winograd", {2, 17, 9, 9}, {16, 17, 3, 3}, true, 1, 1, 1, 0, 1},
  };
  return cases;
}

// The output and the gradients of sum(y * g) in input, weight and bias, under one kernel; with `absolute`,
// of |x|, |w|, |b| and |g|: each result's sum of the absolute values of its terms.
std::vector<Tensor> output_and_grads(const Case& c, bool transposed, detail::ConvKernel kernel, bool absolute = false) {
  const KernelScope scope(kernel);
  Shape xs = c.x;
  if (transposed) xs[xs.size() - 3] = c.w[0];
  const auto value = [absolute](const Tensor& t) { return absolute ? abs(t).detach().requires_grad_() : t; };
  Inputs in{value(random_leaf(xs, 81)), value(random_leaf(c.w, 82))};
  if (c.bias) in.push_back(value(random_leaf({out_channels(c, transposed)}, 83)));
  const Tensor b = c.bias ? in[2] : Tensor();
  const Tensor y = transposed ? conv_transpose2d(in[0], in[1], b, 1, c.padding) : conv2d(in[0], in[1], b, 1, c.padding);
  const Tensor g = random_leaf(y.shape(), 84).detach();
  std::vector<Tensor> r = autograd::grad({sum(y * (absolute ? abs(g) : g))}, in);
  r.insert(r.begin(), y.detach());
  return r;
}

// Expects Winograd and im2col to agree on c's output and gradients within their rounding: each result is a
// sum of at most K terms (K = 9 c + 1 for y and dx, n oh ow for dw and db, a few more adds in the
// transforms), so each kernel is within (K + 16) 2^-53 of the sum of |terms| (from the absolute run), and
// the two within twice that. The transforms' coefficients are at most 1 in size (2 x 2 per pair, see
// Float32WithinItsRoundingBound), a factor 4 on the sum.
void expect_winograd_equals_im2col(const Case& c, bool transposed) {
  const std::vector<Tensor> want = output_and_grads(c, transposed, detail::ConvKernel::kIm2col);
  const std::vector<Tensor> got = output_and_grads(c, transposed, detail::ConvKernel::kWinograd);
  const std::vector<Tensor> size = output_and_grads(c, transposed, detail::ConvKernel::kIm2col, true);
  ASSERT_EQ(got.size(), want.size());
  const Tensor& y = want[0];
  const std::int64_t terms = std::max(9 * c.w[0] * c.w[1] + 1, y.numel() / y.size(y.dim() - 3));
  const double u = std::ldexp(1.0, -53);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].shape(), want[i].shape());
    const std::vector<double> a = got[i].to_vector();
    const std::vector<double> e = want[i].to_vector();
    const std::vector<double> bound = size[i].to_vector();
    for (std::size_t k = 0; k < a.size(); ++k)
      EXPECT_LE(std::abs(a[k] - e[k]), 2 * 4 * static_cast<double>(terms + 16) * u * bound[k])
          << "result " << i << ", element " << k;
  }
}

TEST(ConvWinograd, EqualsIm2colForwardAndBothGradients) {
  for (const bool transposed : {false, true}) {
    for (const Case& c : winograd_cases()) {
      SCOPED_TRACE(c.name + (transposed ? ", transposed" : ""));
      expect_winograd_equals_im2col(c, transposed);
    }
    for (const Case& c : winograd_layout_cases()) {
      // conv_transpose2d's output is h + 2 - 2 padding high: the tiny images under padding 2 have none
      const bool fits = c.x[2] + 2 - 2 * c.padding.h > 0 && c.x[3] + 2 - 2 * c.padding.w > 0;
      if (transposed && !fits) continue;
      SCOPED_TRACE(c.name + (transposed ? ", transposed" : ""));
      expect_winograd_equals_im2col(c, transposed);
    }
  }
}

TEST(ConvWinograd, TheDefaultChoiceTakesItFromSixteenChannels) {
  // kAuto gives Winograd's results bit for bit at 16 channels in and out, and im2col's below.
  const Case wide{"16 -> 16", {2, 16, 6, 6}, {16, 16, 3, 3}, true, 1, 1, 1, 0, 1};
  const Case narrow{"15 -> 16", {2, 15, 6, 6}, {16, 15, 3, 3}, true, 1, 1, 1, 0, 1};
  for (const auto& [c, kernel] :
       {std::pair{wide, detail::ConvKernel::kWinograd}, std::pair{narrow, detail::ConvKernel::kIm2col}}) {
    SCOPED_TRACE(c.name);
    const std::vector<Tensor> chosen = output_and_grads(c, false, detail::ConvKernel::kAuto);
    const std::vector<Tensor> forced = output_and_grads(c, false, kernel);
    for (std::size_t i = 0; i < chosen.size(); ++i) EXPECT_EQ(chosen[i].to_vector(), forced[i].to_vector()) << i;
  }
}

TEST(ConvWinograd, EmptyBatchGivesZeroWeightGradient) {
  // No tiles at all: the weight gradient is zeros (as im2col's), not the buffer's leftover filters.
  const Tensor w = random_leaf({16, 16, 3, 3}, 85);
  (void)conv2d(random_leaf({1, 16, 4, 4}, 86), w, {}, 1, 1);  // leaves transformed filters in the buffer
  const Tensor x = zeros({0, 16, 4, 4}, kFloat64);
  const Tensor dw = autograd::grad({sum(conv2d(x, w, {}, 1, 1))}, {w})[0];
  expect_values(dw, w.shape(), std::vector<double>(static_cast<std::size_t>(w.numel()), 0.0), 0);
  const Tensor flat = random_leaf({1, 16, 4, 0}, 87);  // no columns: a 6 x 2 output of bias alone, padding 2
  const std::vector<Tensor> g = autograd::grad({sum(conv2d(flat, w, {}, 1, 2))}, {flat, w});
  EXPECT_EQ(g[0].shape(), flat.shape());
  expect_values(g[1], w.shape(), std::vector<double>(static_cast<std::size_t>(w.numel()), 0.0), 0);
}

TEST(ConvWinograd, GradcheckAndGradgradcheck) {
  const KernelScope scope(detail::ConvKernel::kWinograd);
  for (const Case& c : winograd_cases()) expect_checks(c, false);
  Case t = winograd_cases()[0];
  t.x[1] = t.w[0];
  expect_checks(t, true);
}

TEST(ConvWinograd, Float32WithinItsRoundingBound) {
  // Each output is A^T [sum over c of (G g G^T) . (B^T d B)] A + b. Along any path an input meets at most
  // c + 13 roundings of relative size u = 2^-24 (x, w and b to float32; 2 adds for the patch, 4 for the
  // filter, the product, the c-term channel sum, 4 adds for the output, the bias), on terms whose absolute
  // sum is at most 4 sum over c of (sum of |d| over the tile's 4x4 patch)(sum of |g|) + |b|: A and B have
  // entries 0 and +-1 and G at most 1, so a pair (patch cell, filter cell) enters an output with weight at
  // most (1 + 1/2 + 1/2)^2 = 4. Not conv(|x|, |w|): the transforms also carry pairs that cancel exactly.
  const KernelScope scope(detail::ConvKernel::kWinograd);
  const Tensor x = random_leaf({3, 8, 10, 6}, 91).detach();  // padding 1: a 10 x 6 output, whole tiles
  const Tensor w = random_leaf({5, 8, 3, 3}, 92).detach();
  const Tensor b = random_leaf({5}, 93).detach();
  const Tensor y64 = conv2d(x, w, b, 1, 1);
  const Tensor y32 = conv2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), 1, 1);
  // patches[n, o, ty, tx] = sum over c of (sum of |x[n, c]| over tile (ty, tx)'s patch) (sum of |w[o, c]|)
  const Tensor filter_sums = repeat(reshape(sum(abs(w), {2, 3}), {5, 8, 1, 1}), {1, 1, 4, 4});
  const std::vector<double> patches = conv2d(abs(x), filter_sums, {}, 2, 1).to_vector();  // [3, 5, 5, 3]
  const double u = std::ldexp(1.0, -24);
  const std::vector<double> a = y32.to_vector();
  const std::vector<double> e = y64.to_vector();
  const std::vector<double> bias = b.to_vector();
  for (std::int64_t i = 0; i < y64.numel(); ++i) {
    const std::int64_t xo = i % 6, yo = i / 6 % 10, o = i / 60 % 5, n = i / 300;
    const double bound = (8 + 13) * u * (4 * patches[((n * 5 + o) * 5 + yo / 2) * 3 + xo / 2] + std::abs(bias[o]));
    EXPECT_LE(std::abs(a[i] - e[i]), bound) << "element " << i;
  }
}

// ---- errors ----

void expect_error(const std::function<void()>& call, const std::string& message) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(ConvErrors, NameTheOpAndBothShapes) {
  const Tensor x = zeros({8, 3, 28, 28}, kFloat64);
  const Tensor w = zeros({16, 1, 5, 5}, kFloat64);
  const std::string shapes = ": input [8, 3, 28, 28], weight [16, 1, 5, 5]";
  expect_error([&] { (void)conv2d(x, w); }, "conv2d: input has 3 channels but the weight expects 1" + shapes);
  expect_error([&] { (void)conv2d(x, zeros({16, 1, 5, 5}, kFloat64), {}, 1, 0, 1, 2); },
               "conv2d: input has 3 channels but the weight expects 2 (2 groups of 1)" + shapes);
  expect_error([&] { (void)conv2d(x, zeros({3, 1, 5, 5}, kFloat64), {}, 1, 0, 1, 2); },
               "conv2d: 2 groups do not divide the weight's 3 output channels: input [8, 3, 28, 28], weight [3, 1, 5, 5]");
  const Tensor w3 = zeros({16, 3, 5, 5}, kFloat64);
  const std::string s3 = ": input [8, 3, 28, 28], weight [16, 3, 5, 5]";
  expect_error([&] { (void)conv2d(x, w3, {}, {0, 1}); }, "conv2d: stride must be positive, got [0, 1]" + s3);
  expect_error([&] { (void)conv2d(x, w3, {}, 1, -1); }, "conv2d: padding must be non-negative, got [-1, -1]" + s3);
  expect_error([&] { (void)conv2d(x, w3, {}, 1, 0, {1, 0}); }, "conv2d: dilation must be positive, got [1, 0]" + s3);
  expect_error([&] { (void)conv2d(x, w3, {}, 1, 0, 1, 0); }, "conv2d: groups must be positive, got 0" + s3);
  expect_error([&] { (void)conv2d(x, w3, zeros({8}, kFloat64)); }, "conv2d: bias [8] does not match the 16 output channels" + s3);
  expect_error([&] { (void)conv2d(x, w3, zeros({16}, kFloat32)); }, "conv2d: bias is float32 but the input is float64" + s3);
  expect_error([&] { (void)conv2d(x, w3.to(kFloat32)); },
               "conv2d: expects float32 or float64 tensors of one dtype, got float64 and float32" + s3);
  expect_error([&] { (void)conv2d(zeros({8, 3, 28, 28}, kInt64), w3); },
               "conv2d: expects float32 or float64 tensors of one dtype, got int64 and float64" + s3);
  expect_error([&] { (void)conv2d(zeros({3, 28}, kFloat64), w3); },
               "conv2d: expects a 3-d (unbatched) or 4-d (batched) input: input [3, 28], weight [16, 3, 5, 5]");
  expect_error([&] { (void)conv2d(x, zeros({16, 3, 5}, kFloat64)); },
               "conv2d: expects a 4-d weight [out_channels, in_channels/groups, kh, kw]: input [8, 3, 28, 28], weight [16, 3, 5]");
  expect_error([&] { (void)conv2d(zeros({1, 3, 4, 9}, kFloat64), w3, {}, 1, {0, 1}, {1, 2}); },
               "conv2d: the kernel [5, 9] (dilated) is larger than the padded input [4, 11]: input [1, 3, 4, 9], weight [16, 3, 5, 5]");
  expect_error([&] { (void)conv2d(Tensor(), w3); }, "conv2d: an input tensor is undefined (default-constructed)");
}

TEST(ConvErrors, Conv1dAndConvTranspose2d) {
  expect_error([&] { (void)conv1d(zeros({2, 3, 4}, kFloat64), zeros({4, 3, 5}, kFloat64)); },
               "conv1d: the kernel [5] (dilated) is larger than the padded input [4]: input [2, 3, 4], weight [4, 3, 5]");
  expect_error([&] { (void)conv1d(zeros({2, 3, 4}, kFloat64), zeros({4, 3, 2}, kFloat64), {}, 0); },
               "conv1d: stride must be positive, got [0]: input [2, 3, 4], weight [4, 3, 2]");
  expect_error([&] { (void)conv1d(zeros({2, 3, 4, 4}, kFloat64), zeros({4, 3, 2}, kFloat64)); },
               "conv1d: expects a 2-d (unbatched) or 3-d (batched) input: input [2, 3, 4, 4], weight [4, 3, 2]");
  const Tensor x = zeros({2, 4, 3, 3}, kFloat64);
  const std::string shapes = ": input [2, 4, 3, 3], weight [4, 2, 3, 3]";
  const Tensor w = zeros({4, 2, 3, 3}, kFloat64);
  expect_error([&] { (void)conv_transpose2d(zeros({2, 3, 3, 3}, kFloat64), w); },
               "conv_transpose2d: input has 3 channels but the weight expects 4: input [2, 3, 3, 3], weight [4, 2, 3, 3]");
  expect_error([&] { (void)conv_transpose2d(x, w, {}, 2, 0, 2); },
               "conv_transpose2d: output_padding must be smaller than the stride or the dilation, got output_padding "
               "[2, 2], stride [2, 2], dilation [1, 1]" + shapes);
  expect_error([&] { (void)conv_transpose2d(x, w, {}, 1, 0, 0, 3); },
               "conv_transpose2d: 3 groups do not divide the weight's 4 input channels" + shapes);
  expect_error([&] { (void)conv_transpose2d(x, w, {}, 1, 3); }, "conv_transpose2d: the output would be empty: [-1, -1]" + shapes);
  expect_error([&] { (void)conv_transpose2d(x, w, zeros({4}, kFloat64)); },
               "conv_transpose2d: bias [4] does not match the 2 output channels" + shapes);
  expect_error([&] { (void)conv_transpose2d(x, zeros({4, 2, 3}, kFloat64)); },
               "conv_transpose2d: expects a 4-d weight [in_channels, out_channels/groups, kh, kw]: input [2, 4, 3, 3], "
               "weight [4, 2, 3]");
}

}  // namespace
}  // namespace tg
