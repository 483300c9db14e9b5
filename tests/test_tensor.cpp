// Tensor basics: factories, dtype conversion (to), clone, handles that share storage, item / at / put_,
// printing, Shape, the Generator (determinism and rough moments), and the errors for misuse and for sizes
// past what int64 or the address space can hold.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Mean and (population) variance of n draws from `draw`.
template <class F>
std::pair<double, double> moments(int n, F draw) {
  double total = 0;
  double squares = 0;
  for (int i = 0; i < n; ++i) {
    const double v = draw();
    total += v;
    squares += v * v;
  }
  const double mean = total / n;
  return {mean, squares / n - mean * mean};
}

// ---- factories ----

TEST(Tensor, FactoryFromValuesAndShape) {
  const Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.size(0), 2);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.numel(), 6);
  expect_values(t, {2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(tensor({1.5, -2}, kFloat64), {2}, {1.5, -2});
  EXPECT_EQ(tensor({1.5, -2}, kFloat64).dtype(), kFloat64);
  const std::vector<double> values = {1, 2, 3, 4};
  expect_values(tensor(values, {2, 2}, kFloat64), {2, 2}, {1, 2, 3, 4});
}

TEST(Tensor, ScalarTensorIsZeroDim) {
  const Tensor s = scalar_tensor(2.5, kFloat64);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 2.5);
  EXPECT_EQ(scalar_tensor(2.5).dtype(), kFloat32);
}

TEST(Tensor, FilledFactories) {
  expect_values(zeros({2, 2}), {2, 2}, {0, 0, 0, 0});
  expect_values(ones({3}, kFloat64), {3}, {1, 1, 1});
  expect_values(full({2}, -0.5, kFloat64), {2}, {-0.5, -0.5});
  EXPECT_EQ(empty({4, 5}, kFloat64).shape().str(), "[4, 5]");
  EXPECT_EQ(empty({0}).numel(), 0);
  const Tensor like = tensor({1, 2, 3}, {3, 1}, kFloat64);
  expect_values(zeros_like(like), {3, 1}, {0, 0, 0});
  expect_values(ones_like(like), {3, 1}, {1, 1, 1});
  EXPECT_EQ(ones_like(like).dtype(), kFloat64);
}

TEST(Tensor, Arange) {
  expect_values(arange(5), {5}, {0, 1, 2, 3, 4});
  expect_values(arange(0.0, 1.0, 0.25, kFloat64), {4}, {0, 0.25, 0.5, 0.75});
  expect_values(arange(5.0, 0.0, -2.0), {3}, {5, 3, 1});
  expect_values(arange(1.0, 1.0), {0}, {});
  expect_values(arange(0.0, 1.0, 0.3, kFloat64), {4}, {0, 0.3, 0.6, 0.8999999999999999});
}

TEST(Tensor, FactoriesRejectBadArguments) {
  expect_throws<std::invalid_argument>([] { return tensor({1, 2, 3}, {2, 2}); },
                                       "tensor: 3 values do not fill shape [2, 2] (4 elements)");
  expect_throws<std::invalid_argument>([] { return arange(0.0, 1.0, 0.0); },
                                       "arange: step must be non-zero and the bounds finite");
  expect_throws<std::invalid_argument>([] { return arange(0.0, INFINITY); }, "arange: step must be non-zero");
  Generator gen(1);
  expect_throws<std::invalid_argument>([&] { return rand({2}, gen, kFloat32, 1.0, 1.0); },
                                       "rand: low must be below high");
  expect_throws<std::invalid_argument>([&] { return randn({2}, gen, kFloat32, 0.0, -1.0); },
                                       "randn: stddev must be non-negative");
}

TEST(Tensor, ArangeRejectsCountsPastInt64) {
  // The count is formed in double; converting one past int64 was undefined behaviour ("negative extent").
  expect_throws<std::invalid_argument>([] { return arange(0.0, 1e30); },
                                       "arange: [0, 1e+30) in steps of 1 has more elements than an int64 can count");
  expect_throws<std::invalid_argument>([] { return arange(0.0, 1.0, 1e-300); },
                                       "arange: [0, 1) in steps of 1e-300 has more elements than an int64 can count");
  expect_throws<std::invalid_argument>([] { return arange(-1e308, 1e308); },  // end - start is infinite
                                       "arange: [-1e+308, 1e+308) in steps of 1 has more elements");
  expect_throws<std::invalid_argument>([] { return arange(0.0, 0x1p63); }, "in steps of 1 has more elements");
  expect_throws<std::invalid_argument>([] { return arange(0.0, 1.0, NAN); },
                                       "arange: step must be non-zero and the bounds finite, got [0, 1) in steps of nan");
}

