#pragma once
// What the fuzz targets share: the readers take paths, so each input goes to a file of this process first.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace tg::fuzz {

/// An in-memory file (memfd_create) holding the last input written to it, opened by path through
/// /proc/self/fd. A file on disk cost more than the readers themselves: rewriting it every execution made
/// ext4 start writeback on each close (its replace-by-truncate heuristic), and the fuzzers ran at 100
/// executions per second. Each process (libFuzzer's -jobs run several) has its own; it goes with the process.
class InputFile {
 public:
  explicit InputFile(const std::string& suffix) : fd_(::memfd_create(("tapegrad-fuzz" + suffix).c_str(), MFD_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("fuzz: memfd_create failed");  // not a finding: the setup is broken
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// Replaces the file's content with the input's bytes.
  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) {
    bool written = ::ftruncate(fd_, 0) == 0;
    for (std::size_t done = 0; written && done < size;) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      written = n > 0;
      done += written ? static_cast<std::size_t>(n) : 0;
    }
    if (!written) throw std::runtime_error("fuzz: cannot write " + path_.string());
    return path_;
  }

 private:
  int fd_;
  std::filesystem::path path_;
};

/// Runs fn; the documented errors of a reader (std::invalid_argument and the project's exceptions derived
/// from it) are the expected outcome of a bad file. Anything else escapes and libFuzzer reports it.
template <class F>
void expect_clean(F&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace tg::fuzz
