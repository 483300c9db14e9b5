// Reading files, plain or gzip, through zlib in order; and the checks every data reader shares.

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "data_io.hpp"

namespace tg::nn::detail {

namespace {

constexpr std::size_t kLargeChunkBytes = std::size_t{1} << 16;
constexpr std::size_t kSmallestChunkBytes = 256;
constexpr unsigned kLargestGzipBuffer = 1U << 17;
constexpr std::size_t kLargestGzread = std::size_t{1} << 30;  // gzread takes an unsigned count, returns an int

// gzread stops short on a truncated gzip stream and leaves Z_BUF_ERROR behind.
void check_stream(const DataFile& in, gzFile_s* gz) {
  int code = Z_OK;
  const char* message = gzerror(gz, &code);
  if (code == Z_OK) return;
  if (code == Z_BUF_ERROR) in.fail("the gzip data is truncated (unexpected end of file)");
  if (code == Z_ERRNO) in.fail(std::string("cannot read: ") + std::strerror(errno != 0 ? errno : EIO));
  in.fail(std::string("corrupt gzip data (zlib: ") + message + ")");
}

}  // namespace

void fail(std::string_view op, const std::filesystem::path& file, const std::string& what) {
  throw DataError(std::string(op) + ": " + file.string() + ": " + what);
}

void DataFile::Closer::operator()(gzFile_s* gz) const { gzclose(gz); }

DataFile::DataFile(std::string_view op, const std::filesystem::path& file) : op_(op), file_(file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) fail("no such file");
  if (std::filesystem::is_directory(status)) fail("is a folder, expected a file");
  // Buffers sized to a small file: under the fuzzers' sanitizers large buffers were most of the time of an
  // execution (each one fresh memory, filled by ASan).
  const std::uintmax_t size = std::filesystem::is_regular_file(status) ? std::filesystem::file_size(file, ec) : 0;
  chunk_bytes_ = size > 0 && !ec ? std::clamp<std::size_t>(size, kSmallestChunkBytes, kLargeChunkBytes)
                                 : kLargeChunkBytes;
  errno = 0;
  gz_.reset(gzopen(file.c_str(), "rb"));
  if (gz_ == nullptr) fail(std::string("cannot open: ") + std::strerror(errno != 0 ? errno : EIO));
  gzbuffer(gz_.get(), static_cast<unsigned>(std::min<std::size_t>(2 * chunk_bytes_, kLargestGzipBuffer)));
}

std::size_t DataFile::read(std::span<char> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const auto want = static_cast<unsigned>(std::min(out.size() - done, kLargestGzread));
    const int n = gzread(gz_.get(), out.data() + done, want);
    if (n > 0) done += static_cast<std::size_t>(n);
    if (n < 0 || static_cast<unsigned>(n) < want) break;
  }
  check_stream(*this, gz_.get());
  return done;
}

std::vector<unsigned char> DataFile::read_at_most(std::uint64_t limit) {
  std::vector<unsigned char> out;
  for (;;) {
    const std::size_t old_size = out.size();
    // Chunks that double with what has arrived: a lying header costs at most twice the real content.
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(
        limit - old_size, std::max(old_size, next_chunk_bytes())));
    if (chunk == 0) return out;
    out.resize(old_size + chunk);
    const std::size_t n = read({reinterpret_cast<char*>(out.data()) + old_size, chunk});
    out.resize(old_size + n);
    if (n < chunk) return out;
  }
}

std::uint64_t DataFile::skip(std::uint64_t limit) {
  std::array<char, 4096> scratch{};
  std::uint64_t skipped = 0;
  while (skipped < limit) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(limit - skipped, scratch.size()));
    const std::size_t n = read({scratch.data(), want});
    skipped += n;
    if (n < want) break;
  }
  return skipped;
}

std::size_t DataFile::next_chunk_bytes() {
  const std::size_t chunk = chunk_bytes_;
  chunk_bytes_ = std::min(2 * chunk_bytes_, kLargeChunkBytes);
  return chunk;
}

bool DataFile::gzip() const { return gzdirect(gz_.get()) == 0; }

std::string format_number(double value) {
  std::array<char, 32> text{};
  // A whole number as all its digits ("1000000", not "1e+06") while doubles still count in ones.
  constexpr double kWholeDigits = 9007199254740992.0;  // 2^53
  const bool whole = value == std::floor(value) && std::abs(value) <= kWholeDigits;
  char* const last = text.data() + text.size();
  const auto [end, error] = whole ? std::to_chars(text.data(), last, value, std::chars_format::fixed)
                                  : std::to_chars(text.data(), last, value);
  return error == std::errc() ? std::string(text.data(), end) : "?";
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
  std::string text = "label " + format_number(label);
  if (problem != nullptr) return text + problem;
  return text + " is out of range for " + std::to_string(num_classes) + " classes (0.." +
         std::to_string(num_classes - 1) + ")";
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
  if (data.labels.dtype() != kInt64 && data.labels.dtype() != data.inputs.dtype())
    throw std::invalid_argument(where + ": labels are " + std::string(dtype_name(data.labels.dtype())) +
                                " but inputs are " + std::string(dtype_name(data.inputs.dtype())) +
                                "; labels must be int64 class indices (or targets in the inputs' dtype)");
}

void gather_rows(const Tensor& src, std::span<const std::int64_t> rows, Tensor& dst) {
  const std::int64_t n = src.size(0);
  const std::size_t row_bytes =
      n == 0 ? 0 : static_cast<std::size_t>(src.numel() / n) * dtype_size(src.dtype());
  if (row_bytes == 0) return;
  const auto* from = visit_all_dtypes(src.dtype(), [&]<class T>() {
    return reinterpret_cast<const unsigned char*>(src.data<T>());
  });
  auto* to = visit_all_dtypes(dst.dtype(), [&]<class T>() { return reinterpret_cast<unsigned char*>(dst.data<T>()); });
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(to + i * row_bytes, from + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
}

}  // namespace tg::nn::detail
