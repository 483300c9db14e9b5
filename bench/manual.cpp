#include "manual.hpp"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace tg::bench::manual {
namespace {

// At or below this many multiply-adds (M*N*K) a plain loop beats sgemm's call and packing overhead; of the
// workloads only zhou (2-2-1, batch 1) gets here.
constexpr long kTinyGemm = 512;

// C = alpha·op(A)·op(B) + beta·C, row-major, op transposing when the flag is set (cblas_?gemm's contract).
template <class T>
void gemm(bool trans_a, bool trans_b, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb,
          T beta, T* C, int ldc) {
  if (static_cast<long>(M) * N * K > kTinyGemm) {
    const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
      cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      T s = 0;
      for (int k = 0; k < K; ++k) {
        const T a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const T b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        s += a * b;
      }
      C[i * ldc + j] = beta == 0 ? alpha * s : alpha * s + beta * C[i * ldc + j];  // beta = 0 never reads C
    }
  }
}

// e^x to within about 2 ulp (Cephes' expf): a loop calling glibc's expf is not vectorised without
// -ffast-math, and sigmoid's exp took a third of the digits step (perf); inlined, it vectorises.
// In double (tests only) it is std::exp.
inline double exp_approx(double x) { return std::exp(x); }
inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.3f), 88.0f);         // 2^n below stays a normal float
  const float n = std::nearbyint(x * 1.44269504f);  // x = n·ln2 + r, |r| <= ln2/2 (floor does not vectorise)
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln2 in two parts keeps r exact
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;                                                   // e^r
  return p * std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);  // e^r · 2^n
}

// db = column sums of dz (N, O): the bias gradient of every layer, since z = x·W + 1·b^T gives db = dz^T·1.
template <class T>
void column_sums(T* db, const T* dz, int N, int O) {
  std::fill(db, db + O, T{0});
  for (int i = 0; i < N; ++i) {
    const T* row = dz + static_cast<std::ptrdiff_t>(i) * O;
    for (int j = 0; j < O; ++j) db[j] += row[j];
  }
}

}  // namespace

template <class T>
void linear_forward(T* z, const T* x, const T* w, int N, int D, int O) {
  // x is (N, D), w is (D, O), z is (N, O)
  gemm(false, false, N, O, D, T{1}, x, D, w, O, T{0}, z, O);  // z = x·w
}

template <class T>
void linear_backward(T* dx, T* dw, const T* dz, const T* x, const T* w, int N, int D, int O,
                     T alpha, T beta) {
  // dz is (N, O), x is (N, D), w and dw are (D, O), dx is (N, D); dx goes first as dw may be w itself.
  if (dx != nullptr) gemm(false, true, N, D, O, T{1}, dz, O, w, O, T{0}, dx, D);  // z = x·w: dx = dz·w^T
  gemm(true, false, D, O, N, alpha, x, D, dz, O, beta, dw, O);                    // z = x·w: dw = x^T·dz
}

template <class T>
void bias_sigmoid_forward(T* a, const T* b, int N, int O) {
  // a is (N, O) holding z on entry, b is (O)
  for (int i = 0; i < N; ++i) {
    T* row = a + static_cast<std::ptrdiff_t>(i) * O;
    for (int j = 0; j < O; ++j) row[j] = 1 / (1 + exp_approx(-(row[j] + b[j])));  // a = σ(z + b)
  }
}

template <class T>
void bias_sigmoid_backward(T* dz, T* db, const T* da, const T* a, int N, int O) {
  // da, a, dz are (N, O), db is (O)
  for (int i = 0; i < N * O; ++i) dz[i] = da[i] * a[i] * (1 - a[i]);  // a = σ(z + b): dz = da ∘ a(1 - a)
  column_sums(db, dz, N, O);                                               // z + b: db = Σ_rows dz
}

template <class T>
void bias_relu_forward(T* a, const T* b, int N, int O) {
  // a is (N, O) holding z on entry, b is (O)
  for (int i = 0; i < N; ++i) {
    T* row = a + static_cast<std::ptrdiff_t>(i) * O;
    for (int j = 0; j < O; ++j) row[j] = std::max(row[j] + b[j], T{0});  // a = max(z + b, 0)
  }
}

template <class T>
void bias_relu_backward(T* dz, T* db, const T* da, const T* a, int N, int O) {
  // da, a, dz are (N, O), db is (O)
  for (int i = 0; i < N * O; ++i) dz[i] = a[i] > 0 ? da[i] : T{0};  // a = max(z + b, 0): dz = da ∘ [a > 0]
  column_sums(db, dz, N, O);                                            // z + b: db = Σ_rows dz
}

