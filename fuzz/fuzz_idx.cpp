// Fuzzes the IDX readers (MNIST's format): every input is a file, plain or gzip (the reader tells them
// apart by content), read as images and as labels. A bad file must end in std::invalid_argument
// (DataError); a crash, a sanitizer report, a leak, another exception or a timeout is a finding.
// Run: scripts/fuzz.sh, or build-fuzz/fuzz/fuzz_idx fuzz/corpus/fuzz_idx

#include <cstddef>
#include <cstdint>

#include "fuzz_file.hpp"
#include "tapegrad/nn/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::InputFile input("-idx-ubyte");
  const auto& file = input.write(data, size);
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::read_idx_images(file)); });
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::read_idx_images(file, tg::kFloat64, 1.0)); });
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::read_idx_labels(file)); });
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::read_idx_labels(file, 256)); });
  return 0;
}
