#pragma once
// What the shape ops share (private to autograd/src): one strided copy that moves elements by their size
// in bytes, never by their type, so that every shape op serves every dtype (float32 and float64 today,
// and any 1-, 2-, 4- or 8-byte type visit_dtype does not know); and helpers for dimension arguments.

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "tapegrad/shape.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::detail {

/// One axis of a strided copy (strides in elements). Step i along it writes the destination at
/// i * dst_stride and reads the source at k * src_stride, where k = (start + i * step) mod period:
/// step is 1, or -1 to walk backwards (flip); the wrap modulo period serves roll and repeat, and plain
/// axes (start + extent <= period) never reach it. A source stride of 0 repeats one element (broadcast).
struct CopyAxis {
  std::int64_t extent = 1;
  std::int64_t dst_stride = 0;
  std::int64_t src_stride = 0;
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t period = 1;
};

/// A copy of an ndim-d box of elements from a source (starting at src_offset) to a destination
/// (starting at dst_offset), offsets in elements.
struct CopyPlan {
  int ndim = 0;
  CopyAxis axes[Shape::kMaxDims] = {};
  std::int64_t src_offset = 0;
  std::int64_t dst_offset = 0;
};

/// A position in a tensor: one index per dimension.
using Index = std::array<std::int64_t, Shape::kMaxDims>;

/// Row-major strides (in elements) of a contiguous tensor of `shape`.
[[nodiscard]] Index contiguous_strides(const Shape& shape);

/// Copies every element of `shape` onto a destination of the same shape; ops then edit the source side
/// of its axes (permuted strides, a flipped or rolled start, broadcast strides of 0).
[[nodiscard]] CopyPlan identity_plan(const Shape& shape);

/// Copies the box of extents `box` at src_at in a tensor of src_shape to dst_at in a tensor of
/// dst_shape (all of box's rank).
[[nodiscard]] CopyPlan box_plan(const Shape& box, const Shape& src_shape, const Index& src_at, const Shape& dst_shape,
                                const Index& dst_at);

/// box_plan for a box that starts at src_at / dst_at along dimension d and at 0 along the others.
[[nodiscard]] CopyPlan along_plan(const Shape& box, const Shape& src_shape, std::int64_t src_at, const Shape& dst_shape,
                                  std::int64_t dst_at, int d);

/// Runs plan from src's storage into dst's (same dtype); not recorded. Adjacent axes that walk one run
/// of both tensors are merged first, so that contiguous stretches move with one memcpy.
void strided_copy(const Tensor& src, Tensor& dst, const CopyPlan& plan);

/// A dimension at which to insert one into an ndim-d tensor (unsqueeze, stack): -ndim-1 <= d <= ndim,
/// negative counting from the back; throws naming op.
[[nodiscard]] int normalize_insert_dim(int d, int ndim, const char* op);
/// normalize_dim that also takes 0 and -1 for a 0-d tensor (and returns 0), as PyTorch does for squeeze,
/// flatten and flip.
[[nodiscard]] int normalize_dim_or_scalar(int d, int ndim, const char* op);

/// shape with `extent` inserted before dimension d (d == size() appends); throws naming op past kMaxDims.
[[nodiscard]] Shape insert_dim(const Shape& shape, int d, std::int64_t extent, const char* op);
/// shape without dimension d.
[[nodiscard]] Shape erase_dim(const Shape& shape, int d);

/// "[0, 0, 1]".
[[nodiscard]] std::string list_str(std::span<const std::int64_t> values);
[[nodiscard]] std::string list_str(std::span<const int> values);

}  // namespace tg::detail