template <class T>
T softmax_crossentropy_forward(T* p, const T* b, const std::int64_t* labels, int N, int O) {
  // p is (N, O) holding z on entry, b is (O), labels is (N)
  double loss = 0;
  for (int i = 0; i < N; ++i) {
    T* row = p + static_cast<std::ptrdiff_t>(i) * O;
    T m = row[0] + b[0];
    for (int j = 0; j < O; ++j) {
      row[j] += b[j];  // z + b
      m = std::max(m, row[j]);
    }
    const T z_label = row[labels[i]];
    T sum = 0;
    for (int j = 0; j < O; ++j) {
      row[j] = exp_approx(row[j] - m);  // e = exp(z - max): the max keeps exp finite
      sum += row[j];
    }
    const T inv = 1 / sum;
    for (int j = 0; j < O; ++j) row[j] *= inv;  // p = e / Σ e
    loss += std::log(sum) - (z_label - m);     // -log p[label] = log Σ exp(z - max) - (z[label] - max)
  }
  return static_cast<T>(loss / N);
}

template <class T>
void softmax_crossentropy_backward(T* dz, T* db, const T* p, const std::int64_t* labels, int N, int O) {
  // p, dz are (N, O), db is (O), labels is (N)
  const T inv_n = T{1} / static_cast<T>(N);
  for (int i = 0; i < N * O; ++i) dz[i] = p[i] * inv_n;  // loss = mean -log p[label]: dz = (p - onehot) / N
  for (int i = 0; i < N; ++i) dz[i * O + labels[i]] -= inv_n;
  column_sums(db, dz, N, O);  // z + b: db = Σ_rows dz
}

template <class T>
T mse_forward(const T* a, const T* t, int n) {
  // a, t are (n)
  T sum = 0;
  for (int i = 0; i < n; ++i) sum += (a[i] - t[i]) * (a[i] - t[i]);  // loss = mean (a - t)^2
  return sum / static_cast<T>(n);
}

template <class T>
void mse_backward(T* da, const T* a, const T* t, int n) {
  // a, t, da are (n)
  const T scale = T{2} / static_cast<T>(n);
  for (int i = 0; i < n; ++i) da[i] = scale * (a[i] - t[i]);  // loss = mean (a - t)^2: da = 2(a - t)/n
}

template <class T>
void sgd_step(T* p, const T* g, int n, T lr) {
  // p, g are (n)
  for (int i = 0; i < n; ++i) p[i] -= lr * g[i];
}

// 256-bit vectors: with 512-bit ones this loop's sqrt and division ran 3x slower on this machine (Zen 4
// splits them; measured 180 us against 65 us for fashion's first layer), while GCC's -march=native picks
// 512. Clang has no such attribute and prefers 256-bit vectors by default.
template <class T>
#ifndef __clang__
[[gnu::target("prefer-vector-width=256")]]
#endif
void adam_step(T* p, const T* g, T* m, T* v, int n, T lr, std::int64_t step) {
  // p, g, m, v are (n); the scalars in double as PyTorch computes them in Python floats
  const double t = static_cast<double>(step);
  const auto step_size = static_cast<T>(lr / (1.0 - std::pow(kAdamBeta1, t)));              // lr / (1 - β1^t)
  const auto inv_bc2_sqrt = static_cast<T>(1.0 / std::sqrt(1.0 - std::pow(kAdamBeta2, t)));
  const auto beta1 = static_cast<T>(kAdamBeta1);
  const auto beta2 = static_cast<T>(kAdamBeta2);
  const auto eps = static_cast<T>(kAdamEps);
  for (int i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];         // m = β1 m + (1 - β1) g
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];  // v = β2 v + (1 - β2) g²
    const T denom = std::sqrt(v[i]) * inv_bc2_sqrt + eps;  // sqrt(v / (1 - β2^t)) + eps
    p[i] -= step_size * m[i] / denom;                               // p -= lr m̂ / denom
  }
}

template <class T>
BasicNet<T>::BasicNet(const Workload& w, std::uint32_t seed) : w_(w) {
  std::size_t total = 0;
  for (int l = 0; l < w.num_layers(); ++l) {
    offset_.push_back(total);
    total += static_cast<std::size_t>(w.sizes[l] + 1) * w.sizes[l + 1];  // (in, out) weight, then (out) bias
  }
  const std::size_t block = (total + 15) / 16 * 16;  // 64-byte multiples
  const std::size_t blocks = w.optimizer == Optimizer::kAdam ? 4 : 2;
  state_.resize(blocks * block);
  params_ = state_.data();
  grads_ = params_ + block;
  if (w.optimizer == Optimizer::kAdam) {
    m_ = grads_ + block;
    v_ = m_ + block;
  }
  std::mt19937 gen(seed);
  for (int l = 0; l < w.num_layers(); ++l) {
    init_uniform(weight(l), w.sizes[l], gen);
    init_uniform(bias(l), w.sizes[l], gen);
    act_.emplace_back(static_cast<std::size_t>(w.batch) * w.sizes[l + 1]);
    dact_.emplace_back(static_cast<std::size_t>(w.batch) * w.sizes[l + 1]);
  }
}

