// Shape ops on dimensions: unsqueeze, squeeze, flatten and unflatten are reshapes (they share storage
// and reshape records their backward); flip, roll, repeat and pad copy. Their backwards are each other:
// flip <-> flip, roll <-> roll back, repeat <-> a sum over the tiles, pad <-> pad by the negated pads.

#include <algorithm>
#include <array>
#include <string>

#include "kernels.hpp"
#include "shape_kernels.hpp"
#include "tapegrad/reduction.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg {

using detail::accumulate_grad;
using detail::CopyPlan;
using detail::list_str;
using detail::needs_grad;
using detail::record;
using detail::saves_nothing;

// ---- reshapes ----

Tensor unsqueeze(const Tensor& x, int dim) {
  detail::check_defined(x, "unsqueeze");
  const int d = detail::normalize_insert_dim(dim, x.dim(), "unsqueeze");
  return reshape(x, detail::insert_dim(x.shape(), d, 1, "unsqueeze"));
}

Tensor squeeze(const Tensor& x) {
  detail::check_defined(x, "squeeze");
  Shape out;
  for (const std::int64_t extent : x.shape())
    if (extent != 1) out.push_back(extent);
  return reshape(x, out);
}

Tensor squeeze(const Tensor& x, int dim) {
  detail::check_defined(x, "squeeze");
  const int d = detail::normalize_dim_or_scalar(dim, x.dim(), "squeeze");
  if (x.dim() == 0 || x.shape()[d] != 1) return x;
  return reshape(x, detail::erase_dim(x.shape(), d));
}

Tensor flatten(const Tensor& x, int start_dim, int end_dim) {
  detail::check_defined(x, "flatten");
  const int s = detail::normalize_dim_or_scalar(start_dim, x.dim(), "flatten");
  const int e = detail::normalize_dim_or_scalar(end_dim, x.dim(), "flatten");
  if (x.dim() == 0) return reshape(x, Shape{1});
  if (s > e)
    throw std::invalid_argument("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                                std::to_string(end_dim) + " (shape " + x.shape().str() + ")");
  Shape out;
  for (int i = 0; i < s; ++i) out.push_back(x.shape()[i]);
  std::int64_t merged = 1;
  for (int i = s; i <= e; ++i) merged *= x.shape()[i];
  out.push_back(merged);
  for (int i = e + 1; i < x.dim(); ++i) out.push_back(x.shape()[i]);
  return reshape(x, out);
}

Tensor unflatten(const Tensor& x, int dim, const Shape& sizes) {
  detail::check_defined(x, "unflatten");
  const int d = detail::normalize_dim(dim, x.dim(), "unflatten");
  if (sizes.empty()) throw std::invalid_argument("unflatten: sizes must not be empty");
  if (x.dim() - 1 + sizes.size() > Shape::kMaxDims)
    throw std::invalid_argument("unflatten: the result would have more than " + std::to_string(Shape::kMaxDims) +
                                " dimensions (shape " + x.shape().str() + ", sizes " + sizes.str() + ")");
  const std::int64_t extent = x.shape()[d];
  const auto where = [&] {
    return "dimension " + std::to_string(d) + " of size " + std::to_string(extent) + " (shape " + x.shape().str() + ")";
  };
  if (std::count(sizes.begin(), sizes.end(), -1) > 1)
    throw std::invalid_argument("unflatten: only one size can be -1, got " + sizes.str());
  const auto* inferred = std::find(sizes.begin(), sizes.end(), -1);
  std::int64_t known = 1;  // the product of the other sizes
  bool overflow = false;
  for (const std::int64_t size : sizes)
    if (size != -1) overflow = overflow || __builtin_mul_overflow(known, size, &known);
  if (inferred != sizes.end() && known == 0)
    throw std::invalid_argument("unflatten: the -1 in sizes " + sizes.str() +
                                " cannot be inferred as the other sizes multiply to 0, for " + where());
  const bool fits = !overflow && (inferred != sizes.end() ? extent % known == 0 : known == extent);
  if (!fits) throw std::invalid_argument("unflatten: sizes " + sizes.str() + " do not multiply up to " + where());
  Shape out;
  for (int i = 0; i < d; ++i) out.push_back(x.shape()[i]);
  for (const std::int64_t size : sizes) out.push_back(size == -1 ? extent / known : size);
  for (int i = d + 1; i < x.dim(); ++i) out.push_back(x.shape()[i]);
  return reshape(x, out);
}

// ---- flip and roll ----

Tensor flip(const Tensor& x, std::span<const int> dims) {
  detail::check_defined(x, "flip");
  std::array<int, Shape::kMaxDims> flipped{};  // the distinct dimensions, normalized
  bool seen[Shape::kMaxDims] = {};
  for (const int dim : dims) {
    const int d = detail::normalize_dim_or_scalar(dim, x.dim(), "flip");
    if (seen[d])
      throw std::invalid_argument("flip: dimension " + std::to_string(dim) + " appears more than once in dims " +
                                  list_str(dims));
    seen[d] = true;
  }
  Tensor y = empty(x.shape(), x.dtype());
  CopyPlan plan = detail::identity_plan(x.shape());
  int count = 0;
  for (int d = 0; d < std::max(x.dim(), 1); ++d) {
    if (!seen[d]) continue;
    flipped[count++] = d;
    if (d < x.dim()) {  // walk the source from its last element back
      plan.axes[d].start = x.shape()[d] - 1;
      plan.axes[d].step = -1;
    }
  }
  detail::strided_copy(x, y, plan);
  if (needs_grad(x))  // a flip is its own inverse
    record("flip", y, saves_nothing, [x, flipped, count](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, flip(dy, std::span<const int>(flipped.data(), static_cast<std::size_t>(count))));
    });
  return y;
}

