// Sorting and selection (sort, argsort, topk, kthvalue, median): closed-form values and indices for
// each dim and option, NaN placement, ties, 0-d, int64 and bool inputs; the gradient scattered back
// through the indices (and shared among ties by median(x)); float64 gradchecks with fan-out; messages
// for bad k, dims and empty inputs. Expected values are PyTorch 1.13's where PyTorch specifies them
// (torch.sort, topk, kthvalue, median); where it leaves the order of ties open, tapegrad's index order.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// Rows [3, 9, 2] and [7, 1, 8]: each dim's order differs from memory order.
Tensor rows() { return f64({3, 9, 2, 7, 1, 8}, {2, 3}); }

// ---- sort and argsort ----

TEST(Sorting, SortAlongEachDim) {
  const Tensor x = rows();
  expect_selected(sort(x), {2, 3}, {2, 3, 9, 1, 7, 8}, {2, 0, 1, 1, 0, 2});
  expect_selected(sort(x, 1, true), {2, 3}, {9, 3, 2, 8, 7, 1}, {1, 0, 2, 2, 0, 1});
  expect_selected(sort(x, 0), {2, 3}, {3, 1, 2, 7, 9, 8}, {0, 1, 0, 1, 0, 1});
  expect_selected(sort(x, -2, true), {2, 3}, {7, 9, 8, 3, 1, 2}, {1, 0, 1, 0, 1, 0});
  // the middle dim of [2, 3, 2], whose slices are strided
  expect_selected(sort(distinct232(), 1), {2, 3, 2}, {-0.9, -0.5, 0.3, 0.2, 1.1, 0.7, -1.2, 0.6, -0.1, 0.9, 0.5, 1.4},
                  {2, 0, 0, 2, 1, 1, 2, 2, 1, 1, 0, 0});
}

// PyTorch's order: NaN above every number, +inf included; -0 and 0 tie, in index order.
TEST(Sorting, NaNSortsAsTheLargest) {
  expect_selected(sort(f64({2, kNaN, 1, kNaN, -0.0, 0.0}, {6})), {6}, {-0.0, 0, 1, 2, kNaN, kNaN}, {4, 5, 2, 0, 1, 3});
  expect_selected(sort(f64({2, kNaN, 1, kNaN}, {4}), 0, true), {4}, {kNaN, kNaN, 2, 1}, {1, 3, 0, 2});
  expect_selected(sort(f64({kInf, kNaN, -kInf}, {3})), {3}, {-kInf, kInf, kNaN}, {2, 0, 1});
  expect_selected(sort(tensor({kNaN, 1}, {2})), {2}, {1, kNaN}, {1, 0});  // float32
}

// Ties keep their index order, ascending and descending, stable or not (deterministic either way).
TEST(Sorting, TiesKeepIndexOrder) {
  const Tensor x = f64({2, 1, 2, 1, 2}, {5});
  for (const bool stable : {false, true}) {
    SCOPED_TRACE(stable ? "stable" : "not stable");
    expect_selected(sort(x, 0, false, stable), {5}, {1, 1, 2, 2, 2}, {1, 3, 0, 2, 4});
    expect_selected(sort(x, 0, true, stable), {5}, {2, 2, 2, 1, 1}, {0, 2, 4, 1, 3});
    expect_values(argsort(x, 0, true, stable), {5}, {0, 2, 4, 1, 3});
  }
}

TEST(Sorting, ArgsortIsSortsIndices) {
  const Tensor x = rows();
  expect_values(argsort(x), {2, 3}, {2, 0, 1, 1, 0, 2});
  expect_values(argsort(x, 0, true), {2, 3}, {1, 0, 1, 0, 1, 0});
  const Tensor a = argsort(distinct23(), -1);
  EXPECT_EQ(a.dtype(), kInt64);
  EXPECT_FALSE(a.requires_grad());
}

// ---- topk ----

