// The char_rnn example's two min-char-rnn implementations (examples/char_rnn.hpp): CharRnn on tapegrad's
// nn::RNN and nn::Linear with autograd, and rnn_forward / rnn_backward written by hand. In float64 they must
// give the same loss, the same gradient of every parameter and the same last hidden state to 1e-12, chunk
// after chunk with the hidden state carried over (detached), for two configurations; and min-char-rnn's
// Adagrad and clipping must be what the example's tg::optim calls do.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "char_rnn.hpp"
#include "tapegrad/optim/adagrad.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace cr = examples::char_rnn;

constexpr double kTolerance = 1e-12;

// Genesis 1:1-3 (King James Version, public domain), the start of the example's default text.
constexpr const char* kGenesis =
    "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void; and "
    "darkness was upon the face of the deep.\n";

struct Config {
  std::string text;
  std::int64_t hidden;
  std::int64_t seq;
  std::uint64_t seed;
  double scale;            // of Wxh, Why and the biases: large enough that tanh saturates in part
  double recurrent_scale;  // of Whh: small enough that h_t = tanh(... + Whh h_{t-1}) contracts
};

// Every parameter N(0, scale^2), biases included (so bias_ih and bias_hh differ), Whh N(0, recurrent^2).
// A Whh whose gain scale * sqrt(H) is well above 1 makes the recurrence chaotic: the two implementations,
// both right, sum their products in different orders, and such 1e-16 differences then grow chunk after
// chunk. With Whh N(0, 0.3^2) at H = 100, 1e-15 added to h0 grows to 2e-13 in h after one chunk and 3e-10
// after three, and the gradients of the two parted by 1e-9 in the first chunk and 1e-6 in the second; with
// N(0, 0.05^2) the difference stays at 4e-16. So the check to 1e-12 takes a contracting Whh.
void randomize(cr::CharRnn& model, tg::Generator& gen, double scale, double recurrent_scale) {
  for (const auto& [name, p] : model.named_parameters()) {
    tg::Tensor t = p;
    tg::nn::init::normal_(t, gen, 0.0, name == "rnn.weight_hh_l0" ? recurrent_scale : scale);
  }
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

double max_abs(const std::vector<double>& a) {
  double top = 0;
  for (const double v : a) top = std::max(top, std::abs(v));
  return top;
}

// The hand-written gradients against autograd's, array by array, and each of them far from zero.
void expect_same_gradients(const cr::RnnWeights& hand, const cr::RnnWeights& autograd, const std::string& where) {
  const char* names[] = {"dWxh", "dWhh", "dWhy", "dbh", "dby"};
  const std::vector<const std::vector<double>*> h = hand.arrays();
  const std::vector<const std::vector<double>*> a = autograd.arrays();
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_LE(max_abs_diff(*h[i], *a[i]), kTolerance) << where << ": " << names[i];
    EXPECT_GT(max_abs(*h[i]), 1e-3) << where << ": " << names[i] << " is too small to test anything";
  }
}

// One chunk by both implementations: returns the autograd loss; carries both hidden states on.
double check_chunk(cr::CharRnn& model, const cr::RnnWeights& w, std::span<const std::int64_t> inputs,
                   std::span<const std::int64_t> targets, tg::Tensor& h, std::vector<double>& hprev,
                   const std::string& where) {
  const auto T = static_cast<std::int64_t>(inputs.size());
  model.zero_grad();
  const cr::Chunk chunk = model.loss(tg::tensor(inputs, {T}), tg::tensor(targets, {T}), h);
  chunk.loss.backward();
  cr::RnnActivations acts;
  cr::RnnWeights grads;
  const double hand_loss = cr::rnn_forward(w, inputs, targets, hprev, acts);
  cr::rnn_backward(w, inputs, targets, acts, grads);

  EXPECT_NEAR(chunk.loss.item(), hand_loss, kTolerance) << where;
  expect_same_gradients(grads, cr::gradients_of(model), where);
  // bias_hh's gradient is dbh too: the two biases enter the recurrence only as their sum
  EXPECT_LE(max_abs_diff(model.rnn->all_weights(0)[3].grad().to_vector(), grads.bh), kTolerance) << where;
  const std::vector<double> h_last(acts.hs.end() - w.hidden, acts.hs.end());
  EXPECT_EQ(chunk.h.shape().str(), tg::Shape({1, w.hidden}).str()) << where;
  EXPECT_LE(max_abs_diff(chunk.h.to_vector(), h_last), kTolerance) << where;
  h = chunk.h.detach();  // truncated BPTT: the next chunk starts from the value, not the history
  hprev = h_last;
  return chunk.loss.item();
}

