// Flatten and Unflatten: torch.flatten's and Tensor.unflatten's rules (PyTorch 1.13) for the target shape,
// then tg::reshape, which shares storage and records its own backward (dx = reshape(dy, x.shape)).

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/nn/layers.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::nn {
namespace {

// dim counted from the back when negative, among ndim dimensions; `what` names the argument in the error.
int wrap_dim(int dim, int ndim, const Tensor& x, const char* what) {
  if (dim < -ndim || dim >= ndim)
    throw std::invalid_argument(std::string(what) + " " + std::to_string(dim) + " is out of range for an input of shape " +
                                x.shape().str() + " (expected " + std::to_string(-ndim) + " to " +
                                std::to_string(ndim - 1) + ")");
  return dim < 0 ? dim + ndim : dim;
}

void check_defined(const Tensor& x, const char* op) {
  if (!x.defined()) throw std::invalid_argument(std::string(op) + ": an input tensor is undefined (default-constructed)");
}

// "[2, -1]"
std::string str(const std::vector<std::int64_t>& sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

// Appends sizes to out, the -1 replaced so that their product is extent, as PyTorch's infer_size. Does not
// allocate unless it throws.
void push_inferred(Shape& out, const std::vector<std::int64_t>& sizes, std::int64_t extent, int dim, const Tensor& x) {
  bool infer = false;
  bool overflow = false;
  std::int64_t known = 1;
  for (const std::int64_t s : sizes) {
    if (s == -1) infer = true;
    else overflow |= __builtin_mul_overflow(known, s, &known);
  }
  const auto fail = [&](const std::string& problem) {
    throw std::invalid_argument("Unflatten: sizes " + str(sizes) + problem + " dim " + std::to_string(dim) + " (" +
                                std::to_string(extent) + ") of the input " + x.shape().str());
  };
  std::int64_t missing = -1;
  if (infer && !overflow && known > 0 && extent % known == 0) missing = extent / known;
  else if (infer && known == 0 && extent == 0) fail(" leave the -1 ambiguous (any value multiplies up to 0) for");
  else if (overflow || known != extent) fail(" don't multiply up to the size of");
  for (const std::int64_t s : sizes) out.push_back(s == -1 ? missing : s);
}

}  // namespace

// y = x with dims start..end merged: [d0, .., ds, .., de, ..] -> [d0, .., ds*..*de, ..]; dx = reshape(dy, x.shape)
Tensor Flatten::forward(const Tensor& x) {
  check_defined(x, "Flatten");
  const int ndim = std::max(x.dim(), 1);  // a 0-d input takes dims 0 and -1, as in PyTorch
  const int start = wrap_dim(start_dim_, ndim, x, "Flatten: start_dim");
  const int end = wrap_dim(end_dim_, ndim, x, "Flatten: end_dim");
  if (start > end)
    throw std::invalid_argument("Flatten: start_dim " + std::to_string(start_dim_) + " comes after end_dim " +
                                std::to_string(end_dim_) + " for an input of shape " + x.shape().str());
  if (x.dim() == 0) return reshape(x, {1});
  Shape out;
  for (int d = 0; d < start; ++d) out.push_back(x.shape()[d]);
  std::int64_t merged = 1;
  for (int d = start; d <= end; ++d) merged *= x.shape()[d];  // a factor of numel, which fits
  out.push_back(merged);
  for (int d = end + 1; d < x.dim(); ++d) out.push_back(x.shape()[d]);
  return reshape(x, out);
}

std::string Flatten::name() const {
  return "Flatten(" + std::to_string(start_dim_) + ", " + std::to_string(end_dim_) + ")";
}

Unflatten::Unflatten(int dim, std::vector<std::int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {
  if (sizes_.empty()) throw std::invalid_argument("Unflatten: sizes must be non-empty");
  if (std::any_of(sizes_.begin(), sizes_.end(), [](std::int64_t s) { return s < -1; }))
    throw std::invalid_argument("Unflatten: sizes must be >= 0, or -1 for one inferred size, got " + str(sizes_));
  if (std::count(sizes_.begin(), sizes_.end(), -1) > 1)
    throw std::invalid_argument("Unflatten: only one size can be -1 (inferred), got " + str(sizes_));
}

// y = x with dim split: [.., d, ..] -> [.., s0, .., sk, ..] where s0*..*sk = d; dx = reshape(dy, x.shape)
Tensor Unflatten::forward(const Tensor& x) {
  check_defined(x, "Unflatten");
  if (x.dim() == 0) throw std::invalid_argument("Unflatten: the input must have at least 1 dimension, got shape []");
  const int d = wrap_dim(dim_, x.dim(), x, "Unflatten: dim");
  const std::size_t ndim = static_cast<std::size_t>(x.dim()) - 1 + sizes_.size();
  if (ndim > static_cast<std::size_t>(Shape::kMaxDims))
    throw std::invalid_argument("Unflatten: the result of " + x.shape().str() + " split into " + str(sizes_) +
                                " would have " + std::to_string(ndim) + " dimensions, more than the " +
                                std::to_string(Shape::kMaxDims) + " a tensor can have");
  Shape out;
  for (int i = 0; i < d; ++i) out.push_back(x.shape()[i]);
  push_inferred(out, sizes_, x.shape()[d], d, x);
  for (int i = d + 1; i < x.dim(); ++i) out.push_back(x.shape()[i]);
  return reshape(x, out);
}

std::string Unflatten::name() const { return "Unflatten(" + std::to_string(dim_) + ", " + str(sizes_) + ")"; }

}  // namespace tg::nn