TEST(Sorting, TopkLargestAndSmallest) {
  const Tensor v = f64({1, 5, 3, 4, 2, 6}, {6});
  expect_selected(topk(v, 3), {3}, {6, 5, 4}, {5, 1, 3});
  expect_selected(topk(v, 3, 0, false), {3}, {1, 2, 3}, {0, 4, 2});
  expect_selected(topk(v, 3, -1, true, false), {3}, {6, 5, 4}, {5, 1, 3});  // sorted even when not asked
  const Tensor x = f64({1, 5, 3, 4, 2, 6}, {2, 3});
  expect_selected(topk(x, 2), {2, 2}, {5, 3, 6, 4}, {1, 2, 2, 0});
  expect_selected(topk(x, 1, 0), {1, 3}, {4, 5, 6}, {1, 0, 1});
  expect_selected(topk(x, 2, 0, false), {2, 3}, {1, 2, 3, 4, 5, 6}, {0, 1, 0, 1, 0, 1});
  expect_selected(topk(x, 3), {2, 3}, {5, 3, 1, 6, 4, 2}, {1, 2, 0, 2, 0, 1});
  expect_selected(topk(x, 0), {2, 0}, {}, {});
  expect_selected(topk(distinct232(), 2, 1), {2, 2, 2}, {1.1, 0.7, 0.3, 0.2, 0.5, 1.4, -0.1, 0.9}, {1, 1, 0, 2, 0, 0, 1, 1});
}

TEST(Sorting, TopkTreatsNaNAsTheLargest) {
  const Tensor x = f64({2, kNaN, 1, kNaN}, {4});
  expect_selected(topk(x, 3), {3}, {kNaN, kNaN, 2}, {1, 3, 0});
  // PyTorch 1.13 happens to return the NaN at index 3 here: it leaves the order of ties unspecified.
  expect_selected(topk(x, 3, 0, false), {3}, {1, 2, kNaN}, {2, 0, 1});
}

// ---- kthvalue and median ----

TEST(Sorting, KthvalueAlongEachDim) {
  const Tensor x = f64({1, 5, 3, 4, 2, 6}, {2, 3});
  expect_selected(kthvalue(x, 1), {2}, {1, 2}, {0, 1});
  expect_selected(kthvalue(x, 2, 1, true), {2, 1}, {3, 4}, {2, 0});
  expect_selected(kthvalue(x, 2, 0), {3}, {4, 5, 6}, {1, 0, 1});
  expect_selected(kthvalue(f64({1, 5, 5, 7, 2, 7}, {2, 3}), 2), {2}, {5, 7}, {1, 0});  // ties: the first index
  expect_selected(kthvalue(f64({2, kNaN, 1}, {3}), 3), {}, {kNaN}, {1});
  expect_selected(kthvalue(f64({2, kNaN, 1}, {3}), 2), {}, {2}, {0});
  expect_selected(kthvalue(distinct232(), 2, 1), {2, 2}, {0.3, 0.2, -0.1, 0.9}, {0, 2, 1, 1});
}

// The lower median; a slice holding a NaN has its first NaN as the median (torch.median propagates NaN).
TEST(Sorting, MedianAlongDimAndOverEverything) {
  expect_selected(median(f64({4, 1, 3, 2}, {4}), 0), {}, {2}, {3});
  expect_selected(median(f64({1, 5, 5, 7, 2, 7}, {2, 3}), 1), {2}, {5, 7}, {1, 0});
  expect_selected(median(f64({1, 5, 3, 4, 2, 6}, {2, 3}), 0, true), {1, 3}, {1, 2, 3}, {0, 1, 0});
  expect_selected(median(f64({2, kNaN, 1, kNaN}, {4}), -1), {}, {kNaN}, {1});
  expect_values(median(f64({1, 2, 3, 4}, {2, 2})), {}, {2});
  expect_values(median(f64({5, 3, 9}, {3})), {}, {5});
  expect_values_or_nan(median(f64({2, kNaN, 1}, {3})), {}, {kNaN});
}

// ---- 0-d, int64 and bool inputs ----

TEST(Sorting, ZeroDimInputs) {
  const Tensor s = f64({2.5}, {});
  expect_selected(sort(s), {}, {2.5}, {0});
  expect_selected(topk(s, 1), {}, {2.5}, {0});
  expect_selected(kthvalue(s, 1, 0, true), {}, {2.5}, {0});
  expect_selected(median(s, -1), {}, {2.5}, {0});
  expect_values(argsort(s), {}, {0});
}