// ---- sizes past what int64 or the address space can hold ----

TEST(Tensor, ElementCountsPastInt64AreRejectedNamingTheShape) {
  const std::string message = "Shape: [4294967296, 4294967296] has more elements than an int64 can count";
  expect_throws<std::invalid_argument>([] { return Shape{1LL << 32, 1LL << 32}.numel(); }, message);
  // The wrapped count was 0, which these zero values "filled", and at() then read unmapped memory.
  expect_throws<std::invalid_argument>([] { return tensor({}, {1LL << 32, 1LL << 32}); }, message);
  expect_throws<std::invalid_argument>([] { return zeros({1LL << 32, 1LL << 32}); }, message);
  EXPECT_EQ((Shape{1LL << 32, 1LL << 32, 0}.numel()), 0);  // a zero extent makes it empty, whatever the rest
  EXPECT_EQ(empty({0, 1LL << 32, 1LL << 32}).numel(), 0);
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ((Shape{kMax / 2, 2}.numel()), kMax - 1);  // up to int64's limit, counts are exact
  expect_throws<std::invalid_argument>([] { return Shape{1LL << 31, 1LL << 31, 2}.numel(); },
                                       "Shape: [2147483648, 2147483648, 2] has more elements");
}

TEST(Tensor, ByteCountsPastTheAddressSpaceThrowAllocationErrorNamingTheTensor) {
  // 2^62 float32 elements are 2^64 bytes, one past SIZE_MAX: the unchecked product wrapped to 0.
  expect_throws<AllocationError>([] { return zeros({1LL << 62}); },
                                 "cannot allocate 18446744073709551616 bytes for a float32 tensor of shape "
                                 "[4611686018427387904]");
  expect_throws<AllocationError>([] { return zeros({1LL << 62}, kFloat64); },
                                 "cannot allocate 36893488147419103232 bytes for a float64 tensor of shape "
                                 "[4611686018427387904]");
  expect_throws<AllocationError>([] { return arange(0, 1LL << 62); }, "cannot allocate 18446744073709551616 bytes");
  // nn::Linear(1 << 31, 1 << 31)'s weight.
  expect_throws<AllocationError>([] { return empty({1LL << 31, 1LL << 31}); },
                                 "cannot allocate 18446744073709551616 bytes for a float32 tensor of shape "
                                 "[2147483648, 2147483648]");
  // Fits in size_t, but is more than any address space: refused before asking the heap.
  expect_throws<AllocationError>([] { return empty({1LL << 61}); },
                                 "cannot allocate 9223372036854775808 bytes for a float32 tensor");
  EXPECT_THROW(static_cast<void>(zeros({1LL << 62})), std::bad_alloc);  // what existing handlers catch
}

// ---- Shape ----

TEST(Tensor, ShapeBasics) {
  const Shape s = {2, 3, 4};
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.at(-1), 4);
  EXPECT_EQ(s.str(), "[2, 3, 4]");
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(Shape{}.str(), "[]");
  EXPECT_TRUE((Shape{2, 3} == Shape{2, 3}));
  EXPECT_FALSE((Shape{2, 3} == Shape{3, 2}));
  EXPECT_FALSE((Shape{2} == Shape{2, 1}));
}

TEST(Tensor, ShapeRejectsBadExtentsAndDims) {
  expect_throws<std::out_of_range>([] { return Shape{2, 3}.at(2); },
                                   "Shape::at: dimension 2 is out of range for shape [2, 3]");
  expect_throws<std::invalid_argument>([] { return Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}; },
                                       "Shape: more than 8 dimensions");
  expect_throws<std::invalid_argument>([] { return Shape{2, -3}; }, "Shape: negative extent -3");
}

// ---- dtype conversion and clone ----

