// Logic: comparisons, where, masked_fill, clamp with tensor bounds, the isnan family, any/all and the
// logical ops. Backwards are PyTorch's formulas (tools/autograd/derivatives.yaml) written with
// tapegrad's own ops, so that recording the sweep later gives gradients of gradients.

#include "tapegrad/logic.hpp"

#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <type_traits>

#include "kernels.hpp"
#include "tapegrad/reduction.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::broadcast_shapes;
using detail::check_defined;
using detail::needs_grad;
using detail::record;
using detail::saves;

namespace {

void check_bool(const Tensor& t, const char* op, const char* what) {
  if (t.dtype() != kBool)
    throw std::invalid_argument(std::string(op) + ": " + what + " must be a bool tensor, got " +
                                std::string(dtype_name(t.dtype())) + " (make one with a comparison or .to(tg::kBool))");
}

// a cmp b elementwise, a and b of one dtype, broadcast.
template <class Cmp>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, Cmp cmp) {
  check_defined(a, op);
  check_defined(b, op);
  detail::check_same_dtype(a, b, op);
  return detail::broadcast_zip<bool>(a, b, broadcast_shapes(a.shape(), b.shape(), op), cmp);
}

// a cmp b with a scalar: in a float tensor's own dtype (as PyTorch, so that a float32 0.1 == 0.1), as
// doubles for int64 and bool (so that 2 < 2.5 and not 2 < 2).
template <class Cmp>
Tensor compare(const char* op, const Tensor& a, double b, Cmp cmp) {
  check_defined(a, op);
  return detail::map<bool>(a, [b, cmp](auto u) {
    using T = decltype(u);
    if constexpr (std::is_floating_point_v<T>) return cmp(u, static_cast<T>(b));
    else return cmp(static_cast<double>(u), b);
  });
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", a, b, std::equal_to<>()); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", a, b, std::not_equal_to<>()); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", a, b, std::less<>()); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", a, b, std::less_equal<>()); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", a, b, std::greater<>()); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", a, b, std::greater_equal<>()); }
Tensor eq(const Tensor& a, double b) { return compare("eq", a, b, std::equal_to<>()); }
Tensor ne(const Tensor& a, double b) { return compare("ne", a, b, std::not_equal_to<>()); }
Tensor lt(const Tensor& a, double b) { return compare("lt", a, b, std::less<>()); }
Tensor le(const Tensor& a, double b) { return compare("le", a, b, std::less_equal<>()); }
Tensor gt(const Tensor& a, double b) { return compare("gt", a, b, std::greater<>()); }
Tensor ge(const Tensor& a, double b) { return compare("ge", a, b, std::greater_equal<>()); }

Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, double b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, double b) { return ne(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, double b) { return le(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, b); }
Tensor operator==(double a, const Tensor& b) { return eq(b, a); }
Tensor operator!=(double a, const Tensor& b) { return ne(b, a); }
Tensor operator<(double a, const Tensor& b) { return gt(b, a); }
Tensor operator<=(double a, const Tensor& b) { return ge(b, a); }
Tensor operator>(double a, const Tensor& b) { return lt(b, a); }
Tensor operator>=(double a, const Tensor& b) { return le(b, a); }

// ---- selection ----

Tensor where(const Tensor& condition, const Tensor& input, const Tensor& other) {
  check_defined(condition, "where");
  check_defined(input, "where");
  check_defined(other, "where");
  check_bool(condition, "where", "condition");
  detail::check_same_dtype(input, other, "where");
  const Shape out = broadcast_shapes({&condition.shape(), &input.shape(), &other.shape()}, "where");
  Tensor y = empty(out, input.dtype());
  visit_all_dtypes(input.dtype(), [&]<class T>() {
    detail::broadcast_zip3_into(condition.data<bool>(), condition.shape(), input.data<T>(), input.shape(),
                                other.data<T>(), other.shape(), y.data<T>(), out,
                                [](bool c, T u, T v) { return c ? u : v; });
  });
  if (needs_grad(input, other))
    record("where", y, saves(condition), [condition, input, other](const Tensor& dy, const Tensor&) {
      // y = where(c, a, b): da = where(c, dy, 0), db = where(c, 0, dy), each summed to its input's shape
      if (input.requires_grad()) accumulate_grad(input, sum_to(where(condition, dy, 0.0), input.shape()));
      if (other.requires_grad()) accumulate_grad(other, sum_to(where(condition, 0.0, dy), other.shape()));
    });
  return y;
}

// The scalar becomes a 0-d tensor of the other operand's dtype (converted as to() converts), which
// broadcasts like any other operand and never requires grad.
Tensor where(const Tensor& condition, const Tensor& input, double other) {
  check_defined(input, "where");
  return where(condition, input, scalar_tensor(other, input.dtype()));
}

Tensor where(const Tensor& condition, double input, const Tensor& other) {
  check_defined(other, "where");
  return where(condition, scalar_tensor(input, other.dtype()), other);
}

// y = where(mask, value, x), whose backward gives dx = where(mask, 0, dy); mask may not enlarge x.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_defined(x, "masked_fill");
  check_defined(mask, "masked_fill");
  check_bool(mask, "masked_fill", "mask");
  if (broadcast_shapes(x.shape(), mask.shape(), "masked_fill") != x.shape())
    throw std::invalid_argument("masked_fill: mask of shape " + mask.shape().str() +
                                " cannot be broadcast to x's shape " + x.shape().str());
  return where(mask, value, x);
}

