#pragma once
// Shared by examples/char_rnn.cpp and tests/test_char_rnn.cpp: Karpathy's min-char-rnn (a vanilla RNN
// character language model, 2015) twice, side by side:
//   - CharRnn, on tapegrad modules: one-hot -> nn::RNN(V, H) -> nn::Linear(H, V) -> cross-entropy summed
//     over the chunk, gradients by loss.backward();
//   - rnn_forward / rnn_backward, min-char-rnn's lossFun written out by hand on std::vector<double>, the
//     backward derived line by line from the forward (backpropagation through time), as the tutorials the
//     project grew from derive theirs in NumPy.
// Both compute the same loss, gradients and last hidden state (tests/test_char_rnn.cpp checks 1e-12 in
// float64). The parameters map one to one, with one exception: min-char-rnn has one hidden bias bh where
// nn::RNN (as torch.nn.RNN) has two, bias_ih and bias_hh, which only ever enter as their sum, so
// bh = bias_ih + bias_hh and each of them receives exactly dbh.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/nn.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/optim/adagrad.hpp"
#include "tapegrad/tapegrad.hpp"

namespace examples::char_rnn {

/// The characters (bytes) of a text, sorted, and their indices: min-char-rnn's char_to_ix and ix_to_char
/// (sorted here, where min-char-rnn's list(set(data)) has Python's set order, so that runs repeat).
class Vocabulary {
 public:
  explicit Vocabulary(std::string_view text) {
    std::vector<bool> seen(256, false);
    for (const char c : text) seen[static_cast<unsigned char>(c)] = true;
    for (int c = 0; c < 256; ++c)
      if (seen[static_cast<std::size_t>(c)]) chars_.push_back(static_cast<char>(c));
    index_.assign(256, -1);
    for (std::size_t i = 0; i < chars_.size(); ++i)
      index_[static_cast<unsigned char>(chars_[i])] = static_cast<std::int64_t>(i);
  }
  [[nodiscard]] std::int64_t size() const { return static_cast<std::int64_t>(chars_.size()); }
  [[nodiscard]] char at(std::int64_t i) const { return chars_[static_cast<std::size_t>(i)]; }
  /// The index of every character of text, which must consist of the vocabulary's characters.
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    std::vector<std::int64_t> ids(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      ids[i] = index_[static_cast<unsigned char>(text[i])];
      if (ids[i] < 0)
        throw std::invalid_argument("Vocabulary::encode: character " + std::to_string(i) + " is not in the vocabulary");
    }
    return ids;
  }

 private:
  std::vector<char> chars_;
  std::vector<std::int64_t> index_;  // by byte value, -1 for bytes the text does not hold
};

/// The loss of one chunk and the hidden state after it.
struct Chunk {
  tg::Tensor loss;  // () the cross-entropy summed over the chunk's positions, as min-char-rnn's loss
  tg::Tensor h;     // [1, H]: h_T, to carry into the next chunk (detached)
};

/// min-char-rnn on tapegrad modules: xs[t] = one_hot(inputs[t]) [V], hs[t] = tanh(W_ih xs[t] + b_ih +
/// W_hh hs[t-1] + b_hh) [H], ys[t] = hs[t] W + b [V] (nn::Linear's weight is [in, out], min-char-rnn's
/// Why transposed), loss = sum_t cross_entropy(ys[t], targets[t]).
class CharRnn : public tg::nn::Module {
 public:
  /// min-char-rnn's initialisation: weights N(0, 0.01^2), biases 0 (nn::RNN's default is uniform +-1/sqrt(H)).
  CharRnn(std::int64_t vocab, std::int64_t hidden, tg::Generator& gen, tg::Dtype dtype = tg::kFloat64)
      : rnn(register_module("rnn", std::make_shared<tg::nn::RNN>(vocab, hidden, gen,
                                                                 tg::nn::RecurrentOptions{.dtype = dtype}))),
        head(register_module("head", std::make_shared<tg::nn::Linear>(hidden, vocab, gen,
                                                                      tg::nn::LinearOptions{.dtype = dtype}))),
        vocab_(vocab), dtype_(dtype) {
    for (tg::Tensor p : parameters()) {  // handles: the writes land in the parameters' storage
      if (p.dim() == 2) tg::nn::init::normal_(p, gen, 0.0, 0.01);  // np.random.randn(...) * 0.01
      else tg::nn::init::zeros_(p);                                 // np.zeros((n, 1))
    }
  }