TEST(Sorting, Int64Inputs) {
  const std::int64_t big = std::int64_t{1} << 60;  // past 2^53: exact only if nothing goes through double
  const std::vector<std::int64_t> values = {big + 1, big, big + 3, -2};
  const Tensor x = tensor(values, Shape{4});
  const ValuesIndices s = sort(x);
  EXPECT_EQ(s.values.dtype(), kInt64);
  EXPECT_EQ(s.values.data<std::int64_t>()[1], big);
  EXPECT_EQ(s.values.data<std::int64_t>()[2], big + 1);
  expect_values(s.indices, {4}, {3, 1, 0, 2});
  const ValuesIndices t = topk(x, 2);
  EXPECT_EQ(t.values.data<std::int64_t>()[1], big + 1);
  expect_values(t.indices, {2}, {2, 0});
  EXPECT_EQ(kthvalue(x, 2).values.item<std::int64_t>(), big);
  EXPECT_EQ(median(x).item<std::int64_t>(), big);
  const Tensor ties = tensor({1, 5, 5, 7, 2, 7}, {2, 3}, kInt64);
  expect_selected(topk(ties, 2), {2, 2}, {5, 5, 7, 7}, {1, 2, 0, 2});
  expect_selected(median(ties, 1), {2}, {5, 7}, {1, 0});
  expect_values(argsort(ties, 1, true), {2, 3}, {1, 2, 0, 0, 2, 1});
}

TEST(Sorting, BoolInputs) {
  const Tensor b = tensor({1, 0, 1}, {3}, kBool);
  const ValuesIndices s = sort(b);
  EXPECT_EQ(s.values.dtype(), kBool);
  expect_selected(s, {3}, {0, 1, 1}, {1, 0, 2});
  expect_selected(sort(b, 0, true), {3}, {1, 1, 0}, {0, 2, 1});
  expect_values(argsort(b), {3}, {1, 0, 2});
  expect_selected(topk(b, 1), {1}, {1}, {0});
}

// ---- gradients ----

// dy goes back to where each value came from (PyTorch's scatter of grad through the indices).
TEST(Sorting, GradientScattersBackThroughTheIndices) {
  const Tensor x = leaf({3, 1, 2}, {3});
  (sort(x).values * f64({10, 20, 30}, {3})).sum().backward();
  expect_values(x.grad(), {3}, {30, 10, 20});
  const Tensor y = leaf({1, 5, 3, 4}, {4});
  (topk(y, 2).values * f64({10, 20}, {2})).sum().backward();
  expect_values(y.grad(), {4}, {0, 10, 0, 20});
  const Tensor z = leaf({1, 5, 3, 4, 2, 6}, {2, 3});
  (kthvalue(z, 2, 1).values * f64({10, 20}, {2})).sum().backward();
  expect_values(z.grad(), {2, 3}, {0, 0, 10, 20, 0, 0});
  const Tensor m = leaf({1, 3, 3, 3}, {4});
  median(m, 0).values.backward();
  expect_values(m.grad(), {4}, {0, 1, 0, 0});  // the index, ties or not
}

