#include "tapegrad/shape.hpp"

#include <limits>
#include <stdexcept>

namespace tg {

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  for (std::int64_t d : dims) push_back(d);
}

std::int64_t Shape::at(int i) const {
  const int j = i < 0 ? i + ndim_ : i;
  if (j < 0 || j >= ndim_)
    throw std::out_of_range("Shape::at: dimension " + std::to_string(i) + " is out of range for shape " + str());
  return dims_[static_cast<std::size_t>(j)];
}

void Shape::push_back(std::int64_t extent) {
  if (ndim_ == kMaxDims)
    throw std::invalid_argument("Shape: more than " + std::to_string(kMaxDims) + " dimensions");
  if (extent < -1)  // -1 stays allowed: it is reshape's "infer this extent"
    throw std::invalid_argument("Shape: negative extent " + std::to_string(extent));
  dims_[static_cast<std::size_t>(ndim_++)] = extent;
}

std::int64_t Shape::numel_past_overflow() const {
  for (std::int64_t d : dims())
    if (d == 0) return 0;
  throw std::invalid_argument("Shape: " + str() + " has more elements than an int64 can count (at most " +
                              std::to_string(std::numeric_limits<std::int64_t>::max()) + ")");
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < ndim_; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[static_cast<std::size_t>(i)]);
  }
  return s + "]";
}

}  // namespace tg