namespace {

// The forward of clamp: lo and hi are stand-ins (any operand of the broadcast) when absent.
Tensor clamp_values(const Tensor& x, const Tensor& lo, bool has_lo, const Tensor& hi, bool has_hi, const Shape& out) {
  Tensor y = empty(out, x.dtype());
  visit_all_dtypes(x.dtype(), [&]<class T>() {
    detail::broadcast_zip3_into(x.data<T>(), x.shape(), lo.data<T>(), lo.shape(), hi.data<T>(), hi.shape(),
                                y.data<T>(), out, [has_lo, has_hi](T u, T l, T h) {
                                  // std::min(std::max(u, l), h), as PyTorch's kernel, with NaN bounds giving NaN
                                  if (has_lo) u = l != l ? l : (u < l ? l : u);
                                  if (has_hi) u = h != h ? h : (h < u ? h : u);
                                  return u;
                                });
  });
  return y;
}

}  // namespace

Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max) {
  check_defined(x, "clamp");
  if (!min.defined() && !max.defined())
    throw std::invalid_argument("clamp: at least one of min and max must be a defined tensor");
  if (x.dtype() == kBool) throw std::invalid_argument("clamp: x must be a float32, float64 or int64 tensor, got bool");
  const Tensor& lo = min.defined() ? min : x;
  const Tensor& hi = max.defined() ? max : x;
  detail::check_same_dtype(x, lo, "clamp");
  detail::check_same_dtype(x, hi, "clamp");
  const Shape out = min.defined() && max.defined()
                        ? broadcast_shapes({&x.shape(), &min.shape(), &max.shape()}, "clamp")
                        : broadcast_shapes(x.shape(), (min.defined() ? min : max).shape(), "clamp");
  Tensor y = clamp_values(x, lo, min.defined(), hi, max.defined(), out);
  if (needs_grad(x, min, max))
    record("clamp", y, saves(x, min, max), [x, min, max](const Tensor& dy, const Tensor&) {
      // PyTorch's clamp_backward and clamp_backward_min_max, each mask broadcast against dy, each gradient
      // summed to its input's shape: dx = dy where min <= x <= max; dmin = dy where x < min (and min < max);
      // dmax = dy where x > max (or max < min, where the result is max).
      if (x.requires_grad()) {
        const Tensor inside = !min.defined()   ? le(x, max)
                              : !max.defined() ? ge(x, min)
                                               : logical_and(ge(x, min), le(x, max));
        accumulate_grad(x, sum_to(where(inside, dy, 0.0), x.shape()));
      }
      if (min.requires_grad()) {
        const Tensor below = max.defined() ? logical_and(lt(x, min), lt(min, max)) : lt(x, min);
        accumulate_grad(min, sum_to(where(below, dy, 0.0), min.shape()));
      }
      if (max.requires_grad()) {
        const Tensor above = min.defined() ? logical_or(gt(x, max), lt(max, min)) : gt(x, max);
        accumulate_grad(max, sum_to(where(above, dy, 0.0), max.shape()));
      }
    });
  return y;
}

