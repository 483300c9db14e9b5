#pragma once
// Reading the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed (detected from the content).
//
// An IDX file is a big-endian header, then the data: bytes 0..1 are zero, byte 2 is the element type
// (0x08: unsigned byte), byte 3 the number of dimensions, then one 32-bit extent per dimension, then the
// elements in row-major order. Images use magic 0x00000803 ([N, rows, cols]), labels 0x00000801 ([N]).

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "tapegrad/dtype.hpp"
#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::nn {

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;

struct IdxOptions {
  /// Labels must be below this.
  int num_classes = 10;
  /// The dtype of the images; labels are always int64.
  Dtype dtype = kFloat32;
  /// Every pixel byte is divided by this while loading: 255 maps pixels to [0, 1], 1 keeps raw bytes.
  double divisor = 255.0;
};

/// Images of an IDX file with magic 0x00000803, flattened to [N, rows * cols], each byte / divisor.
[[nodiscard]] Tensor read_idx_images(const std::filesystem::path& file, Dtype dtype = kFloat32,
                                     double divisor = 255.0);
/// Labels of an IDX file with magic 0x00000801, as [N] int64 class indices, each below num_classes.
[[nodiscard]] Tensor read_idx_labels(const std::filesystem::path& file, int num_classes = 10);
/// An images file and a labels file as one Dataset; throws DataError if their counts differ.
/// Every reader checks the header first and then reads exactly the data it promises, no more: a file with
/// data missing or left over is a DataError naming the file, found without reading the rest of it.
[[nodiscard]] Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                               const IdxOptions& options = {});

/// `{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte` from `folder`, each plain or with a .gz
/// suffix (plain preferred when both exist). MNIST and Fashion-MNIST use the prefixes "train" and "t10k".
[[nodiscard]] Dataset load_mnist_folder(const std::filesystem::path& folder, std::string_view prefix,
                                        const IdxOptions& options = {});

struct TrainTest {
  Dataset train;
  Dataset test;
};

/// Both parts of an MNIST folder, "train" and "t10k", as load_mnist_folder reads them; throws DataError
/// naming both images files when their images differ in size (a model fits only one of them).
[[nodiscard]] TrainTest load_mnist_train_test(const std::filesystem::path& folder, const IdxOptions& options = {});

/// Where Debian's package dataset-fashion-mnist installs Fashion-MNIST: /usr/share/datasets/fashion-mnist.
[[nodiscard]] std::filesystem::path fashion_mnist_folder();

}  // namespace tg::nn
