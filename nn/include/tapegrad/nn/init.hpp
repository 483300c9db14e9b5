#pragma once
// Initialisers, in place on a parameter (raw writes into its storage: not recorded, the tensor stays the
// same leaf). Weights are (in, out): fan_in = size(0), fan_out = size(1) (times any further extents); a
// 1-d bias has fan_in = fan_out = its length. All throw std::invalid_argument on an undefined tensor,
// the fan-based ones on a 0-d tensor, and each on a bad parameter (stddev or gain < 0, low >= high).
// normal_ and uniform_ draw the same numbers as tg::randn and tg::rand with the same generator state.

#include "tapegrad/tensor.hpp"

namespace tg::nn::init {

void normal_(Tensor& t, Generator& gen, double mean = 0.0, double stddev = 1.0);
void uniform_(Tensor& t, Generator& gen, double low = 0.0, double high = 1.0);
void zeros_(Tensor& t);
/// Glorot: uniform in +-gain * sqrt(6 / (fan_in + fan_out)).
void xavier_uniform_(Tensor& t, Generator& gen, double gain = 1.0);
/// Glorot: normal with std gain * sqrt(2 / (fan_in + fan_out)).
void xavier_normal_(Tensor& t, Generator& gen, double gain = 1.0);
/// He: uniform in +-sqrt(6 / fan_in) (ReLU gain sqrt(2)).
void kaiming_uniform_(Tensor& t, Generator& gen);
/// He: normal with std sqrt(2 / fan_in).
void kaiming_normal_(Tensor& t, Generator& gen);
/// The tutorials' randn(fan_in, fan_out) / sqrt(fan_in).
void scaled_normal_(Tensor& t, Generator& gen);

}  // namespace tg::nn::init
