#pragma once
// Logic: comparisons, masks and selection, with PyTorch's names and semantics. Comparisons, the isnan
// family, any/all and the logical ops give kBool tensors that never require grad; where, masked_fill and
// clamp with tensor bounds are differentiable in their floating-point tensor inputs. Everything
// broadcasts as NumPy does. NaN compares as IEEE: every comparison with NaN is false except ne.
//
// Where tapegrad differs from PyTorch: the two tensors compared (or selected between by where, or
// clamped together) must have the same dtype (PyTorch promotes); a double scalar takes the tensor's
// dtype for float32/float64 tensors (as PyTorch) and is compared as a double with int64 and bool ones
// (PyTorch promotes those to float32); in where/masked_fill a scalar value is converted to the tensor's
// dtype as to() converts (PyTorch promotes where's result); the bitwise operators ~ & | ^ take bool
// tensors only.

#include "tapegrad/tensor.hpp"

namespace tg {

// ---- comparisons: a and b of any one dtype, broadcast; the result is kBool ----

[[nodiscard]] Tensor eq(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor ne(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor lt(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor le(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor gt(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor ge(const Tensor& a, const Tensor& b);
/// With a scalar: works for every dtype (see the header comment for how b is compared).
[[nodiscard]] Tensor eq(const Tensor& a, double b);
[[nodiscard]] Tensor ne(const Tensor& a, double b);
[[nodiscard]] Tensor lt(const Tensor& a, double b);
[[nodiscard]] Tensor le(const Tensor& a, double b);
[[nodiscard]] Tensor gt(const Tensor& a, double b);
[[nodiscard]] Tensor ge(const Tensor& a, double b);

// As torch::Tensor's operators: elementwise, giving kBool tensors (not a bool; compare handles with
// a.impl() == b.impl()).
[[nodiscard]] Tensor operator==(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator!=(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator<(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator<=(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator>(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator>=(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator==(const Tensor& a, double b);
[[nodiscard]] Tensor operator!=(const Tensor& a, double b);
[[nodiscard]] Tensor operator<(const Tensor& a, double b);
[[nodiscard]] Tensor operator<=(const Tensor& a, double b);
[[nodiscard]] Tensor operator>(const Tensor& a, double b);
[[nodiscard]] Tensor operator>=(const Tensor& a, double b);
[[nodiscard]] Tensor operator==(double a, const Tensor& b);
[[nodiscard]] Tensor operator!=(double a, const Tensor& b);
[[nodiscard]] Tensor operator<(double a, const Tensor& b);
[[nodiscard]] Tensor operator<=(double a, const Tensor& b);
[[nodiscard]] Tensor operator>(double a, const Tensor& b);
[[nodiscard]] Tensor operator>=(double a, const Tensor& b);

// ---- selection ----

/// input where condition is true, other elsewhere; condition is kBool, input and other share a dtype,
/// and the three broadcast together. Gradients: d input = dy where condition, d other = dy elsewhere.
[[nodiscard]] Tensor where(const Tensor& condition, const Tensor& input, const Tensor& other);
[[nodiscard]] Tensor where(const Tensor& condition, const Tensor& input, double other);
[[nodiscard]] Tensor where(const Tensor& condition, double input, const Tensor& other);
/// x with value where mask (kBool, broadcastable to x's shape) is true; the result has x's shape, and
/// x's gradient is dy, 0 where filled.
[[nodiscard]] Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
/// min(max(x, min), max) elementwise with tensor bounds (x, min, max of one dtype, float or int64,
/// broadcast together); an undefined bound is no bound, but one must be defined. As PyTorch: a NaN in
/// any of the three gives NaN, where min > max the result is max, x's gradient is dy where
/// min <= x <= max (bounds included), min's is dy where x < min (and min < max), max's dy where
/// x > max (or max < min).
[[nodiscard]] Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);

// ---- tests of values: any dtype in, kBool out (int64 and bool are never NaN or infinite) ----

[[nodiscard]] Tensor isnan(const Tensor& x);
/// +-inf.
[[nodiscard]] Tensor isinf(const Tensor& x);
/// Neither NaN nor infinite.
[[nodiscard]] Tensor isfinite(const Tensor& x);
/// Whether any / every element is non-zero (NaN counts as non-zero); 0-d. any of an empty tensor is
/// false, all of one is true.
[[nodiscard]] Tensor any(const Tensor& x);
[[nodiscard]] Tensor all(const Tensor& x);
/// The same along dimension dim (negative counts from the back).
[[nodiscard]] Tensor any(const Tensor& x, int dim, bool keepdim = false);
[[nodiscard]] Tensor all(const Tensor& x, int dim, bool keepdim = false);

// ---- logical ops: inputs of any dtypes (non-zero is true), broadcast; the result is kBool ----

[[nodiscard]] Tensor logical_and(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor logical_or(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor logical_xor(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor logical_not(const Tensor& x);
/// As torch::Tensor's bitwise operators, for kBool tensors only: logical_not, _and, _or, _xor.
[[nodiscard]] Tensor operator~(const Tensor& x);
[[nodiscard]] Tensor operator&(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator|(const Tensor& a, const Tensor& b);
[[nodiscard]] Tensor operator^(const Tensor& a, const Tensor& b);

}  // namespace tg
