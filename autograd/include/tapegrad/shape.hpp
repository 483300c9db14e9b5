#pragma once
// Shape: the extents of a tensor, stored inline (no heap) for up to kMaxDims dimensions.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace tg {

class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);  // NOLINT: Shape s = {2, 3} reads naturally
  explicit Shape(std::span<const std::int64_t> dims);

  /// Number of dimensions.
  [[nodiscard]] int size() const { return ndim_; }
  [[nodiscard]] bool empty() const { return ndim_ == 0; }
  [[nodiscard]] std::int64_t operator[](int i) const { return dims_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::int64_t& operator[](int i) { return dims_[static_cast<std::size_t>(i)]; }
  /// Extent of dimension i, counting from the back when i < 0; throws std::out_of_range.
  [[nodiscard]] std::int64_t at(int i) const;
  [[nodiscard]] const std::int64_t* begin() const { return dims_.data(); }
  [[nodiscard]] const std::int64_t* end() const { return dims_.data() + ndim_; }
  [[nodiscard]] std::span<const std::int64_t> dims() const { return {dims_.data(), static_cast<std::size_t>(ndim_)}; }

  /// Product of the extents (1 for a 0-d shape, 0 when an extent is 0); throws std::invalid_argument
  /// naming the shape when the product does not fit in int64 (every size computed from it would wrap).
  [[nodiscard]] std::int64_t numel() const {
    std::int64_t n = 1;
    bool overflow = false;
    for (int i = 0; i < ndim_; ++i) overflow |= __builtin_mul_overflow(n, dims_[static_cast<std::size_t>(i)], &n);
    return overflow ? numel_past_overflow() : n;
  }
  /// Appends a dimension; throws std::invalid_argument past kMaxDims or below -1 (reshape's "infer").
  void push_back(std::int64_t extent);
  /// "[64, 10]".
  [[nodiscard]] std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.ndim_ != b.ndim_) return false;
    for (int i = 0; i < a.ndim_; ++i)
      if (a.dims_[static_cast<std::size_t>(i)] != b.dims_[static_cast<std::size_t>(i)]) return false;
    return true;
  }

 private:
  // 0 when an extent is 0 (the wrapped prefix does not matter then), otherwise throws.
  [[nodiscard]] std::int64_t numel_past_overflow() const;

  std::array<std::int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

}  // namespace tg
