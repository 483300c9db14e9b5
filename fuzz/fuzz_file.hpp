#pragma once
// What the fuzz targets share: the readers take paths, so each input goes to a file of this process first.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tg::fuzz {

/// A file in the temporary folder named after this process (libFuzzer's -jobs run several), holding the
/// last input written to it; removed when the process ends normally.
class InputFile {
 public:
  explicit InputFile(const std::string& suffix)
      : path_(std::filesystem::temp_directory_path() /
              ("tapegrad-fuzz-" + std::to_string(::getpid()) + suffix)) {}
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  /// Replaces the file's content with the input's bytes.
  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("fuzz: cannot write " + path_.string());  // not a finding
    const bool written = size == 0 || std::fwrite(data, 1, size, f) == size;
    if (std::fclose(f) != 0 || !written) throw std::runtime_error("fuzz: cannot write " + path_.string());
    return path_;
  }

 private:
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
