#pragma once
// Size2: the (height, width) arguments of the 2-d convolution and pooling ops (kernel_size, stride,
// padding, dilation, output_size), given as one number for both dimensions or as {h, w}, as PyTorch's
// int-or-tuple arguments and LibTorch's ExpandingArray<2>: conv2d(x, w, b, 2) and conv2d(x, w, b, {2, 1}).

#include <cstdint>
#include <string>

namespace tg {

struct Size2 {
  std::int64_t h;
  std::int64_t w;
  /// The same size in both dimensions, as PyTorch's plain int (implicit, so that `2` is a Size2).
  constexpr Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  constexpr Size2(std::int64_t h, std::int64_t w) : h(h), w(w) {}
  /// "(h, w)", as PyTorch prints a pair.
  [[nodiscard]] std::string str() const {
    std::string text = "(";  // appended, not "(" + ...: GCC 12 warns falsely on that (-Wrestrict, PR105329)
    text += std::to_string(h);
    text += ", ";
    text += std::to_string(w);
    return text + ")";
  }
  friend constexpr bool operator==(const Size2&, const Size2&) = default;
};

}  // namespace tg
