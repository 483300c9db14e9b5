// The optimizer comparison's pieces, and issue #3's bar: every optimizer trains the digits network
// (64-128-128-10 sigmoid, batch 64, 50 epochs, default learning rates) to at least 0.9 validation accuracy.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "../examples/compare/experiment.hpp"
#include "../examples/compare/plot.hpp"
#include "../examples/compare/report.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

compare::History run_of(const std::string& name, std::vector<double> losses, std::vector<double> accuracies) {
  compare::History history{name, 0.1, {}, {}};
  for (std::size_t i = 0; i < losses.size(); ++i)
    history.epochs.push_back({static_cast<int>(i) + 1, losses[i], losses[i], accuracies[i], 0.5 * static_cast<double>(i)});
  return history;
}

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

TEST(Compare, StopsAnOptimizerWhoseLossDiverges) {
  const compare::Data data = compare::load_data("digits", 0);
  const auto model = compare::make_model({64, 16, 10}, "sigmoid", 0);
  const auto optimizer = compare::make_optimizer("sgd", 1e308, model->parameters());
  const compare::History history =
      compare::train(*model, *optimizer, data, {.epochs = 3, .batch = 64, .seed = 0, .best_model = {}}, {});
  ASSERT_TRUE(history.diverged.has_value());
  EXPECT_EQ(history.diverged->epoch, 1);
  EXPECT_GE(history.diverged->step, 2);  // the first loss comes from the initial weights: finite
  EXPECT_FALSE(std::isfinite(history.diverged->loss));
  EXPECT_TRUE(history.epochs.empty());  // epoch 1 never finished
}

TEST(Compare, RefusesANetworkThatCannotFitInMemory) {
  try {
    static_cast<void>(compare::parse_layers("64-10000000000-10"));  // 6e12 bytes for weights and gradients
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--layers: '64-10000000000-10' needs 6000.0 GB for its float32 parameters"));
    EXPECT_THAT(e.what(), HasSubstr("its largest layer is 1 (64 x 10000000000)"));
  }
}

TEST(Compare, QuotesEveryNameAsGnuplotData) {
  EXPECT_EQ(compare::gnuplot_string("adam"), "'adam'");
  EXPECT_EQ(compare::gnuplot_string("it's"), "'it''s'");  // a doubled quote is gnuplot's escape
  EXPECT_EQ(compare::gnuplot_string("q\"; system \"x\""), "'q\"; system \"x\"'");
  EXPECT_EQ(compare::gnuplot_string("`touch x` @m \\"), "'`touch x` @m \\'");  // inert inside '...'
  EXPECT_EQ(compare::gnuplot_string("a\nb\t"), "'a'.\"\\012\".'b'.\"\\011\".''");
}

TEST(Compare, PlotsEverythingOnALogScaleWhenItCan) {
  const compare::PlotPlan plan = compare::plan_plot({run_of("adam", {0.5, 0.25}, {0.5, 0.75})});
  EXPECT_TRUE(plan.log_loss);
  EXPECT_THAT(plan.loss, ElementsAre(0u));
  EXPECT_THAT(plan.accuracy, ElementsAre(0u));
  EXPECT_TRUE(plan.notes.empty());
}

TEST(Compare, PlotsAZeroLossOnALinearScaleAndSaysSo) {
  const compare::PlotPlan plan =
      compare::plan_plot({run_of("sgd", {0.5, 0.25}, {0.5, 0.75}), run_of("adam", {0.5, 0.0}, {0.5, 1.0})});
  EXPECT_FALSE(plan.log_loss);
  EXPECT_THAT(plan.loss, ElementsAre(0u, 1u));
  EXPECT_THAT(plan.notes, ElementsAre("the training loss is plotted on a linear scale: adam's is 0 at epoch 2, "
                                      "which a log scale cannot show"));
}

TEST(Compare, LeavesOutWhatCannotBePlottedAndSaysWhat) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  compare::History empty = run_of("sgd", {}, {});
  empty.diverged = compare::Divergence{1, 2, nan};
  const compare::PlotPlan plan =
      compare::plan_plot({empty, run_of("adam", {0.5, nan, inf}, {0.5, 0.6, 0.7}), run_of("rmsprop", {nan}, {0.5})});
  EXPECT_TRUE(plan.log_loss);
  EXPECT_THAT(plan.loss, ElementsAre(1u));
  EXPECT_THAT(plan.accuracy, ElementsAre(1u, 2u));
  EXPECT_THAT(plan.notes,
              ElementsAre("sgd is not in the training loss plot: it finished no epoch",
                          "adam: 2 of 3 training loss values are NaN or infinite (the first at epoch 2) and are not plotted",
                          "rmsprop is not in the training loss plot: none of its values is finite",
                          "sgd is not in the accuracy plot: it finished no epoch"));
  EXPECT_TRUE(plan.drawable());
  EXPECT_FALSE(compare::plan_plot({empty}).drawable());
}

// The CSV goes to a temporary beside the destination and is renamed onto it: nothing else is left there.
TEST(Compare, WritesTheHistoryCsvAtomically) {
  const fs::path folder = fs::path(TAPEGRAD_BINARY_DIR) / "test-compare-csv";
  fs::remove_all(folder);
  fs::create_directories(folder / "history-is-a-folder.csv");
  const std::vector<compare::History> runs{run_of("adam", {0.5, 0.25}, {0.5, 0.75})};
  compare::write_csv(runs, folder / "history.csv");
  compare::write_csv(runs, folder / "history.csv");  // replaces the first
  std::ifstream in(folder / "history.csv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "optimizer,lr,epoch,train_loss,eval_loss,eval_accuracy,seconds\n"
            "adam,0.1,1,0.5,0.5,0.5,0\nadam,0.1,2,0.25,0.25,0.75,0.5\n");
  try {
    compare::write_csv(runs, folder / "history-is-a-folder.csv");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot write " + (folder / "history-is-a-folder.csv").string() + ": "));
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("history-is-a-folder.csv", "history.csv"));  // no temporary left behind
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