TEST(Tensor, ToConvertsBetweenDtypes) {
  const Tensor narrow = f64({0.1, -2.5}, {2}).to(kFloat32);
  EXPECT_EQ(narrow.dtype(), kFloat32);
  expect_values(narrow, {2}, {0.10000000149011612, -2.5}, 0);  // rounded to the nearest float
  const Tensor wide = narrow.to(kFloat64);
  EXPECT_EQ(wide.dtype(), kFloat64);
  expect_values(wide, {2}, {0.10000000149011612, -2.5}, 0);
  EXPECT_EQ(wide.to(kFloat64).impl(), wide.impl());  // already that dtype: the same handle
  EXPECT_EQ(dtype_name(kFloat32), "float32");
  EXPECT_EQ(dtype_size(kFloat64), 8U);
}

TEST(Tensor, ToSendsTheGradientBackInTheSourceDtype) {
  Tensor x = tensor({1.5, -2});
  x.requires_grad_();
  const Tensor y = x.to(kFloat64);
  (y * y).sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  expect_values(x.grad(), {2}, {3, -4});
}

TEST(Tensor, GradcheckTo) {
  // A float64 -> float32 -> float64 round trip is exact only for values with few significant bits, so
  // the stencil's step is 2^-10 (about the default 1e-3) and the inputs are multiples of it.
  GradcheckOptions options;
  options.step = 0x1p-10;
  const auto round_trip = [](const Inputs& in) { return in[0].to(kFloat32).to(kFloat64) * in[0]; };
  const GradcheckResult result = gradcheck(round_trip, {leaf({0.5, -1.25, 3, 0.75}, {2, 2})}, options);
  EXPECT_TRUE(result.ok) << result.str();
  EXPECT_LT(result.max_abs_error, 1e-10) << result.str();
  SCOPED_TRACE("to the same dtype: the identity");
  expect_gradcheck([](const Inputs& in) { return in[0].to(kFloat64); }, {leaf({0.3, -0.7}, {2})});
}

// to()'s backward is dy.to(x's dtype), recorded in a create_graph sweep. As in GradcheckTo, the float32
// round trip is exact only for values with few significant bits: x and v are multiples of 2^-4 with at
// most 5 significant bits, the step is 2^-10, so every product and stencil point fits float32's 24 bits.
TEST(Tensor, GradGradTo) {
  GradcheckOptions options;
  options.step = 0x1p-10;
  const auto round_trip = [](const Inputs& in) { return in[0].to(kFloat32).to(kFloat64) * in[0]; };
  const GradcheckResult r =
      gradgradcheck(round_trip, {leaf({0.5, -1.25, 3, 0.75}, {2, 2})}, f64({0.25, -0.5, 1.5, 0.75}, {2, 2}), options);
  EXPECT_TRUE(r.ok) << r.str();
  SCOPED_TRACE("to the same dtype: the identity, fanned out");
  const GradcheckResult same =
      gradgradcheck([](const Inputs& in) { return in[0].to(kFloat64) * in[0]; }, {leaf({0.3, -0.7}, {2})});
  EXPECT_TRUE(same.ok) << same.str();
}

TEST(Tensor, CloneCopiesIntoNewStorage) {
  Tensor x = f64({1, 2, 3}, {3});
  const Tensor y = x.clone();
  expect_values(y, {3}, {1, 2, 3});
  x.put_({0}, 10.0);
  EXPECT_EQ(y.at({0}), 1.0);
}

TEST(Tensor, GradcheckClone) {
  expect_unary_gradcheck([](const Tensor& x) { return x.clone(); }, random_leaf({2, 3}, 1));
}

TEST(Tensor, GradGradClone) {
  const GradcheckResult r =
      gradgradcheck([](const Inputs& in) { return in[0].clone() * in[0]; }, {random_leaf({2, 3}, 1)});
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(Tensor, ToAndCloneRejectUndefinedTensors) {
  expect_throws<std::logic_error>([] { return Tensor().to(kFloat64); },
                                  "to: the tensor is undefined (default-constructed)");
  expect_throws<std::logic_error>([] { return Tensor().clone(); },
                                  "clone: the tensor is undefined (default-constructed)");
}

// ---- handles ----

TEST(Tensor, CopiesShareStorageAndGradient) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = a;  // a second handle to the same tensor, not a copy of the data
  b.put_({1}, 20.0);
  EXPECT_EQ(a.at({1}), 20.0);
  EXPECT_EQ(a.impl(), b.impl());
  (b * 3.0).sum().backward();
  expect_values(a.grad(), {2}, {3, 3});
  a.zero_grad();
  EXPECT_FALSE(b.grad().defined());
}

