// Embedding, RNN, LSTM, GRU and their cells: arguments checked when built, PyTorch's parameters and
// initialisation, and the layer loop (directions side by side, dropout between layers) on the scans of
// tapegrad/recurrent.hpp.

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad/elementwise.hpp"
#include "tapegrad/indexing.hpp"
#include "tapegrad/linalg.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/random.hpp"
#include "tapegrad/recurrent.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::nn {
namespace {

[[noreturn]] void fail(const char* module, const std::string& what) {
  throw std::invalid_argument(std::string(module) + ": " + what);
}

void check_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size, Dtype dtype) {
  if (input_size <= 0 || hidden_size <= 0)
    fail(module, "input_size and hidden_size must be positive, got " + std::to_string(input_size) + " and " +
                     std::to_string(hidden_size));
  if (dtype != kFloat32 && dtype != kFloat64)
    fail(module, "dtype must be float32 or float64, got " + std::string(dtype_name(dtype)));
}

// "tanh" or "relu" for the RNNs; the LSTM and GRU have none, so anything but the default is a mistake.
void check_nonlinearity(const char* module, const std::string& nonlinearity, bool elman) {
  if (elman && nonlinearity != "tanh" && nonlinearity != "relu")
    fail(module, "nonlinearity must be \"tanh\" or \"relu\", got \"" + nonlinearity + "\"");
  if (!elman && nonlinearity != "tanh") fail(module, "nonlinearity is an option of RNN and RNNCell only");
}

// PyTorch's reset_parameters: every weight and bias uniform in +-1/sqrt(hidden_size).
Tensor uniform_parameter(const Shape& shape, std::int64_t hidden_size, Generator& gen, Dtype dtype) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  return rand(shape, gen, dtype, -bound, bound);
}

// Checks an input's feature count and dtype against the module's.
void check_features(const char* module, const Tensor& input, std::int64_t expected, const Tensor& weight) {
  if (input.size(-1) != expected)
    fail(module, "input has " + std::to_string(input.size(-1)) + " features but the " +
                     (std::string(module).ends_with("Cell") ? "cell" : "layer") + " expects " +
                     std::to_string(expected) + ": input " + input.shape().str());
  if (input.dtype() != weight.dtype())
    fail(module, "input is " + std::string(dtype_name(input.dtype())) + " but the parameters are " +
                     std::string(dtype_name(weight.dtype())) + " (convert one with to())");
}

}  // namespace

// ---- Embedding

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator& gen,
                     EmbeddingOptions options) {
  if (num_embeddings <= 0 || embedding_dim <= 0)
    fail("Embedding", "num_embeddings and embedding_dim must be positive, got " + std::to_string(num_embeddings) +
                          " and " + std::to_string(embedding_dim));
  if (options.padding_idx) {
    const std::int64_t p = *options.padding_idx;
    if (p < -num_embeddings || p >= num_embeddings)
      fail("Embedding", "padding_idx " + std::to_string(p) + " is out of range for " + std::to_string(num_embeddings) +
                            " embeddings");
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  weight = randn({num_embeddings, embedding_dim}, gen, options.dtype);  // PyTorch's normal_(weight)
  if (padding_idx_)  // and its padding row 0
    visit_dtype(weight.dtype(), [&]<class T>() {
      T* row = weight.data<T>() + *padding_idx_ * embedding_dim;
      std::fill(row, row + embedding_dim, T(0));
    });
  register_parameter("weight", weight);
}

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, EmbeddingOptions options)
    : Embedding(num_embeddings, embedding_dim, default_generator(), options) {}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                                      std::optional<std::int64_t> padding_idx) {
  if (!embeddings.defined() || embeddings.dim() != 2)
    fail("Embedding.from_pretrained", "embeddings must be [num_embeddings, embedding_dim], got " +
                                          (embeddings.defined() ? embeddings.shape().str() : std::string("undefined")));
  if (embeddings.dtype() != kFloat32 && embeddings.dtype() != kFloat64)
    fail("Embedding.from_pretrained", "embeddings must be float32 or float64, got " +
                                          std::string(dtype_name(embeddings.dtype())));
  Generator unused(0);  // the weight is overwritten: the default generator's sequence stays as it was
  auto e = std::make_shared<Embedding>(embeddings.size(0), embeddings.size(1), unused,
                                       EmbeddingOptions{padding_idx, embeddings.dtype()});
  e->load_parameter("weight", embeddings);
  if (freeze) e->weight.requires_grad_(false);
  return e;
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(indices, weight, padding_idx_); }

std::string Embedding::name() const {
  return "Embedding(" + std::to_string(weight.size(0)) + ", " + std::to_string(weight.size(1)) +
         (padding_idx_ ? ", padding_idx=" + std::to_string(*padding_idx_) : "") + ")";
}