Tensor flip(const Tensor& x, std::initializer_list<int> dims) {
  return flip(x, std::span<const int>(dims.begin(), dims.size()));
}

Tensor roll(const Tensor& x, std::span<const std::int64_t> shifts, std::span<const int> dims) {
  detail::check_defined(x, "roll");
  if (shifts.empty()) throw std::invalid_argument("roll: needs at least one shift");
  if (dims.empty()) {  // roll the flattened tensor
    if (shifts.size() != 1)
      throw std::invalid_argument("roll: shifts " + list_str(shifts) +
                                  " without dims; rolling the flattened tensor takes one shift");
    const int first = 0;
    return reshape(roll(reshape(x, Shape{x.numel()}), shifts, std::span<const int>(&first, 1)), x.shape());
  }
  if (shifts.size() != dims.size())
    throw std::invalid_argument("roll: shifts " + list_str(shifts) + " and dims " + list_str(dims) +
                                " differ in length; give one shift per dimension");
  std::array<std::int64_t, Shape::kMaxDims> shift{};  // per dimension, in [0, extent)
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const int d = detail::normalize_dim(dims[i], x.dim(), "roll");
    const std::int64_t n = x.shape()[d];
    if (n > 0) shift[d] = ((shift[d] + shifts[i] % n) % n + n) % n;
  }
  Tensor y = empty(x.shape(), x.dtype());
  CopyPlan plan = detail::identity_plan(x.shape());
  for (int d = 0; d < x.dim(); ++d)  // y[j] = x[(j - shift) mod n]: the source starts at n - shift
    if (shift[d] > 0) plan.axes[d].start = x.shape()[d] - shift[d];
  detail::strided_copy(x, y, plan);
  if (needs_grad(x))  // rolled back by the same shifts: dx = roll(dy, -shift, every dimension)
    record("roll", y, saves_nothing, [x, shift](const Tensor& dy, const Tensor&) {
      std::array<std::int64_t, Shape::kMaxDims> back{};
      std::array<int, Shape::kMaxDims> all{};
      for (int d = 0; d < x.dim(); ++d) {
        back[d] = -shift[d];
        all[d] = d;
      }
      const auto n = static_cast<std::size_t>(x.dim());
      accumulate_grad(x, roll(dy, std::span<const std::int64_t>(back.data(), n), std::span<const int>(all.data(), n)));
    });
  return y;
}

Tensor roll(const Tensor& x, std::initializer_list<std::int64_t> shifts, std::initializer_list<int> dims) {
  return roll(x, std::span<const std::int64_t>(shifts.begin(), shifts.size()),
              std::span<const int>(dims.begin(), dims.size()));
}

// ---- repeat and pad ----

namespace {

// The gradient of repeat: dy summed over its tiles, one repeated dimension d at a time, as the sum over
// the middle of a [before, repeats[d], extent * after] reshape; the leading dimensions repeat added are
// left with extent 1 and dropped by the last reshape. Differentiable: reshapes and sums.
Tensor sum_tiles(Tensor g, const Shape& shape, std::span<const std::int64_t> repeats) {
  const int lead = static_cast<int>(repeats.size()) - shape.size();
  for (int d = 0; d < static_cast<int>(repeats.size()); ++d) {
    if (repeats[static_cast<std::size_t>(d)] == 1) continue;
    Shape current = g.shape();
    std::int64_t before = 1;
    std::int64_t after = 1;
    for (int i = 0; i < d; ++i) before *= current[i];
    for (int i = d + 1; i < current.size(); ++i) after *= current[i];
    current[d] = d < lead ? 1 : shape[d - lead];
    g = reshape(sum(reshape(g, Shape{before, repeats[static_cast<std::size_t>(d)], current[d] * after}), {1}), current);
  }
  return reshape(g, shape);
}

}  // namespace

