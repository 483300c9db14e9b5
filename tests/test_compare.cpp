// The optimizer comparison's pieces, and issue #3's bar: every optimizer trains the digits network
// (64-128-128-10 sigmoid, batch 64, 50 epochs, default learning rates) to at least 0.9 validation accuracy.
// Issue #18's pieces: statistics over seeds, the sweep grid and its choice, the three-way split, the reports.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "../examples/compare/document.hpp"
#include "../examples/compare/experiment.hpp"
#include "../examples/compare/model.hpp"
#include "../examples/compare/parallel.hpp"
#include "../examples/compare/plot.hpp"
#include "../examples/compare/report.hpp"
#include "../examples/compare/stats.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// A run whose validation and test values equal its training loss and accuracy, epoch i at 0.5 i seconds.
compare::History run_of(const std::string& name, std::vector<double> losses, std::vector<double> accuracies) {
  compare::History history{name, 0.1, 0, {}, {}};
  for (std::size_t i = 0; i < losses.size(); ++i)
    history.epochs.push_back({static_cast<int>(i) + 1, losses[i], losses[i], accuracies[i], losses[i], accuracies[i],
                              0.5 * static_cast<double>(i)});
  return history;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the invalid_argument thrown by `f` says ("" and a failure if nothing is thrown).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected std::invalid_argument";
  return "";
}

