// Fuzzes read_csv and load_digits: every input is a file, plain or gzip (the reader tells them apart by
// content), read with three sets of options. A bad file must end in std::invalid_argument (DataError);
// a crash, a sanitizer report, a leak, another exception or a timeout is a finding.
// Run: scripts/fuzz.sh, or build-fuzz/fuzz/fuzz_csv fuzz/corpus/fuzz_csv

#include <cstddef>
#include <cstdint>

#include "fuzz_file.hpp"
#include "tapegrad/nn/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::InputFile input(".csv");
  const auto& file = input.write(data, size);
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::read_csv(file)); });
  tg::fuzz::expect_clean([&] { static_cast<void>(tg::nn::load_digits(file, tg::kFloat64)); });
  tg::fuzz::expect_clean([&] {
    static_cast<void>(tg::nn::read_csv(file, {.label_column = 0, .num_classes = 0, .header = true,
                                              .delimiter = ';', .dtype = tg::kFloat64, .divisor = 1e-300}));
  });
  return 0;
}