TEST(Tensor, AssignmentAndMove) {
  Tensor a = f64({1}, {1});
  Tensor b = f64({2}, {1});
  b = a;
  EXPECT_EQ(b.impl(), a.impl());
  Tensor c = std::move(b);
  EXPECT_FALSE(b.defined());  // a moved-from handle is undefined
  EXPECT_EQ(c.impl(), a.impl());
  EXPECT_FALSE(Tensor().defined());
}

TEST(Tensor, DetachSharesStorage) {
  Tensor x = leaf({1, 2}, {2});
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  d.put_({0}, 5.0);
  EXPECT_EQ(x.at({0}), 5.0);
}

// ---- element access ----

TEST(Tensor, ItemOfOneElementTensors) {
  EXPECT_EQ(scalar_tensor(1.25).item(), 1.25);
  EXPECT_EQ(f64({-3}, {1, 1}).item(), -3.0);
  expect_throws<std::invalid_argument>([] { return zeros({2, 3}).item(); },
                                       "item: the tensor has 6 elements (shape [2, 3]), item() needs exactly one");
}

TEST(Tensor, AtAndPutWithNegativeIndices) {
  Tensor t = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.at({1, 0}), 4.0);
  EXPECT_EQ(t.at({-1, -1}), 6.0);
  t.put_({-2, 1}, 20.0);
  t.put_({1, 2}, 60.0);
  expect_values(t, {2, 3}, {1, 20, 3, 4, 5, 60});
  EXPECT_EQ(scalar_tensor(7.0).at({}), 7.0);
}

TEST(Tensor, AtAndPutRejectBadIndices) {
  Tensor t = zeros({2, 3});
  expect_throws<std::out_of_range>([&] { return t.at({0, 3}); },
                                   "at: index 3 is out of range for dimension 1 of shape [2, 3]");
  expect_throws<std::out_of_range>([&] { return t.at({-3, 0}); }, "at: index -3 is out of range for dimension 0");
  expect_throws<std::invalid_argument>([&] { return t.at({1}); },
                                       "at: index has 1 entries for a tensor of shape [2, 3]");
  expect_throws<std::out_of_range>([&] { t.put_({2, 0}, 1.0); }, "put_: index 2 is out of range for dimension 0");
}

TEST(Tensor, PutAndFillAreNotRecorded) {
  Tensor x = leaf({1, 2}, {2});
  x.put_({0}, 3.0);
  x.fill_(4.0);
  EXPECT_TRUE(x.is_leaf());
  expect_values(x, {2}, {4, 4});
  expect_values(tensor({1, 2}).fill_(0.5), {2}, {0.5, 0.5});
}

TEST(Tensor, DataChecksTheElementType) {
  Tensor t = tensor({1.5, 2});
  EXPECT_EQ(t.data<float>()[0], 1.5F);
  expect_throws<std::invalid_argument>([&] { return t.data<double>(); },
                                       "data: asked for float64 elements of a float32 tensor");
  const Tensor d = f64({1}, {1});
  expect_throws<std::invalid_argument>([&] { return d.data<float>(); },
                                       "data: asked for float32 elements of a float64 tensor");
}

TEST(Tensor, UndefinedTensorsSayWhichCallFailed) {
  const Tensor t;
  expect_throws<std::logic_error>([&] { return t.shape(); }, "shape: the tensor is undefined (default-constructed)");
  expect_throws<std::logic_error>([&] { return t.item(); }, "item: the tensor is undefined");
  expect_throws<std::logic_error>([&] { return t.to_vector(); }, "to_vector: the tensor is undefined");
  expect_throws<std::logic_error>([&] { t.backward(); }, "backward: the tensor is undefined");
  EXPECT_FALSE(t.requires_grad());
}

