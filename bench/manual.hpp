#pragma once
// Hand-written backprop on OpenBLAS: the yardstick tapegrad's autograd is measured against.
// Written the way the tutorials derive it (delta = (softmax - onehot)/N, dW = a^T·delta,
// delta_prev = delta·W^T ∘ σ'(z)), float32, weights (in, out) so that a layer is y = x·W + b.
// Every layer is a *_forward / *_backward pair; pointers are row-major, N is the batch.

#include <cstdint>
#include <span>
#include <vector>

#include "workloads.hpp"

namespace tg::bench::manual {

/// z = x·w: x is (N, D), w is (D, O), z is (N, O); the bias is added by the activation that follows.
void linear_forward(float* z, const float* x, const float* w, int N, int D, int O);
/// dz is (N, O), x is (N, D), w is (D, O): dx = dz·w^T (skipped when dx is null) then
/// dw = alpha·x^T·dz + beta·dw; with dw == w, alpha = -lr, beta = 1 this is the SGD step itself.
void linear_backward(float* dx, float* dw, const float* dz, const float* x, const float* w, int N, int D, int O,
                     float alpha, float beta);

/// a is (N, O), b is (O): a = sigmoid(a + b) in place.
void bias_sigmoid_forward(float* a, const float* b, int N, int O);
/// da, a, dz are (N, O), db is (O): dz = da ∘ a(1 - a), db = column sums of dz; dz may be da.
void bias_sigmoid_backward(float* dz, float* db, const float* da, const float* a, int N, int O);
/// a is (N, O), b is (O): a = max(a + b, 0) in place.
void bias_relu_forward(float* a, const float* b, int N, int O);
/// da, a, dz are (N, O), db is (O): dz = da where a > 0 else 0, db = column sums of dz; dz may be da.
void bias_relu_backward(float* dz, float* db, const float* da, const float* a, int N, int O);

/// p is (N, O) holding z, b is (O), labels (N): p = softmax(z + b) row by row in place;
/// returns the mean cross-entropy -log p[label].
[[nodiscard]] float softmax_crossentropy_forward(float* p, const float* b, const std::int64_t* labels, int N, int O);
/// p, dz are (N, O), db is (O): dz = (p - onehot(labels)) / N, db = column sums of dz.
void softmax_crossentropy_backward(float* dz, float* db, const float* p, const std::int64_t* labels, int N, int O);
/// a, t are (n): returns mean((a - t)^2).
[[nodiscard]] float mse_forward(const float* a, const float* t, int n);
/// a, t, da are (n): da = 2(a - t) / n.
void mse_backward(float* da, const float* a, const float* t, int n);

/// p, g are (n): p -= lr·g.
void sgd_step(float* p, const float* g, int n, float lr);
/// p, g, m, v are (n): one step of PyTorch's Adam (bias-corrected, no weight decay); step counts from 1.
void adam_step(float* p, const float* g, float* m, float* v, int n, float lr, std::int64_t step);

/// The net of a workload with its preallocated buffers: train_step allocates nothing.
class Net {
 public:
  /// Weights and biases drawn as PyTorch's nn.Linear does, from seed.
  explicit Net(const Workload& w, std::uint32_t seed = 1);
  Net(const Net&) = delete;  // params_ and the others point into state_
  Net& operator=(const Net&) = delete;

  /// One training step on batch (made by make_batch for the same workload): forward, loss, backward and
  /// the optimizer update. Nothing needs zeroing: every gradient buffer is overwritten (beta = 0).
  /// Returns the loss before the update.
  float train_step(const Batch& batch);

  /// Layer l's weight (in, out) and bias (out).
  [[nodiscard]] std::span<float> weight(int l);
  [[nodiscard]] std::span<float> bias(int l);

 private:
  [[nodiscard]] float forward(const Batch& batch);
  // The gradient buffer of a parameter: same offset in grads_ as in params_.
  [[nodiscard]] float* grad_of(std::span<float> p) const { return grads_ + (p.data() - params_); }
  void backward_and_update(const Batch& batch);

  Workload w_;
  std::vector<std::size_t> offset_;  // layer l's weight starts at params_[offset_[l]], its bias follows
  // params_, grads_ and the Adam moments m_, v_ back to back in one allocation, each laid out
  // W0 b0 W1 b1 ...; the weight parts of grads_ are used by Adam only. As four separate vectors, fashion's
  // landed exactly 0x108000 bytes apart, an address pattern that made the Adam loop 5-15x slower on this
  // machine (Zen 4; measured); packed, they are 0x107040 apart.
  std::vector<float> state_;
  float* params_ = nullptr;
  float* grads_ = nullptr;
  float* m_ = nullptr;
  float* v_ = nullptr;
  std::vector<std::vector<float>> act_;  // act_[l] is (N, sizes[l+1]): layer l's output
  std::vector<std::vector<float>> dact_;  // dact_[l] is (N, sizes[l+1]): d loss / d act_[l], then / d z_l
  std::int64_t step_ = 0;
};

}  // namespace tg::bench::manual