// ---- RecurrentBase

RecurrentBase::RecurrentBase(const char* kind, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                             Generator& gen, RecurrentOptions options)
    : kind_(kind), input_size_(input_size), hidden_size_(hidden_size), options_(std::move(options)),
      dropout_(options_.dropout >= 0 && options_.dropout < 1 ? options_.dropout : 0.0, options_.seed) {
  check_sizes(kind, input_size, hidden_size, options_.dtype);
  check_nonlinearity(kind, options_.nonlinearity, gates == 1);
  if (options_.num_layers < 1) fail(kind, "num_layers must be at least 1, got " + std::to_string(options_.num_layers));
  if (!(options_.dropout >= 0 && options_.dropout < 1))
    fail(kind, "dropout must be in [0, 1), got " + std::to_string(options_.dropout));
  const int d = directions();
  const std::size_t per = options_.bias ? 4 : 2;
  weights_.reserve(static_cast<std::size_t>(options_.num_layers * d) * per);  // registered by address
  const std::int64_t g = gates * hidden_size;
  for (std::int64_t layer = 0; layer < options_.num_layers; ++layer)
    for (int direction = 0; direction < d; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction == 1 ? "_reverse" : "");
      const std::int64_t in = layer == 0 ? input_size : d * hidden_size;
      const auto add = [&](const std::string& name, const Shape& shape) {
        weights_.push_back(uniform_parameter(shape, hidden_size, gen, options_.dtype));
        register_parameter(name + suffix, weights_.back());
      };
      add("weight_ih", {g, in});
      add("weight_hh", {g, hidden_size});
      if (options_.bias) {
        add("bias_ih", {g});
        add("bias_hh", {g});
      }
    }
}

std::vector<Tensor> RecurrentBase::all_weights(std::int64_t layer, int direction) const {
  if (layer < 0 || layer >= options_.num_layers || direction < 0 || direction >= directions())
    fail(kind_, "no layer " + std::to_string(layer) + " in direction " + std::to_string(direction));
  const std::size_t per = options_.bias ? 4 : 2;
  const auto first = weights_.begin() + static_cast<std::ptrdiff_t>(state_row(layer, direction)) *
                                            static_cast<std::ptrdiff_t>(per);
  return {first, first + static_cast<std::ptrdiff_t>(per)};
}

const Tensor& RecurrentBase::weight_hh(std::int64_t layer, int direction) const {
  return weights_[static_cast<std::size_t>(state_row(layer, direction)) * (options_.bias ? 4 : 2) + 1];
}

const Tensor& RecurrentBase::bias_hh(std::int64_t layer, int direction) const {
  static const Tensor none;
  return options_.bias ? weights_[static_cast<std::size_t>(state_row(layer, direction)) * 4 + 3] : none;
}

std::string RecurrentBase::name() const {
  std::string s = std::string(kind_) + "(" + std::to_string(input_size_) + ", " + std::to_string(hidden_size_);
  if (options_.num_layers != 1) s += ", num_layers=" + std::to_string(options_.num_layers);
  if (options_.nonlinearity != "tanh") s += ", nonlinearity=" + options_.nonlinearity;
  if (!options_.bias) s += ", bias=false";
  if (options_.batch_first) s += ", batch_first=true";
  if (options_.dropout != 0) s += ", dropout=" + std::to_string(options_.dropout);
  if (options_.bidirectional) s += ", bidirectional=true";
  return s + ")";
}

RecurrentBase::Sequence RecurrentBase::time_major(const Tensor& input) const {
  if (!input.defined()) fail(kind_, "the input is undefined");
  if (input.dim() != 2 && input.dim() != 3)
    fail(kind_, std::string("input must be [T, N, I]") + (options_.batch_first ? " (batch_first: [N, T, I])" : "") +
                    " or unbatched [T, I], got " + input.shape().str());
  check_features(kind_, input, input_size_, weights_.front());
  const bool batched = input.dim() == 3;
  Tensor x = batched ? (options_.batch_first ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);
  if (x.size(0) == 0) fail(kind_, "the sequence is empty: input " + input.shape().str());
  return {std::move(x), batched, input.shape()};
}

Tensor RecurrentBase::initial_state(const Tensor& state, const char* what, const Sequence& seq) const {
  const std::int64_t rows = options_.num_layers * directions();
  const std::int64_t batch = seq.x.size(1);
  if (!state.defined()) return zeros({rows, batch, hidden_size_}, seq.x.dtype());
  const Shape expected = seq.batched ? Shape{rows, batch, hidden_size_} : Shape{rows, hidden_size_};
  if (state.shape() != expected)
    fail(kind_, std::string(what) + " must be " + expected.str() + " for input " + seq.input_shape.str() + ", got " +
                    state.shape().str());
  if (state.dtype() != seq.x.dtype())
    fail(kind_, std::string(what) + " is " + std::string(dtype_name(state.dtype())) + " but the input is " +
                    std::string(dtype_name(seq.x.dtype())));
  return seq.batched ? state : unsqueeze(state, 1);
}

