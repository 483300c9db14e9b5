// The IDX reader (MNIST, Fashion-MNIST): a big-endian header of magic number and extents, then bytes.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "data_io.hpp"
#include "tapegrad/nn/idx.hpp"

namespace tg::nn {

namespace {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<unsigned char> data;  // exactly the product of dims bytes
};

std::uint32_t big_endian_u32(const char* p) {
  const auto byte = [p](int i) { return std::uint32_t{static_cast<unsigned char>(p[i])}; };
  return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

std::string hex32(std::uint32_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08X", static_cast<unsigned>(value));
  return text.data();
}

// "60000 x 28 x 28"
std::string extents_text(const std::vector<std::int64_t>& dims) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i == 0 ? "" : " x ") + std::to_string(dims[i]);
  return text;
}

// The number of data bytes the extents promise, which must fit a tensor's int64 element count.
std::uint64_t promised_bytes(const detail::DataFile& in, const std::vector<std::int64_t>& dims) {
  if (std::find(dims.begin(), dims.end(), 0) != dims.end())
    in.fail("an extent is zero: " + extents_text(dims) + " = 0 bytes");
  constexpr auto kMost = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t product = 1;
  for (const std::int64_t extent : dims) {
    const auto e = static_cast<std::uint64_t>(extent);
    if (product > kMost / e)
      in.fail("the header's extents " + extents_text(dims) + " multiply to more than " + std::to_string(kMost) +
              " bytes (2^63 - 1), more than a tensor can hold");
    product *= e;
  }
  return product;
}

// The data must be exactly what the header promises; what follows it is counted only so far, because a
// small gzip file can inflate to gigabytes.
void check_data_size(detail::DataFile& in, const IdxArray& idx, std::uint64_t promised) {
  const std::string promise = extents_text(idx.dims) + " = " + std::to_string(promised) + " bytes";
  const std::string unpacked = in.gzip() ? " after decompression" : "";
  if (idx.data.size() < promised)
    in.fail("truncated: the header promises " + promise + " of data, the file has " +
            std::to_string(idx.data.size()) + unpacked);
  constexpr std::uint64_t kCounted = std::uint64_t{1} << 16;
  const std::uint64_t extra = in.skip(kCounted + 1);
  if (extra == 0) return;
  const std::string held =
      extra > kCounted ? "more than " + std::to_string(promised + kCounted) : std::to_string(promised + extra);
  in.fail("the file has " + held + " bytes of data" + unpacked + ", more than the " + promise +
          " the header promises");
}

// Reads the header, checks it against `magic`, then reads exactly the data the header promises.
IdxArray read_idx_array(std::string_view op, const std::filesystem::path& file, std::uint32_t magic,
                        std::string_view what) {
  detail::DataFile in(op, file);
  std::array<char, 4> head{};
  const std::size_t got = in.read(head);
  if (got < head.size()) in.fail("too short for an IDX header: " + std::to_string(got) + " bytes");
  const std::uint32_t found = big_endian_u32(head.data());
  if (found != magic)
    in.fail("wrong magic number " + hex32(found) + ", expected " + hex32(magic) + " (" + std::string(what) + ")");
  const std::size_t ndims = magic & 0xFFU;
  std::vector<char> extents(4 * ndims);
  const std::size_t got_extents = in.read(extents);
  if (got_extents < extents.size())
    in.fail("truncated header: " + std::to_string(ndims) + " dimensions need " + std::to_string(4 + 4 * ndims) +
            " bytes, the file has " + std::to_string(4 + got_extents));
  IdxArray out;
  for (std::size_t d = 0; d < ndims; ++d) out.dims.push_back(big_endian_u32(extents.data() + 4 * d));
  const std::uint64_t promised = promised_bytes(in, out.dims);
  out.data = in.read_at_most(promised);
  check_data_size(in, out, promised);
  return out;
}