  /// inputs, targets [T] int64 in [0, V); h [1, H] (the previous chunk's h_T, detached, or zeros).
  [[nodiscard]] Chunk loss(const tg::Tensor& inputs, const tg::Tensor& targets, const tg::Tensor& h) {
    auto [logits, h_last] = forward(inputs, h);
    return {tg::nn::cross_entropy(logits, targets, tg::nn::Reduction::Sum), h_last};
  }

  /// inputs [T] int64, h [1, H] -> (logits [T, V], h_T [1, H]).
  [[nodiscard]] std::pair<tg::Tensor, tg::Tensor> forward(const tg::Tensor& inputs, const tg::Tensor& h) {
    const tg::Tensor xs = tg::one_hot(inputs, vocab_, dtype_);  // [T, V], an unbatched sequence for nn::RNN
    auto [hs, h_last] = rnn->forward(xs, h);                     // hs [T, H], h_last [1, H]
    return {head->forward(hs), h_last};
  }

  [[nodiscard]] tg::Tensor zero_state() const { return tg::zeros({1, rnn->hidden_size()}, dtype_); }
  [[nodiscard]] std::string name() const override { return "CharRnn"; }

  std::shared_ptr<tg::nn::RNN> rnn;      // "rnn.weight_ih_l0" [H, V], "rnn.weight_hh_l0" [H, H], two biases [H]
  std::shared_ptr<tg::nn::Linear> head;  // "head.weight" [H, V], "head.bias" [V]

 private:
  std::int64_t vocab_;
  tg::Dtype dtype_;
};

/// min-char-rnn's Adagrad as tg::optim::Adagrad can give it. min-char-rnn updates
///   mem += d * d;  p -= lr * d / sqrt(mem + 1e-8)
/// where Adagrad (PyTorch's, and so tapegrad's) takes  sum += d * d;  p -= lr * d / (sqrt(sum) + eps):
/// eps sits outside the root, so no eps makes the two equal. eps = 1e-4 = sqrt(1e-8) makes them agree where
/// mem is far above 1e-8 (both ~ lr * d / sqrt(mem)) and where it is far below (both ~ lr * d / 1e-4), and
/// tapegrad's step is between 1/sqrt(2) (at mem = 1e-8) and 1 times min-char-rnn's everywhere. Adagrad's
/// default eps, 1e-10, would step up to 1e4 times further on the tiny gradients of the first steps. The
/// accumulators start at 0 in both (initial_accumulator_value 0), and there is no lr decay.
[[nodiscard]] inline tg::optim::AdagradOptions min_char_rnn_adagrad() { return {.lr = 0.1, .eps = 1e-4}; }

// ---- min-char-rnn by hand

/// min-char-rnn's parameters in its NumPy layouts, row-major; the same struct holds their gradients.
struct RnnWeights {
  std::int64_t vocab = 0;   // V
  std::int64_t hidden = 0;  // H
  std::vector<double> wxh;  // [H, V]  input to hidden
  std::vector<double> whh;  // [H, H]  hidden to hidden
  std::vector<double> why;  // [V, H]  hidden to output
  std::vector<double> bh;   // [H]
  std::vector<double> by;   // [V]

  [[nodiscard]] static RnnWeights zeros(std::int64_t vocab, std::int64_t hidden) {
    const auto v = static_cast<std::size_t>(vocab);
    const auto h = static_cast<std::size_t>(hidden);
    return {vocab, hidden, std::vector<double>(h * v), std::vector<double>(h * h), std::vector<double>(v * h),
            std::vector<double>(h), std::vector<double>(v)};
  }
  /// The five arrays, in min-char-rnn's order [Wxh, Whh, Why, bh, by].
  [[nodiscard]] std::vector<std::vector<double>*> arrays() { return {&wxh, &whh, &why, &bh, &by}; }
  [[nodiscard]] std::vector<const std::vector<double>*> arrays() const { return {&wxh, &whh, &why, &bh, &by}; }
};

