#pragma once
// 2-d pooling over the last two dimensions of an NCHW input [N, C, H, W] or an unbatched [C, H, W], with
// PyTorch 1.13's names, argument orders, defaults and output sizes (torch.nn.functional.max_pool2d and so
// on). float32 and float64. Output extents, for an input extent H, kernel k, stride s, padding p, dilation d:
//   Ho = floor((H + 2p - d(k - 1) - 1 + (ceil_mode ? s - 1 : 0)) / s) + 1,
// less one when ceil_mode makes the last window start at or past H + p (in the right padding), as
// PyTorch. padding must be at most k / 2 (the kernel, not the dilated span), and Ho and Wo at least 1.
// A stride of std::nullopt is the kernel size. Bad arguments throw std::invalid_argument naming the op and
// the shapes: "max_pool2d: padding must be at most half of kernel_size, got padding [2, 2] and
// kernel_size [3, 3]".

#include <cstdint>
#include <optional>
#include <utility>

#include "tapegrad/spatial.hpp"
#include "tapegrad/tensor.hpp"

namespace tg {

/// [N, C, H, W] or [C, H, W] -> [N, C, Ho, Wo] or [C, Ho, Wo]: the maximum over each window, padding
/// counting as -inf. The gradient goes to the window's first maximum (a NaN wins, as in PyTorch).
[[nodiscard]] Tensor max_pool2d(const Tensor& input, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                                Size2 padding = 0, Size2 dilation = 1, bool ceil_mode = false);
/// max_pool2d and, of the output's shape, int64 indices of each maximum within its plane, h * W + w
/// (PyTorch's return_indices=True, the indices max_unpool2d takes).
[[nodiscard]] std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Size2 kernel_size,
                                                                std::optional<Size2> stride = std::nullopt,
                                                                Size2 padding = 0, Size2 dilation = 1,
                                                                bool ceil_mode = false);
/// [N, C, H, W] or [C, H, W] -> the mean over each window: its sum divided by divisor_override if given,
/// else by the window's size counting padding (count_include_pad) or not. Padding is zeros; the part of a
/// ceil_mode window past the right padding never counts.
[[nodiscard]] Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                                Size2 padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                                std::optional<std::int64_t> divisor_override = std::nullopt);
/// [N, C, H, W] or [C, H, W] -> [N, C, oh, ow] or [C, oh, ow]: output (i, j) is the mean of rows
/// floor(i H / oh) .. ceil((i + 1) H / oh) - 1 and the columns likewise (windows overlap when oh does not
/// divide H).
[[nodiscard]] Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size);

}  // namespace tg
