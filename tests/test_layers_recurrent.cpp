// nn::RNN, LSTM and GRU by finite differences: float64 gradcheck of the output and final states with respect
// to the input and the initial states across layers, directions, batch_first and unbatched inputs (the
// parameters' gradients are checked against PyTorch in test_recurrent_modules.cpp and through the scans in
// test_ops_recurrent.cpp), gradgradcheck of a two-layer bidirectional LSTM, and the tape's cost of a layer.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "autograd_testing.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/tapegrad.hpp"

namespace tg {
namespace {

using testing::expect_gradcheck;
using testing::expect_gradgradcheck;
using testing::Inputs;
using testing::random_leaf;

struct LayerCase {
  const char* name;
  nn::RecurrentOptions options;
  bool batched;
};

std::vector<LayerCase> layer_cases() {
  return {{"one layer", {.dtype = kFloat64}, true},
          {"two layers, bidirectional", {.num_layers = 2, .bidirectional = true, .dtype = kFloat64}, true},
          {"batch_first", {.batch_first = true, .dtype = kFloat64}, true},
          {"no bias, unbatched", {.bias = false, .dtype = kFloat64}, false},
          {"relu, two layers", {.num_layers = 2, .nonlinearity = "relu", .dtype = kFloat64}, true}};
}

// Input [T, N, I] (batch_first: [N, T, I]; unbatched: [T, I]) with T = 3, N = 2, I = 3, and an initial state
// [L D, N, H] (unbatched: [L D, H]) for H = 2.
Tensor input_for(const LayerCase& c, std::uint64_t seed) {
  if (!c.batched) return random_leaf({3, 3}, seed);
  return random_leaf(c.options.batch_first ? Shape{2, 3, 3} : Shape{3, 2, 3}, seed);
}
Tensor state_for(const LayerCase& c, std::uint64_t seed) {
  const std::int64_t rows = c.options.num_layers * (c.options.bidirectional ? 2 : 1);
  return random_leaf(c.batched ? Shape{rows, 2, 2} : Shape{rows, 2}, seed);
}

// Output and final states in one tensor, each weighted apart so that a gradient sent to the wrong one shows.
Tensor joined(const Tensor& output, const Tensor& h_n, const Tensor& c_n = {}) {
  Tensor all = cat({reshape(output, {-1}), 2.0 * reshape(h_n, {-1})}, 0);
  return c_n.defined() ? cat({all, 3.0 * reshape(c_n, {-1})}, 0) : all;
}

TEST(RecurrentLayers, GradcheckOfInputAndInitialStateAcrossOptions) {
  for (const LayerCase& c : layer_cases()) {
    SCOPED_TRACE(c.name);
    Generator gen(3);
    nn::RNN rnn(3, 2, gen, c.options);
    expect_gradcheck(
        [&](const Inputs& in) {
          const auto [y, h] = rnn.forward(in[0], in[1]);
          return joined(y, h);
        },
        {input_for(c, 1), state_for(c, 2)});
    if (c.options.nonlinearity != "tanh") continue;  // relu is RNN's alone
    nn::GRU gru(3, 2, gen, c.options);
    expect_gradcheck(
        [&](const Inputs& in) {
          const auto [y, h] = gru.forward(in[0], in[1]);
          return joined(y, h);
        },
        {input_for(c, 3), state_for(c, 4)});
    nn::LSTM lstm(3, 2, gen, c.options);
    expect_gradcheck(
        [&](const Inputs& in) {
          const auto [y, state] = lstm.forward(in[0], std::tuple{in[1], in[2]});
          return joined(y, std::get<0>(state), std::get<1>(state));
        },
        {input_for(c, 5), state_for(c, 6), state_for(c, 7)});
  }
}

TEST(RecurrentLayers, GradgradcheckOfATwoLayerBidirectionalLstm) {
  Generator gen(5);
  nn::LSTM lstm(3, 2, gen, {.num_layers = 2, .bidirectional = true, .dtype = kFloat64});
  expect_gradgradcheck(
      [&](const Inputs& in) {
        const auto [y, state] = lstm.forward(in[0]);
        return joined(y, std::get<0>(state), std::get<1>(state));
      },
      {random_leaf({3, 2, 3}, 8)});
}

TEST(RecurrentLayers, ALayerRecordsAHandfulOfOpsWhateverTheLength) {
  // An LSTM layer records its input product, the bias add, the scan and the views of h and the final
  // states, whatever T is: the records of T = 4 and T = 64 are the same in number.
  Generator gen(7);
  nn::LSTM lstm(3, 4, gen);
  const auto records = [&](std::int64_t steps) {
    testing::settle_tape();
    Tensor x = randn({steps, 2, 3}, gen);
    x.requires_grad_();
    const std::size_t before = tape_size();
    const auto [y, state] = lstm.forward(x);
    return tape_size() - before;
  };
  EXPECT_EQ(records(4), records(64));
  EXPECT_LE(records(64), 12U);
}

}  // namespace
}  // namespace tg