// ---- printing ----

TEST(Tensor, PrintsValuesShapeAndDtype) {
  EXPECT_EQ(tensor({1, 2.5, -3, 4, 5, 6}, {2, 3}).str(),
            "tensor([[1, 2.5, -3],\n"
            "        [4, 5, 6]], shape=[2, 3], dtype=float32)");
  EXPECT_EQ(leaf({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}).str(),
            "tensor([[[1, 2],\n"
            "         [3, 4]],\n"
            "        [[5, 6],\n"
            "         [7, 8]]], shape=[2, 2, 2], dtype=float64, requires_grad)");
  EXPECT_EQ(scalar_tensor(0.1).str(), "tensor(0.1, shape=[], dtype=float32)");
  EXPECT_EQ(f64({1.0 / 3}, {1}).str(), "tensor([0.333333333333333], shape=[1], dtype=float64)");
  EXPECT_EQ(zeros({0}).str(), "tensor([], shape=[0], dtype=float32)");
  EXPECT_EQ(Tensor().str(), "tensor(undefined)");
  std::ostringstream os;
  os << tensor({1, 2});
  EXPECT_EQ(os.str(), "tensor([1, 2], shape=[2], dtype=float32)");
}

// ---- Generator ----

TEST(Tensor, GeneratorIsXoshiro256StarStarSeededBySplitmix64) {
  // Reference values from an independent implementation of splitmix64 + xoshiro256**.
  Generator gen(42);
  EXPECT_EQ(gen.next_u64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(gen.next_u64(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(gen.next_u64(), 0xae17533239e499a1ULL);
  EXPECT_EQ(Generator(42).uniform(), 0.08386297105988216);
}

TEST(Tensor, GeneratorIsDeterministicPerSeed) {
  Generator a(7);
  Generator b(7);
  Generator c(8);
  int differences = 0;
  for (int i = 0; i < 100; ++i) {
    const double u = a.uniform();
    EXPECT_EQ(u, b.uniform());
    EXPECT_EQ(a.normal(), b.normal());
    differences += u != c.uniform();
  }
  EXPECT_GT(differences, 90);
  Generator g1(3);
  Generator g2(3);
  EXPECT_EQ(randn({4, 5}, g1, kFloat64).to_vector(), randn({4, 5}, g2, kFloat64).to_vector());
  EXPECT_EQ(rand({7}, g1).to_vector(), rand({7}, g2).to_vector());
}

TEST(Tensor, UniformAndNormalHaveTheRightMoments) {
  Generator gen(123);
  const auto [u_mean, u_var] = moments(200000, [&] { return gen.uniform(); });
  EXPECT_NEAR(u_mean, 0.5, 0.005);
  EXPECT_NEAR(u_var, 1.0 / 12.0, 0.002);
  const auto [n_mean, n_var] = moments(200000, [&] { return gen.normal(); });
  EXPECT_NEAR(n_mean, 0.0, 0.01);
  EXPECT_NEAR(n_var, 1.0, 0.02);
}

TEST(Tensor, RandAndRandnRespectTheirParameters) {
  Generator gen(5);
  const std::vector<double> u = rand({10000}, gen, kFloat64, -2.0, 3.0).to_vector();
  EXPECT_GE(*std::min_element(u.begin(), u.end()), -2.0);
  EXPECT_LT(*std::max_element(u.begin(), u.end()), 3.0);
  const std::vector<double> n = randn({100000}, gen, kFloat64, 10.0, 0.5).to_vector();
  std::size_t i = 0;
  const auto [mean, var] = moments(static_cast<int>(n.size()), [&] { return n[i++]; });
  EXPECT_NEAR(mean, 10.0, 0.01);
  EXPECT_NEAR(var, 0.25, 0.01);
  EXPECT_EQ(randn({3}, gen).dtype(), kFloat32);
}

TEST(Tensor, BelowIsUniformOverItsRange) {
  Generator gen(9);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[static_cast<std::size_t>(gen.below(6))];
  for (const int count : counts) EXPECT_NEAR(count, 10000, 500);
  expect_throws<std::invalid_argument>([&] { return gen.below(0); }, "Generator::below: n must be positive");
}

}  // namespace
}  // namespace tg
