#pragma once
// Sequence modules, as torch.nn's: Embedding, the recurrent layers RNN, LSTM and GRU, and the cells RNNCell,
// LSTMCell and GRUCell. Parameters are named, laid out and ordered as PyTorch's, so that a PyTorch state_dict
// loads as it is: weight_ih_l{k} [G H, I] (the first layer) or [G H, D H] (the others, D = 2 when
// bidirectional), weight_hh_l{k} [G H, H], bias_ih_l{k} and bias_hh_l{k} [G H], and the same with the suffix
// _reverse for the backward direction; the cells' are weight_ih, weight_hh, bias_ih, bias_hh. G = 1 for RNN,
// 4 for LSTM (gates i, f, g, o), 3 for GRU (r, z, n). Every weight and bias starts uniform in +-1/sqrt(H),
// as PyTorch's reset_parameters(); Embedding's weight starts N(0, 1), its padding_idx row 0.
//
// Layouts as PyTorch's: input [T, N, I] ([N, T, I] with batch_first) or unbatched [T, I]; h0 (and c0)
// [L D, N, H] (unbatched: [L D, H]; absent: zeros), never batch-first; output [T, N, D H] (batch_first:
// [N, T, D H]), the last layer's h_t for every t, the two directions side by side; h_n (and c_n) like h0.
// Each layer and direction is one record on the tape (tapegrad/recurrent.hpp's scans); the input's share
// of the gates is one product over all time steps. Where tapegrad differs: no PackedSequence, no
// LSTM proj_size; all_weights(layer, direction) gives one layer's list (PyTorch's all_weights is the list of
// them all); inter-layer dropout must be below 1; Embedding has no max_norm, scale_grad_by_freq or sparse.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tapegrad/generator.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

struct EmbeddingOptions {
  /// A row of the weight that starts at 0 and receives no gradient (negative counts from the back); the
  /// forward reads it as it is, as PyTorch's.
  std::optional<std::int64_t> padding_idx;
  Dtype dtype = kFloat32;
};

/// indices (int64, any shape) -> indices.shape + [embedding_dim]: rows of weight [num_embeddings,
/// embedding_dim], as torch.nn.Embedding.
class Embedding : public Layer {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator& gen, EmbeddingOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, EmbeddingOptions options = {});
  /// torch.nn.Embedding.from_pretrained: a copy of embeddings [V, D] (float32 or float64) as the weight,
  /// which does not require grad when frozen.
  [[nodiscard]] static std::shared_ptr<Embedding> from_pretrained(
      const Tensor& embeddings, bool freeze = true, std::optional<std::int64_t> padding_idx = std::nullopt);
  [[nodiscard]] Tensor forward(const Tensor& indices) override;
  [[nodiscard]] std::string name() const override;

  Tensor weight;  // [num_embeddings, embedding_dim]

 private:
  std::optional<std::int64_t> padding_idx_;  // normalised to 0 .. num_embeddings - 1
};

/// What RNN, LSTM and GRU take besides the sizes, with PyTorch's defaults.
struct RecurrentOptions {
  std::int64_t num_layers = 1;
  /// RNN only: "tanh" or "relu".
  std::string nonlinearity = "tanh";
  bool bias = true;
  bool batch_first = false;
  /// Dropout on the outputs of every layer but the last, in training mode; in [0, 1) (PyTorch also takes 1).
  double dropout = 0.0;
  bool bidirectional = false;
  Dtype dtype = kFloat32;
  /// Seeds the dropout masks' own generator, as nn::Dropout's.
  std::uint64_t seed = 0;
};

/// The parameters and checks RNN, LSTM and GRU share.
class RecurrentBase : public Module {
 public:
  [[nodiscard]] std::int64_t input_size() const { return input_size_; }
  [[nodiscard]] std::int64_t hidden_size() const { return hidden_size_; }
  [[nodiscard]] const RecurrentOptions& options() const { return options_; }
  /// The parameters of layer `layer` in direction `direction` (1: reverse), as PyTorch's all_weights:
  /// weight_ih, weight_hh, then bias_ih and bias_hh when there are biases.
  [[nodiscard]] std::vector<Tensor> all_weights(std::int64_t layer, int direction = 0) const;
  [[nodiscard]] std::string name() const override;