Tensor RecurrentBase::run_layers(const Sequence& seq,
                                 const std::function<Tensor(std::int64_t, int, const Tensor&)>& scan) {
  Tensor x = seq.x;
  for (std::int64_t layer = 0; layer < options_.num_layers; ++layer) {
    if (layer > 0 && is_training()) x = dropout_.forward(x);  // on every layer's output but the last
    if (directions() == 1) {
      x = scan(layer, 0, x);
    } else {
      const Tensor forward = scan(layer, 0, x);
      x = cat({forward, scan(layer, 1, x)}, 2);
    }
  }
  if (!seq.batched) return squeeze(x, 1);
  return options_.batch_first ? transpose(x, 0, 1) : x;
}

std::tuple<Tensor, Tensor> RecurrentBase::run_one_state(
    const Tensor& input, const Tensor& hx,
    const std::function<Tensor(std::int64_t, int, const Tensor&, const Tensor&)>& scan) {
  const Sequence seq = time_major(input);
  const Tensor h0 = initial_state(hx, "hx", seq);
  std::vector<Tensor> h_n;
  Tensor output = run_layers(seq, [&](std::int64_t layer, int direction, const Tensor& x) {
    Tensor y = scan(layer, direction, x, select(h0, 0, state_row(layer, direction)));
    h_n.push_back(last_step(y, direction));
    return y;
  });
  return {std::move(output), final_states(h_n, seq)};
}

Tensor RecurrentBase::final_states(const std::vector<Tensor>& states, const Sequence& seq) {
  const Tensor h = stack(states, 0);
  return seq.batched ? h : squeeze(h, 1);
}

Tensor RecurrentBase::last_step(const Tensor& y, int direction) {
  return select(y, 0, direction == 1 ? 0 : y.size(0) - 1);
}

Tensor RecurrentBase::input_gates(const Tensor& x, std::int64_t layer, int direction, bool fold_hidden_bias) const {
  const std::vector<Tensor> w = all_weights(layer, direction);
  const std::int64_t steps = x.size(0), batch = x.size(1);
  // Every step in one product, the bias fused into it (linear's, on the [I, G H] transpose of weight_ih).
  const Tensor bias = !options_.bias ? Tensor() : fold_hidden_bias ? w[2] + w[3] : w[2];
  const Tensor g = linear(reshape(x, {steps * batch, x.size(2)}), transpose(w[0], 0, 1), bias);
  return reshape(g, {steps, batch, w[0].size(0)});
}

// ---- RNN, LSTM, GRU

RNN::RNN(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options)
    : RecurrentBase("RNN", 1, input_size, hidden_size, gen, std::move(options)) {}

RNN::RNN(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options)
    : RNN(input_size, hidden_size, default_generator(), std::move(options)) {}

std::tuple<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& hx) {
  const bool relu = options().nonlinearity == "relu";
  return run_one_state(input, hx, [&](std::int64_t layer, int direction, const Tensor& x, const Tensor& h0) {
    const Tensor gx = input_gates(x, layer, direction, true);
    return relu ? rnn_relu_scan(gx, h0, weight_hh(layer, direction), direction == 1)
                : rnn_tanh_scan(gx, h0, weight_hh(layer, direction), direction == 1);
  });
}

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options)
    : RecurrentBase("LSTM", 4, input_size, hidden_size, gen, std::move(options)) {}

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options)
    : LSTM(input_size, hidden_size, default_generator(), std::move(options)) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTM::forward(const Tensor& input,
                                                             const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  const Sequence seq = time_major(input);
  const Tensor h0 = initial_state(hx ? std::get<0>(*hx) : Tensor(), "h0", seq);
  const Tensor c0 = initial_state(hx ? std::get<1>(*hx) : Tensor(), "c0", seq);
  std::vector<Tensor> h_n, c_n;
  Tensor output = run_layers(seq, [&](std::int64_t layer, int direction, const Tensor& x) {
    const std::int64_t row = state_row(layer, direction);
    const Tensor y = lstm_scan(input_gates(x, layer, direction, true), select(h0, 0, row), select(c0, 0, row),
                               weight_hh(layer, direction), direction == 1);
    Tensor h = select(y, 0, 0);
    h_n.push_back(last_step(h, direction));
    c_n.push_back(last_step(select(y, 0, 1), direction));
    return h;
  });
  return {std::move(output), {final_states(h_n, seq), final_states(c_n, seq)}};
}

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentOptions options)
    : RecurrentBase("GRU", 3, input_size, hidden_size, gen, std::move(options)) {}

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, RecurrentOptions options)
    : GRU(input_size, hidden_size, default_generator(), std::move(options)) {}

