// Initialisers. Each draws into the tensor's storage directly: a raw write is not an op, so nothing is
// recorded and the parameter stays the same leaf (optimizers holding it see the new values). The write
// bumps its version, so that a backward recorded before it and reading it refuses to run.

#include "tapegrad/nn/init.hpp"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "tapegrad/detail/impl.hpp"

namespace tg::nn::init {

namespace {

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the tensor is undefined (default-constructed)");
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

void check_non_negative(double value, const char* what, const char* op) {
  if (!(value >= 0))
    throw std::invalid_argument(std::string(op) + ": " + what + " must be non-negative, got " + number(value));
}

// t[i] = draw() for every element, in t's dtype; an in-place write, so t's version goes up.
template <class F>
void fill_with(Tensor& t, F draw) {
  visit_dtype(t.dtype(), [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(draw());
  });
  tg::detail::bump_version(t.impl());
}

// The same formulas as tg::rand and tg::randn, so that a seed gives the same numbers.
void fill_uniform(Tensor& t, Generator& gen, double low, double high) {
  fill_with(t, [&] { return low + (high - low) * gen.uniform(); });
}

void fill_normal(Tensor& t, Generator& gen, double mean, double stddev) {
  fill_with(t, [&] { return mean + stddev * gen.normal(); });
}

struct Fans {
  double in;
  double out;
};

// fan_in = size(0); fan_out = size(1) for a matrix (the product of the trailing extents beyond), or
// size(0) for a 1-d tensor.
Fans fans(const Tensor& t, const char* op) {
  check_defined(t, op);
  if (t.dim() < 1)
    throw std::invalid_argument(std::string(op) + ": needs a tensor with at least 1 dimension, got shape " +
                                t.shape().str());
  const std::int64_t in = t.size(0);
  const std::int64_t out = t.dim() == 1 || in == 0 ? in : t.numel() / in;
  return {static_cast<double>(in), static_cast<double>(out)};
}

}  // namespace

void normal_(Tensor& t, Generator& gen, double mean, double stddev) {
  check_defined(t, "init::normal_");
  check_non_negative(stddev, "stddev", "init::normal_");
  fill_normal(t, gen, mean, stddev);
}

void uniform_(Tensor& t, Generator& gen, double low, double high) {
  check_defined(t, "init::uniform_");
  if (!(low < high))
    throw std::invalid_argument("init::uniform_: low (" + number(low) + ") must be below high (" + number(high) + ")");
  fill_uniform(t, gen, low, high);
}

void zeros_(Tensor& t) {
  check_defined(t, "init::zeros_");
  t.fill_(0.0);
}

void xavier_uniform_(Tensor& t, Generator& gen, double gain) {
  const Fans f = fans(t, "init::xavier_uniform_");
  check_non_negative(gain, "gain", "init::xavier_uniform_");
  const double bound = gain * std::sqrt(6.0 / (f.in + f.out));
  fill_uniform(t, gen, -bound, bound);
}

void xavier_normal_(Tensor& t, Generator& gen, double gain) {
  const Fans f = fans(t, "init::xavier_normal_");
  check_non_negative(gain, "gain", "init::xavier_normal_");
  fill_normal(t, gen, 0.0, gain * std::sqrt(2.0 / (f.in + f.out)));
}

void kaiming_uniform_(Tensor& t, Generator& gen) {
  const double bound = std::sqrt(6.0 / fans(t, "init::kaiming_uniform_").in);
  fill_uniform(t, gen, -bound, bound);
}

void kaiming_normal_(Tensor& t, Generator& gen) {
  fill_normal(t, gen, 0.0, std::sqrt(2.0 / fans(t, "init::kaiming_normal_").in));
}

void scaled_normal_(Tensor& t, Generator& gen) {
  const double root_fan_in = std::sqrt(fans(t, "init::scaled_normal_").in);
  fill_with(t, [&] { return gen.normal() / root_fan_in; });
}

}  // namespace tg::nn::init
