// Fuzzes load_safetensors: every input is a file. A bad file must end in std::invalid_argument
// (CheckpointError); a crash, a sanitizer report, a leak, another exception or a timeout is a finding.
// Run: scripts/fuzz.sh, or build-fuzz/fuzz/fuzz_safetensors fuzz/corpus/fuzz_safetensors

#include <cstddef>
#include <cstdint>

#include "fuzz_file.hpp"
#include "tapegrad/nn/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::InputFile input(".safetensors");
  const auto& file = input.write(data, size);
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::load_safetensors(file)); });
  return 0;
}
