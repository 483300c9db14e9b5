// Reading whole files, plain or gzip, through zlib; and the checks every data reader shares.

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "data_io.hpp"

namespace tg::nn::detail {

namespace {

constexpr unsigned kFirstChunkBytes = 1U << 16;
constexpr unsigned kLastChunkBytes = 1U << 26;  // gzread takes an unsigned count and returns an int

struct GzCloser {
  void operator()(gzFile_s* gz) const { gzclose(gz); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

GzHandle open_for_reading(std::string_view op, const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) fail(op, file, "no such file");
  if (std::filesystem::is_directory(status)) fail(op, file, "is a folder, expected a file");
  errno = 0;
  GzHandle gz(gzopen(file.c_str(), "rb"));
  if (gz == nullptr) fail(op, file, std::string("cannot open: ") + std::strerror(errno != 0 ? errno : EIO));
  gzbuffer(gz.get(), 1U << 17);  // fewer system calls than the 8 KiB default
  return gz;
}

// gzread stops short on a truncated gzip stream and leaves Z_BUF_ERROR behind.
void check_stream(std::string_view op, const std::filesystem::path& file, gzFile_s* gz) {
  int code = Z_OK;
  const char* message = gzerror(gz, &code);
  if (code == Z_OK) return;
  if (code == Z_BUF_ERROR) fail(op, file, "the gzip data is truncated (unexpected end of file)");
  if (code == Z_ERRNO) fail(op, file, std::string("cannot read: ") + std::strerror(errno != 0 ? errno : EIO));
  fail(op, file, std::string("corrupt gzip data (zlib: ") + message + ")");
}

}  // namespace

void fail(std::string_view op, const std::filesystem::path& file, const std::string& what) {
  throw DataError(std::string(op) + ": " + file.string() + ": " + what);
}

FileBytes read_file(std::string_view op, const std::filesystem::path& file) {
  GzHandle gz = open_for_reading(op, file);
  FileBytes out;
  // Chunks that double in size: small files stay cheap, large ones take few calls.
  for (unsigned chunk = kFirstChunkBytes;; chunk = std::min(2 * chunk, kLastChunkBytes)) {
    const std::size_t old_size = out.bytes.size();
    out.bytes.resize(old_size + chunk);
    const int n = gzread(gz.get(), out.bytes.data() + old_size, chunk);
    out.bytes.resize(old_size + static_cast<std::size_t>(n > 0 ? n : 0));
    if (n < 0 || static_cast<unsigned>(n) < chunk) break;
  }
  check_stream(op, file, gz.get());
  out.gzip = gzdirect(gz.get()) == 0;
  return out;
}

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string label_problem(double label, int num_classes) {
  // Checked before any text is made: this runs once per label of every file read.
  const char* problem = nullptr;
  if (label != std::floor(label))
    problem = " is not a whole number";
  else if (label < 0)
    problem = " is negative";
  else if (label >= INT_MAX)
    problem = " is too large for a class index";
  else if (num_classes <= 0 || label < num_classes)
    return "";
  std::ostringstream text;
  text << "label " << label;
  if (problem != nullptr)
    text << problem;
  else
    text << " is out of range for " << num_classes << " classes (0.." << num_classes - 1 << ")";
  return text.str();
}

void check_divisor(std::string_view op, double divisor) {
  if (!std::isfinite(divisor) || divisor <= 0)
    throw std::invalid_argument(std::string(op) + ": the divisor must be a positive finite number, got " +
                                format_number(divisor));
}

void check_dataset(std::string_view op, const Dataset& data) {
  const std::string where(op);
  if (!data.inputs.defined() || !data.labels.defined())
    throw std::invalid_argument(where + ": the dataset has undefined inputs or labels");
  if (data.inputs.dim() != 2)
    throw std::invalid_argument(where + ": inputs must be [N, D], got " + data.inputs.shape().str());
  if (data.labels.dim() != 1 || data.labels.size(0) != data.inputs.size(0))
    throw std::invalid_argument(where + ": labels must be [N] for inputs " + data.inputs.shape().str() + ", got " +
                                data.labels.shape().str());
  if (data.labels.dtype() != data.inputs.dtype())
    throw std::invalid_argument(where + ": labels are " + std::string(dtype_name(data.labels.dtype())) +
                                " but inputs are " + std::string(dtype_name(data.inputs.dtype())));
}

void gather_rows(const Tensor& src, std::span<const std::int64_t> rows, Tensor& dst) {
  const std::int64_t n = src.size(0);
  const std::size_t row_bytes =
      n == 0 ? 0 : static_cast<std::size_t>(src.numel() / n) * dtype_size(src.dtype());
  if (row_bytes == 0) return;
  const auto* from = visit_dtype(src.dtype(), [&]<class T>() {
    return reinterpret_cast<const unsigned char*>(src.data<T>());
  });
  auto* to = visit_dtype(dst.dtype(), [&]<class T>() { return reinterpret_cast<unsigned char*>(dst.data<T>()); });
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(to + i * row_bytes, from + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
}

}  // namespace tg::nn::detail
