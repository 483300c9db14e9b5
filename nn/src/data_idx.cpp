// The IDX reader (MNIST, Fashion-MNIST): a big-endian header of magic number and extents, then bytes.

#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "data_io.hpp"
#include "tapegrad/nn/idx.hpp"

namespace tg::nn {

namespace {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::span<const unsigned char> data;  // exactly the product of dims bytes
};

std::uint32_t big_endian_u32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t value) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0x%08X", static_cast<unsigned>(value));
  return text.data();
}

// "60000 x 28 x 28 = 47040000 bytes"
std::string extents_text(const std::vector<std::int64_t>& dims, std::uint64_t bytes) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i == 0 ? "" : " x ") + std::to_string(dims[i]);
  return text + " = " + std::to_string(bytes) + " bytes";
}

// Checks the header against `magic` and the data size against the extents the header promises.
IdxArray parse_idx(std::string_view op, const std::filesystem::path& file, const detail::FileBytes& content,
                   std::uint32_t magic, std::string_view what) {
  const std::vector<unsigned char>& bytes = content.bytes;
  if (bytes.size() < 4)
    detail::fail(op, file, "too short for an IDX header: " + std::to_string(bytes.size()) + " bytes");
  const std::uint32_t found = big_endian_u32(bytes.data());
  if (found != magic)
    detail::fail(op, file, "wrong magic number " + hex32(found) + ", expected " + hex32(magic) + " (" +
                               std::string(what) + ")");
  const std::size_t ndims = magic & 0xFFU;
  const std::size_t header = 4 + 4 * ndims;
  if (bytes.size() < header)
    detail::fail(op, file, "truncated header: " + std::to_string(ndims) + " dimensions need " +
                               std::to_string(header) + " bytes, the file has " + std::to_string(bytes.size()));
  IdxArray out;
  std::uint64_t promised = 1;
  for (std::size_t d = 0; d < ndims; ++d) {
    const std::uint32_t extent = big_endian_u32(bytes.data() + 4 + 4 * d);
    out.dims.push_back(extent);
    // Three 32-bit extents can overflow 64 bits; no real file comes near 2^62 bytes.
    promised = extent == 0 || promised <= (std::uint64_t{1} << 62) / extent ? promised * extent : ~std::uint64_t{0};
  }
  if (promised == 0) detail::fail(op, file, "an extent is zero: " + extents_text(out.dims, 0));
  const std::uint64_t held = bytes.size() - header;
  const std::string unpacked = content.gzip ? " after decompression" : "";
  if (held < promised)
    detail::fail(op, file, "truncated: the header promises " + extents_text(out.dims, promised) +
                               " of data, the file has " + std::to_string(held) + unpacked);
  if (held > promised)
    detail::fail(op, file, "the file has " + std::to_string(held) + " bytes of data" + unpacked +
                               ", more than the " + extents_text(out.dims, promised) + " the header promises");
  out.data = std::span(bytes).subspan(header);
  return out;
}

std::filesystem::path find_in_folder(const std::filesystem::path& folder, const std::string& name) {
  std::error_code ec;
  const std::filesystem::path plain = folder / name;
  const std::filesystem::path gz = folder / (name + ".gz");
  if (std::filesystem::is_regular_file(plain, ec)) return plain;
  if (std::filesystem::is_regular_file(gz, ec)) return gz;
  throw DataError("load_mnist_folder: " + folder.string() + ": neither " + name + " nor " + name +
                  ".gz is there");
}

}  // namespace

Tensor read_idx_images(const std::filesystem::path& file, Dtype dtype, double divisor) {
  constexpr std::string_view kOp = "read_idx_images";
  detail::check_divisor(kOp, divisor);
  const detail::FileBytes content = detail::read_file(kOp, file);
  const IdxArray idx = parse_idx(kOp, file, content, kIdxImagesMagic, "unsigned-byte images [N, rows, cols]");
  Tensor images = empty({idx.dims[0], idx.dims[1] * idx.dims[2]}, dtype);
  visit_dtype(dtype, [&]<class T>() {
    std::array<T, 256> scaled{};  // every byte value, divided once
    for (std::size_t b = 0; b < scaled.size(); ++b) scaled[b] = static_cast<T>(static_cast<double>(b) / divisor);
    T* out = images.data<T>();
    for (std::size_t i = 0; i < idx.data.size(); ++i) out[i] = scaled[idx.data[i]];
  });
  return images;
}

Tensor read_idx_labels(const std::filesystem::path& file, int num_classes, Dtype dtype) {
  constexpr std::string_view kOp = "read_idx_labels";
  if (num_classes < 1)
    throw std::invalid_argument("read_idx_labels: num_classes must be >= 1, got " + std::to_string(num_classes));
  const detail::FileBytes content = detail::read_file(kOp, file);
  const IdxArray idx = parse_idx(kOp, file, content, kIdxLabelsMagic, "unsigned-byte labels [N]");
  Tensor labels = empty({idx.dims[0]}, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* out = labels.data<T>();
    for (std::size_t i = 0; i < idx.data.size(); ++i) {
      const std::string problem = detail::label_problem(idx.data[i], num_classes);
      if (!problem.empty()) detail::fail(kOp, file, "index " + std::to_string(i) + ": " + problem);
      out[i] = static_cast<T>(idx.data[i]);
    }
  });
  return labels;
}

Dataset read_idx(const std::filesystem::path& images, const std::filesystem::path& labels,
                 const IdxOptions& options) {
  Dataset out{read_idx_images(images, options.dtype, options.divisor),
              read_idx_labels(labels, options.num_classes, options.dtype), options.num_classes};
  if (out.inputs.size(0) != out.labels.size(0))
    throw DataError("read_idx: " + images.string() + " has " + std::to_string(out.inputs.size(0)) + " images but " +
                    labels.string() + " has " + std::to_string(out.labels.size(0)) + " labels");
  return out;
}

Dataset load_mnist_folder(const std::filesystem::path& folder, std::string_view prefix, const IdxOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw DataError("load_mnist_folder: " + folder.string() + ": no such folder");
  const std::string name(prefix);
  const std::filesystem::path images = find_in_folder(folder, name + "-images-idx3-ubyte");
  const std::filesystem::path labels = find_in_folder(folder, name + "-labels-idx1-ubyte");
  return read_idx(images, labels, options);
}

std::filesystem::path fashion_mnist_folder() { return "/usr/share/datasets/fashion-mnist"; }

}  // namespace tg::nn
