#pragma once
// What recurrent.cpp's scans share with their composed backwards (private to autograd/src): the sizes of a
// scan, the gradients of its operands, and the backpropagation through time written in tapegrad's ops,
// which a recorded sweep (create_graph) runs so that the gradients can be differentiated again.

#include <cstdint>

#include "tapegrad/tensor.hpp"

namespace tg::detail {

/// A scan of `steps` time steps over `batch` rows with `hidden` units; step k runs time at(k).
struct ScanSizes {
  std::int64_t steps;
  std::int64_t batch;
  std::int64_t hidden;
  bool reverse;
  [[nodiscard]] std::int64_t at(std::int64_t step) const { return reverse ? steps - 1 - step : step; }
};

/// The gradients of a scan's operands; undefined where an operand has none.
struct ScanGrads {
  Tensor gates_x, h0, c0, w_hh, b_hh;
};

/// Sends each defined gradient of g to its operand (those that are defined and require grad).
void send(const ScanGrads& g, const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
          const Tensor& b_hh);

/// rnn_*_scan's backward in recorded ops: the forward again from the operands, then the loop of
/// recurrent.cpp's rnn_backward, op by op.
[[nodiscard]] ScanGrads rnn_backward_composed(const ScanSizes& s, bool relu, const Tensor& dy, const Tensor& gates_x,
                                              const Tensor& h0, const Tensor& w_hh);
/// lstm_scan's, the same way; dy is [2, T, N, H] (the h_t and c_t gradients).
[[nodiscard]] ScanGrads lstm_backward_composed(const ScanSizes& s, const Tensor& dy, const Tensor& gates_x,
                                               const Tensor& h0, const Tensor& c0, const Tensor& w_hh);
/// gru_scan's, the same way.
[[nodiscard]] ScanGrads gru_backward_composed(const ScanSizes& s, const Tensor& dy, const Tensor& gates_x,
                                              const Tensor& h0, const Tensor& w_hh, const Tensor& b_hh);

}  // namespace tg::detail
