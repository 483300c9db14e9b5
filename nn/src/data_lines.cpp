// Reading a text file line by line with any of the three line endings, a chunk at a time, so that a file
// that is not text (or never ends, like /dev/zero) is refused after one chunk instead of read whole.

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "data_io.hpp"

namespace tg::nn::detail {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

void LineReader::fail(std::int64_t line_no, const std::string& what) const {
  in_.fail("line " + std::to_string(line_no) + ": " + what);
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const std::size_t end = buffer_.find_first_of("\r\n", scanned_);
    const std::size_t stop = end == std::string::npos ? buffer_.size() : end;
    if (std::memchr(buffer_.data() + scanned_, '\0', stop - scanned_) != nullptr)
      fail(line_no_ + 1, "a NUL byte: this is binary data or UTF-16 text, expected UTF-8 or ASCII text");
    scanned_ = stop;
    // A '\r' that ends the buffer may be the first half of "\r\n": read on before deciding.
    if (end != std::string::npos && (buffer_[end] == '\n' || end + 1 < buffer_.size() || end_)) {
      line = std::string_view(buffer_).substr(pos_, end - pos_);
      pos_ = end + 1;
      if (buffer_[end] == '\r' && pos_ < buffer_.size() && buffer_[pos_] == '\n') ++pos_;
      scanned_ = pos_;
      ++line_no_;
      return true;
    }
    if (end_) {
      if (pos_ == buffer_.size()) return false;
      line = std::string_view(buffer_).substr(pos_);
      pos_ = scanned_ = buffer_.size();
      ++line_no_;
      return true;
    }
    fill();
  }
}

// Drops the lines already returned and appends the next chunk of the file.
void LineReader::fill() {
  if (buffer_.size() - pos_ > kMaxLineBytes)
    fail(line_no_ + 1, "longer than " + std::to_string(kMaxLineBytes >> 20) +
                           " MiB without a line break; this is not a text file of rows");
  buffer_.erase(0, pos_);
  scanned_ -= pos_;
  pos_ = 0;
  const std::size_t old_size = buffer_.size();
  const std::size_t chunk = std::max(in_.next_chunk_bytes(), old_size);  // doubles while one line grows
  buffer_.resize(old_size + chunk);
  const std::size_t n = in_.read({buffer_.data() + old_size, chunk});
  buffer_.resize(old_size + n);
  end_ = n < chunk;
  if (!started_) check_start();
}

// The first chunk holds the whole byte-order mark: DataFile::read fills its buffer unless the file ends.
void LineReader::check_start() {
  started_ = true;
  const std::string_view start(buffer_);
  if (start.starts_with("\xFF\xFE") || start.starts_with("\xFE\xFF"))
    fail(1, "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 or ASCII");
  if (start.starts_with(kUtf8Bom)) pos_ = scanned_ = kUtf8Bom.size();
}

}  // namespace tg::nn::detail
