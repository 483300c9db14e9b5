// Random numbers: the Generator (xoshiro256** seeded through splitmix64), the sampling functions of
// random.hpp, the in-place fills normal_, uniform_ and bernoulli_, and dropout2d.

#include "tapegrad/random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "tapegrad/elementwise.hpp"

namespace tg {

using detail::number_str;

// ---- Generator ----

Generator::Generator(std::uint64_t seed) {
  for (auto& s : state_) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    s = z ^ (z >> 31);
  }
}

std::uint64_t Generator::next_u64() {
  const auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u1 = 0;
  do u1 = uniform();
  while (u1 <= 0);
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = r * std::sin(2.0 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2.0 * M_PI * u2);
}

std::uint64_t Generator::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Generator::below: n must be positive");
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the biased tail
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

Generator& default_generator() {
  thread_local Generator gen(0);
  return gen;
}

void manual_seed(std::uint64_t seed) { default_generator() = Generator(seed); }

namespace {

void check_float_dtype(Dtype dtype, const char* op) {
  if (!is_floating_point(dtype))
    throw std::invalid_argument(std::string(op) + ": needs a float32 or float64 tensor, got " +
                                std::string(dtype_name(dtype)));
}

void check_float(const Tensor& t, const char* op) {
  detail::check_defined(t, op);
  check_float_dtype(t.dtype(), op);
}

// t[i] = draw() for every element of a float tensor.
template <class F>
void fill_with(const Tensor& t, F draw) {
  visit_dtype(t.dtype(), [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(draw());
  });
}

}  // namespace

// ---- in-place fills (raw writes, not recorded; they bump the version) ----

Tensor& Tensor::uniform_(double from, double to, Generator& gen) {
  check_float(*this, "uniform_");
  if (!(from < to) || !std::isfinite(to - from))
    throw std::invalid_argument("uniform_: from (" + number_str(from) + ") must be below to (" + number_str(to) +
                                ") and both finite");
  fill_with(*this, [&] { return from + (to - from) * gen.uniform(); });
  detail::bump_version(impl());
  return *this;
}

Tensor& Tensor::normal_(double mean, double std, Generator& gen) {
  check_float(*this, "normal_");
  if (!(std >= 0) || !std::isfinite(mean) || !std::isfinite(std))
    throw std::invalid_argument("normal_: std must be non-negative and both moments finite, got mean " +
                                number_str(mean) + " and std " + number_str(std));
  fill_with(*this, [&] { return mean + std * gen.normal(); });
  detail::bump_version(impl());
  return *this;
}

Tensor& Tensor::bernoulli_(double p, Generator& gen) {
  check_float(*this, "bernoulli_");
  if (!(p >= 0 && p <= 1)) throw std::invalid_argument("bernoulli_: p must lie in [0, 1], got " + number_str(p));
  fill_with(*this, [&] { return gen.uniform() < p ? 1.0 : 0.0; });
  detail::bump_version(impl());
  return *this;
}

// ---- sampling functions ----

Tensor rand(const Shape& shape, Generator& gen, Dtype dtype, double low, double high) {
  if (!(low < high)) throw std::invalid_argument("rand: low must be below high");
  check_float_dtype(dtype, "rand");  // before allocating: a bad dtype is the error to report
  Tensor t = empty(shape, dtype);
  fill_with(t, [&] { return low + (high - low) * gen.uniform(); });
  return t;
}
Tensor rand(const Shape& shape, Dtype dtype) { return rand(shape, default_generator(), dtype); }