template <class T>
std::span<T> BasicNet<T>::weight(int l) {
  return {params_ + offset_[l], static_cast<std::size_t>(w_.sizes[l]) * w_.sizes[l + 1]};
}

template <class T>
std::span<T> BasicNet<T>::bias(int l) {
  return {params_ + offset_[l] + weight(l).size(), static_cast<std::size_t>(w_.sizes[l + 1])};
}

template <class T>
T BasicNet<T>::train_step(const BasicBatch<T>& batch) {
  const auto N = static_cast<std::size_t>(w_.batch);
  const bool softmax = w_.loss == Loss::kSoftmaxCrossEntropy;
  const bool fits = batch.x.size() == N * w_.inputs() &&
                    (softmax ? batch.labels.size() == N : batch.targets.size() == N * w_.outputs());
  if (!fits)
    throw std::invalid_argument("manual::Net::train_step: the batch does not fit workload '" + std::string(w_.name) +
                                "'; make it with make_batch for the same workload");
  ++step_;
  const T loss = forward(batch);
  backward_and_update(batch);
  return loss;
}

template <class T>
T BasicNet<T>::forward(const BasicBatch<T>& batch) {
  const int N = w_.batch;
  const int L = w_.num_layers();
  for (int l = 0; l < L; ++l) {
    const T* in = l == 0 ? batch.x.data() : act_[l - 1].data();
    const int O = w_.sizes[l + 1];
    linear_forward(act_[l].data(), in, weight(l).data(), N, w_.sizes[l], O);
    if (l == L - 1) break;
    if (w_.hidden == Activation::kSigmoid)
      bias_sigmoid_forward(act_[l].data(), bias(l).data(), N, O);
    else
      bias_relu_forward(act_[l].data(), bias(l).data(), N, O);
  }
  T* out = act_[L - 1].data();
  if (w_.loss == Loss::kSoftmaxCrossEntropy)
    return softmax_crossentropy_forward(out, bias(L - 1).data(), batch.labels.data(), N, w_.outputs());
  bias_sigmoid_forward(out, bias(L - 1).data(), N, w_.outputs());
  return mse_forward(out, batch.targets.data(), N * w_.outputs());
}

template <class T>
void BasicNet<T>::backward_and_update(const BasicBatch<T>& batch) {
  const int N = w_.batch;
  const int L = w_.num_layers();
  for (int l = L - 1; l >= 0; --l) {
    const int D = w_.sizes[l];
    const int O = w_.sizes[l + 1];
    T* dz = dact_[l].data();
    T* db = grad_of(bias(l));
    if (l < L - 1) {  // dact_[l] holds d loss / d act_[l], from layer l + 1's dx
      if (w_.hidden == Activation::kSigmoid)
        bias_sigmoid_backward(dz, db, dz, act_[l].data(), N, O);
      else
        bias_relu_backward(dz, db, dz, act_[l].data(), N, O);
    } else if (w_.loss == Loss::kSoftmaxCrossEntropy) {
      softmax_crossentropy_backward(dz, db, act_[l].data(), batch.labels.data(), N, O);
    } else {
      mse_backward(dz, act_[l].data(), batch.targets.data(), N * O);
      bias_sigmoid_backward(dz, db, dz, act_[l].data(), N, O);
    }
    T* dx = l > 0 ? dact_[l - 1].data() : nullptr;  // the input itself needs no gradient
    const T* x = l > 0 ? act_[l - 1].data() : batch.x.data();
    T* w = weight(l).data();
    if (w_.optimizer == Optimizer::kSgd) {
      linear_backward(dx, w, dz, x, w, N, D, O, -static_cast<T>(w_.lr), T{1});  // w -= lr·x^T·dz inside the sgemm
      sgd_step(bias(l).data(), db, O, static_cast<T>(w_.lr));
    } else {
      T* dw = grad_of(weight(l));
      linear_backward(dx, dw, dz, x, w, N, D, O, T{1}, T{0});
      // Adam on this layer's weight and bias (contiguous) while its gradient is still in cache.
      const std::size_t o = offset_[l];
      adam_step(params_ + o, dw, m_ + o, v_ + o, (D + 1) * O, static_cast<T>(w_.lr), step_);
    }
  }
}

template class BasicNet<float>;
template class BasicNet<double>;

}  // namespace tg::bench::manual
