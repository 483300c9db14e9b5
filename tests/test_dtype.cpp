// The int64 and bool dtypes: factories, conversions, element access, printing, the reductions that count
// with them, and that they never require a gradient.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/nn/safetensors.hpp"

namespace tg {
namespace {

using namespace tg::testing;  // NOLINT: the helpers of autograd_testing.hpp

TEST(Dtype, NamesAndSizes) {
  EXPECT_EQ(dtype_name(kInt64), "int64");
  EXPECT_EQ(dtype_name(kBool), "bool");
  EXPECT_EQ(dtype_size(kInt64), 8u);
  EXPECT_EQ(dtype_size(kBool), 1u);
  EXPECT_TRUE(is_floating_point(kFloat32));
  EXPECT_TRUE(is_floating_point(kFloat64));
  EXPECT_FALSE(is_floating_point(kInt64));
  EXPECT_FALSE(is_floating_point(kBool));
}

TEST(Dtype, Int64FactoriesAndElementAccess) {
  const Tensor labels = tensor({3, 0, 7}, kInt64);
  EXPECT_EQ(labels.dtype(), kInt64);
  EXPECT_EQ(labels.data<std::int64_t>()[2], 7);
  EXPECT_EQ(labels.at({1}), 0.0);
  // Integers beyond 2^53 (where doubles skip odd numbers) survive the int64 factory and item<int64_t>().
  const std::int64_t big = (std::int64_t{1} << 60) + 1;
  const std::vector<std::int64_t> values = {big, -big};
  const Tensor t = tensor(values, Shape{2});
  EXPECT_EQ(t.data<std::int64_t>()[0], big);
  EXPECT_EQ(slice(t, 0, 1, 2).item<std::int64_t>(), -big);
  Tensor z = zeros({2, 2}, kInt64);
  z.put_({1, 0}, 5);
  EXPECT_EQ(z.to_vector(), (std::vector<double>{0, 0, 5, 0}));
  EXPECT_EQ(arange(4, kInt64).to_vector(), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(full({3}, -2, kInt64).to_vector(), (std::vector<double>{-2, -2, -2}));
}

TEST(Dtype, BoolFactoriesAndElementAccess) {
  const Tensor mask = tensor({1, 0, 2}, kBool);  // any non-zero value is true, as PyTorch converts
  EXPECT_EQ(mask.dtype(), kBool);
  EXPECT_EQ(mask.to_vector(), (std::vector<double>{1, 0, 1}));
  EXPECT_TRUE(mask.data<bool>()[2]);
  EXPECT_EQ(ones({2}, kBool).to(kFloat32).to_vector(), (std::vector<double>{1, 1}));
  EXPECT_FALSE(slice(mask, 0, 1, 2).item<bool>());
}

TEST(Dtype, ItemNeedsOneElement) {
  expect_throws<std::invalid_argument>([] { return tensor({1, 0}, kBool).item<bool>(); },
                                       "item: the tensor has 2 elements (shape [2]), item() needs exactly one");
  EXPECT_EQ(scalar_tensor(41, kInt64).item<std::int64_t>(), 41);
  EXPECT_EQ(scalar_tensor(2.5).item(), 2.5);
}

TEST(Dtype, ConversionsFollowPyTorch) {
  // float to int64 truncates toward zero; to bool is != 0; bool and int64 to float are exact.
  const Tensor x = tensor({-1.7, -0.2, 0.0, 0.9, 2.5}, kFloat64);
  EXPECT_EQ(x.to(kInt64).to_vector(), (std::vector<double>{-1, 0, 0, 0, 2}));
  EXPECT_EQ(x.to(kBool).to_vector(), (std::vector<double>{1, 1, 0, 1, 1}));
  EXPECT_EQ(tensor({5, -3}, kInt64).to(kFloat32).to_vector(), (std::vector<double>{5, -3}));
  EXPECT_EQ(tensor({5, 0}, kInt64).to(kBool).to(kInt64).to_vector(), (std::vector<double>{1, 0}));
}

TEST(Dtype, ConversionsThatWouldBeUndefinedThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expect_throws<std::invalid_argument>([&] { return tensor({1.0, nan}, kFloat64).to(kInt64); },
                                       "to: nan cannot be converted to int64");
  expect_throws<std::invalid_argument>([] { return tensor({1e19}, kFloat64).to(kInt64); },
                                       "to: 1e+19 cannot be converted to int64 (it is NaN or outside int64's range)");
  expect_throws<std::invalid_argument>([] { return tensor({1e30}, kInt64); }, "tensor: 1e+30 cannot be converted");
  Tensor t = zeros({1}, kInt64);
  expect_throws<std::invalid_argument>([&] { return t.fill_(INFINITY); }, "fill_: inf cannot be converted");
  expect_throws<std::invalid_argument>([] { return arange(0, 3, 1, kBool); }, "arange: bool is not a dtype");
}

TEST(Dtype, IntegerAndBoolTensorsNeverRequireGrad) {
  Tensor labels = tensor({1, 2}, kInt64);
  expect_throws<std::invalid_argument>(
      [&] { return labels.requires_grad_(); },
      "requires_grad_: only float32 and float64 tensors can require gradients; this int64 tensor of shape [2] cannot");
  Tensor mask = tensor({1}, kBool);
  expect_throws<std::invalid_argument>([&] { return mask.requires_grad_(); }, "this bool tensor of shape [1] cannot");
  EXPECT_FALSE(labels.requires_grad_(false).requires_grad());
  // Converting a tensor that requires grad to an integer dtype cuts the graph, as in PyTorch.
  const Tensor x = leaf({1.5, 2.5}, {2});
  EXPECT_FALSE(x.to(kInt64).requires_grad());
}

TEST(Dtype, DataOfTheWrongTypeNamesBoth) {
  const Tensor t = tensor({1}, kInt64);
  expect_throws<std::invalid_argument>([&] { return t.data<float>(); },
                                       "data: asked for float32 elements of a int64 tensor");
  expect_throws<std::invalid_argument>([] { return tensor({1}, kBool).data<std::int64_t>(); },
                                       "data: asked for int64 elements of a bool tensor");
}

TEST(Dtype, ArithmeticOnIntegersAsksForAConversion) {
  const Tensor a = tensor({1, 2}, kInt64);
  expect_throws<std::invalid_argument>([&] { return exp(a); },
                                       "needs a float32 or float64 tensor, got int64 (convert it with .to(tg::kFloat32)");
}

TEST(Dtype, Printing) {
  EXPECT_EQ(tensor({3, -1}, kInt64).str(), "tensor([3, -1], shape=[2], dtype=int64)");
  EXPECT_EQ(tensor({1, 0, 1, 1}, {2, 2}, kBool).str(), "tensor([[true, false],\n        [true, true]], shape=[2, 2], dtype=bool)");
  EXPECT_EQ(scalar_tensor(7, kInt64).str(), "tensor(7, shape=[], dtype=int64)");
}

TEST(Dtype, SumOfBoolAndInt64CountsInInt64) {
  const Tensor mask = tensor({1, 0, 1, 1, 1, 0}, {2, 3}, kBool);
  const Tensor all = sum(mask);
  EXPECT_EQ(all.dtype(), kInt64);
  EXPECT_EQ(all.item<std::int64_t>(), 4);
  expect_values(sum(mask, {1}), {2}, {2, 2});
  EXPECT_EQ(sum(mask, {1}).dtype(), kInt64);
  const std::int64_t big = std::int64_t{1} << 60;
  const std::vector<std::int64_t> values = {big, 3};
  EXPECT_EQ(sum(tensor(values, Shape{2})).item<std::int64_t>(), big + 3);  // exact, unlike a double sum
}

TEST(Dtype, ArgmaxGivesInt64) {
  const Tensor x = tensor({0.1, 0.7, 0.2, 0.9, 0.3, 0.1}, {2, 3});
  const Tensor i = argmax(x, 1);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.to_vector(), (std::vector<double>{1, 0}));
  EXPECT_EQ(argmax(tensor({4, 9, 9}, kInt64), 0).item<std::int64_t>(), 1);
}

TEST(Dtype, CloneAndDetachKeepTheDtype) {
  const Tensor m = tensor({1, 0}, kBool);
  const Tensor c = m.clone();
  EXPECT_EQ(c.dtype(), kBool);
  EXPECT_EQ(c.to_vector(), m.to_vector());
  EXPECT_EQ(tensor({4}, kInt64).detach().dtype(), kInt64);
}

class DtypeFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tapegrad-dtype-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(DtypeFiles, SafetensorsRoundTripsInt64AndBool) {
  const std::int64_t big = (std::int64_t{1} << 62) + 5;
  const std::vector<std::int64_t> values = {big, -1, 0};
  const nn::NamedTensors saved = {{"counts", tensor(values, Shape{3})}, {"mask", tensor({1, 0, 0, 1}, {2, 2}, kBool)}};
  nn::save_safetensors(dir_ / "t.safetensors", saved);
  const nn::SafetensorsFile loaded = nn::load_safetensors(dir_ / "t.safetensors");
  ASSERT_EQ(loaded.tensors.size(), 2u);
  EXPECT_EQ(loaded.tensors[0].second.dtype(), kInt64);
  EXPECT_EQ(loaded.tensors[0].second.data<std::int64_t>()[0], big);
  EXPECT_EQ(loaded.tensors[1].second.dtype(), kBool);
  EXPECT_EQ(loaded.tensors[1].second.to_vector(), (std::vector<double>{1, 0, 0, 1}));
}

TEST_F(DtypeFiles, SafetensorsBoolBytesMustBeZeroOrOne) {
  const std::filesystem::path file = dir_ / "mask.safetensors";
  nn::save_safetensors(file, {{"mask", tensor({1, 0, 1}, kBool)}});
  {  // the last byte of the file is the mask's last element: make it 2
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put(2);
  }
  expect_throws<std::invalid_argument>([&] { return nn::load_safetensors(file); },
                                       "tensor 'mask' is BOOL but its element 2 holds the byte 2 (expected 0 or 1)");
}

}  // namespace
}  // namespace tg