struct Images {
  Tensor pixels;  // [N, rows * cols]
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

Images read_images(const std::filesystem::path& file, Dtype dtype, double divisor) {
  constexpr std::string_view kOp = "read_idx_images";
  detail::check_divisor(kOp, divisor);
  const IdxArray idx = read_idx_array(kOp, file, kIdxImagesMagic, "unsigned-byte images [N, rows, cols]");
  Images out{empty({idx.dims[0], idx.dims[1] * idx.dims[2]}, dtype), idx.dims[1], idx.dims[2]};
  visit_dtype(dtype, [&]<class T>() {
    std::array<T, 256> scaled{};  // every byte value, divided once
    for (std::size_t b = 0; b < scaled.size(); ++b) scaled[b] = static_cast<T>(static_cast<double>(b) / divisor);
    T* pixels = out.pixels.data<T>();
    for (std::size_t i = 0; i < idx.data.size(); ++i) pixels[i] = scaled[idx.data[i]];
  });
  return out;
}

Dataset pair_up(const std::filesystem::path& images, Tensor pixels, const std::filesystem::path& labels,
                const IdxOptions& options) {
  Dataset out{std::move(pixels), read_idx_labels(labels, options.num_classes), options.num_classes};
  if (out.inputs.size(0) != out.labels.size(0))
    throw DataError("read_idx: " + images.string() + " has " + std::to_string(out.inputs.size(0)) + " images but " +
                    labels.string() + " has " + std::to_string(out.labels.size(0)) + " labels");
  return out;
}

std::filesystem::path find_in_folder(std::string_view op, const std::filesystem::path& folder,
                                     const std::string& name) {
  std::error_code ec;
  const std::filesystem::path plain = folder / name;
  const std::filesystem::path gz = folder / (name + ".gz");
  if (std::filesystem::is_regular_file(plain, ec)) return plain;
  if (std::filesystem::is_regular_file(gz, ec)) return gz;
  throw DataError(std::string(op) + ": " + folder.string() + ": neither " + name + " nor " + name + ".gz is there");
}

// One prefix of an MNIST folder, with the image size that a Dataset does not keep.
struct MnistPart {
  Dataset data;
  std::filesystem::path images;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

MnistPart load_part(std::string_view op, const std::filesystem::path& folder, std::string_view prefix,
                    const IdxOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw DataError(std::string(op) + ": " + folder.string() + ": no such folder");
  const std::string name(prefix);
  const std::filesystem::path images = find_in_folder(op, folder, name + "-images-idx3-ubyte");
  const std::filesystem::path labels = find_in_folder(op, folder, name + "-labels-idx1-ubyte");
  Images read = read_images(images, options.dtype, options.divisor);
  return {pair_up(images, std::move(read.pixels), labels, options), images, read.rows, read.cols};
}

}  // namespace

Tensor read_idx_images(const std::filesystem::path& file, Dtype dtype, double divisor) {
  return read_images(file, dtype, divisor).pixels;
}

Tensor read_idx_labels(const std::filesystem::path& file, int num_classes) {
  constexpr std::string_view kOp = "read_idx_labels";
  if (num_classes < 1)
    throw std::invalid_argument("read_idx_labels: num_classes must be >= 1, got " + std::to_string(num_classes));
  const IdxArray idx = read_idx_array(kOp, file, kIdxLabelsMagic, "unsigned-byte labels [N]");
  Tensor labels = empty({idx.dims[0]}, kInt64);
  std::int64_t* out = labels.data<std::int64_t>();
  for (std::size_t i = 0; i < idx.data.size(); ++i) {
    const std::string problem = detail::label_problem(idx.data[i], num_classes);
    if (!problem.empty()) detail::fail(kOp, file, "index " + std::to_string(i) + ": " + problem);
    out[i] = idx.data[i];
  }
  return labels;
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                 const IdxOptions& options) {
  return pair_up(images, read_idx_images(images, options.dtype, options.divisor), labels, options);
}

Dataset load_mnist_folder(const std::filesystem::path& folder, std::string_view prefix, const IdxOptions& options) {
  return load_part("load_mnist_folder", folder, prefix, options).data;
}

TrainTest load_mnist_train_test(const std::filesystem::path& folder, const IdxOptions& options) {
  constexpr std::string_view kOp = "load_mnist_train_test";
  MnistPart train = load_part(kOp, folder, "train", options);
  MnistPart test = load_part(kOp, folder, "t10k", options);
  // Checked here: a model sized for one would fail on the other only after a whole epoch.
  if (train.rows != test.rows || train.cols != test.cols)
    throw DataError(std::string(kOp) + ": " + train.images.string() + " has " + std::to_string(train.rows) + " x " +
                    std::to_string(train.cols) + " images but " + test.images.string() + " has " +
                    std::to_string(test.rows) + " x " + std::to_string(test.cols));
  return {std::move(train.data), std::move(test.data)};
}

std::filesystem::path fashion_mnist_folder() { return "/usr/share/datasets/fashion-mnist"; }

}  // namespace tg::nn
