// tg::to_dot and tg::nn::write_dot: the DOT text of known graphs (nodes, edges, labels), names from a
// module, fan-out, leaves that do not require grad, hostile names, and that the graph survives the export.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "autograd_testing.hpp"
#include "tapegrad/nn.hpp"

namespace {

using tg::Tensor;
using tg::testing::expect_throws;
using tg::testing::expect_values;
using tg::testing::leaf;
namespace fs = std::filesystem;

std::size_t count(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<std::size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}
std::size_t nodes(const std::string& dot) { return count(dot, R"((^|\n)  n[0-9]+ \[)"); }
std::size_t edges(const std::string& dot) { return count(dot, R"(\n  n[0-9]+ -> n[0-9]+;)"); }
std::size_t boxes(const std::string& dot) { return count(dot, R"(shape=box)"); }

// The tutorial's 2-2-1 network in float64 with every neuron's weights [0, 1], as examples/network_221.
std::shared_ptr<tg::nn::Sequential> network_221() {
  const tg::nn::LinearOptions f64{.dtype = tg::kFloat64};
  return std::make_shared<tg::nn::Sequential>(
      std::make_shared<tg::nn::Linear>(2, 2, f64), std::make_shared<tg::nn::Sigmoid>(),
      std::make_shared<tg::nn::Linear>(2, 1, f64), std::make_shared<tg::nn::Sigmoid>());
}

TEST(GraphExport, Network221ForwardAndMseHasFiveRecordsFourParametersEightEdges) {
  const auto model = network_221();
  const Tensor x = tg::tensor({2, 3}, {1, 2}, tg::kFloat64);  // data: requires no grad, so not drawn
  const Tensor y = tg::tensor({1}, {1, 1}, tg::kFloat64);
  const Tensor loss = tg::nn::mse_loss((*model)(x), y);
  // Records, by hand: linear (x W1 + b1), sigmoid, linear (h W2 + b2), sigmoid, mse_loss: 5 ellipses, and
  // the 4 parameters as boxes. Edges: W1, b1 -> linear; linear -> sigmoid; sigmoid, W2, b2 -> linear;
  // linear -> sigmoid; sigmoid -> mse_loss: 2 + 1 + 3 + 1 + 1 = 8 (x and y send none).
  const std::string dot = tg::to_dot(loss, model->named_parameters());
  EXPECT_EQ(nodes(dot), 9U) << dot;
  EXPECT_EQ(boxes(dot), 4U) << dot;
  EXPECT_EQ(edges(dot), 8U) << dot;
  EXPECT_EQ(count(dot, R"(label="linear\\n\[1, 2\] float64")"), 1U) << dot;
  EXPECT_EQ(count(dot, R"(label="sigmoid\\n\[1, 1\] float64")"), 1U) << dot;
  for (const char* label : {"0.weight\\n[2, 2] float64", "0.bias\\n[2] float64", "2.weight\\n[2, 1] float64",
                            "2.bias\\n[1] float64"})
    EXPECT_NE(dot.find(std::string("[shape=box, label=\"") + label + "\"]"), std::string::npos) << label << '\n' << dot;
  // The root is drawn first (sweep order), with a double outline.
  EXPECT_NE(dot.find("  n0 [peripheries=2, label=\"mse_loss\\n[] float64\"];\n"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("leaf"), std::string::npos) << dot;  // every leaf was named
  EXPECT_EQ(tg::to_dot(loss, model->named_parameters()), dot);  // deterministic
}

TEST(GraphExport, FanOutGivesTwoEdgesAndTheWholeTextIsKnown) {
  const Tensor a = leaf({1, 2, 3}, {3});
  EXPECT_EQ(tg::to_dot(tg::sum(a * a), {{"a", a}}),
            "digraph tapegrad {\n"
            "  node [fontname=\"Helvetica\"];\n"
            "  n0 [peripheries=2, label=\"sum\\n[] float64\"];\n"
            "  n1 [label=\"mul\\n[3] float64\"];\n"
            "  n2 [shape=box, label=\"a\\n[3] float64\"];\n"
            "  n1 -> n0;\n"
            "  n2 -> n1;\n"
            "  n2 -> n1;\n"
            "}\n");
}

TEST(GraphExport, UnnamedLeavesAreLabelledLeafAndNamedIntermediatesShowTheirName) {
  const Tensor a = leaf({1, 2}, {2});
  const Tensor h = tg::exp(a);
  const std::string dot = tg::to_dot(tg::sum(h), {{"h", h}});
  EXPECT_NE(dot.find("  n1 [label=\"h\\nexp\\n[2] float64\"];\n"), std::string::npos) << dot;
  EXPECT_NE(dot.find("  n2 [shape=box, label=\"leaf\\n[2] float64\"];\n"), std::string::npos) << dot;
}

// As in PyTorch's graph (torchviz draws only what has a grad_fn or requires grad): a constant operand
// receives no gradient, so the sweep sends it none and it has no node or edge.
TEST(GraphExport, LeafThatDoesNotRequireGradIsNotDrawn) {
  const Tensor a = leaf({1, 2, 3}, {3});
  const Tensor c = tg::tensor({4, 5, 6}, tg::kFloat64);
  const std::string dot = tg::to_dot(tg::sum(a * c), {{"a", a}, {"c", c}});
  EXPECT_EQ(nodes(dot), 3U) << dot;  // sum, mul, a
  EXPECT_EQ(edges(dot), 2U) << dot;
  EXPECT_EQ(boxes(dot), 1U) << dot;
  EXPECT_EQ(dot.find("\"c\\n"), std::string::npos) << dot;
}

TEST(GraphExport, GraphStillBackwardsAfterwardAndNoGradientOrHookIsTouched) {
  const Tensor a = leaf({1, 2, 3}, {3});
  const Tensor b = leaf({0.5, -1, 2}, {3});
  int hook_calls = 0;
  a.register_hook([&](const Tensor&) { ++hook_calls; });
  Tensor h = a * b;
  h.retain_grad();
  const Tensor loss = tg::sum(h * a);  // a^2 b: dloss/da = 2 a b, dloss/db = a^2
  const std::string dot = tg::to_dot(loss);
  EXPECT_EQ(nodes(dot), 5U) << dot;  // sum, mul, mul, a, b
  EXPECT_EQ(edges(dot), 5U) << dot;  // mul(h, a) -> sum; h, a -> mul; a, b -> mul (h): 1 + 2 + 2
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(h.grad().defined());
  EXPECT_EQ(hook_calls, 0);
  loss.backward();
  EXPECT_EQ(hook_calls, 1);
  expect_values(a.grad(), {3}, {1.0, -4.0, 12.0});
  expect_values(b.grad(), {3}, {1.0, 4.0, 9.0});
  expect_values(h.grad(), {3}, {1.0, 2.0, 3.0});
}

// A zero gradient through sqrt at 0 is 0 / 0: the anomaly guard must not take the trace for a backward.
TEST(GraphExport, AnomalyGuardDoesNotFireOnTheTracesZeroGradients) {
  const tg::DetectAnomalyGuard anomaly;
  const Tensor a = leaf({0, 4}, {2});
  EXPECT_EQ(nodes(tg::to_dot(tg::sum(tg::sqrt(a)))), 3U);
  EXPECT_TRUE(tg::is_anomaly_enabled());
}

TEST(GraphExport, HostileNamesAreEscaped) {
  const Tensor a = leaf({1}, {1});
  // A quote that would end the label and add attributes, backslashes (DOT escapes such as \N and \l),
  // line breaks, a control byte, a byte that is not UTF-8, and UTF-8 that stays as it is.
  const std::string name = "a\"]; n9 [label=\"pwned\\N\\\\\n\r\x07\xff\xc3\xa9";
  const std::string dot = tg::to_dot(tg::sum(a), {{name, a}});
  EXPECT_NE(dot.find("[shape=box, label=\"a\\\"]; n9 [label=\\\"pwned\\\\N\\\\\\\\\\n\\\\x0D\\\\x07\\\\xFF\xc3\xa9\\n[1] "
                     "float64\"];\n"),
            std::string::npos)
      << dot;
  EXPECT_EQ(nodes(dot), 2U) << dot;
  // Every line of the body is one statement: no raw line break escaped from a label.
  std::istringstream lines(dot);
  for (std::string line; std::getline(lines, line);)
    EXPECT_TRUE(line == "digraph tapegrad {" || line == "}" || line.ends_with(";")) << line;
}

TEST(GraphExport, RootThatIsALeafIsOneBox) {
  const Tensor a = leaf({1, 2}, {2});
  EXPECT_EQ(tg::to_dot(a, {{"a", a}}),
            "digraph tapegrad {\n  node [fontname=\"Helvetica\"];\n"
            "  n0 [shape=box, peripheries=2, label=\"a\\n[2] float64\"];\n}\n");
  const Tensor constant = tg::zeros({3});
  EXPECT_EQ(nodes(tg::to_dot(constant)), 1U);
}

TEST(GraphExport, UndefinedOrReleasedRootIsAnError) {
  expect_throws<std::invalid_argument>([] { return tg::to_dot(Tensor()); }, "to_dot: the root tensor is undefined");
  const Tensor a = leaf({1, 2}, {2});
  const Tensor loss = tg::sum(a * a);
  loss.backward();  // releases the records
  expect_throws<std::logic_error>([&] { return tg::to_dot(loss); },
                                  "to_dot: the tensor of shape [] is a non-leaf whose records are not on this thread's tape");
}

/// A fresh folder per test, removed afterwards.
class WriteDotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tapegrad_test_graph_export_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WriteDotTest, WritesToDotsTextAndLeavesNoTemporary) {
  const Tensor a = leaf({1, 2}, {2});
  const Tensor loss = tg::sum(tg::exp(a));
  tg::nn::write_dot(dir_ / "graph.dot", loss, {{"a", a}});
  std::ifstream in(dir_ / "graph.dot");
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, tg::to_dot(loss, {{"a", a}}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(WriteDotTest, UnwritablePathIsAnErrorNamingIt) {
  const Tensor a = leaf({1, 2}, {2});
  const Tensor loss = tg::sum(a);
  const fs::path missing = dir_ / "no-such-folder" / "graph.dot";
  expect_throws<tg::nn::CheckpointError>([&] { tg::nn::write_dot(missing, loss); return 0; },
                                         "write_dot: " + missing.string() + ": the folder");
  expect_throws<tg::nn::CheckpointError>([&] { tg::nn::write_dot(dir_, loss); return 0; },
                                         "write_dot: " + dir_.string() + ": is a folder, expected a file");
}

}  // namespace
