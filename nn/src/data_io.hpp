#pragma once
// Internals shared by the data readers (data_csv.cpp, data_idx.cpp), the Dataset operations and the loader.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/nn/dataset.hpp"
#include "tapegrad/tensor.hpp"

struct gzFile_s;  // zlib's file handle, as <zlib.h> declares it

namespace tg::nn::detail {

/// Throws DataError "op: file: what".
[[noreturn]] void fail(std::string_view op, const std::filesystem::path& file, const std::string& what);

/// A plain or gzip file read from front to back through zlib (gzip told apart by its magic bytes 1f 8b).
/// Nothing is read ahead of what the caller asks for, so a reader can check a header before it commits
/// memory, and a device or pipe that never ends (/dev/zero) is read only as far as the checks need.
class DataFile {
 public:
  /// Throws DataError when the file is missing, a folder or cannot be opened.
  DataFile(std::string_view op, const std::filesystem::path& file);

  /// Fills out from the file; fewer bytes only at the end of the data. Throws DataError on corrupt or
  /// truncated gzip data and on read errors.
  [[nodiscard]] std::size_t read(std::span<char> out);
  /// Up to `limit` bytes; the buffer grows with the bytes that arrive, so a header that promises more
  /// than the file holds costs no more memory than the file's real content.
  [[nodiscard]] std::vector<unsigned char> read_at_most(std::uint64_t limit);
  /// Reads and drops up to `limit` bytes in a small buffer; returns how many there were.
  [[nodiscard]] std::uint64_t skip(std::uint64_t limit);

  /// A good size for the next read: the file's size for a small regular file (else 64 KiB) at first,
  /// doubling with every call up to 64 KiB.
  [[nodiscard]] std::size_t next_chunk_bytes();
  /// True when the content is gzip (known once something has been read).
  [[nodiscard]] bool gzip() const;
  [[noreturn]] void fail(const std::string& what) const { detail::fail(op_, file_, what); }

 private:
  struct Closer {
    void operator()(gzFile_s* gz) const;
  };
  std::string_view op_;
  std::filesystem::path file_;
  std::size_t chunk_bytes_ = 0;
  std::unique_ptr<gzFile_s, Closer> gz_;
};

/// The lines of a text file, each ended by "\n", "\r\n" or a lone "\r", read a chunk at a time; a UTF-8
/// byte-order mark before the first line is skipped. Errors are DataError "op: file: line N: what".
class LineReader {
 public:
  /// A line longer than this is refused: no text file of numbers has one, and it bounds the memory that
  /// a file without line breaks can take.
  static constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;

  explicit LineReader(DataFile& in) : in_(in) {}
  /// The next line without its ending, valid until the next call; false after the last line. Throws on
  /// a NUL byte (binary data, or UTF-16 text) and on a line longer than kMaxLineBytes.
  [[nodiscard]] bool next(std::string_view& line);
  /// The 1-based number of the line last returned.
  [[nodiscard]] std::int64_t line_no() const { return line_no_; }
  [[noreturn]] void fail(std::int64_t line_no, const std::string& what) const;

 private:
  void fill();
  void check_start();

  DataFile& in_;
  std::string buffer_;
  std::size_t pos_ = 0;      // the first byte not yet returned
  std::size_t scanned_ = 0;  // buffer_[pos_, scanned_) holds no line end and no NUL
  bool end_ = false;         // everything in the file is in buffer_
  bool started_ = false;
  std::int64_t line_no_ = 0;
};

/// A double in the fewest digits that read back as the same double, whole numbers up to 2^53 in full:
/// "16", "0.5", "1000000", "2147483647", "1e+300".
[[nodiscard]] std::string format_number(double value);

/// What is wrong with a label ("label 12 is out of range for 10 classes (0..9)"), or "" when it is a
/// whole number in [0, num_classes) (below INT_MAX when num_classes is 0, which accepts any such number).
[[nodiscard]] std::string label_problem(double label, int num_classes);

/// Throws std::invalid_argument naming op unless divisor is finite and positive.
void check_divisor(std::string_view op, double divisor);

/// Throws std::invalid_argument naming op unless data holds inputs [N, D] and labels [N], the labels int64
/// or of the inputs' dtype.
void check_dataset(std::string_view op, const Dataset& data);

/// Row i of dst = row rows[i] of src, by memcpy; both have the same dtype and row width, dst has
/// rows.size() rows, and every index is in range (the caller checks).
void gather_rows(const Tensor& src, std::span<const std::int64_t> rows, Tensor& dst);

}  // namespace tg::nn::detail