 protected:
  RecurrentBase(const char* kind, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                Generator& gen, RecurrentOptions options);
  /// An input as the layers take it: x [T, N, I] (transposed from batch_first, unsqueezed when unbatched).
  struct Sequence {
    Tensor x;
    bool batched;
    Shape input_shape;  // as the caller gave it, for messages
  };
  /// Checks input (rank, feature count, dtype) and returns it time-major.
  [[nodiscard]] Sequence time_major(const Tensor& input) const;
  /// A given initial state ([L D, N, H], or [L D, H] unbatched) after checking its shape, as [L D, N, H];
  /// zeros when undefined.
  [[nodiscard]] Tensor initial_state(const Tensor& state, const char* what, const Sequence& seq) const;
  /// Runs every layer and direction in order: scan(layer, direction, x) returns that direction's [T, N, H];
  /// the directions are put side by side, with dropout between layers. Returns the last layer's output in
  /// the caller's layout.
  [[nodiscard]] Tensor run_layers(const Sequence& seq,
                                  const std::function<Tensor(std::int64_t, int, const Tensor&)>& scan);
  /// forward of a layer kind with one state (RNN, GRU): scan(layer, direction, x, h0) gives that layer and
  /// direction's [T, N, H] from its input x and its row of hx; returns (output, h_n).
  [[nodiscard]] std::tuple<Tensor, Tensor> run_one_state(
      const Tensor& input, const Tensor& hx,
      const std::function<Tensor(std::int64_t, int, const Tensor&, const Tensor&)>& scan);
  /// The final states of every layer and direction ([N, H] each) as [L D, N, H] ([L D, H] unbatched).
  [[nodiscard]] static Tensor final_states(const std::vector<Tensor>& states, const Sequence& seq);
  /// x [T, N, *] -> [T, N, G H]: x W_ih^T + b_ih (+ b_hh when fold_hidden_bias), one product for every t.
  [[nodiscard]] Tensor input_gates(const Tensor& x, std::int64_t layer, int direction, bool fold_hidden_bias) const;
  [[nodiscard]] int directions() const { return options_.bidirectional ? 2 : 1; }
  /// The row of h0 and h_n that belongs to a layer and direction.
  [[nodiscard]] std::int64_t state_row(std::int64_t layer, int direction) const {
    return layer * directions() + direction;
  }
  /// A direction's final state: h_{T-1} of [T, N, H] going forward, h_0 in reverse.
  [[nodiscard]] static Tensor last_step(const Tensor& y, int direction);
  [[nodiscard]] const Tensor& weight_hh(std::int64_t layer, int direction) const;
  [[nodiscard]] const Tensor& bias_hh(std::int64_t layer, int direction) const;

 private:
  const char* kind_;
  std::int64_t input_size_;
  std::int64_t hidden_size_;
  RecurrentOptions options_;
  std::vector<Tensor> weights_;  // 2 or 4 per layer and direction, registered by address: never resized
  Dropout dropout_;              // not a child: this module's train()/eval() decides when it runs
};

/// Elman RNN, as torch.nn.RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (relu with
/// nonlinearity "relu").
class RNN : public RecurrentBase {
 public:
  RNN(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  RNN(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {});
  /// (output, h_n); hx undefined means zeros.
  [[nodiscard]] std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx = {});
};

/// Long short-term memory, as torch.nn.LSTM (gates i, f, g, o).
class LSTM : public RecurrentBase {
 public:
  LSTM(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  LSTM(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {});
  /// (output, (h_n, c_n)); hx absent means zeros.
  [[nodiscard]] std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(
      const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx = std::nullopt);
};

/// Gated recurrent unit, as torch.nn.GRU (gates r, z, n; b_hn inside the reset product).
class GRU : public RecurrentBase {
 public:
  GRU(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options = {});
  /// Draws the initial weights from tg::default_generator().
  GRU(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options = {});
  /// (output, h_n); hx undefined means zeros.
  [[nodiscard]] std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx = {});
};

struct RecurrentCellOptions {
  bool bias = true;
  /// RNNCell only: "tanh" or "relu".
  std::string nonlinearity = "tanh";
  Dtype dtype = kFloat32;
};

/// The parameters and checks the cells share.
class RecurrentCellBase : public Module {
 public:
  [[nodiscard]] std::int64_t input_size() const { return input_size_; }
  [[nodiscard]] std::int64_t hidden_size() const { return hidden_size_; }
  [[nodiscard]] const RecurrentCellOptions& options() const { return options_; }
  [[nodiscard]] std::string name() const override;

  Tensor weight_ih;  // [G H, input_size]
  Tensor weight_hh;  // [G H, hidden_size]
  Tensor bias_ih;    // [G H], undefined without bias
  Tensor bias_hh;    // [G H], undefined without bias

 protected:
  RecurrentCellBase(const char* kind, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                    Generator& gen, RecurrentCellOptions options);
  /// Checks input ([N, I] or [I]) and returns a given state's check, or zeros of the right shape.
  [[nodiscard]] Tensor state_or_zeros(const Tensor& input, const Tensor& state, const char* what) const;

 private:
  const char* kind_;
  std::int64_t input_size_;
  std::int64_t hidden_size_;
  RecurrentCellOptions options_;
};

/// torch.nn.RNNCell: input [N, I] or [I], hx of the same batch rank -> h'.
class RNNCell : public RecurrentCellBase {
 public:
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options = {});
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& input, const Tensor& hx = {});
};

/// torch.nn.LSTMCell: input, (h, c) -> (h', c').
class LSTMCell : public RecurrentCellBase {
 public:
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options = {});
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options = {});
  [[nodiscard]] std::tuple<Tensor, Tensor> forward(
      const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx = std::nullopt);
};

/// torch.nn.GRUCell: input, h -> h'.
class GRUCell : public RecurrentCellBase {
 public:
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options = {});
  GRUCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options = {});
  [[nodiscard]] Tensor forward(const Tensor& input, const Tensor& hx = {});
};

}  // namespace tg::nn
