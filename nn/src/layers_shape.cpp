// Flatten and Unflatten: tg::flatten and tg::unflatten (shape_ops.hpp) with the module's arguments; those
// ops hold torch.flatten's and Tensor.unflatten's shape rules and are reshapes, which share storage and
// record their own backward (dx = reshape(dy, x.shape)).

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/nn/layers.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::nn {
namespace {

// "[2, -1]"
std::string str(const std::vector<std::int64_t>& sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

// op(), its std::invalid_argument prefixed with the module (its arguments in its name) and the input's
// shape, which the op's message does not always give ("flatten: dimension 3 is out of range for a 3-d
// tensor") and which locate the failure inside a Sequential.
template <class Op>
Tensor in_module(const Layer& layer, const Tensor& x, Op op) {
  try {
    return op();
  } catch (const std::invalid_argument& e) {
    const std::string input = x.defined() ? " on an input of shape " + x.shape().str() : "";
    throw std::invalid_argument(layer.name() + input + ": " + e.what());
  }
}

}  // namespace

// y = x with dims start..end merged: [d0, .., ds, .., de, ..] -> [d0, .., ds*..*de, ..]; dx = reshape(dy, x.shape)
Tensor Flatten::forward(const Tensor& x) {
  return in_module(*this, x, [&] { return flatten(x, start_dim_, end_dim_); });
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
  // The Shape is built inside: more than Shape::kMaxDims sizes is an error of this call, not of the module.
  return in_module(*this, x, [&] { return unflatten(x, dim_, Shape(std::span<const std::int64_t>(sizes_))); });
}

std::string Unflatten::name() const { return "Unflatten(" + std::to_string(dim_) + ", " + str(sizes_) + ")"; }

}  // namespace tg::nn