Tensor repeat(const Tensor& x, std::span<const std::int64_t> repeats) {
  detail::check_defined(x, "repeat");
  const int lead = static_cast<int>(repeats.size()) - x.dim();  // new leading dimensions
  if (lead < 0)
    throw std::invalid_argument("repeat: repeats " + list_str(repeats) + " are fewer than the " +
                                std::to_string(x.dim()) + " dimensions of shape " + x.shape().str() +
                                "; give at least one per dimension");
  if (repeats.size() > Shape::kMaxDims)
    throw std::invalid_argument("repeat: repeats " + list_str(repeats) + " would give more than " +
                                std::to_string(Shape::kMaxDims) + " dimensions");
  Shape out;
  for (int d = 0; d < static_cast<int>(repeats.size()); ++d) {
    const std::int64_t r = repeats[static_cast<std::size_t>(d)];
    std::int64_t extent = 0;
    if (r < 0) throw std::invalid_argument("repeat: repeats must be non-negative, got " + list_str(repeats));
    if (__builtin_mul_overflow(r, d < lead ? 1 : x.shape()[d - lead], &extent))
      throw std::invalid_argument("repeat: repeats " + list_str(repeats) + " of shape " + x.shape().str() +
                                  " give an extent past what an int64 holds");
    out.push_back(extent);
  }
  Tensor y = empty(out, x.dtype());
  CopyPlan plan = detail::identity_plan(out);
  const detail::Index strides = detail::contiguous_strides(x.shape());
  for (int d = 0; d < out.size(); ++d) {  // output index j reads source index j mod extent: the tiling
    plan.axes[d].src_stride = d < lead ? 0 : strides[d - lead];
    plan.axes[d].period = d < lead ? 1 : std::max<std::int64_t>(x.shape()[d - lead], 1);
  }
  detail::strided_copy(x, y, plan);
  if (needs_grad(x)) {
    std::array<std::int64_t, Shape::kMaxDims> reps{};
    std::copy(repeats.begin(), repeats.end(), reps.begin());
    record("repeat", y, saves_nothing, [x, reps, n = repeats.size()](const Tensor& dy, const Tensor&) {
      accumulate_grad(x, sum_tiles(dy, x.shape(), std::span<const std::int64_t>(reps.data(), n)));
    });
  }
  return y;
}

Tensor repeat(const Tensor& x, std::initializer_list<std::int64_t> repeats) {
  return repeat(x, std::span<const std::int64_t>(repeats.begin(), repeats.size()));
}

namespace {

// How many (before, after) pairs pads holds for x: at most one per dimension.
int pad_pairs(const Tensor& x, std::span<const std::int64_t> pads) {
  detail::check_defined(x, "pad");
  if (pads.size() % 2 != 0)
    throw std::invalid_argument("pad: pads must hold (before, after) pairs, got " + list_str(pads));
  const int pairs = static_cast<int>(pads.size() / 2);
  if (pairs > x.dim())
    throw std::invalid_argument("pad: pads " + list_str(pads) + " hold " + std::to_string(pairs) +
                                " (before, after) pairs for a " + std::to_string(x.dim()) +
                                "-d tensor; at most one per dimension");
  return pairs;
}

}  // namespace

Tensor pad(const Tensor& x, std::span<const std::int64_t> pads, double value) {
  const int pairs = pad_pairs(x, pads);
  Shape out = x.shape();
  Shape kept = x.shape();  // what survives the cropping
  detail::Index src_at{};
  detail::Index dst_at{};
  std::array<std::int64_t, Shape::kMaxDims> befores{};
  for (int p = 0; p < pairs; ++p) {
    const int d = x.dim() - 1 - p;  // the pairs run from the last dimension backwards
    const std::int64_t before = pads[static_cast<std::size_t>(2 * p)];
    const std::int64_t after = pads[static_cast<std::size_t>(2 * p + 1)];
    kept[d] = x.shape()[d] + std::min<std::int64_t>(before, 0) + std::min<std::int64_t>(after, 0);
    if (kept[d] < 0)
      throw std::invalid_argument("pad: pads (" + std::to_string(before) + ", " + std::to_string(after) +
                                  ") crop more than the size " + std::to_string(x.shape()[d]) + " of dimension " +
                                  std::to_string(d) + " (shape " + x.shape().str() + ")");
    out[d] = kept[d] + std::max<std::int64_t>(before, 0) + std::max<std::int64_t>(after, 0);
    src_at[d] = std::max<std::int64_t>(-before, 0);
    dst_at[d] = std::max<std::int64_t>(before, 0);
    befores[d] = before;
  }
  Tensor y = full(out, value, x.dtype());
  detail::strided_copy(x, y, detail::box_plan(kept, x.shape(), src_at, out, dst_at));
  if (needs_grad(x))  // dx = dy with the padding cropped and the cropping padded with 0: pad(dy, -pads)
    record("pad", y, saves_nothing, [x, befores, pairs](const Tensor& dy, const Tensor&) {
      std::array<std::int64_t, 2 * Shape::kMaxDims> back{};
      for (int p = 0; p < pairs; ++p) {
        const int d = x.dim() - 1 - p;  // after = out - size - before, as out = size + before + after
        back[2 * p] = -befores[d];
        back[2 * p + 1] = -(dy.shape()[d] - x.shape()[d] - befores[d]);
      }
      accumulate_grad(x, pad(dy, std::span<const std::int64_t>(back.data(), static_cast<std::size_t>(2 * pairs))));
    });
  return y;
}

Tensor pad(const Tensor& x, std::initializer_list<std::int64_t> pads, double value) {
  return pad(x, std::span<const std::int64_t>(pads.begin(), pads.size()), value);
}

}  // namespace tg