// ---- tests of values ----

Tensor isnan(const Tensor& x) {
  check_defined(x, "isnan");
  return detail::map<bool>(x, [](auto u) { return u != u; });
}

Tensor isinf(const Tensor& x) {
  check_defined(x, "isinf");
  return detail::map<bool>(x, [](auto u) {
    if constexpr (std::is_floating_point_v<decltype(u)>) return std::isinf(u);
    else return false;
  });
}

Tensor isfinite(const Tensor& x) {
  check_defined(x, "isfinite");
  return detail::map<bool>(x, [](auto u) {
    if constexpr (std::is_floating_point_v<decltype(u)>) return std::isfinite(u);
    else return true;
  });
}

namespace {

// any and all as counts: any = (number of non-zero elements) > 0, all = (number of zeros) == 0, the
// counts summed over every dimension (dim == nullptr) or one.
Tensor count_test(const char* op, bool is_all, const Tensor& x, const int* dim, bool keepdim) {
  check_defined(x, op);
  const Tensor counted = is_all ? logical_not(x) : (x.dtype() == kBool ? x : ne(x, 0.0));
  Tensor count;
  if (dim == nullptr) {
    count = sum(counted);
  } else {
    const int d = detail::normalize_dim(*dim, x.dim(), op);
    count = sum(counted, std::span<const int>(&d, 1), keepdim);
  }
  return is_all ? eq(count, 0.0) : gt(count, 0.0);
}

}  // namespace

Tensor any(const Tensor& x) { return count_test("any", false, x, nullptr, false); }
Tensor all(const Tensor& x) { return count_test("all", true, x, nullptr, false); }
Tensor any(const Tensor& x, int dim, bool keepdim) { return count_test("any", false, x, &dim, keepdim); }
Tensor all(const Tensor& x, int dim, bool keepdim) { return count_test("all", true, x, &dim, keepdim); }

// ---- logical ops ----

namespace {

// f(a != 0, b != 0) elementwise, a and b of any dtypes, broadcast.
template <class F>
Tensor logical(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_defined(a, op);
  check_defined(b, op);
  const Tensor p = a.to(kBool);  // the same handle when a is already bool
  const Tensor q = b.to(kBool);
  const Shape out = broadcast_shapes(p.shape(), q.shape(), op);
  Tensor y = empty(out, kBool);
  detail::broadcast_zip_into(p.data<bool>(), p.shape(), q.data<bool>(), q.shape(), y.data<bool>(), out, f);
  return y;
}

void check_bool_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(a, op);
  check_defined(b, op);
  if (a.dtype() != kBool || b.dtype() != kBool)
    throw std::invalid_argument(std::string(op) + ": tapegrad's bitwise operators take bool tensors only, got " +
                                std::string(dtype_name(a.dtype())) + " and " + std::string(dtype_name(b.dtype())));
}

}  // namespace

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return logical("logical_and", a, b, [](bool u, bool v) { return u && v; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return logical("logical_or", a, b, [](bool u, bool v) { return u || v; });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return logical("logical_xor", a, b, [](bool u, bool v) { return u != v; });
}

Tensor logical_not(const Tensor& x) {
  check_defined(x, "logical_not");
  return detail::map<bool>(x, [](auto u) { return u == decltype(u)(0); });
}

Tensor operator~(const Tensor& x) {
  check_defined(x, "bitwise_not");
  if (x.dtype() != kBool)
    throw std::invalid_argument("bitwise_not: tapegrad's operator~ takes a bool tensor only, got " +
                                std::string(dtype_name(x.dtype())));
  return logical_not(x);
}

Tensor operator&(const Tensor& a, const Tensor& b) {
  check_bool_operands("bitwise_and", a, b);
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  check_bool_operands("bitwise_or", a, b);
  return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
  check_bool_operands("bitwise_xor", a, b);
  return logical_xor(a, b);
}

}  // namespace tg
