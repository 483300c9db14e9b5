// Shape ops on dimensions (unsqueeze, squeeze, flatten, unflatten, permute, flip, roll, expand, repeat,
// pad): closed-form values (PyTorch's rules, checked against PyTorch 1.13), storage sharing for the
// reshapes, gradcheck in float64 with fan-out and broadcast cases, and the messages for bad arguments.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd_testing.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

// ---- unsqueeze and squeeze ----

TEST(ShapeDims, UnsqueezeInsertsAnExtentOfOne) {
  expect_values(unsqueeze(one_to_six(), 0), {1, 2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(unsqueeze(one_to_six(), 1), {2, 1, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(one_to_six().unsqueeze(2), {2, 3, 1}, {1, 2, 3, 4, 5, 6});
  expect_values(one_to_six().unsqueeze(-1), {2, 3, 1}, {1, 2, 3, 4, 5, 6});
  expect_values(unsqueeze(one_to_six(), -3), {1, 2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(unsqueeze(scalar_tensor(7, kFloat64), 0), {1}, {7});
  expect_values(unsqueeze(scalar_tensor(7, kFloat64), -1), {1}, {7});
}

TEST(ShapeDims, SqueezeDropsExtentsOfOne) {
  const Tensor x = counting({1, 2, 1, 3});
  expect_values(squeeze(x), {2, 3}, {0, 1, 2, 3, 4, 5});
  expect_values(x.squeeze(0), {2, 1, 3}, {0, 1, 2, 3, 4, 5});
  expect_values(x.squeeze(-2), {1, 2, 3}, {0, 1, 2, 3, 4, 5});
  expect_values(squeeze(counting({1, 1})), {}, {0});
  EXPECT_EQ(x.squeeze(1).impl(), x.impl());  // extent 2: nothing to drop, x itself
  const Tensor s = scalar_tensor(7, kFloat64);
  EXPECT_EQ(s.squeeze().impl(), s.impl());
  EXPECT_EQ(squeeze(s, 0).impl(), s.impl());  // PyTorch takes 0 and -1 for a 0-d tensor
  EXPECT_EQ(squeeze(s, -1).impl(), s.impl());
}

TEST(ShapeDims, TheReshapesShareStorage) {
  Tensor x = one_to_six();
  unsqueeze(x, 0).put_({0, 1, 2}, 60);
  squeeze(unsqueeze(x, 1)).put_({0, 0}, 10);
  flatten(x).put_({1}, 20);
  unflatten(x, 1, {3, 1}).put_({1, 0, 0}, 40);
  expect_values(x, {2, 3}, {10, 20, 3, 40, 5, 60});
}

TEST(ShapeDims, GradcheckUnsqueezeAndSqueeze) {
  // op(x) * x broadcasts [2, 1, 3] against [2, 3]: a fan-out and a broadcast case at once.
  expect_unary_gradcheck([](const Tensor& x) { return unsqueeze(x, 1); }, random_leaf({2, 3}, 1));
  expect_unary_gradcheck([](const Tensor& x) { return squeeze(x); }, random_leaf({2, 1, 3}, 2));
  expect_unary_gradcheck([](const Tensor& x) { return squeeze(x, 0); }, random_leaf({1, 3}, 3));
}

TEST(ShapeDims, UnsqueezeAndSqueezeRejectDimsOutOfRange) {
  expect_throws<std::invalid_argument>(
      [] { return unsqueeze(zeros({2, 3}), 3); },
      "unsqueeze: dimension 3 is out of range for a 2-d tensor (a new dimension goes at -3 to 2)");
  expect_throws<std::invalid_argument>([] { return unsqueeze(zeros({2, 3}), -4); },
                                       "unsqueeze: dimension -4 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return unsqueeze(zeros({1, 1, 1, 1, 1, 1, 1, 1}), 0); },
                                       "unsqueeze: the result would have more than 8 dimensions (the input has "
                                       "shape [1, 1, 1, 1, 1, 1, 1, 1])");
  expect_throws<std::invalid_argument>([] { return squeeze(zeros({2, 1}), 2); },
                                       "squeeze: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>(
      [] { return squeeze(scalar_tensor(1), 1); },
      "squeeze: dimension 1 is out of range for a 0-d tensor (which takes only 0 or -1)");
}

// ---- flatten and unflatten ----

TEST(ShapeDims, FlattenMergesARangeOfDimensions) {
  const Tensor x = counting({2, 3, 4});
  EXPECT_EQ(flatten(x).shape().str(), "[24]");
  EXPECT_EQ(x.flatten(1).shape().str(), "[2, 12]");
  EXPECT_EQ(flatten(x, 0, 1).shape().str(), "[6, 4]");
  EXPECT_EQ(flatten(x, -2, -1).shape().str(), "[2, 12]");
  EXPECT_EQ(flatten(x, 1, 1).impl(), x.impl());  // one dimension: nothing merged
  expect_values(flatten(one_to_six()), {6}, {1, 2, 3, 4, 5, 6});
  expect_values(flatten(scalar_tensor(7, kFloat64)), {1}, {7});
}

TEST(ShapeDims, UnflattenSplitsOneDimension) {
  const Tensor x = counting({2, 12});
  EXPECT_EQ(unflatten(x, 1, {3, 4}).shape().str(), "[2, 3, 4]");
  EXPECT_EQ(x.unflatten(1, {-1, 4}).shape().str(), "[2, 3, 4]");
  EXPECT_EQ(unflatten(x, -1, {2, -1, 3}).shape().str(), "[2, 2, 2, 3]");
  EXPECT_EQ(unflatten(x, 0, {1, 2}).shape().str(), "[1, 2, 12]");
  EXPECT_EQ(unflatten(zeros({2, 0}), 1, {3, 0}).shape().str(), "[2, 3, 0]");
  expect_values(unflatten(one_to_six(), 1, {3, 1}), {2, 3, 1}, {1, 2, 3, 4, 5, 6});
}

TEST(ShapeDims, GradcheckFlattenAndUnflatten) {
  expect_gradcheck([](const Inputs& in) { return flatten(in[0], 1); }, {random_leaf({2, 3, 2}, 4)});
  expect_gradcheck([](const Inputs& in) { return unflatten(in[0], 1, {2, 1, -1}); }, {random_leaf({3, 4}, 5)});
  expect_unary_gradcheck([](const Tensor& x) { return unflatten(x, 1, {-1, 1}); }, random_leaf({2, 2}, 25));
  SCOPED_TRACE("fan-out: flatten(x) * flatten(x, 0, 1)[0]");
  expect_gradcheck([](const Inputs& in) { return flatten(in[0]) * flatten(in[0], 0, 1)[0]; },
                   {random_leaf({2, 2}, 6)});
}

TEST(ShapeDims, FlattenAndUnflattenRejectBadArguments) {
  const Tensor x = zeros({2, 3, 4});
  expect_throws<std::invalid_argument>([&] { return flatten(x, 2, 1); },
                                       "flatten: start_dim 2 comes after end_dim 1 (shape [2, 3, 4])");
  expect_throws<std::invalid_argument>([&] { return flatten(x, 3); },
                                       "flatten: dimension 3 is out of range for a 3-d tensor");
  expect_throws<std::invalid_argument>([] { return flatten(scalar_tensor(1), 0, 1); },
                                       "flatten: dimension 1 is out of range for a 0-d tensor");
  expect_throws<std::invalid_argument>([&] { return unflatten(x, 1, {}); }, "unflatten: sizes must not be empty");
  expect_throws<std::invalid_argument>([&] { return unflatten(x, 1, {-1, -1}); },
                                       "unflatten: only one size can be -1, got [-1, -1]");
  expect_throws<std::invalid_argument>([&] { return unflatten(x, 1, {2, 2}); },
                                       "unflatten: sizes [2, 2] do not multiply up to dimension 1 of size 3 (shape "
                                       "[2, 3, 4])");
  expect_throws<std::invalid_argument>([&] { return unflatten(x, 2, {-1, 3}); },
                                       "unflatten: sizes [-1, 3] do not multiply up to dimension 2 of size 4");
  expect_throws<std::invalid_argument>([] { return unflatten(zeros({2, 0}), 1, {-1, 0}); },
                                       "unflatten: the -1 in sizes [-1, 0] cannot be inferred as the other sizes "
                                       "multiply to 0, for dimension 1 of size 0 (shape [2, 0])");
  expect_throws<std::invalid_argument>([&] { return unflatten(x, 3, {1}); },
                                       "unflatten: dimension 3 is out of range for a 3-d tensor");
  expect_throws<std::invalid_argument>([] { return unflatten(zeros({1, 1, 1, 1, 1, 1, 1, 4}), 7, {2, 2}); },
                                       "unflatten: the result would have more than 8 dimensions");
}

// ---- permute ----

TEST(ShapeDims, PermuteValues) {
  expect_values(permute(one_to_six(), {1, 0}), {3, 2}, {1, 4, 2, 5, 3, 6});
  // y[a, b, c] = x[b, c, a] = 12 b + 4 c + a for y = permute(x, {2, 0, 1}), x = counting([2, 3, 4]).
  std::vector<double> expected;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 3; ++c) expected.push_back(12 * b + 4 * c + a);
  const Tensor x = counting({2, 3, 4});
  expect_values(permute(x, {2, 0, 1}), {4, 2, 3}, expected);
  expect_values(x.permute({-1, 0, -2}), {4, 2, 3}, expected);
  EXPECT_EQ(permute(x, {0, 1, -1}).impl(), x.impl());  // the identity: x itself
  expect_values(permute(scalar_tensor(7, kFloat64), {}), {}, {7});
}

TEST(ShapeDims, GradcheckPermute) {
  expect_gradcheck([](const Inputs& in) { return permute(in[0], {2, 0, 1}); }, {random_leaf({2, 3, 2}, 7)});
  expect_unary_gradcheck([](const Tensor& x) { return permute(x, {1, 0}); }, random_leaf({3, 3}, 8));
  SCOPED_TRACE("fan-out: two permutations of x");
  expect_gradcheck([](const Inputs& in) { return permute(in[0], {2, 0, 1}) * permute(in[0], {1, 2, 0}); },
                   {random_leaf({2, 2, 2}, 9)});
}

TEST(ShapeDims, PermuteRejectsWhatIsNotAPermutation) {
  const Tensor x = zeros({2, 3, 4});
  expect_throws<std::invalid_argument>([&] { return permute(x, {0, 0, 1}); },
                                       "permute: dims [0, 0, 1] are not a permutation of 3 dimensions");
  expect_throws<std::invalid_argument>([&] { return permute(x, {1, 0}); },
                                       "permute: dims [1, 0] are not a permutation of 3 dimensions");
  expect_throws<std::invalid_argument>([&] { return permute(x, {0, 3, 1}); },
                                       "permute: dims [0, 3, 1] are not a permutation of 3 dimensions");
  expect_throws<std::invalid_argument>([&] { return permute(x, {0, -1, 2}); },
                                       "permute: dims [0, -1, 2] are not a permutation of 3 dimensions");
}

// ---- flip and roll ----

TEST(ShapeDims, FlipValues) {
  expect_values(flip(one_to_six(), {1}), {2, 3}, {3, 2, 1, 6, 5, 4});
  expect_values(one_to_six().flip({-1}), {2, 3}, {3, 2, 1, 6, 5, 4});
  expect_values(flip(one_to_six(), {0}), {2, 3}, {4, 5, 6, 1, 2, 3});
  expect_values(flip(one_to_six(), {0, 1}), {2, 3}, {6, 5, 4, 3, 2, 1});
  expect_values(flip(counting({2, 2, 2}), {0, 2}), {2, 2, 2}, {5, 4, 7, 6, 1, 0, 3, 2});
  expect_values(flip(one_to_six(), {}), {2, 3}, {1, 2, 3, 4, 5, 6});
  expect_values(flip(scalar_tensor(7, kFloat64), {0}), {}, {7});
}

TEST(ShapeDims, RollValues) {
  const Tensor x = counting({2, 3});
  expect_values(roll(x, {1}), {2, 3}, {5, 0, 1, 2, 3, 4});  // flattened
  expect_values(x.roll({-2}), {2, 3}, {2, 3, 4, 5, 0, 1});
  expect_values(roll(x, {1}, {1}), {2, 3}, {2, 0, 1, 5, 3, 4});
  expect_values(x.roll({1}, {0}), {2, 3}, {3, 4, 5, 0, 1, 2});
  expect_values(roll(x, {1, 1}, {1, 1}), {2, 3}, {1, 2, 0, 4, 5, 3});  // a repeated dimension adds up
  expect_values(roll(x, {7, -1}, {1, 0}), {2, 3}, {5, 3, 4, 2, 0, 1});
  expect_values(roll(x, {-4}, {-1}), {2, 3}, {1, 2, 0, 4, 5, 3});
  expect_values(roll(scalar_tensor(7, kFloat64), {3}), {}, {7});
  EXPECT_EQ(roll(zeros({0, 3}), {1}, {0}).shape().str(), "[0, 3]");
}

TEST(ShapeDims, GradcheckFlipAndRoll) {
  expect_unary_gradcheck([](const Tensor& x) { return flip(x, {0, 1}); }, random_leaf({3, 4}, 10));
  expect_unary_gradcheck([](const Tensor& x) { return roll(x, {1, -2}, {0, 1}); }, random_leaf({3, 4}, 11));
  expect_unary_gradcheck([](const Tensor& x) { return roll(x, {5}); }, random_leaf({3, 4}, 12));
  SCOPED_TRACE("broadcast: flip of [3, 1] times roll of [1, 4]");
  expect_gradcheck([](const Inputs& in) { return flip(in[0], {0}) * roll(in[1], {1}, {1}); },
                   {random_leaf({3, 1}, 13), random_leaf({1, 4}, 14)});
}

TEST(ShapeDims, FlipAndRollRejectBadArguments) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return flip(x, {0, -2}); },
                                       "flip: dimension -2 appears more than once in dims [0, -2]");
  expect_throws<std::invalid_argument>([&] { return flip(x, {2}); },
                                       "flip: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([&] { return roll(x, {}); }, "roll: needs at least one shift");
  expect_throws<std::invalid_argument>(
      [&] { return roll(x, {1, 2}); },
      "roll: shifts [1, 2] without dims; rolling the flattened tensor takes one shift");
  expect_throws<std::invalid_argument>([&] { return roll(x, {1}, {0, 1}); },
                                       "roll: shifts [1] and dims [0, 1] differ in length; give one shift per "
                                       "dimension");
  expect_throws<std::invalid_argument>([&] { return roll(x, {1}, {2}); },
                                       "roll: dimension 2 is out of range for a 2-d tensor");
  expect_throws<std::invalid_argument>([] { return roll(scalar_tensor(1), {1}, {0}); },
                                       "roll: dimension 0 is out of range for a 0-d tensor");
}

// ---- expand ----

TEST(ShapeDims, ExpandValues) {
  const Tensor x = f64({1, 2, 3}, {3, 1});
  expect_values(expand(x, {-1, 2}), {3, 2}, {1, 1, 2, 2, 3, 3});
  expect_values(x.expand({2, -1, 2}), {2, 3, 2}, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  expect_values(expand(scalar_tensor(5, kFloat64), {2}), {2}, {5, 5});
  EXPECT_EQ(expand(x, {3, 1}).impl(), x.impl());  // the same shape: x itself
  EXPECT_EQ(expand(x, {-1, -1}).impl(), x.impl());
  EXPECT_EQ(expand(zeros({2, 1}), {2, 0}).shape().str(), "[2, 0]");
}

TEST(ShapeDims, GradcheckExpand) {
  // op(x) * x: [2, 3, 4] times x of [3, 1] broadcast, and x reached twice.
  expect_unary_gradcheck([](const Tensor& x) { return expand(x, {2, -1, 4}); }, random_leaf({3, 1}, 15));
  expect_unary_gradcheck([](const Tensor& x) { return expand(x, {3, 2}); }, random_leaf({2}, 16));
}

TEST(ShapeDims, ExpandRejectsBadSizes) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>(
      [&] { return expand(x, {3}); },
      "expand: sizes [3] are fewer than the 2 dimensions of shape [2, 3]; give at least one per dimension");
  expect_throws<std::invalid_argument>([&] { return expand(x, {-1, 2, 3}); },
                                       "expand: size -1 (keep the extent) cannot be given for the new leading "
                                       "dimension 0 (sizes [-1, 2, 3] for shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return expand(x, {2, 4}); },
                                       "expand: size 4 at dimension 1 does not match the extent 3, and only extents "
                                       "of 1 can be expanded (sizes [2, 4] for shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return expand(x, {5, 1, 3}); },
                                       "expand: size 1 at dimension 1 does not match the extent 2");
}

// ---- repeat ----

TEST(ShapeDims, RepeatTilesAndAddsLeadingDimensions) {
  const Tensor x = one_to_six();
  expect_values(repeat(x, {1, 2}), {2, 6}, {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  expect_values(x.repeat({2, 1}), {4, 3}, {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  expect_values(repeat(x, {2, 1, 2}), {2, 2, 6},
                {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  expect_values(repeat(f64({1, 2}, {2, 1}), {2, 3}), {4, 3}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  expect_values(repeat(scalar_tensor(7, kFloat64), {3}), {3}, {7, 7, 7});
  expect_values(repeat(x, {1, 1}), {2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(repeat(x, {0, 1}).shape().str(), "[0, 3]");
}

TEST(ShapeDims, RepeatGradientSumsOverTheTiles) {
  const Tensor x = leaf({1, 2, 3}, {3});
  (repeat(x, {2, 2}) * f64({1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, {2, 6})).sum().backward();
  // x[j] is at columns j and j + 3 of both rows: 1 + 4 + 10 + 40, 2 + 5 + 20 + 50, 3 + 6 + 30 + 60.
  expect_values(x.grad(), {3}, {55, 77, 99});
  const Tensor z = leaf({1, 2}, {2});
  repeat(z, {0, 1}).sum().backward();  // no tiles: no gradient
  expect_values(z.grad(), {2}, {0, 0});
}

TEST(ShapeDims, GradcheckRepeat) {
  // op(x) * x: [2, 3, 3] times x of [3, 1] broadcast, and x reached twice.
  expect_unary_gradcheck([](const Tensor& x) { return repeat(x, {2, 1, 3}); }, random_leaf({3, 1}, 17));
  expect_gradcheck([](const Inputs& in) { return repeat(in[0], {2, 3}); }, {random_leaf({2, 2}, 18)});
  SCOPED_TRACE("fan-out: repeat(x) * repeat(x) along other dimensions");
  expect_gradcheck([](const Inputs& in) { return repeat(in[0], {1, 2}) * repeat(in[0].t(), {2, 1}).t(); },
                   {random_leaf({2, 2}, 19)});
}

TEST(ShapeDims, RepeatRejectsBadRepeats) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>(
      [&] { return repeat(x, {2}); },
      "repeat: repeats [2] are fewer than the 2 dimensions of shape [2, 3]; give at least one per dimension");
  expect_throws<std::invalid_argument>([&] { return repeat(x, {-1, 1}); },
                                       "repeat: repeats must be non-negative, got [-1, 1]");
  expect_throws<std::invalid_argument>([&] { return repeat(x, {1, 1, 1, 1, 1, 1, 1, 1, 1}); },
                                       "repeat: repeats [1, 1, 1, 1, 1, 1, 1, 1, 1] would give more than 8 "
                                       "dimensions");
  expect_throws<std::invalid_argument>([&] { return repeat(x, {1, INT64_MAX}); },
                                       "give an extent past what an int64 holds");
}

// ---- pad ----

TEST(ShapeDims, PadValues) {
  const Tensor x = one_to_six();
  expect_values(pad(x, {1, 1}), {2, 5}, {0, 1, 2, 3, 0, 0, 4, 5, 6, 0});
  expect_values(pad(x, {0, 0, 1, 0}, 7), {3, 3}, {7, 7, 7, 1, 2, 3, 4, 5, 6});
  expect_values(pad(x, {1, 1, 1, 1}), {4, 5},
                {0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0});
  expect_values(pad(x, {-1, 2}, 9), {2, 4}, {2, 3, 9, 9, 5, 6, 9, 9});  // a negative pad crops
  expect_values(pad(x, {1, -2, 0, -1}), {1, 2}, {0, 1});
  expect_values(pad(x, {}), {2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(pad(x, {-2, -1}).shape().str(), "[2, 0]");
  expect_values(pad(scalar_tensor(7, kFloat64), {}), {}, {7});
}

TEST(ShapeDims, PadGradientIsZeroWhereCropped) {
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  (pad(x, {-1, 1}) * f64({10, 20, 30, 40, 50, 60}, {2, 3})).sum().backward();
  expect_values(x.grad(), {2, 3}, {0, 10, 20, 0, 40, 50});
}

TEST(ShapeDims, GradcheckPad) {
  expect_gradcheck([](const Inputs& in) { return pad(in[0], {1, 2, 0, 1}, 3.0); }, {random_leaf({2, 3}, 20)});
  expect_gradcheck([](const Inputs& in) { return pad(in[0], {-1, 1, 1, -1}); }, {random_leaf({3, 3}, 21)});
  expect_unary_gradcheck([](const Tensor& x) { return pad(x, {1, -1}); }, random_leaf({2, 3}, 22));
  SCOPED_TRACE("broadcast: pad of [3, 1] times x of [1, 3]");
  expect_gradcheck([](const Inputs& in) { return pad(in[0], {1, 1}) * in[1]; },
                   {random_leaf({3, 1}, 23), random_leaf({1, 3}, 24)});
}

TEST(ShapeDims, PadRejectsBadPads) {
  const Tensor x = zeros({2, 3});
  expect_throws<std::invalid_argument>([&] { return pad(x, {1}); },
                                       "pad: pads must hold (before, after) pairs, got [1]");
  expect_throws<std::invalid_argument>(
      [&] { return pad(x, {1, 1, 1, 1, 1, 1}); },
      "pad: pads [1, 1, 1, 1, 1, 1] hold 3 (before, after) pairs for a 2-d tensor; at most one per dimension");
  expect_throws<std::invalid_argument>([&] { return pad(x, {-2, -2}); },
                                       "pad: pads (-2, -2) crop more than the size 3 of dimension 1 (shape [2, 3])");
  expect_throws<std::invalid_argument>([&] { return pad(x, {0, 0, -3, 4}); },
                                       "pad: pads (-3, 4) crop more than the size 2 of dimension 0");
}

// ---- second derivatives: gradgradcheck of every op ----
// The ops are linear: the derivative in v checks that the backward is recorded, and x * (a second path
// into x) makes the second derivative in x non-zero. op(x) * x broadcasts where the shapes differ.

TEST(ShapeDims, GradGradUnsqueeze) {
  const GradcheckResult r =
      gradgradcheck([](const Inputs& in) { return unsqueeze(in[0], 1) * in[0]; }, {random_leaf({2, 3}, 1)});
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(ShapeDims, GradGradSqueeze) {
  const GradcheckResult all =
      gradgradcheck([](const Inputs& in) { return squeeze(in[0]) * in[0]; }, {random_leaf({2, 1, 3}, 2)});
  EXPECT_TRUE(all.ok) << all.str();
  const GradcheckResult one =
      gradgradcheck([](const Inputs& in) { return squeeze(in[0], 0) * in[0]; }, {random_leaf({1, 3}, 3)});
  EXPECT_TRUE(one.ok) << one.str();
}

TEST(ShapeDims, GradGradFlatten) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return flatten(in[0], 1); }, {random_leaf({2, 3, 2}, 4)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return flatten(in[0]) * flatten(in[0], 0, 1)[0]; }, {random_leaf({2, 2}, 6)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeDims, GradGradUnflatten) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return unflatten(in[0], 1, {2, 1, -1}); }, {random_leaf({3, 4}, 5)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return unflatten(in[0], 1, {-1, 1}) * in[0]; }, {random_leaf({2, 2}, 25)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeDims, GradGradPermute) {
  const GradcheckResult plain =
      gradgradcheck([](const Inputs& in) { return permute(in[0], {2, 0, 1}); }, {random_leaf({2, 3, 2}, 7)});
  EXPECT_TRUE(plain.ok) << plain.str();
  const GradcheckResult fan_out = gradgradcheck(
      [](const Inputs& in) { return permute(in[0], {2, 0, 1}) * permute(in[0], {1, 2, 0}); }, {random_leaf({2, 2, 2}, 9)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
}

TEST(ShapeDims, GradGradFlip) {
  const GradcheckResult fan_out =
      gradgradcheck([](const Inputs& in) { return flip(in[0], {0, 1}) * in[0]; }, {random_leaf({3, 4}, 10)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
  SCOPED_TRACE("broadcast: flip of [3, 1] times x of [1, 4]");
  const GradcheckResult broadcast = gradgradcheck([](const Inputs& in) { return flip(in[0], {0}) * in[1]; },
                                                  {random_leaf({3, 1}, 13), random_leaf({1, 4}, 14)});
  EXPECT_TRUE(broadcast.ok) << broadcast.str();
}

TEST(ShapeDims, GradGradRoll) {
  const GradcheckResult dims =
      gradgradcheck([](const Inputs& in) { return roll(in[0], {1, -2}, {0, 1}) * in[0]; }, {random_leaf({3, 4}, 11)});
  EXPECT_TRUE(dims.ok) << dims.str();
  const GradcheckResult flattened =
      gradgradcheck([](const Inputs& in) { return roll(in[0], {5}) * in[0]; }, {random_leaf({3, 4}, 12)});
  EXPECT_TRUE(flattened.ok) << flattened.str();
}

TEST(ShapeDims, GradGradExpand) {
  // expand(x) * x: [2, 3, 4] times x of [3, 1] broadcast, and x reached twice.
  const GradcheckResult r =
      gradgradcheck([](const Inputs& in) { return expand(in[0], {2, -1, 4}) * in[0]; }, {random_leaf({3, 1}, 15)});
  EXPECT_TRUE(r.ok) << r.str();
}

TEST(ShapeDims, GradGradRepeat) {
  // repeat(x) * x: [2, 3, 3] times x of [3, 1] broadcast, and x reached twice.
  const GradcheckResult r =
      gradgradcheck([](const Inputs& in) { return repeat(in[0], {2, 1, 3}) * in[0]; }, {random_leaf({3, 1}, 17)});
  EXPECT_TRUE(r.ok) << r.str();
  const GradcheckResult two = gradgradcheck(
      [](const Inputs& in) { return repeat(in[0], {1, 2}) * repeat(in[0].t(), {2, 1}).t(); }, {random_leaf({2, 2}, 19)});
  EXPECT_TRUE(two.ok) << two.str();
}

TEST(ShapeDims, GradGradPad) {
  const GradcheckResult crop =
      gradgradcheck([](const Inputs& in) { return pad(in[0], {-1, 1, 1, -1}); }, {random_leaf({3, 3}, 21)});
  EXPECT_TRUE(crop.ok) << crop.str();
  const GradcheckResult fan_out =
      gradgradcheck([](const Inputs& in) { return pad(in[0], {1, -1}) * in[0]; }, {random_leaf({2, 3}, 22)});
  EXPECT_TRUE(fan_out.ok) << fan_out.str();
  SCOPED_TRACE("broadcast: pad of [3, 1] times x of [1, 3]");
  const GradcheckResult broadcast = gradgradcheck([](const Inputs& in) { return pad(in[0], {1, 1}, 3.0) * in[1]; },
                                                  {random_leaf({3, 1}, 23), random_leaf({1, 3}, 24)});
  EXPECT_TRUE(broadcast.ok) << broadcast.str();
}

// f = sum(repeat(x, {1, 3})^2) with x of [2, 1]: each x_i is tiled 3 times, df/dx_i = 6 x_i, and the
// derivative of sum(df/dx) is 6 for each; the second sweep goes through repeat's sum over the tiles.
TEST(ShapeDims, SecondDerivativeThroughRepeat) {
  const Tensor x = leaf({0.5, -2}, {2, 1});
  const Tensor g = autograd::grad({sum(repeat(x, {1, 3}).pow(2))}, {x}, {}, {}, true)[0];
  expect_values(g, {2, 1}, {3, -12});
  expect_values(autograd::grad({sum(g * g)}, {x})[0], {2, 1}, {2 * 3 * 6, 2 * -12 * 6});
}

TEST(ShapeDims, UndefinedInputsAreRejected) {
  const NamedUnaryOps ops = {{"unsqueeze", [](const Tensor& x) { return unsqueeze(x, 0); }},
                             {"squeeze", [](const Tensor& x) { return squeeze(x); }},
                             {"squeeze", [](const Tensor& x) { return squeeze(x, 0); }},
                             {"flatten", [](const Tensor& x) { return flatten(x); }},
                             {"unflatten", [](const Tensor& x) { return unflatten(x, 0, {1}); }},
                             {"permute", [](const Tensor& x) { return permute(x, {0}); }},
                             {"flip", [](const Tensor& x) { return flip(x, {0}); }},
                             {"roll", [](const Tensor& x) { return roll(x, {1}); }},
                             {"expand", [](const Tensor& x) { return expand(x, {1}); }},
                             {"repeat", [](const Tensor& x) { return repeat(x, {1}); }},
                             {"pad", [](const Tensor& x) { return pad(x, {1, 1}); }}};
  expect_undefined_inputs_rejected(ops);
}

}  // namespace
}  // namespace tg