// median(x) without a dim shares dy among the elements equal to the median, as PyTorch does.
TEST(Sorting, WholeTensorMedianGradientIsSharedByTies) {
  const Tensor x = leaf({1, 3, 3, 3}, {2, 2});
  median(x).backward();
  expect_values(x.grad(), {2, 2}, {0, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  const Tensor nans = leaf({1, kNaN, 3, kNaN}, {4});
  median(nans).backward();
  expect_values(nans.grad(), {4}, {0, 0.5, 0, 0.5});
  const Tensor one = leaf({1, 3, 3, 2}, {4});
  (median(one) * 4.0).backward();
  expect_values(one.grad(), {4}, {0, 0, 0, 4});
}

TEST(Sorting, GradcheckSort) {
  for (const bool descending : {false, true})
    for (const int dim : {0, 1, -1}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (descending ? ", descending" : ""));
      expect_gradcheck([&](const Inputs& in) { return sort(in[0], dim, descending).values; }, {distinct23()});
      expect_gradcheck([&](const Inputs& in) { return sort(in[0], dim, descending, true).values; }, {distinct232()});
    }
  SCOPED_TRACE("fan-out: sort(x * x), sort(x) * x");
  expect_gradcheck([](const Inputs& in) { return sort(in[0] * in[0]).values; }, {distinct23()});
  expect_gradcheck([](const Inputs& in) { return sort(in[0], 0).values * in[0]; }, {distinct23()});
}

TEST(Sorting, GradcheckTopk) {
  for (const bool largest : {true, false}) {
    SCOPED_TRACE(largest ? "largest" : "smallest");
    expect_gradcheck([&](const Inputs& in) { return topk(in[0], 2, -1, largest).values; }, {distinct23()});
    expect_gradcheck([&](const Inputs& in) { return topk(in[0], 1, 0, largest).values; }, {distinct23()});
    expect_gradcheck([&](const Inputs& in) { return topk(in[0], 2, 1, largest).values; }, {distinct232()});
    SCOPED_TRACE("fan-out: topk(x * x, 2), topk(x, 1) * x broadcast against x");
    expect_gradcheck([&](const Inputs& in) { return topk(in[0] * in[0], 2, -1, largest).values; }, {distinct23()});
    expect_gradcheck([&](const Inputs& in) { return topk(in[0], 1, -1, largest).values * in[0]; }, {distinct23()});
  }
}

TEST(Sorting, GradcheckKthvalueAndMedian) {
  expect_gradcheck([](const Inputs& in) { return kthvalue(in[0], 2).values; }, {distinct23()});
  expect_gradcheck([](const Inputs& in) { return kthvalue(in[0], 2, 0, true).values * in[0]; }, {distinct23()});
  expect_gradcheck([](const Inputs& in) { return kthvalue(in[0], 3, 1).values; }, {distinct232()});
  expect_gradcheck([](const Inputs& in) { return median(in[0], 1).values; }, {distinct232()});
  expect_gradcheck([](const Inputs& in) { return median(in[0] * in[0], -1, true).values * in[0]; }, {distinct23()});
  expect_unary_gradcheck([](const Tensor& x) { return median(x); }, distinct232());
}

// ---- second derivatives ----

// The indices are constants away from ties: distinct23's elements are more than 0.01 apart (and their
// squares too), and the stencil moves them by 2e-3 at most.
TEST(Sorting, GradGradSort) {
  for (const bool descending : {false, true})
    for (const int dim : {0, 1, -1}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (descending ? ", descending" : ""));
      expect_gradgradcheck([&](const Inputs& in) { return sort(in[0], dim, descending).values; }, {distinct23()});
      expect_gradgradcheck([&](const Inputs& in) { return sort(in[0], dim, descending, true).values; },
                           {distinct232()});
    }
  SCOPED_TRACE("fan-out: sort(x * x), sort(x) * x");
  expect_gradgradcheck([](const Inputs& in) { return sort(in[0] * in[0]).values; }, {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return sort(in[0], 0).values * in[0]; }, {distinct23()});
}

TEST(Sorting, GradGradTopk) {
  for (const bool largest : {true, false}) {
    SCOPED_TRACE(largest ? "largest" : "smallest");
    expect_gradgradcheck([&](const Inputs& in) { return topk(in[0], 2, -1, largest).values; }, {distinct23()});
    expect_gradgradcheck([&](const Inputs& in) { return topk(in[0], 2, 1, largest).values; }, {distinct232()});
    SCOPED_TRACE("fan-out: topk(x * x, 2), and topk(x, 1) * x broadcast against x");
    expect_gradgradcheck([&](const Inputs& in) { return topk(in[0] * in[0], 2, -1, largest).values; },
                         {distinct23()});
    expect_gradgradcheck([&](const Inputs& in) { return topk(in[0], 1, -1, largest).values * in[0]; },
                         {distinct23()});
  }
}

TEST(Sorting, GradGradKthvalue) {
  expect_gradgradcheck([](const Inputs& in) { return kthvalue(in[0], 2).values; }, {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return kthvalue(in[0], 3, 1).values; }, {distinct232()});
  SCOPED_TRACE("fan-out and broadcast: kthvalue(x, 2, 0, keepdim) * x");
  expect_gradgradcheck([](const Inputs& in) { return kthvalue(in[0], 2, 0, true).values * in[0]; }, {distinct23()});
}