/// What rnn_forward keeps for rnn_backward (min-char-rnn's hs and ps dictionaries).
struct RnnActivations {
  std::vector<double> hs;  // [T + 1, H]: row 0 is hprev, row t + 1 is hs[t]
  std::vector<double> ps;  // [T, V]: ps[t], the softmax of ys[t]
};

/// min-char-rnn's lossFun, forward half. w as RnnWeights lays it out; inputs, targets [T] in [0, V);
/// hprev [H] -> the loss summed over t; fills acts (hs [T + 1, H], ps [T, V]). hs[T] is the next hprev.
inline double rnn_forward(const RnnWeights& w, std::span<const std::int64_t> inputs,
                          std::span<const std::int64_t> targets, std::span<const double> hprev, RnnActivations& acts) {
  const auto T = inputs.size();
  const auto V = static_cast<std::size_t>(w.vocab);
  const auto H = static_cast<std::size_t>(w.hidden);
  acts.hs.assign((T + 1) * H, 0.0);
  acts.ps.assign(T * V, 0.0);
  std::copy(hprev.begin(), hprev.end(), acts.hs.begin());  // hs[-1] = np.copy(hprev)
  double loss = 0;
  for (std::size_t t = 0; t < T; ++t) {
    const double* h_prev = &acts.hs[t * H];
    double* h = &acts.hs[(t + 1) * H];
    const auto x = static_cast<std::size_t>(inputs[t]);
    for (std::size_t i = 0; i < H; ++i) {
      double raw = w.wxh[i * V + x] + w.bh[i];  // Wxh @ xs[t] with xs[t] one-hot: column x of Wxh
      for (std::size_t j = 0; j < H; ++j) raw += w.whh[i * H + j] * h_prev[j];
      h[i] = std::tanh(raw);  // hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t-1] + bh)
    }
    double* p = &acts.ps[t * V];
    for (std::size_t k = 0; k < V; ++k) {
      p[k] = w.by[k];
      for (std::size_t i = 0; i < H; ++i) p[k] += w.why[k * H + i] * h[i];  // ys[t] = Why @ hs[t] + by
    }
    const double top = *std::max_element(p, p + V);  // subtracted for range only: softmax is shift-invariant
    double total = 0;
    for (std::size_t k = 0; k < V; ++k) total += p[k] = std::exp(p[k] - top);
    for (std::size_t k = 0; k < V; ++k) p[k] /= total;  // ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
    loss -= std::log(p[static_cast<std::size_t>(targets[t])]);  // loss += -np.log(ps[t][targets[t], 0])
  }
  return loss;
}

