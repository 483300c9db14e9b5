#pragma once
// Recurrent ops: PyTorch's cell functions (torch.rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell) and the
// time loops of a recurrent layer (tapegrad's own, what nn::RNN, LSTM and GRU run on), with PyTorch's
// layouts and gate orders: w_ih [G H, I], w_hh [G H, H], b_ih and b_hh [G H], G = 1 (RNN), 4 (LSTM: i, f,
// g, o) or 3 (GRU: r, z, n).
//
// A scan runs one layer in one direction over a whole sequence and is one record on the tape, whatever T is.
// Its input is the sequence's share of the gates, `gates_x` [T, N, G H], which the caller computes for all
// time steps in one product (x W_ih^T + b_ih), so that the loop itself does one [N, H] x [H, G H] product
// per step and the gate arithmetic in one pass. Its backward runs backpropagation through time in one loop;
// a recorded sweep (create_graph) takes a composed form of the same formulas instead, which it records, so
// that gradients of gradients work. reverse runs t from T - 1 down to 0 (the backward direction of a
// bidirectional layer); every h_t is stored at its own t either way.
//
// Shapes are checked and named in errors: gates_x must be 3-d with G H columns, h0 (and c0) [N, H], w_hh
// [G H, H], all of one floating dtype.

#include <tuple>

#include "tapegrad/tensor.hpp"

namespace tg {

/// torch.rnn_tanh_cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); x [N, I] or [I], hx of the same
/// batch rank ([N, H] or [H]); the biases may be undefined (no bias).
[[nodiscard]] Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                                   const Tensor& b_ih = {}, const Tensor& b_hh = {});
/// torch.rnn_relu_cell: rnn_tanh_cell with relu for tanh.
[[nodiscard]] Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                                   const Tensor& b_ih = {}, const Tensor& b_hh = {});
/// torch.lstm_cell: hx = (h, c) -> (h', c'); gates = x W_ih^T + b_ih + h W_hh^T + b_hh split as i, f, g, o;
/// c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c').
[[nodiscard]] std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const std::tuple<Tensor, Tensor>& hx,
                                                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih = {},
                                                   const Tensor& b_hh = {});
/// torch.gru_cell: r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n), h' = (1 - z) n + z h,
/// with x_* the parts of x W_ih^T + b_ih and h_* those of h W_hh^T + b_hh (b_hn inside r's product).
[[nodiscard]] Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                              const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// One Elman RNN layer: h_t = tanh(gates_x[t] + h_{t-1} W_hh^T), gates_x [T, N, H] holding x_t W_ih^T and
/// both biases -> [T, N, H], every h_t.
[[nodiscard]] Tensor rnn_tanh_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, bool reverse = false);
/// rnn_tanh_scan with relu for tanh.
[[nodiscard]] Tensor rnn_relu_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, bool reverse = false);
/// One LSTM layer: gates_x [T, N, 4H] holding x_t W_ih^T and both biases, h0 and c0 [N, H] -> [2, T, N, H]:
/// every h_t (index 0) and every c_t (index 1).
[[nodiscard]] Tensor lstm_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                               bool reverse = false);
/// One GRU layer: gates_x [T, N, 3H] holding x_t W_ih^T + b_ih; b_hh [3H] (undefined: none) -> [T, N, H].
[[nodiscard]] Tensor gru_scan(const Tensor& gates_x, const Tensor& h0, const Tensor& w_hh, const Tensor& b_hh,
                              bool reverse = false);

}  // namespace tg
