#pragma once
// Hand-written backprop on OpenBLAS: the yardstick tapegrad's autograd is measured against.
// Written the way the tutorials derive it (delta = (softmax - onehot)/N, dW = a^T·delta,
// delta_prev = delta·W^T ∘ σ'(z)), weights (in, out) so that a layer is y = x·W + b.
// Every layer is a *_forward / *_backward pair; pointers are row-major, N is the batch.
// T is float (what the benchmark times, on sgemm) or double (on dgemm, for tests/test_bench_reference.cpp,
// where rounding is too small to hide a wrong step); both are instantiated in manual.cpp.

#include <cstdint>
#include <span>
#include <vector>

#include "workloads.hpp"

namespace tg::bench::manual {

/// z = x·w: x is (N, D), w is (D, O), z is (N, O); the bias is added by the activation that follows.
template <class T>
void linear_forward(T* z, const T* x, const T* w, int N, int D, int O);
/// dz is (N, O), x is (N, D), w is (D, O): dx = dz·w^T (skipped when dx is null) then
/// dw = alpha·x^T·dz + beta·dw; with dw == w, alpha = -lr, beta = 1 this is the SGD step itself.
template <class T>
void linear_backward(T* dx, T* dw, const T* dz, const T* x, const T* w, int N, int D, int O,
                     T alpha, T beta);

/// a is (N, O), b is (O): a = sigmoid(a + b) in place.
template <class T>
void bias_sigmoid_forward(T* a, const T* b, int N, int O);
/// da, a, dz are (N, O), db is (O): dz = da ∘ a(1 - a), db = column sums of dz; dz may be da.
template <class T>
void bias_sigmoid_backward(T* dz, T* db, const T* da, const T* a, int N, int O);
/// a is (N, O), b is (O): a = max(a + b, 0) in place.
template <class T>
void bias_relu_forward(T* a, const T* b, int N, int O);
/// da, a, dz are (N, O), db is (O): dz = da where a > 0 else 0, db = column sums of dz; dz may be da.
template <class T>
void bias_relu_backward(T* dz, T* db, const T* da, const T* a, int N, int O);

/// p is (N, O) holding z, b is (O), labels (N): p = softmax(z + b) row by row in place;
/// returns the mean cross-entropy -log p[label].
template <class T>
[[nodiscard]] T softmax_crossentropy_forward(T* p, const T* b, const std::int64_t* labels, int N, int O);
/// p, dz are (N, O), db is (O): dz = (p - onehot(labels)) / N, db = column sums of dz.
template <class T>
void softmax_crossentropy_backward(T* dz, T* db, const T* p, const std::int64_t* labels, int N, int O);
/// a, t are (n): returns mean((a - t)^2).
template <class T>
[[nodiscard]] T mse_forward(const T* a, const T* t, int n);
/// a, t, da are (n): da = 2(a - t) / n.
template <class T>
void mse_backward(T* da, const T* a, const T* t, int n);

/// p, g are (n): p -= lr·g.
template <class T>
void sgd_step(T* p, const T* g, int n, T lr);
/// p, g, m, v are (n): one step of PyTorch's Adam (bias-corrected, no weight decay); step counts from 1.
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int n, T lr, std::int64_t step);

/// The net of a workload with its preallocated buffers: train_step allocates nothing.
template <class T>
class BasicNet {
 public:
  /// Weights and biases drawn as PyTorch's nn.Linear does, from seed.
  explicit BasicNet(const Workload& w, std::uint32_t seed = 1);
  BasicNet(const BasicNet&) = delete;  // params_ and the others point into state_
  BasicNet& operator=(const BasicNet&) = delete;

  /// One training step on batch (made by make_batch for the same workload): forward, loss, backward and
  /// the optimizer update. Nothing needs zeroing: every gradient buffer is overwritten (beta = 0).
  /// Returns the loss before the update.
  T train_step(const BasicBatch<T>& batch);

  /// Layer l's weight (in, out) and bias (out).
  [[nodiscard]] std::span<T> weight(int l);
  [[nodiscard]] std::span<T> bias(int l);

 private:
  [[nodiscard]] T forward(const BasicBatch<T>& batch);
  // The gradient buffer of a parameter: same offset in grads_ as in params_.
  [[nodiscard]] T* grad_of(std::span<T> p) const { return grads_ + (p.data() - params_); }
  void backward_and_update(const BasicBatch<T>& batch);

  Workload w_;
  std::vector<std::size_t> offset_;  // layer l's weight starts at params_[offset_[l]], its bias follows
  // params_, grads_ and the Adam moments m_, v_ back to back in one allocation, each laid out
  // W0 b0 W1 b1 ...; the weight parts of grads_ are used by Adam only. As four separate vectors, fashion's
  // landed exactly 0x108000 bytes apart, an address pattern that made the Adam loop 5-15x slower on this
  // machine (Zen 4; measured); packed, they are 0x107040 apart.
  std::vector<T> state_;
  T* params_ = nullptr;
  T* grads_ = nullptr;
  T* m_ = nullptr;
  T* v_ = nullptr;
  std::vector<std::vector<T>> act_;  // act_[l] is (N, sizes[l+1]): layer l's output
  std::vector<std::vector<T>> dact_;  // dact_[l] is (N, sizes[l+1]): d loss / d act_[l], then / d z_l
  std::int64_t step_ = 0;
};
using Net = BasicNet<float>;

}  // namespace tg::bench::manual