Tensor randn(const Shape& shape, Generator& gen, Dtype dtype, double mean, double stddev) {
  if (!(stddev >= 0)) throw std::invalid_argument("randn: stddev must be non-negative");
  check_float_dtype(dtype, "randn");  // before allocating: a bad dtype is the error to report
  Tensor t = empty(shape, dtype);
  fill_with(t, [&] { return mean + stddev * gen.normal(); });
  return t;
}
Tensor randn(const Shape& shape, Dtype dtype) { return randn(shape, default_generator(), dtype); }

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& gen, Dtype dtype) {
  if (!(low < high))
    throw std::invalid_argument("randint: low (" + std::to_string(low) + ") must be below high (" +
                                std::to_string(high) + ")");
  if (dtype == kBool) throw std::invalid_argument("randint: bool is not a dtype randint can produce");
  // high - low can exceed int64's range (low = -2^63, high = 2^63 - 1): count in uint64, where it cannot.
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  Tensor t = empty(shape, dtype);
  visit_all_dtypes(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0, n = t.numel(); i < n; ++i)
      p[i] = static_cast<T>(static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + gen.below(span)));
  });
  return t;
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Dtype dtype) {
  return randint(low, high, shape, default_generator(), dtype);
}
Tensor randint(std::int64_t high, const Shape& shape, Generator& gen, Dtype dtype) {
  return randint(0, high, shape, gen, dtype);
}
Tensor randint(std::int64_t high, const Shape& shape, Dtype dtype) {
  return randint(0, high, shape, default_generator(), dtype);
}

void random_permutation(std::span<std::int64_t> order, Generator& gen) {
  const auto n = static_cast<std::int64_t>(order.size());
  std::iota(order.begin(), order.end(), std::int64_t{0});
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
}

Tensor randperm(std::int64_t n, Generator& gen, Dtype dtype) {
  if (n < 0) throw std::invalid_argument("randperm: n must be >= 0, got " + std::to_string(n));
  if (dtype == kBool) throw std::invalid_argument("randperm: bool is not a dtype randperm can produce");
  Tensor order = empty(Shape{n}, kInt64);
  random_permutation(std::span(order.data<std::int64_t>(), static_cast<std::size_t>(n)), gen);
  return order.to(dtype);
}
Tensor randperm(std::int64_t n, Dtype dtype) { return randperm(n, default_generator(), dtype); }

Tensor bernoulli(const Tensor& probs, Generator& gen) {
  check_float(probs, "bernoulli");
  Tensor out = empty(probs.shape(), probs.dtype());
  visit_dtype(probs.dtype(), [&]<class T>() {
    const T* p = probs.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0, n = probs.numel(); i < n; ++i) {
      if (!(p[i] >= 0 && p[i] <= 1))
        throw std::invalid_argument("bernoulli: probabilities must lie in [0, 1], got " + number_str(p[i]) +
                                    " at flat index " + std::to_string(i));
      o[i] = gen.uniform() < p[i] ? T{1} : T{0};
    }
  });
  return out;
}
Tensor bernoulli(const Tensor& probs) { return bernoulli(probs, default_generator()); }

