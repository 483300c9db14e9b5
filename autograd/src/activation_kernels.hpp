#pragma once
// Scalar activations the op families share (private to autograd/src): activation.cpp's sigmoid and tanh
// and recurrent.cpp's gate arithmetic, which must round the same way as the ops it fuses.

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace tg::detail {

// e^x for float32 without branches, so that the loops calling it vectorise (glibc's expf does not):
// Cody-Waite reduction x = n ln2 + r, then Cephes' degree-6 polynomial for e^r; within 2 ulp of expf on
// [-87, 88] (tests/test_activation_f32.cpp). Inputs are clamped to that range: callers only need e^x
// there. Measured: the digits training step spent a third of its time in sigmoid's scalar expf.
// Always inlined: with two callers GCC 12 made it a call, which stopped sigmoid's loop from vectorising
// (the digits step went from 110 to 175 us).
[[gnu::always_inline]] inline float exp_f32(float x) {
  x = std::min(88.0F, std::max(-87.0F, x));
  const float n = std::floor(x * 1.44269504088896341F + 0.5F);
  float r = std::fma(n, -0.693359375F, x);
  r = std::fma(n, 2.12194440e-4F, r);
  float p = 1.9875691500e-4F;
  p = std::fma(p, r, 1.3981999507e-3F);
  p = std::fma(p, r, 8.3334519073e-3F);
  p = std::fma(p, r, 4.1665795894e-2F);
  p = std::fma(p, r, 1.6666665459e-1F);
  p = std::fma(p, r, 5.0000001201e-1F);
  p = std::fma(p, r * r, r) + 1.0F;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

template <class T>
[[gnu::always_inline]] inline T sigmoid_of(T u) {
  if constexpr (std::is_same_v<T, float>) {
    // e = e^-|u| as the square of e^(-|u|/2), so that it stays in exp_f32's range down to u = -174 and
    // underflows to 0 past it; then 1/(1+e) for u >= 0 and e/(1+e) below, as in the float64 branch.
    const float h = exp_f32(-0.5F * std::abs(u));
    const float e = h * h;
    const float s = (u >= 0 ? 1.0F : e) / (1.0F + e);
    return u != u ? u : s;  // the clamp inside exp_f32 would turn NaN into a number
  } else {
    // Split by sign so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    if (u >= 0) return T(1) / (T(1) + std::exp(-u));
    const T e = std::exp(u);
    return e / (T(1) + e);
  }
}

// tanh for float32 without branches, for the same reason as exp_f32: glibc's tanhf does not vectorise,
// and on tiny tensors its call made the recorded tanh the one op over 100 ns (bench ops/record_backward).
// Below |u| = 0.625 the Taylor series to u^17 (the first term left out is under 2^-24 of u there); above,
// (1 - e)/(1 + e) with e = e^-2|u| <= 0.29, so that no digits cancel. Every positive float checked
// exhaustively against tanh in float64 rounded to float: at most 2 ulp apart (tests/test_activation_f32.cpp
// samples the same).
[[gnu::always_inline]] inline float tanh_f32(float u) {
  const float a = std::abs(u);  // tanh is odd: work on |u|, then give the result u's sign (-0 stays -0)
  const float s = a * a;
  float q = 5.90027440945586e-4F;  // 6404582/10854718875, the u^17 coefficient; then u^15 ... u^3
  q = std::fma(q, s, -1.4558343870513183e-3F);
  q = std::fma(q, s, 3.592128036572481e-3F);
  q = std::fma(q, s, -8.863235529902197e-3F);
  q = std::fma(q, s, 2.1869488536155203e-2F);
  q = std::fma(q, s, -5.396825396825397e-2F);
  q = std::fma(q, s, 1.3333333333333333e-1F);
  q = std::fma(q, s, -3.333333333333333e-1F);
  const float series = std::fma(a * s, q, a);
  const float e = exp_f32(-2.0F * a);
  const float t = std::copysign(a < 0.625F ? series : (1.0F - e) / (1.0F + e), u);
  return u != u ? u : t;
}

/// tanh in T: tanh_f32 for float32, std::tanh for float64.
template <class T>
[[gnu::always_inline]] inline T tanh_of(T u) {
  if constexpr (std::is_same_v<T, float>)
    return tanh_f32(u);
  else
    return std::tanh(u);
}

}  // namespace tg::detail