// Three chunks of seq characters, each starting from the state the previous one ended in.
std::vector<double> check_chunks(const Config& c) {
  const cr::Vocabulary vocab(c.text);
  const std::vector<std::int64_t> ids = vocab.encode(c.text);
  tg::Generator gen(c.seed);
  cr::CharRnn model(vocab.size(), c.hidden, gen);
  randomize(model, gen, c.scale, c.recurrent_scale);
  const cr::RnnWeights w = cr::weights_of(model);
  tg::Tensor h = model.zero_state();
  std::vector<double> hprev(static_cast<std::size_t>(c.hidden), 0.0);
  std::vector<double> losses;
  for (std::int64_t p = 0; p + c.seq + 1 <= static_cast<std::int64_t>(ids.size()) && losses.size() < 3; p += c.seq) {
    const std::span<const std::int64_t> all(ids);
    const auto start = static_cast<std::size_t>(p);
    const auto n = static_cast<std::size_t>(c.seq);
    losses.push_back(check_chunk(model, w, all.subspan(start, n), all.subspan(start + 1, n), h, hprev,
                                 "H " + std::to_string(c.hidden) + " chunk " + std::to_string(losses.size())));
  }
  EXPECT_EQ(losses.size(), 3U);
  return losses;
}

TEST(CharRnn, HandWrittenBpttMatchesAutogradAcrossChunks) {
  // min-char-rnn's sizes: hidden 100, chunks of 25 characters
  const std::vector<double> losses = check_chunks({kGenesis, 100, 25, 7, 1.0, 0.05});
  // what both gave, pinned so that a change to either shows (Generator draws the same numbers everywhere);
  // about 16 nats a character, as the random weights make confident logits (Why's rows N(0, 1), |h| near 1)
  ASSERT_EQ(losses.size(), 3U);
  EXPECT_NEAR(losses[0], 403.89164465347159, 1e-9);
  EXPECT_NEAR(losses[1], 309.00778708196373, 1e-9);
  EXPECT_NEAR(losses[2], 347.05974926902337, 1e-9);
}

TEST(CharRnn, HandWrittenBpttMatchesAutogradOnASecondConfiguration) {
  check_chunks({"hello, world; hello, tapegrad. hello again, world.", 7, 6, 3, 1.5, 0.2});
}

// kGenesis encoded, and a CharRnn on it: min-char-rnn's initialisation, or randomize()'s with scale > 0.
struct Genesis {
  Genesis(std::uint64_t seed, std::int64_t hidden, double scale = 0, double recurrent_scale = 0)
      : gen(seed), model(vocab.size(), hidden, gen) {
    if (scale > 0) randomize(model, gen, scale, recurrent_scale);
  }
  [[nodiscard]] std::span<const std::int64_t> chars(std::size_t start, std::size_t n) const {
    return std::span<const std::int64_t>(ids).subspan(start, n);
  }
  [[nodiscard]] tg::Tensor tensor(std::size_t start, std::size_t n) const {
    return tg::tensor(chars(start, n), {static_cast<std::int64_t>(n)});
  }

  cr::Vocabulary vocab{kGenesis};
  std::vector<std::int64_t> ids = vocab.encode(kGenesis);
  tg::Generator gen;
  cr::CharRnn model;
};

// The carried state matters: the second chunk's loss from chunk one's last state is not its loss from zeros.
TEST(CharRnn, CarriedStateChangesTheNextChunksLoss) {
  const Genesis g(7, 100, 1.0, 0.05);
  const cr::RnnWeights w = cr::weights_of(g.model);
  cr::RnnActivations acts;
  const std::vector<double> zeros(100, 0.0);
  (void)cr::rnn_forward(w, g.chars(0, 25), g.chars(1, 25), zeros, acts);
  const std::vector<double> carried(acts.hs.end() - 100, acts.hs.end());
  const double from_carried = cr::rnn_forward(w, g.chars(25, 25), g.chars(26, 25), carried, acts);
  const double from_zeros = cr::rnn_forward(w, g.chars(25, 25), g.chars(26, 25), zeros, acts);
  EXPECT_GT(std::abs(from_carried - from_zeros), 1e-3);
}

// min-char-rnn's initialisation (weights N(0, 0.01^2), biases 0) makes every prediction nearly uniform:
// the first chunk's loss is about seq * log(V), min-char-rnn's smooth_loss at iteration 0.
TEST(CharRnn, InitialLossIsSeqTimesLogVocab) {
  Genesis g(1, 100);
  const cr::Chunk chunk = g.model.loss(g.tensor(0, 25), g.tensor(1, 25), g.model.zero_state());
  EXPECT_EQ(g.vocab.size(), 28);
  EXPECT_NEAR(chunk.loss.item(), 25 * std::log(28.0), 0.01);
  for (const tg::Tensor& b : {g.model.rnn->all_weights(0)[2], g.model.rnn->all_weights(0)[3], g.model.head->bias})
    EXPECT_EQ(max_abs(b.to_vector()), 0.0);
}