std::tuple<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& hx) {
  return run_one_state(input, hx, [&](std::int64_t layer, int direction, const Tensor& x, const Tensor& h0) {
    // b_hn sits inside the reset product, so b_hh stays in the scan
    return gru_scan(input_gates(x, layer, direction, false), h0, weight_hh(layer, direction),
                    bias_hh(layer, direction), direction == 1);
  });
}

// ---- cells

RecurrentCellBase::RecurrentCellBase(const char* kind, std::int64_t gates, std::int64_t input_size,
                                     std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options)
    : kind_(kind), input_size_(input_size), hidden_size_(hidden_size), options_(std::move(options)) {
  check_sizes(kind, input_size, hidden_size, options_.dtype);
  check_nonlinearity(kind, options_.nonlinearity, gates == 1);
  const std::int64_t g = gates * hidden_size;
  weight_ih = uniform_parameter({g, input_size}, hidden_size, gen, options_.dtype);
  weight_hh = uniform_parameter({g, hidden_size}, hidden_size, gen, options_.dtype);
  register_parameter("weight_ih", weight_ih);
  register_parameter("weight_hh", weight_hh);
  if (options_.bias) {
    bias_ih = uniform_parameter({g}, hidden_size, gen, options_.dtype);
    bias_hh = uniform_parameter({g}, hidden_size, gen, options_.dtype);
    register_parameter("bias_ih", bias_ih);
    register_parameter("bias_hh", bias_hh);
  }
}

std::string RecurrentCellBase::name() const {
  return std::string(kind_) + "(" + std::to_string(input_size_) + ", " + std::to_string(hidden_size_) +
         (options_.bias ? "" : ", bias=false") +
         (options_.nonlinearity != "tanh" ? ", nonlinearity=" + options_.nonlinearity : "") + ")";
}

Tensor RecurrentCellBase::state_or_zeros(const Tensor& input, const Tensor& state, const char* what) const {
  if (!input.defined()) fail(kind_, "the input is undefined");
  if (input.dim() != 1 && input.dim() != 2) fail(kind_, "input must be [N, I] or [I], got " + input.shape().str());
  check_features(kind_, input, input_size_, weight_ih);
  const Shape expected = input.dim() == 1 ? Shape{hidden_size_} : Shape{input.size(0), hidden_size_};
  if (!state.defined()) return zeros(expected, input.dtype());
  if (state.shape() != expected)
    fail(kind_, std::string(what) + " must be " + expected.str() + " for input " + input.shape().str() + ", got " +
                    state.shape().str());
  return state;
}

RNNCell::RNNCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options)
    : RecurrentCellBase("RNNCell", 1, input_size, hidden_size, gen, std::move(options)) {}

RNNCell::RNNCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options)
    : RNNCell(input_size, hidden_size, default_generator(), std::move(options)) {}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  const Tensor h = state_or_zeros(input, hx, "hx");
  return options().nonlinearity == "relu" ? rnn_relu_cell(input, h, weight_ih, weight_hh, bias_ih, bias_hh)
                                          : rnn_tanh_cell(input, h, weight_ih, weight_hh, bias_ih, bias_hh);
}

LSTMCell::LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options)
    : RecurrentCellBase("LSTMCell", 4, input_size, hidden_size, gen, std::move(options)) {}

LSTMCell::LSTMCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options)
    : LSTMCell(input_size, hidden_size, default_generator(), std::move(options)) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::optional<std::tuple<Tensor, Tensor>>& hx) {
  const Tensor h = state_or_zeros(input, hx ? std::get<0>(*hx) : Tensor(), "h");
  const Tensor c = state_or_zeros(input, hx ? std::get<1>(*hx) : Tensor(), "c");
  return lstm_cell(input, {h, c}, weight_ih, weight_hh, bias_ih, bias_hh);
}

GRUCell::GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen, RecurrentCellOptions options)
    : RecurrentCellBase("GRUCell", 3, input_size, hidden_size, gen, std::move(options)) {}

GRUCell::GRUCell(std::int64_t input_size, std::int64_t hidden_size, RecurrentCellOptions options)
    : GRUCell(input_size, hidden_size, default_generator(), std::move(options)) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  return gru_cell(input, state_or_zeros(input, hx, "hx"), weight_ih, weight_hh, bias_ih, bias_hh);
}

}  // namespace tg::nn