TEST(Compare, EveryOptimizerTrainsTheDigitsNetworkToNinetyPercent) {
  const compare::Data data = compare::load_data("digits", 0);
  for (const std::string& name : compare::optimizer_names()) {
    const auto model = compare::make_model({64, 128, 128, 10}, "sigmoid", 0);
    const auto optimizer = compare::make_optimizer(name, compare::default_lr(name, "digits"), model->parameters());
    const compare::History history = compare::train(*model, *optimizer, data, {.epochs = 50, .batch = 64, .seed = 0, .best_model = {}, .model = {}}, {});
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
      compare::train(*model, *optimizer, data, {.epochs = 3, .batch = 64, .seed = 0, .best_model = {}, .model = {}}, {});
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
  const std::vector<compare::Config> configs{{"adam", 0.1, {run_of("adam", {0.5, 0.25}, {0.5, 0.75})}}};
  compare::write_atomically(folder / "history.csv", compare::history_csv(configs));
  compare::write_atomically(folder / "history.csv", compare::history_csv(configs));  // replaces the first
  EXPECT_EQ(read_text(folder / "history.csv"),
            "optimizer,lr,seed,epoch,train_loss,val_loss,val_accuracy,test_loss,test_accuracy\n"
            "adam,0.1,0,1,0.5,0.5,0.5,0.5,0.5\nadam,0.1,0,2,0.25,0.25,0.75,0.25,0.75\n");
  EXPECT_EQ(compare::times_csv(configs), "optimizer,lr,seed,epoch,seconds\nadam,0.1,0,1,0\nadam,0.1,0,2,0.5\n");
  try {
    compare::write_atomically(folder / "history-is-a-folder.csv", compare::history_csv(configs));
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
  EXPECT_EQ(data.train.size() + data.validation.size() + data.test.size(), 10);
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

// mean (1 + 2 + 3 + 4) / 4 = 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 over n - 1 = 3.
TEST(CompareStats, SummarizesMeanSampleStdMinAndMax) {
  const compare::Summary s = compare::summarize({3, 1, 4, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(5.0 / 3.0));
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 4);
  const compare::Summary one = compare::summarize({0.75});
  EXPECT_EQ(one.mean, 0.75);
  EXPECT_EQ(one.std, 0);  // one seed: no spread, not NaN
  EXPECT_EQ(compare::summarize({}).n, 0u);
}

// Run b reaches 0.8 at epoch 2, a never does; the diverged run counts only as diverged.
TEST(CompareStats, SummarizesAConfigurationOverItsSeeds) {
  compare::History diverged{"adam", 0.1, 2, {}, compare::Divergence{1, 3, std::nan("")}};
  const compare::Config config{
      "adam", 0.1, {run_of("adam", {0.5, 0.25}, {0.5, 0.75}), run_of("adam", {0.5, 0.125}, {0.875, 0.625}), diverged}};
  const compare::ConfigSummary s = compare::summarize(config, 0.8);
  EXPECT_EQ(s.seeds, 3u);
  EXPECT_EQ(s.diverged, 1u);
  EXPECT_EQ(s.reached, 1u);
  EXPECT_EQ(s.epochs_to_target.mean, 1);
  EXPECT_EQ(s.final_train_loss.mean, 0.1875);        // (0.25 + 0.125) / 2
  EXPECT_EQ(s.final_val_accuracy.mean, 0.6875);      // (0.75 + 0.625) / 2
  EXPECT_EQ(s.best_val_accuracy.mean, 0.8125);       // (0.75 + 0.875) / 2
  EXPECT_EQ(s.final_test_accuracy.max, 0.75);
  EXPECT_EQ(s.seconds.mean, 0.5);
}

TEST(CompareStats, ChoosesTheRateByMeanFinalValidationAccuracyThenLoss) {
  compare::History diverged{"sgd", 0.4, 1, {}, compare::Divergence{1, 2, std::nan("")}};
  const std::vector<compare::Config> configs{
      {"sgd", 0.1, {run_of("sgd", {0.5, 0.25}, {0.5, 0.75}), run_of("sgd", {0.5, 0.25}, {0.5, 0.75})}},
      {"sgd", 0.2, {run_of("sgd", {0.5, 0.125}, {0.5, 0.75}), run_of("sgd", {0.5, 0.125}, {0.5, 0.75})}},  // tie, lower loss
      {"sgd", 0.3, {run_of("sgd", {0.5, 0.25}, {0.5, 0.5}), run_of("sgd", {0.5, 0.25}, {0.5, 0.875})}},  // lower mean
      {"sgd", 0.4, {run_of("sgd", {0.5, 0.1}, {0.5, 1.0}), diverged}},  // best accuracy, but a run diverged
  };
  EXPECT_EQ(compare::choose_best(configs), 1u);
  EXPECT_EQ(compare::choose_best({configs[0], configs[0]}), 0u);  // a full tie goes to the first (lower) rate
  EXPECT_EQ(compare::choose_best({configs[3], configs[2]}), 1u);
}

TEST(CompareStats, AggregatesCurvesOverTheRunsThatHaveEachEpoch) {
  const compare::Curves c = compare::aggregate(
      {"adam", 0.1, {run_of("adam", {0.5, 0.25}, {0.5, 0.75}), run_of("adam", {0.25}, {0.75})}});
  ASSERT_EQ(c.mean.epochs.size(), 2u);
  EXPECT_EQ(c.mean.optimizer, "adam");
  EXPECT_EQ(c.mean.epochs[0].train_loss, 0.375);
  EXPECT_EQ(c.low.epochs[0].train_loss, 0.25);
  EXPECT_EQ(c.high.epochs[0].val_accuracy, 0.75);
  EXPECT_EQ(c.mean.epochs[1].train_loss, 0.25);  // only the first run finished epoch 2
  EXPECT_EQ(c.low.epochs[1].val_accuracy, 0.75);
}

TEST(CompareSweep, ParsesGridsAndSpacesThemLogarithmically) {
  const std::vector<compare::LrGrid> grids = compare::parse_sweep({"adam:1e-4..1e-2:5", "sgd:0.1..1"});
  ASSERT_EQ(grids.size(), 2u);
  EXPECT_EQ(grids[0].optimizer, "adam");
  EXPECT_EQ(grids[0].low, 1e-4);
  EXPECT_EQ(grids[0].high, 1e-2);
  EXPECT_EQ(grids[1].points, 5);  // left out: 5
  // 10^-4, 10^-3.5, 10^-3, 10^-2.5, 10^-2; the inner ones to 3 significant digits
  EXPECT_THAT(compare::grid_rates(grids[0]), ElementsAre(1e-4, 0.000316, 0.001, 0.00316, 0.01));
  EXPECT_THAT(compare::grid_rates({"sgd", 1, 8, 4}), ElementsAre(1, 2, 4, 8));
  // the default: center/10 .. center*10, the middle the center itself even when it has more digits
  EXPECT_THAT(compare::default_grid(0.5), ElementsAre(0.05, 0.158, 0.5, 1.58, 5));
  EXPECT_THAT(compare::default_grid(3.14159e-4), ElementsAre(3.14e-5, 9.93e-5, 3.14159e-4, 0.000993, 0.00314));
}

TEST(CompareSweep, RefusesBadGridsByName) {
  const auto parse = [](std::string entry) { return [entry] { static_cast<void>(compare::parse_sweep({entry})); }; };
  EXPECT_THAT(error_of(parse("adam:1e-2..1e-4:5")),
              HasSubstr("--lr-sweep: 'adam:1e-2..1e-4:5': the low rate 0.01 is not below the high rate 0.0001"));
  EXPECT_THAT(error_of(parse("adam:1e-4..1e-2:0")),
              HasSubstr("--lr-sweep: 'adam:1e-4..1e-2:0' asks for 0 points; a sweep needs a whole number from 2 to 50"));
  EXPECT_THAT(error_of(parse("adam:1e-4..1e-2:2.5")), HasSubstr("asks for 2.5 points"));
  EXPECT_THAT(error_of(parse("adam:1e-4..1e-2:")), HasSubstr("asks for no points"));
  EXPECT_THAT(error_of(parse("adamz:1e-4..1e-2")),
              HasSubstr("--lr-sweep: unknown optimizer 'adamz' in 'adamz:1e-4..1e-2' (choose sgd, momentum, adagrad, "
                        "rmsprop, adam, adamw or adadelta)"));
  EXPECT_THAT(error_of(parse("adam")), HasSubstr("--lr-sweep: 'adam' is not OPTIMIZER:LOW..HIGH[:POINTS]"));
  EXPECT_THAT(error_of(parse("adam:1e-3")), HasSubstr("is not OPTIMIZER:LOW..HIGH[:POINTS]"));
  EXPECT_THAT(error_of(parse("adam:x..1e-2")), HasSubstr("--lr-sweep: 'x' in 'adam:x..1e-2' is not a positive learning rate"));
  EXPECT_THAT(error_of(parse("adam:-1..1e-2")), HasSubstr("'-1' in 'adam:-1..1e-2' is not a positive learning rate"));
  EXPECT_THAT(error_of(parse("adam:1e-4..inf")), HasSubstr("'inf' in 'adam:1e-4..inf' is not a positive learning rate"));
  EXPECT_THAT(error_of(parse("adam:1e-4..1.001e-4:50")), HasSubstr("adam's 50 points from 0.0001 to 0.0001001 are closer"));
  EXPECT_THAT(error_of([] { static_cast<void>(compare::parse_sweep({"adam:1e-4..1e-2", "adam:1e-3..1e-1"})); }),
              HasSubstr("--lr-sweep: adam has two grids"));
}

// n samples whose only feature is their index, so that every sample can be traced.
tg::nn::Dataset numbered(std::int64_t n) {
  std::vector<double> x;
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<double>(i));
    y.push_back(i % 2);
  }
  return {tg::tensor(x, {n, 1}, tg::kFloat64), tg::tensor(y, {n}), 2};
}

std::vector<double> ids(const tg::nn::Dataset& d) { return d.inputs.to_vector(); }

TEST(CompareSplit, SplitsThreeWaysDisjointlyAndReproducibly) {
  const compare::Data a = compare::split_three_ways(numbered(57), 3, "numbered");
  EXPECT_EQ(a.test.size(), 6);  // round(5.7)
  EXPECT_EQ(a.validation.size(), 6);
  EXPECT_EQ(a.train.size(), 45);
  std::vector<double> all = ids(a.train);
  for (const auto* part : {&a.validation, &a.test}) {
    const std::vector<double> more = ids(*part);
    all.insert(all.end(), more.begin(), more.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<double> expected(57);
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<double>(i);
  EXPECT_EQ(all, expected);  // every sample once: disjoint and complete
  const compare::Data b = compare::split_three_ways(numbered(57), 3, "numbered");
  EXPECT_EQ(ids(a.test), ids(b.test));
  EXPECT_EQ(ids(a.validation), ids(b.validation));
  EXPECT_EQ(ids(a.train), ids(b.train));
  EXPECT_NE(ids(compare::split_three_ways(numbered(57), 4, "numbered").test), ids(a.test));
  EXPECT_EQ(compare::split_three_ways(numbered(5), 0, "five").train.size(), 3);
  EXPECT_THAT(error_of([] { static_cast<void>(compare::split_three_ways(numbered(4), 0, "four.csv")); }),
              HasSubstr("--dataset: four.csv has 4 samples, too few for a training, a validation and a test set"));
}

TEST(CompareSplit, DigitsHaveATestSetApartFromValidation) {
  const compare::Data data = compare::load_data("digits", 0);
  EXPECT_EQ(data.train.size(), 1437);
  EXPECT_EQ(data.validation.size(), 180);
  EXPECT_EQ(data.test.size(), 180);
}

TEST(CompareParallel, CollectsResultsByIndexAndRethrowsTheFirstError) {
  const std::function<int(std::size_t)> square = [](std::size_t i) { return static_cast<int>(i * i); };
  EXPECT_EQ(compare::run_parallel<int>(10, 3, square), compare::run_parallel<int>(10, 1, square));
  EXPECT_THAT(compare::run_parallel<int>(4, 8, square), ElementsAre(0, 1, 4, 9));
  const std::function<int(std::size_t)> fails = [](std::size_t i) -> int {
    if (i == 2) throw std::invalid_argument("two");
    return 0;
  };
  EXPECT_THAT(error_of([&] { static_cast<void>(compare::run_parallel<int>(6, 2, fails)); }), HasSubstr("two"));
}

TEST(CompareReport, FormatsSummariesAndAlignsByCharacters) {
  EXPECT_EQ(compare::summary_cell({3, 0.5, 0.125, 0.375, 0.625}, "%.3f"), "0.500 ± 0.125 (0.375–0.625)");
  EXPECT_EQ(compare::summary_cell({1, 0.5, 0, 0.5, 0.5}, "%.3f"), "0.500");
  EXPECT_EQ(compare::summary_cell({2, 31.5, 0.5, 31, 32}, "%.1f", "%.0f"), "31.5 ± 0.5 (31–32)");
  EXPECT_EQ(compare::summary_cell({}, "%.3f"), "-");
  EXPECT_EQ(compare::markdown({{"a", "b"}, {"1 ± 2", "x"}}), "| a     | b |\n|-------|---|\n| 1 ± 2 | x |\n");
  EXPECT_EQ(compare::csv_field("plain"), "plain");
  EXPECT_EQ(compare::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(compare::csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
  EXPECT_EQ(compare::shell_word("adam:1e-4..1e-2:5"), "adam:1e-4..1e-2:5");
  EXPECT_EQ(compare::shell_word("it's here"), "'it'\\''s here'");
  EXPECT_EQ(compare::shell_word(""), "''");
  EXPECT_EQ(compare::html_escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
}

TEST(CompareReport, RunsCsvHoldsEveryRunsSettingsAndSeed) {
  const std::vector<compare::Config> configs{{"adam", 0.1, {run_of("adam", {0.5}, {0.5})}}};
  EXPECT_EQ(compare::runs_csv(configs, {true}, {{"dataset", "a,b.csv"}, {"batch", "64"}}),
            "run,optimizer,lr,seed,chosen,status,dataset,batch\n0,adam,0.1,0,yes,finished,\"a,b.csv\",64\n");
}

TEST(CompareReport, WritesSelfContainedHtmlAndMarkdown) {
  const fs::path folder = fs::path(TAPEGRAD_BINARY_DIR) / "test-compare-report";
  fs::remove_all(folder);
  fs::create_directories(folder);
  std::ofstream(folder / "plot.svg") << "<?xml version=\"1.0\" encoding=\"utf-8\"  standalone=\"no\"?>\n"
                                     << "<svg width=\"10\" height=\"10\"><rect width=\"5\" height=\"5\"/></svg>\n";
  const compare::Provenance where{"compare_optimizers --out 'a b'", "0.1.0", "Some CPU, 2 cores", "2026-12-02 17:00:00 UTC"};
  compare::write_reports(folder, "title <x>", where, {"batch 64"},
                         {{"Results", "Mean over seeds.", {{"optimizer", "acc"}, {"adam", "0.9 ± 0.1"}}, folder / "plot"}},
                         {"a note"});
  const std::string html = read_text(folder / "report.html");
  EXPECT_THAT(html, HasSubstr("<title>title &lt;x&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("compare_optimizers --out 'a b'"));
  EXPECT_THAT(html, HasSubstr("tapegrad 0.1.0"));
  EXPECT_THAT(html, HasSubstr("machine: Some CPU, 2 cores"));
  EXPECT_THAT(html, HasSubstr("date: 2026-12-02 17:00:00 UTC"));
  EXPECT_THAT(html, HasSubstr("<tr><td>adam</td><td>0.9 ± 0.1</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<figure>\n<svg width=\"10\" height=\"10\"><rect"));
  EXPECT_THAT(html, Not(HasSubstr("<?xml")));  // the prolog may not appear inside HTML
  EXPECT_THAT(html, Not(HasSubstr("src=")));   // nothing to fetch
  EXPECT_THAT(html, HasSubstr("<li>a note</li>"));
  const std::string md = read_text(folder / "report.md");
  EXPECT_THAT(md, HasSubstr("```\ncompare_optimizers --out 'a b'\n```"));
  EXPECT_THAT(md, HasSubstr("| adam      | 0.9 ± 0.1 |"));
  EXPECT_THAT(md, HasSubstr("![Results](plot.png)"));
}

}  // namespace