// Large weights give gradients beyond 5: clip_grad_value_ on the autograd gradients clamps them exactly as
// min-char-rnn's np.clip does on the hand-written ones (each of the two biases as bh).
TEST(CharRnn, ClipGradValueIsMinCharRnnsClip) {
  Genesis g(5, 16, 3.0, 0.1);
  const cr::RnnWeights w = cr::weights_of(g.model);
  g.model.loss(g.tensor(0, 25), g.tensor(1, 25), g.model.zero_state()).loss.backward();
  cr::RnnActivations acts;
  cr::RnnWeights grads;
  (void)cr::rnn_forward(w, g.chars(0, 25), g.chars(1, 25), std::vector<double>(16, 0.0), acts);
  cr::rnn_backward(w, g.chars(0, 25), g.chars(1, 25), acts, grads);
  double largest = 0;
  for (const std::vector<double>* a : std::as_const(grads).arrays()) largest = std::max(largest, max_abs(*a));
  EXPECT_GT(largest, 5.0);  // so that clipping changes something

  tg::optim::clip_grad_value_(g.model.parameters(), 5.0);
  cr::clip_(grads, 5.0);
  const cr::RnnWeights clipped = cr::gradients_of(g.model);
  const std::vector<const std::vector<double>*> h = std::as_const(grads).arrays();
  const std::vector<const std::vector<double>*> a = clipped.arrays();
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_LE(max_abs_diff(*h[i], *a[i]), kTolerance) << i;
    EXPECT_LE(max_abs(*a[i]), 5.0) << i;
  }
}

// One step from a zero accumulator, p -= lr d / sqrt(d^2 + 1e-8) in min-char-rnn, for gradients from 1e-9 to
// 10: tg::optim::Adagrad with min_char_rnn_adagrad() steps between 1/sqrt(2) and 1 times as far, and the
// same to 1e-3 at both ends (d <= 1e-9, d >= 1); with Adagrad's default eps (1e-10) it would step 100
// times as far at d = 1e-6.
TEST(CharRnn, AdagradStepsAsMinCharRnnsWithinSqrtTwo) {
  const std::vector<double> grads = {1e-9, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
  const auto n = static_cast<std::int64_t>(grads.size());
  const auto steps_of = [&](const tg::optim::AdagradOptions& options) {
    tg::Tensor p = tg::zeros({n}, tg::kFloat64).requires_grad_();
    tg::optim::Adagrad adagrad({p}, options);
    p.set_grad(tg::tensor(grads, {n}, tg::kFloat64));
    adagrad.step();
    std::vector<double> steps = p.to_vector();
    for (double& s : steps) s = -s;
    return steps;
  };
  const std::vector<double> ours = steps_of(cr::min_char_rnn_adagrad());
  const std::vector<double> defaults = steps_of({.lr = 0.1});
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const double d = grads[i];
    const double min_char_rnn = 0.1 * d / std::sqrt(d * d + 1e-8);  // mem = 0 + d * d
    const double ratio = ours[i] / min_char_rnn;
    EXPECT_GE(ratio, 1 / std::sqrt(2.0) - 1e-12) << "d = " << d;
    EXPECT_LE(ratio, 1 + 1e-12) << "d = " << d;
    if (d <= 1e-9 || d >= 1.0) {
      EXPECT_NEAR(ratio, 1.0, 1e-3) << "d = " << d;
    }
    if (d == 1e-4) {
      EXPECT_NEAR(ratio, 1 / std::sqrt(2.0), 1e-12);  // the widest gap, at mem = 1e-8
    }
    if (d == 1e-6) {
      EXPECT_NEAR(defaults[i] / min_char_rnn, 100.0, 1.0);
    }
  }
}

TEST(CharRnn, VocabularyIsSortedAndRoundTrips) {
  const cr::Vocabulary vocab("banana!");
  ASSERT_EQ(vocab.size(), 4);
  EXPECT_EQ(std::string({vocab.at(0), vocab.at(1), vocab.at(2), vocab.at(3)}), "!abn");
  EXPECT_EQ(vocab.encode("nab!"), (std::vector<std::int64_t>{3, 1, 2, 0}));
  EXPECT_THROW((void)vocab.encode("x"), std::invalid_argument);
}

}  // namespace
