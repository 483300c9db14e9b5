// The optimizer comparison's pieces, and issue #3's bar: every optimizer trains the digits network
// (64-128-128-10 sigmoid, batch 64, 50 epochs, default learning rates) to at least 0.9 validation accuracy.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "../examples/compare/experiment.hpp"

namespace {

using ::testing::HasSubstr;

TEST(Compare, EveryOptimizerTrainsTheDigitsNetworkToNinetyPercent) {
  const compare::Data data = compare::load_data("digits", 0);
  for (const std::string& name : compare::optimizer_names()) {
    const auto model = compare::make_model({64, 128, 128, 10}, "sigmoid", 0);
    const auto optimizer = compare::make_optimizer(name, compare::default_lr(name, "digits"), model->parameters());
    const compare::History history = compare::train(*model, *optimizer, data, {.epochs = 50, .batch = 64, .seed = 0, .best_model = {}}, {});
    EXPECT_GE(compare::best_accuracy(history), 0.9) << name;
  }
}

TEST(Compare, EveryOptimizerStartsFromTheSameWeights) {
  const auto a = compare::make_model({64, 128, 10}, "relu", 7);
  const auto b = compare::make_model({64, 128, 10}, "relu", 7);
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  ASSERT_EQ(pa.size(), 4u);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_EQ(pa[i].second.to_vector(), pb[i].second.to_vector());
  }
}

TEST(Compare, ParsesLayerLists) {
  EXPECT_EQ(compare::parse_layers("64-128-128-10"), (std::vector<std::int64_t>{64, 128, 128, 10}));
  EXPECT_THROW(static_cast<void>(compare::parse_layers("64")), std::invalid_argument);
  try {
    static_cast<void>(compare::parse_layers("64-x-10"));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--layers: 'x' in '64-x-10' is not a positive width"));
  }
}

TEST(Compare, RejectsUnknownActivation) {
  try {
    static_cast<void>(compare::make_model({4, 2}, "swish", 0));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--activation: unknown activation 'swish'"));
  }
}

// --header: a CSV file whose first line names the columns loads with it, and fails on the names without it.
TEST(Compare, HeaderSkipsTheColumnNamesOfACsvFile) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tapegrad-compare-header-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(file) << "height,weight,label\n" << "1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n13,14,0\n"
                      << "15,16,1\n17,18,0\n19,20,1\n";
  const compare::Data data = compare::load_data(file.string(), 0, true);
  EXPECT_EQ(data.train.size() + data.eval.size(), 10);
  EXPECT_EQ(data.train.num_classes, 2);
  try {
    static_cast<void>(compare::load_data(file.string(), 0));
    ADD_FAILURE() << "the header line loaded as numbers";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 1, field 1: \"height\" is not a number"));
  }
  EXPECT_THROW(static_cast<void>(compare::load_data("digits", 0, true)), std::invalid_argument);
  std::filesystem::remove(file);
}

}  // namespace