namespace {

// One row of multinomial with replacement: inverse transform on the running sums, so a zero weight
// (whose running sum equals its predecessor's) is never drawn.
void draw_with_replacement(const std::vector<double>& w, std::int64_t k, Generator& gen, std::int64_t* out) {
  std::vector<double> cdf(w.size());
  std::partial_sum(w.begin(), w.end(), cdf.begin());
  const double total = cdf.back();
  for (std::int64_t s = 0; s < k; ++s) {
    const double u = gen.uniform() * total;
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    out[s] = std::min<std::int64_t>(it - cdf.begin(), static_cast<std::int64_t>(w.size()) - 1);
  }
}

// One row without replacement (Efraimidis and Spirakis): the k largest keys log(u) / w_i, in decreasing
// order, are distributed as k draws that each remove the category drawn.
void draw_without_replacement(const std::vector<double>& w, std::int64_t k, Generator& gen, std::int64_t* out) {
  std::vector<std::pair<double, std::int64_t>> keys;
  for (std::size_t i = 0; i < w.size(); ++i) {
    double u = gen.uniform();
    while (u <= 0) u = gen.uniform();
    if (w[i] > 0) keys.emplace_back(std::log(u) / w[i], static_cast<std::int64_t>(i));
  }
  std::partial_sort(keys.begin(), keys.begin() + k, keys.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (std::int64_t s = 0; s < k; ++s) out[s] = keys[static_cast<std::size_t>(s)].second;
}

// Row r of the (rows, c) weights w, checked as PyTorch checks a distribution.
std::vector<double> distribution_row(const std::vector<double>& all, std::int64_t c, std::int64_t r, std::int64_t k,
                                     bool replacement) {
  const auto begin = all.begin() + r * c;
  std::vector<double> w(begin, begin + c);
  double total = 0;
  std::int64_t nonzero = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w[i]) || w[i] < 0)
      throw std::invalid_argument("multinomial: row " + std::to_string(r) + " holds " + number_str(w[i]) +
                                  " at category " + std::to_string(i) + "; weights must be finite and non-negative");
    total += w[i];
    nonzero += w[i] > 0 ? 1 : 0;
  }
  if (!(total > 0))
    throw std::invalid_argument("multinomial: row " + std::to_string(r) + " has weights summing to 0");
  if (!replacement && nonzero < k)
    throw std::invalid_argument("multinomial: row " + std::to_string(r) + " has " + std::to_string(nonzero) +
                                " non-zero weights, too few for " + std::to_string(k) +
                                " samples without replacement");
  return w;
}

}  // namespace

Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement, Generator& gen) {
  check_float(probs, "multinomial");
  if (probs.dim() != 1 && probs.dim() != 2)
    throw std::invalid_argument("multinomial: probs must be 1-d or 2-d, got shape " + probs.shape().str());
  if (probs.size(-1) == 0) throw std::invalid_argument("multinomial: probs has no categories: shape " + probs.shape().str());
  if (num_samples <= 0)
    throw std::invalid_argument("multinomial: num_samples must be positive, got " + std::to_string(num_samples));
  if (!replacement && num_samples > probs.size(-1))
    throw std::invalid_argument("multinomial: cannot draw " + std::to_string(num_samples) + " samples without "
                                "replacement from " + std::to_string(probs.size(-1)) + " categories");
  const std::int64_t rows = probs.dim() == 1 ? 1 : probs.size(0);
  Tensor out = empty(probs.dim() == 1 ? Shape{num_samples} : Shape{rows, num_samples}, kInt64);
  std::int64_t* po = out.data<std::int64_t>();
  const std::vector<double> all = probs.to_vector();
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::vector<double> w = distribution_row(all, probs.size(-1), r, num_samples, replacement);
    if (replacement) draw_with_replacement(w, num_samples, gen, po + r * num_samples);
    else draw_without_replacement(w, num_samples, gen, po + r * num_samples);
  }
  return out;
}
Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement) {
  return multinomial(probs, num_samples, replacement, default_generator());
}

// ---- dropout2d ----

// PyTorch's feature_dropout: one Bernoulli(1 - p) draw per (sample, channel), divided by 1 - p, broadcast
// over the rest; y = x * mask records mul, so the gradient (dy * mask) is differentiable again.
Tensor dropout2d(const Tensor& input, double p, bool training, Generator& gen) {
  check_float(input, "dropout2d");
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("dropout2d: p, the probability of zeroing a channel, must lie in [0, 1], got " +
                                number_str(p));
  if (input.dim() < 2)
    throw std::invalid_argument("dropout2d: expected an input [N, C, ...] of at least 2 dimensions, got " +
                                input.shape().str());
  if (!training || p == 0 || input.numel() == 0) return input;
  Shape noise = input.shape();
  for (int d = 2; d < noise.size(); ++d) noise[d] = 1;
  if (p == 1) return input * zeros(noise, input.dtype());
  Tensor mask = empty(noise, input.dtype());
  const double keep = 1 - p;
  fill_with(mask, [&] { return gen.uniform() < keep ? 1 / keep : 0.0; });
  return input * mask;
}
Tensor dropout2d(const Tensor& input, double p, bool training) {
  return dropout2d(input, p, training, default_generator());
}

}  // namespace tg