/// min-char-rnn's lossFun, backward half: w, inputs, targets as rnn_forward took them, acts as it filled
/// them -> g, the loss's gradients in w's layout (overwritten). One sweep from t = T - 1 down to 0; dhnext
/// carries the gradient reaching hs[t] from step t + 1 (none reaches past the chunk: hprev is a constant).
inline void rnn_backward(const RnnWeights& w, std::span<const std::int64_t> inputs,
                         std::span<const std::int64_t> targets, const RnnActivations& acts, RnnWeights& g) {
  const auto V = static_cast<std::size_t>(w.vocab);
  const auto H = static_cast<std::size_t>(w.hidden);
  g = RnnWeights::zeros(w.vocab, w.hidden);
  std::vector<double> dy(V), dh(H), dhraw(H), dhnext(H, 0.0);
  for (std::size_t t = inputs.size(); t-- > 0;) {
    const double* h = &acts.hs[(t + 1) * H];
    const double* h_prev = &acts.hs[t * H];
    const auto x = static_cast<std::size_t>(inputs[t]);
    std::copy(&acts.ps[t * V], &acts.ps[(t + 1) * V], dy.begin());  // inverts loss += -log(ps[t][target]) and
    dy[static_cast<std::size_t>(targets[t])] -= 1;                     // ps[t] = softmax(ys[t]): dy = ps - onehot
    for (std::size_t k = 0; k < V; ++k) {
      for (std::size_t i = 0; i < H; ++i) g.why[k * H + i] += dy[k] * h[i];  // inverts ys = Why @ hs[t]: dy hs^T
      g.by[k] += dy[k];                                                        // inverts ys = ... + by
    }
    for (std::size_t i = 0; i < H; ++i) {
      dh[i] = dhnext[i];  // inverts hs[t+1] = tanh(... + Whh @ hs[t] ...): what step t + 1 sent back
      for (std::size_t k = 0; k < V; ++k) dh[i] += w.why[k * H + i] * dy[k];  // inverts ys = Why @ hs[t]
      dhraw[i] = (1 - h[i] * h[i]) * dh[i];  // inverts hs[t] = tanh(raw): tanh' = 1 - tanh^2
      g.bh[i] += dhraw[i];                   // inverts raw = ... + bh
      g.wxh[i * V + x] += dhraw[i];          // inverts raw = Wxh @ xs[t] + ...: dhraw xs^T, one column
      for (std::size_t j = 0; j < H; ++j) g.whh[i * H + j] += dhraw[i] * h_prev[j];  // inverts raw = Whh @ hs[t-1]
    }
    std::fill(dhnext.begin(), dhnext.end(), 0.0);  // inverts raw = Whh @ hs[t-1], for hs[t-1]: Whh^T dhraw
    for (std::size_t i = 0; i < H; ++i)
      for (std::size_t j = 0; j < H; ++j) dhnext[j] += w.whh[i * H + j] * dhraw[i];
  }
}

/// min-char-rnn's np.clip(dparam, -limit, limit, out=dparam) on every gradient.
inline void clip_(RnnWeights& g, double limit) {
  for (std::vector<double>* a : g.arrays())
    for (double& v : *a) v = std::clamp(v, -limit, limit);
}

/// x as a row-major [R, C] matrix, transposed to [C, R].
[[nodiscard]] inline std::vector<double> transposed(const std::vector<double>& x, std::int64_t rows,
                                                    std::int64_t cols) {
  std::vector<double> y(x.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      y[static_cast<std::size_t>(c * rows + r)] = x[static_cast<std::size_t>(r * cols + c)];
  return y;
}

/// CharRnn's parameters in min-char-rnn's layout: Wxh = weight_ih_l0 [H, V] and Whh = weight_hh_l0 [H, H]
/// as they are (PyTorch's layout is min-char-rnn's), Why = head.weight^T, bh = bias_ih_l0 + bias_hh_l0.
[[nodiscard]] inline RnnWeights weights_of(const CharRnn& m) {
  const std::vector<tg::Tensor> w = m.rnn->all_weights(0);  // weight_ih, weight_hh, bias_ih, bias_hh
  const std::int64_t V = m.head->weight.size(1);
  const std::int64_t H = m.head->weight.size(0);
  return {V, H, w[0].to_vector(), w[1].to_vector(), transposed(m.head->weight.to_vector(), H, V),
          (w[2] + w[3]).to_vector(), m.head->bias.to_vector()};
}

/// The gradients of CharRnn's parameters in the same layout, after backward(); bh's is bias_ih's (bias_hh's
/// is the same: the two enter only as their sum).
[[nodiscard]] inline RnnWeights gradients_of(const CharRnn& m) {
  const std::vector<tg::Tensor> w = m.rnn->all_weights(0);
  const std::int64_t V = m.head->weight.size(1);
  const std::int64_t H = m.head->weight.size(0);
  return {V, H, w[0].grad().to_vector(), w[1].grad().to_vector(), transposed(m.head->weight.grad().to_vector(), H, V),
          w[2].grad().to_vector(), m.head->bias.grad().to_vector()};
}

}  // namespace examples::char_rnn
