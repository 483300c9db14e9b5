// Fuzzing regressions: every seed of fuzz/corpus/<target>/ read the way its fuzz target reads it ends in a
// result or a clean std::invalid_argument, and each input a fuzzer or sanitizer once crashed on is
// replayed here with the message it must give now. scripts/fuzz.sh runs the fuzz targets themselves.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "testing.hpp"
#include "tapegrad/nn/data.hpp"
#include "tapegrad/nn/safetensors.hpp"

namespace fs = std::filesystem;

namespace {

using testing_support::message_of;

const fs::path kCorpus = fs::path(TAPEGRAD_SOURCE_DIR) / "fuzz" / "corpus";

// A file in the temporary folder named for this process and test, removed at the end of the test.
class ScratchFile {
 public:
  ScratchFile(const std::string& name, const std::string& bytes)
      : path_(fs::temp_directory_path() / ("tapegrad-regression-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~ScratchFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// "" when fn returns or throws std::invalid_argument (a documented, clean outcome), else what went wrong.
std::string unclean(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::invalid_argument&) {
  } catch (const std::exception& e) {
    return std::string("threw another exception type: ") + e.what();
  } catch (...) {
    return "threw something that is not a std::exception";
  }
  return "";
}


std::vector<fs::path> seeds(const std::string& target) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(kCorpus / target))
    if (entry.is_regular_file()) files.push_back(entry.path());
  return files;
}

}  // namespace

// ---- the seed corpora, read as fuzz/fuzz_<reader>.cpp reads them ----

TEST(FuzzCorpus, CsvSeedsGiveADatasetOrACleanError) {
  const std::vector<fs::path> files = seeds("fuzz_csv");
  ASSERT_GE(files.size(), 3U);
  for (const fs::path& file : files) {
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::read_csv(file)); }), "") << file;
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::load_digits(file, tg::kFloat64)); }), "") << file;
    EXPECT_EQ(unclean([&] {
                static_cast<void>(tg::nn::read_csv(file, {.label_column = 0, .num_classes = 0, .header = true,
                                                          .delimiter = ';', .dtype = tg::kFloat64, .divisor = 1e-300}));
              }),
              "")
        << file;
  }
  EXPECT_EQ(tg::nn::read_csv(kCorpus / "fuzz_csv" / "digits_2_rows.csv.gz").size(), 2);
}

TEST(FuzzCorpus, IdxSeedsGiveTensorsOrACleanError) {
  const std::vector<fs::path> files = seeds("fuzz_idx");
  ASSERT_GE(files.size(), 3U);
  for (const fs::path& file : files) {
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::read_idx_images(file)); }), "") << file;
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::read_idx_images(file, tg::kFloat64, 1.0)); }), "") << file;
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::read_idx_labels(file)); }), "") << file;
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::read_idx_labels(file, 256)); }), "") << file;
  }
  EXPECT_EQ(tg::nn::read_idx_images(kCorpus / "fuzz_idx" / "images_2x2x3.gz").shape(), tg::Shape({2, 6}));
}

TEST(FuzzCorpus, SafetensorsSeedsGiveTensorsOrACleanError) {
  const std::vector<fs::path> files = seeds("fuzz_safetensors");
  ASSERT_GE(files.size(), 3U);
  for (const fs::path& file : files)
    EXPECT_EQ(unclean([&] { static_cast<void>(tg::nn::load_safetensors(file)); }), "") << file;
  EXPECT_EQ(tg::nn::load_safetensors(kCorpus / "fuzz_safetensors" / "two_tensors.safetensors").tensors.size(), 2U);
}

// ---- inputs that once crashed ----

// The 8-byte little-endian length, then the header: a safetensors file with no data.
std::string safetensors_bytes(const std::string& header) {
  std::string bytes(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return bytes + header;
}

// A JSON value nested a hundred thousand levels deep in the header overflowed the stack: nlohmann_json
// copies nested values recursively (when an ordered object grows) and dump(), which quoted the value in
// the error message, recurses too. Found by reading the fuzz target's path (libFuzzer's inputs of at
// most a few KiB nest too little to reach it); ASan: stack-overflow in basic_json's copy and in
// serializer::dump. The parser now stops at 64 levels.
TEST(FuzzRegression, SafetensorsDeeplyNestedHeaderIsACleanError) {
  constexpr std::size_t kDepth = 100000;
  const std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
  for (const std::string& header : {"{\"a\":" + nested + "}",
                                    "{\"a\":{\"dtype\":\"F32\",\"shape\":" + nested + ",\"data_offsets\":[0,0]}}",
                                    "{\"__metadata__\":{\"k\":" + nested + "}}", nested}) {
    const ScratchFile file("deep.safetensors", safetensors_bytes(header));
    const std::string message = message_of<std::invalid_argument>([&] { static_cast<void>(tg::nn::load_safetensors(file.path())); });
    EXPECT_THAT(message,
                testing::HasSubstr("the JSON header nests more than 64 levels deep (a safetensors header needs 3)"));
  }
}

// A long value in a bad place is quoted shortened, not whole (the message was as long as the header).
TEST(FuzzRegression, SafetensorsMessageQuotesALongValueShortened) {
  std::string shape = "[0";
  for (int i = 0; i < 100000; ++i) shape += ",1";
  const ScratchFile file("long.safetensors",
                        safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape + "],\"data_offsets\":[0,0]}}"));
  const std::string message = message_of<std::invalid_argument>([&] { static_cast<void>(tg::nn::load_safetensors(file.path())); });
  EXPECT_THAT(message, testing::HasSubstr("tensor 'a' has shape [0,1,1,1,"));
  EXPECT_THAT(message, testing::HasSubstr("..."));
  EXPECT_LT(message.size(), 400U);
}

// A key given twice is refused wherever it is (nlohmann_json keeps the last one silently), also where no
// tensor owns it yet, and the message says where.
TEST(FuzzRegression, SafetensorsKeyTwiceIsACleanErrorAtAnyDepth) {
  const std::pair<std::string, std::string> cases[] = {
      {R"([{"a":1,"a":2}])", "the header has the key 'a' twice"},
      {R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":{"k":1,"k":1}}})", "tensor 't' has the key 'k' twice"},
      {R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"t":{}})", "the header names tensor 't' twice"}};
  for (const auto& [header, expected] : cases) {
    const ScratchFile file("twice.safetensors", safetensors_bytes(header));
    EXPECT_THAT(message_of<std::invalid_argument>([&] { static_cast<void>(tg::nn::load_safetensors(file.path())); }),
                testing::HasSubstr(expected))
        << header;
  }
}