TEST(Sorting, GradGradMedian) {
  expect_gradgradcheck([](const Inputs& in) { return median(in[0], 1).values; }, {distinct232()});
  expect_gradgradcheck([](const Inputs& in) { return median(in[0]); }, {distinct232()});
  SCOPED_TRACE("fan-out and broadcast: median(x * x, -1, keepdim) * x, median(x) * x");
  expect_gradgradcheck([](const Inputs& in) { return median(in[0] * in[0], -1, true).values * in[0]; },
                       {distinct23()});
  expect_gradgradcheck([](const Inputs& in) { return median(in[0]) * in[0]; }, {distinct232()});
}

// f = sum(topk(x, 2).values^2): H = 2 at each row's two largest (1.1, 0.3 at 2, 0; 0.7, 0.2 at 3, 5).
TEST(Sorting, TopkSquaredSecondDerivative) {
  const UnaryOp f = [](const Tensor& x) { return sum(square(topk(x, 2).values)); };
  expect_values(hessian_times(f, distinct23(), f64({1, 2, 3, 4, 5, 6}, {2, 3})), {2, 3}, {2, 0, 6, 8, 0, 12});
}

// ---- bad input ----

TEST(Sorting, KOutOfRangeIsRejected) {
  const Tensor x = zeros({3});
  expect_throws<std::invalid_argument>([&] { return topk(x, 4).values; },
                                       "topk: k must be in [0, 3] (the size of dimension -1 of a tensor of shape [3]), got 4");
  expect_throws<std::invalid_argument>([&] { return topk(zeros({2, 3}), -1, 0).values; },
                                       "topk: k must be in [0, 2] (the size of dimension 0 of a tensor of shape [2, 3]), got -1");
  expect_throws<std::invalid_argument>([&] { return kthvalue(x, 0).values; },
                                       "kthvalue: k must be in [1, 3] (the size of dimension -1 of a tensor of shape [3]), got 0");
  expect_throws<std::invalid_argument>([&] { return kthvalue(x, 4).values; }, "kthvalue: k must be in [1, 3]");
  expect_throws<std::invalid_argument>([] { return topk(zeros({2, 0}), 1).values; }, "topk: k must be in [0, 0]");
}

TEST(Sorting, DimsOutOfRangeAreRejected) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return sort(x, 2).values; }, "sort: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return argsort(x, -3); }, "argsort: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return topk(x, 1, 2).values; }, "topk: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return kthvalue(x, 1, 5).values; },
                                       "kthvalue: dimension 5 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return median(x, -3).values; }, "median: dimension -3 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return sort(scalar_tensor(1), 1).values; },
                                       "sort: dimension 1 is out of range for a 0-d tensor (which takes only 0 or -1)");
}

TEST(Sorting, EmptyInputs) {
  expect_throws<std::invalid_argument>([] { return kthvalue(zeros({2, 0}), 1).values; },
                                       "kthvalue: dimension -1 of a tensor of shape [2, 0] is empty");
  expect_throws<std::invalid_argument>([] { return median(zeros({2, 0}), 1).values; },
                                       "median: dimension 1 of a tensor of shape [2, 0] is empty");
  expect_throws<std::invalid_argument>([] { return median(zeros({0})); }, "median: cannot reduce an empty tensor of shape [0]");
  // Sorting nothing is fine, as in PyTorch.
  expect_selected(sort(zeros({2, 0})), {2, 0}, {}, {});
  expect_selected(topk(zeros({2, 0}), 0), {2, 0}, {}, {});
  expect_values(argsort(zeros({0, 3}), 0), {0, 3}, {});
}

TEST(Sorting, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"sort", [](const Tensor& x) { return sort(x).values; }},
                             {"argsort", [](const Tensor& x) { return argsort(x); }},
                             {"topk", [](const Tensor& x) { return topk(x, 1).values; }},
                             {"kthvalue", [](const Tensor& x) { return kthvalue(x, 1).values; }},
                             {"median", [](const Tensor& x) { return median(x, 0).values; }},
                             {"median", [](const Tensor& x) { return median(x); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
