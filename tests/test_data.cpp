// Data loading: the CSV and IDX readers (real files and generated fixtures, plain and gzip), their error
// messages, the seeded split, scaling, and the DataLoader.

#include <gmock/gmock.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "heap_counter.hpp"
#include "testing.hpp"
#include "tapegrad/nn/data.hpp"

namespace fs = std::filesystem;
using tg::nn::Batch;
using tg::nn::DataError;
using tg::nn::DataLoader;
using tg::nn::Dataset;

namespace {

using testing_support::message_of;

const fs::path kDigits = fs::path(TAPEGRAD_SOURCE_DIR) / "data" / "digits.csv.gz";


#define EXPECT_ERROR(E, statement, ...)                                               \
  do {                                                                                \
    const std::string message_ = message_of<E>([&] { (void)(statement); });           \
    for (const std::string& part_ : std::vector<std::string>{__VA_ARGS__})            \
      EXPECT_THAT(message_, testing::HasSubstr(part_));                                  \
  } while (false)

std::string read_gz(const fs::path& file) {
  gzFile gz = gzopen(file.c_str(), "rb");
  std::string text;
  std::array<char, 1 << 16> buf{};
  for (int n = 0; gz != nullptr && (n = gzread(gz, buf.data(), buf.size())) > 0;) text.append(buf.data(), n);
  if (gz != nullptr) gzclose(gz);
  return text;
}

void write_file(const fs::path& file, const std::string& bytes, bool gzip = false) {
  if (gzip) {
    gzFile gz = gzopen(file.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(gz);
    return;
  }
  std::ofstream(file, std::ios::binary) << bytes;
}

// One gzip member holding `bytes`.
std::string gzip_member(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A gzip file that inflates to `head` and then `mebibytes` MiB of `fill`: concatenated gzip members, which
// zlib reads as one stream, so that a few hundred KiB on disk inflate to hundreds of MiB.
std::string gzip_bomb(const std::string& head, char fill, int mebibytes) {
  std::string out = gzip_member(head);
  const std::string mebibyte = gzip_member(std::string(std::size_t{1} << 20, fill));
  for (int i = 0; i < mebibytes; ++i) out += mebibyte;
  return out;
}

// The DataError that fn throws, and the bytes operator new handed out while it ran (heap_counter.hpp): an
// upper bound on the memory the readers' own buffers take (zlib's fixed buffers come from malloc).
struct Outcome {
  std::string message;
  std::size_t bytes = 0;
};
Outcome data_error_of(const std::function<void()>& fn) {
  const std::size_t before = tapegrad_testing::operator_new_bytes.load();
  std::string message = message_of<DataError>(fn);
  return {std::move(message), tapegrad_testing::operator_new_bytes.load() - before};
}

// An IDX file's bytes: the big-endian magic, then extents, then `data`.
std::string idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string out;
  const auto put = [&out](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
  };
  put(magic);
  for (std::uint32_t d : dims) put(d);
  return out + data;
}

// 5 images of 3 x 4 pixels, pixel k of image i = 40 * i + k; labels i % 3.
std::string image_data() {
  std::string data;
  for (int i = 0; i < 5; ++i)
    for (int k = 0; k < 12; ++k) data.push_back(static_cast<char>(40 * i + k));
  return data;
}
const std::string kLabelData = {0, 1, 2, 0, 1};

// The labels of a dataset or batch, which must be int64 class indices, as integers.
std::vector<std::int64_t> int64_labels(const tg::Tensor& labels) {
  EXPECT_EQ(labels.dtype(), tg::kInt64);
  if (labels.dtype() != tg::kInt64) return {};
  const std::int64_t* p = labels.data<std::int64_t>();
  return {p, p + labels.numel()};
}

// n samples of 3 features: row i = [i, 10 i, -i], label i % 3; every sample can be traced by inputs[i, 0].
Dataset traceable(std::int64_t n, tg::Dtype dtype = tg::kFloat32) {
  std::vector<double> x;
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < n; ++i) {
    x.insert(x.end(), {double(i), 10.0 * double(i), -double(i)});
    y.push_back(i % 3);
  }
  return {tg::tensor(x, {n, 3}, dtype), tg::tensor(y, {n}), 3};
}

// The sample ids (inputs[:, 0]) of a dataset or batch, checking that each row and its int64 label still match.
std::vector<std::int64_t> ids_of(const tg::Tensor& inputs, const tg::Tensor& labels) {
  std::vector<std::int64_t> ids;
  const std::vector<std::int64_t> classes = int64_labels(labels);
  EXPECT_EQ(static_cast<std::int64_t>(classes.size()), inputs.size(0));
  for (std::int64_t r = 0; r < inputs.size(0) && r < static_cast<std::int64_t>(classes.size()); ++r) {
    const auto id = static_cast<std::int64_t>(inputs.at({r, 0}));
    EXPECT_EQ(inputs.at({r, 1}), 10.0 * double(id));
    EXPECT_EQ(classes[static_cast<std::size_t>(r)], id % 3);
    ids.push_back(id);
  }
  return ids;
}

class DataFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tapegrad_test_data_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name, const std::string& bytes, bool gzip = false) {
    write_file(dir_ / name, bytes, gzip);
    return dir_ / name;
  }
  fs::path dir_;
};

// ---- CSV: the digits set ----

TEST(Digits, LoadsEveryRowWithItsLabel) {
  const Dataset d = tg::nn::read_csv(kDigits);
  ASSERT_EQ(d.inputs.shape(), tg::Shape({1797, 64}));
  ASSERT_EQ(d.labels.shape(), tg::Shape({1797}));
  EXPECT_EQ(d.inputs.dtype(), tg::kFloat32);
  EXPECT_EQ(d.num_classes, 10);
  // zcat data/digits.csv.gz | head -3, and the last line.
  const std::vector<double> row0 = {0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15};
  for (std::int64_t k = 0; k < 12; ++k) EXPECT_EQ(d.inputs.at({0, k}), row0[std::size_t(k)]) << k;
  EXPECT_EQ(d.inputs.at({1, 3}), 12);
  EXPECT_EQ(d.inputs.at({2, 4}), 15);
  EXPECT_EQ(d.inputs.at({1796, 2}), 10);
  EXPECT_EQ(d.inputs.at({1796, 63}), 0);
  const std::vector<std::int64_t> labels = int64_labels(d.labels);
  ASSERT_EQ(labels.size(), 1797u);
  EXPECT_EQ(labels[0], 0);
  EXPECT_EQ(labels[1], 1);
  EXPECT_EQ(labels[2], 2);
  EXPECT_EQ(labels[1796], 8);
  const std::vector<double> pixels = d.inputs.to_vector();
  EXPECT_EQ(std::accumulate(pixels.begin(), pixels.end(), 0.0), 561718.0);
  std::array<int, 10> counts{};
  for (const std::int64_t label : labels) ++counts.at(std::size_t(label));
  EXPECT_EQ(counts, (std::array<int, 10>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}));
}

TEST(Digits, LoadDigitsScalesBySixteen) {
  const Dataset d = tg::nn::load_digits(kDigits, tg::kFloat64);
  EXPECT_EQ(d.inputs.dtype(), tg::kFloat64);
  EXPECT_EQ(d.labels.dtype(), tg::kInt64);  // whatever the inputs' dtype
  EXPECT_EQ(d.inputs.at({0, 2}), 5.0 / 16);
  EXPECT_EQ(d.inputs.at({0, 3}), 13.0 / 16);
  EXPECT_EQ(int64_labels(d.labels).at(1796), 8);
}

TEST_F(DataFiles, PlainAndGzipGiveTheSameDataset) {
  const fs::path plain = file("digits.csv", read_gz(kDigits));
  const Dataset a = tg::nn::read_csv(plain);
  const Dataset b = tg::nn::read_csv(kDigits);
  EXPECT_EQ(a.inputs.to_vector(), b.inputs.to_vector());
  EXPECT_EQ(int64_labels(a.labels), int64_labels(b.labels));
}

TEST_F(DataFiles, CsvOptionsAndLayout) {
  // Header, CRLF, blank lines, spaces, ';', label first.
  const fs::path f = file("x.csv", "label;a;b\r\n\r\n 2 ; 1.5;-3e1\r\n0;+4; 8\r\n\n");
  const Dataset d = tg::nn::read_csv(f, {.label_column = 0, .header = true, .delimiter = ';', .divisor = 2.0});
  EXPECT_EQ(d.inputs.to_vector(), (std::vector<double>{0.75, -15, 2, 4}));
  EXPECT_EQ(int64_labels(d.labels), (std::vector<std::int64_t>{2, 0}));
  EXPECT_EQ(d.num_classes, 3);  // inferred: largest label + 1
  // A label written as a decimal or with an exponent is still a whole number: "1.0" and "2e0" are classes 1 and 2.
  const Dataset e = tg::nn::read_csv(file("decimal.csv", "0.5,1.0\n0.25,2e0\n"), {.dtype = tg::kFloat64});
  EXPECT_EQ(int64_labels(e.labels), (std::vector<std::int64_t>{1, 2}));
}

// ---- CSV errors: each names the file, the line and field, and what is wrong ----

TEST_F(DataFiles, CsvErrorsNameFileLineAndField) {
  EXPECT_ERROR(DataError, tg::nn::read_csv(dir_ / "missing.csv"), "missing.csv", "no such file");
  EXPECT_ERROR(DataError, tg::nn::read_csv(dir_), "is a folder");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("empty.csv", "")), "empty.csv: the file is empty");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("blank.csv", "\n \n")), "blank.csv: the file is empty");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("digits.csv", "1,2,3\n4,5,6\n\n7,x3,9\n")),
               "read_csv: ", "digits.csv: line 4, field 2: \"x3\" is not a number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("count.csv", "1,2,3\n4,5\n")),
               "count.csv: line 2: 2 fields, expected 3 (as on line 1)");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("gap.csv", "1,,3\n")), "gap.csv: line 1, field 2: the field is empty");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("nan.csv", "1,nan,3\n")), "field 2: \"nan\" is not a finite number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("one.csv", "5\n")), "one.csv: line 1: 1 field");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("big.csv", "1,1e300,0\n")),
               "field 2: \"1e300\" is too large for float32");
  EXPECT_EQ(tg::nn::read_csv(dir_ / "big.csv", {.dtype = tg::kFloat64}).inputs.at({0, 1}), 1e300);
  const fs::path labels = file("labels.csv", "1,2,0\n3,4,5\n");
  EXPECT_ERROR(DataError, tg::nn::read_csv(labels, {.num_classes = 3}),
               "labels.csv: line 2, field 3: label 5 is out of range for 3 classes (0..2)");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("half.csv", "1,2,1.5\n")),
               "line 1, field 3: label 1.5 is not a whole number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("neg.csv", "1,2,-1\n")), "line 1, field 3: label -1 is negative");
  EXPECT_ERROR(DataError, tg::nn::read_csv(labels, {.label_column = 3}), "label column 3 is out of range");
  EXPECT_ERROR(DataError, tg::nn::load_digits(labels), "labels.csv: rows have 2 pixel values, expected 64");
  // Bad options are std::invalid_argument (DataError is one too, for files).
  EXPECT_ERROR(std::invalid_argument, tg::nn::read_csv(labels, {.divisor = 0}), "divisor must be a positive");
  EXPECT_ERROR(std::invalid_argument, tg::nn::read_csv(labels, {.num_classes = -2}), "num_classes must be >= 0");
}

TEST_F(DataFiles, TruncatedOrCorruptGzipIsADataError) {
  const std::string csv = read_gz(kDigits);
  write_file(dir_ / "full.csv.gz", csv, true);
  std::ifstream in(dir_ / "full.csv.gz", std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("cut.csv.gz", gz.substr(0, gz.size() / 2))), "cut.csv.gz",
               "truncated");
  std::string corrupt = gz;
  for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(~corrupt[i]);
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("bad.csv.gz", corrupt)), "bad.csv.gz");
}

// A byte-order mark, and lines ended by "\r" (old Mac), "\r\n" and "\n" in one file, all read as lines.
TEST_F(DataFiles, CsvSkipsAByteOrderMarkAndReadsEveryLineEnding) {
  const fs::path f = file("endings.csv", "\xEF\xBB\xBF" "1,2,0\r3,4,1\r\n5,6,2\n\r7,8,1");
  const Dataset d = tg::nn::read_csv(f);
  EXPECT_EQ(d.inputs.to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(int64_labels(d.labels), (std::vector<std::int64_t>{0, 1, 2, 1}));
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("cr.csv", "1,2,0\r3,4,1\r5,x,0\r")), "cr.csv: line 3, field 2: \"x\"");
  EXPECT_EQ(tg::nn::read_csv(file("bom_header.csv", "\xEF\xBB\xBF" "a,b,y\n1,2,0\n"), {.header = true}).size(), 1);
  // "\r\n" split across two chunks (64 KiB each) is one line ending: the error is on line 3, not line 4.
  std::string wide = "1,2,0";
  wide.resize((std::size_t{1} << 16) - 1, ' ');
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("split.csv", wide + "\r\n3,4,1\r\n5,x,0\n")),
               "split.csv: line 3, field 2");
}

// What does not print shows as an escape: a byte-order mark in the middle, a non-breaking space, a tab.
TEST_F(DataFiles, CsvErrorsShowInvisibleBytes) {
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("bom2.csv", "1,2,0\n\xEF\xBB\xBF" "3,4,1\n")),
               "bom2.csv: line 2, field 1: \"\\xEF\\xBB\\xBF3\" is not a number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("nbsp.csv", "1,\xC2\xA0" "2,0\n")),
               "line 1, field 2: \"\\xC2\\xA02\" is not a number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("tab.csv", "1,2\t3,0\n")), "field 2: \"2\\t3\" is not a number");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("utf16.csv", std::string("\xFF\xFE" "1\0,\0" "2\0", 8))),
               "utf16.csv: line 1: the file is UTF-16 text");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("nul.csv", std::string("1,2,0\n3,\0,1\n", 12))),
               "nul.csv: line 2: a NUL byte");
}

// /dev/zero and a pipe that never ends a line give an error after one chunk or one bounded line, where
// the reader used to read until memory ran out. (A hang here would be the defect; ctest's timeout ends it.)
TEST_F(DataFiles, EndlessInputIsRefusedNotReadForever) {
  EXPECT_ERROR(DataError, tg::nn::read_csv("/dev/zero"), "read_csv: /dev/zero: line 1: a NUL byte");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images("/dev/zero"), "/dev/zero: wrong magic number 0x00000000");
  EXPECT_ERROR(DataError, tg::nn::read_idx_labels("/dev/zero"), "/dev/zero: wrong magic number 0x00000000");
  const fs::path fifo = dir_ / "endless";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&fifo] {
    sigset_t pipe_signal;  // the reader closes first: write() then fails with EPIPE instead of a signal
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const std::string ones(std::size_t{1} << 16, '1');
    while (fd >= 0 && ::write(fd, ones.data(), ones.size()) > 0) {
    }
    if (fd >= 0) ::close(fd);
  });
  EXPECT_ERROR(DataError, tg::nn::read_csv(fifo), "endless: line 1: longer than 64 MiB without a line break");
  writer.join();
}

// 256 MiB of blank lines after a bad line 2, in a 300 KiB gzip file: the reader stops at line 2 with a
// few chunks in memory; it used to inflate all of it first. The bound (4 MiB) is far above the 64 KiB
// chunk and far below the 256 MiB a whole-file read takes.
TEST_F(DataFiles, CsvStopsAtTheFirstBadLineOfAHugeFile) {
  const fs::path bomb = dir_ / "bomb.csv.gz";
  std::ofstream(bomb, std::ios::binary) << gzip_bomb("1,2,0\nx,2,0\n", '\n', 256);
  const Outcome read = data_error_of([&] { (void)tg::nn::read_csv(bomb); });
  EXPECT_THAT(read.message, testing::HasSubstr("bomb.csv.gz: line 2, field 1: \"x\" is not a number"));
  EXPECT_LT(read.bytes, std::size_t{4} << 20);
}

// Labels are int64 whatever the inputs' dtype: 16777217 (2^24 + 1), which float32 would round to
// 16777216, another class, stays itself in a float32 Dataset.
TEST_F(DataFiles, CsvLabelsAboveTwoTo24StayExactWithFloat32Inputs) {
  const fs::path f = file("big_label.csv", "1,16777216\n2,16777217\n");
  const Dataset d = tg::nn::read_csv(f, {.num_classes = 20000000});
  EXPECT_EQ(d.inputs.dtype(), tg::kFloat32);
  EXPECT_EQ(int64_labels(d.labels), (std::vector<std::int64_t>{16777216, 16777217}));
  // Exact numbers in messages, not 6 significant digits ("2.14748e+09").
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("int_max.csv", "1,2147483647\n"), {.dtype = tg::kFloat64}),
               "label 2147483647 is too large for a class index");
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("frac.csv", "1,2147483646.5\n")),
               "label 2147483646.5 is not a whole number");
}

// One mistyped label among 0..9 would make a 1,000,001-class model: refused, naming the label's place.
TEST_F(DataFiles, CsvRefusesAClassCountFarAboveTheLabelsPresent) {
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += std::to_string(i) + "," + std::to_string(i % 10) + "\n";
  const fs::path typo = file("typo.csv", rows + "7,1000000\n" + rows);
  EXPECT_ERROR(DataError, tg::nn::read_csv(typo),
               "typo.csv: line 31, field 2: label 1000000 implies 1000001 classes, but only 11 distinct labels",
               "give num_classes");
  EXPECT_EQ(tg::nn::read_csv(typo, {.num_classes = 1000001}).num_classes, 1000001);  // when meant, say so
  // Up to 1000 classes are always inferred; above, when there are at least a tenth as many labels present.
  EXPECT_EQ(tg::nn::read_csv(file("thousand.csv", "1,0\n2,999\n")).num_classes, 1000);
  std::string many;
  for (int label = 0; label < 200; ++label) many += "1," + std::to_string(label) + "\n";
  EXPECT_EQ(tg::nn::read_csv(file("many.csv", many + "1,2009\n")).num_classes, 2010);  // 201 labels x 10 >= 2010
  EXPECT_ERROR(DataError, tg::nn::read_csv(file("sparse.csv", many + "1,2010\n")),
               "line 201, field 2: label 2010 implies 2011 classes, but only 201 distinct labels");
}

// Truncated, bit-flipped and garbled versions of valid CSV and IDX files, plain and gzip: every reader
// either loads them or throws DataError (any other exception fails the test; a crash fails the run).
TEST_F(DataFiles, MangledFilesGiveADataErrorNeverACrash) {
  const std::array<std::string, 3> valid = {"1,2,0\n3.5,-4,1\n", idx_bytes(0x803, {5, 3, 4}, image_data()),
                                            idx_bytes(0x801, {5}, kLabelData)};
  const std::string alphabet = ",.-+e0123456789\n\r x";
  tg::Generator gen(3);
  int errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = valid[gen.below(valid.size())];
    for (std::uint64_t edits = gen.below(4); edits > 0 && !bytes.empty(); --edits) {
      const std::size_t at = gen.below(bytes.size());
      if (gen.below(2) == 0)
        bytes[at] = alphabet[gen.below(alphabet.size())];
      else
        bytes[at] = static_cast<char>(gen.below(256));
    }
    if (gen.below(3) == 0) bytes.resize(gen.below(bytes.size() + 1));
    const fs::path f = file("mangled", bytes, gen.below(2) == 0);
    const std::array<std::function<void()>, 3> readers = {[&] { (void)tg::nn::read_csv(f); },
                                                          [&] { (void)tg::nn::read_idx_images(f); },
                                                          [&] { (void)tg::nn::read_idx_labels(f); }};
    for (const auto& read : readers) {
      try {
        read();
      } catch (const DataError&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 300);
}

// ---- IDX ----

TEST_F(DataFiles, IdxRoundTripPlainAndGzip) {
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    const std::string ext = gzip ? ".gz" : "";
    const fs::path images = file("images" + ext, idx_bytes(0x803, {5, 3, 4}, image_data()), gzip);
    const fs::path labels = file("labels" + ext, idx_bytes(0x801, {5}, kLabelData), gzip);
    const tg::Tensor x = tg::nn::read_idx_images(images, tg::kFloat64, 1.0);
    ASSERT_EQ(x.shape(), tg::Shape({5, 12}));
    for (std::int64_t i = 0; i < 5; ++i)
      for (std::int64_t k = 0; k < 12; ++k) EXPECT_EQ(x.at({i, k}), double(40 * i + k));
    EXPECT_EQ(int64_labels(tg::nn::read_idx_labels(labels, 3)), (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
    const Dataset d = tg::nn::read_idx(images, labels, {.num_classes = 3});
    EXPECT_EQ(d.inputs.dtype(), tg::kFloat32);
    EXPECT_EQ(int64_labels(d.labels), (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
    EXPECT_EQ(d.num_classes, 3);
    EXPECT_FLOAT_EQ(static_cast<float>(d.inputs.at({4, 11})), 171.0F / 255.0F);
  }
}

TEST_F(DataFiles, MnistFolderReadsPlainOrGzip) {
  file("train-images-idx3-ubyte", idx_bytes(0x803, {5, 3, 4}, image_data()));
  file("train-labels-idx1-ubyte.gz", idx_bytes(0x801, {5}, kLabelData), true);
  file("t10k-images-idx3-ubyte.gz", idx_bytes(0x803, {2, 3, 4}, image_data().substr(0, 24)), true);
  file("t10k-labels-idx1-ubyte", idx_bytes(0x801, {2}, kLabelData.substr(0, 2)));
  const Dataset train = tg::nn::load_mnist_folder(dir_, "train", {.divisor = 1.0});
  EXPECT_EQ(train.inputs.shape(), tg::Shape({5, 12}));
  EXPECT_EQ(train.inputs.at({1, 0}), 40);
  EXPECT_EQ(int64_labels(train.labels), (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
  const Dataset test = tg::nn::load_mnist_folder(dir_, "t10k");
  EXPECT_EQ(int64_labels(test.labels), (std::vector<std::int64_t>{0, 1}));
  EXPECT_ERROR(DataError, tg::nn::load_mnist_folder(dir_, "valid"),
               "neither valid-images-idx3-ubyte nor valid-images-idx3-ubyte.gz");
  EXPECT_ERROR(DataError, tg::nn::load_mnist_folder(dir_ / "nowhere", "train"), "nowhere: no such folder");
}

TEST_F(DataFiles, IdxErrorsNameFileAndNumbers) {
  const fs::path labels = file("labels", idx_bytes(0x801, {5}, kLabelData));
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(labels), "read_idx_images: ",
               "labels: wrong magic number 0x00000801, expected 0x00000803");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("tiny", std::string(2, '\0'), true)),
               "tiny: too short for an IDX header");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("head", idx_bytes(0x803, {5, 3}, ""))),
               "head: truncated header: 3 dimensions need 16 bytes, the file has 12");
  const std::string data = image_data();
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("cut", idx_bytes(0x803, {5, 3, 4}, data.substr(0, 55)))),
               "cut: truncated: the header promises 5 x 3 x 4 = 60 bytes of data, the file has 55");
  const fs::path cut_gz = file("cut.gz", idx_bytes(0x803, {5, 3, 4}, data.substr(0, 7)), true);
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(cut_gz), "the file has 7 after decompression");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("long", idx_bytes(0x803, {5, 3, 4}, data + "xy"))),
               "long: the file has 62 bytes of data, more than the 5 x 3 x 4 = 60 bytes");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("zero", idx_bytes(0x803, {0, 3, 4}, ""))), "an extent is zero");
  EXPECT_ERROR(DataError, tg::nn::read_idx_images(file("huge", idx_bytes(0x803, {0xFFFFFFFF, 0xFFFFFFFF, 9}, ""))),
               "huge: the header's extents 4294967295 x 4294967295 x 9 multiply to more than 9223372036854775807 "
               "bytes (2^63 - 1)");
  EXPECT_ERROR(DataError, tg::nn::read_idx_labels(labels, 2), "labels: index 2: label 2 is out of range for 2 classes");
  const fs::path four = file("four", idx_bytes(0x801, {4}, kLabelData.substr(0, 4)));
  const fs::path images = file("images", idx_bytes(0x803, {5, 3, 4}, data));
  EXPECT_ERROR(DataError, tg::nn::read_idx(images, four), "images has 5 images but ", "four has 4 labels");
  EXPECT_ERROR(std::invalid_argument, tg::nn::read_idx_labels(labels, 0), "num_classes must be >= 1, got 0");
}

// A header that promises 1 byte, then 256 MiB after it in a 300 KiB gzip file: refused after reading
// 64 KiB past the promise; it used to inflate all 256 MiB before looking. And a header promising a GB
// over 100 bytes costs what the file holds, not what it promises. Bounds as in the CSV test above.
TEST_F(DataFiles, IdxReadsExactlyWhatTheHeaderPromises) {
  const fs::path bomb = dir_ / "bomb.gz";
  std::ofstream(bomb, std::ios::binary) << gzip_bomb(idx_bytes(0x803, {1, 1, 1}, "\x07"), '\0', 256);
  const Outcome past = data_error_of([&] { (void)tg::nn::read_idx_images(bomb); });
  EXPECT_THAT(past.message, testing::HasSubstr("bomb.gz: the file has more than 65537 bytes of data after "
                                               "decompression, more than the 1 x 1 x 1 = 1 bytes the header promises"));
  EXPECT_LT(past.bytes, std::size_t{4} << 20);
  const fs::path claim = file("claim.gz", idx_bytes(0x803, {1000, 1000, 1000}, std::string(100, 'x')), true);
  const Outcome short_of = data_error_of([&] { (void)tg::nn::read_idx_images(claim); });
  EXPECT_THAT(short_of.message, testing::HasSubstr("claim.gz: truncated: the header promises 1000 x 1000 x 1000 = "
                                                   "1000000000 bytes of data, the file has 100 after decompression"));
  EXPECT_LT(short_of.bytes, std::size_t{4} << 20);
}

// Train 3 x 4 and test 4 x 3 images both flatten to 12 pixels, so a model would not even notice: the
// pair is refused at load, naming both files and sizes.
TEST_F(DataFiles, MnistTrainAndTestImagesMustHaveOneSize) {
  file("train-images-idx3-ubyte", idx_bytes(0x803, {5, 3, 4}, image_data()));
  file("train-labels-idx1-ubyte", idx_bytes(0x801, {5}, kLabelData));
  file("t10k-images-idx3-ubyte.gz", idx_bytes(0x803, {2, 4, 3}, image_data().substr(0, 24)), true);
  file("t10k-labels-idx1-ubyte", idx_bytes(0x801, {2}, kLabelData.substr(0, 2)));
  EXPECT_ERROR(DataError, tg::nn::load_mnist_train_test(dir_),
               "load_mnist_train_test: " + (dir_ / "train-images-idx3-ubyte").string() + " has 3 x 4 images but " +
                   (dir_ / "t10k-images-idx3-ubyte.gz").string() + " has 4 x 3");
  file("t10k-images-idx3-ubyte.gz", idx_bytes(0x803, {2, 3, 4}, image_data().substr(0, 24)), true);
  const tg::nn::TrainTest both = tg::nn::load_mnist_train_test(dir_, {.divisor = 1.0});
  EXPECT_EQ(both.train.inputs.shape(), tg::Shape({5, 12}));
  EXPECT_EQ(both.test.inputs.shape(), tg::Shape({2, 12}));
  EXPECT_EQ(both.test.inputs.at({1, 0}), 40);
  EXPECT_EQ(int64_labels(both.train.labels), (std::vector<std::int64_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(int64_labels(both.test.labels), (std::vector<std::int64_t>{0, 1}));
}

TEST(FashionMnist, DebianPackageLoads) {
  // The project's setup installs dataset-fashion-mnist; a missing folder is a failure, not a skip.
  const fs::path folder = tg::nn::fashion_mnist_folder();
  ASSERT_TRUE(fs::exists(folder / "train-images-idx3-ubyte.gz")) << "apt-get install dataset-fashion-mnist";
  const Dataset train = tg::nn::load_mnist_folder(folder, "train");
  const Dataset test = tg::nn::load_mnist_folder(folder, "t10k");
  EXPECT_EQ(train.inputs.shape(), tg::Shape({60000, 784}));
  EXPECT_EQ(test.inputs.shape(), tg::Shape({10000, 784}));
  EXPECT_EQ(train.num_classes, 10);
  for (const auto& [d, per_class] : {std::pair{&train, 6000}, std::pair{&test, 1000}}) {
    std::array<int, 10> counts{};
    for (const std::int64_t label : int64_labels(d->labels)) ++counts.at(std::size_t(label));
    EXPECT_EQ(counts, (std::array<int, 10>{per_class, per_class, per_class, per_class, per_class, per_class,
                                           per_class, per_class, per_class, per_class}));
  }
  EXPECT_EQ(int64_labels(train.labels).at(0), 9);  // an ankle boot
  EXPECT_EQ(int64_labels(test.labels).at(1), 2);
  const std::vector<double> first = tg::nn::subset(train, std::vector<std::int64_t>{0}).inputs.to_vector();
  EXPECT_NEAR(std::accumulate(first.begin(), first.end(), 0.0), 76247.0 / 255.0, 1e-3);
  EXPECT_EQ(*std::max_element(first.begin(), first.end()), 1.0);
}

// ---- Dataset operations ----

TEST(Split, SizesFollowRounding) {
  const Dataset digits = tg::nn::read_csv(kDigits);
  const tg::nn::Split s = tg::nn::split(digits, 0.2, 7);
  EXPECT_EQ(s.validation.size(), 359);  // round(0.2 * 1797) = round(359.4)
  EXPECT_EQ(s.train.size(), 1438);
  EXPECT_EQ(s.train.features(), 64);
  EXPECT_EQ(s.validation.num_classes, 10);
  EXPECT_EQ(tg::nn::split(traceable(10), 0.25, 1).validation.size(), 3);  // 2.5 rounds away from zero
}

TEST(Split, DisjointCoveringAndSeeded) {
  const Dataset data = traceable(50);
  const tg::nn::Split a = tg::nn::split(data, 0.3, 42);
  const std::vector<std::int64_t> train = ids_of(a.train.inputs, a.train.labels);
  const std::vector<std::int64_t> valid = ids_of(a.validation.inputs, a.validation.labels);
  std::vector<std::int64_t> all = train;
  all.insert(all.end(), valid.begin(), valid.end());
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(50);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);  // every sample exactly once
  // The documented order: validation is the first 15 of permutation(50, Generator(42)).
  tg::Generator gen(42);
  const std::vector<std::int64_t> order = tg::nn::permutation(50, gen);
  EXPECT_EQ(valid, std::vector<std::int64_t>(order.begin(), order.begin() + 15));
  const tg::nn::Split same = tg::nn::split(data, 0.3, 42);
  EXPECT_EQ(same.validation.inputs.to_vector(), a.validation.inputs.to_vector());
  const tg::nn::Split other = tg::nn::split(data, 0.3, 43);
  EXPECT_NE(other.validation.inputs.to_vector(), a.validation.inputs.to_vector());
}

TEST(Split, BadArguments) {
  const Dataset data = traceable(10);
  EXPECT_ERROR(std::invalid_argument, tg::nn::split(data, 0.0, 1), "validation_fraction must be in (0, 1), got 0");
  EXPECT_ERROR(std::invalid_argument, tg::nn::split(data, 1.0, 1), "got 1");
  EXPECT_ERROR(std::invalid_argument, tg::nn::split(data, 0.01, 1), "gives 0 validation samples");
  EXPECT_ERROR(std::invalid_argument, tg::nn::split(Dataset{}, 0.5, 1), "split: the dataset has undefined");
  EXPECT_ERROR(std::invalid_argument, tg::nn::subset(data, std::vector<std::int64_t>{3, 10}),
               "subset: index 10 is out of range for 10 samples");
}

TEST(Permutation, IsAFisherYatesShuffle) {
  tg::Generator gen(5);
  const std::vector<std::int64_t> p = tg::nn::permutation(20, gen);
  // Fisher-Yates from the back, as documented, replayed by hand.
  tg::Generator replay(5);
  std::vector<std::int64_t> q(20);
  std::iota(q.begin(), q.end(), 0);
  for (std::size_t i = 19; i > 0; --i) std::swap(q[i], q[replay.below(i + 1)]);
  EXPECT_EQ(p, q);
  EXPECT_EQ(std::set<std::int64_t>(p.begin(), p.end()).size(), 20U);
}

TEST(Scaling, DivideAndStandardize) {
  const Dataset data = traceable(4);  // columns [0 1 2 3], [0 10 20 30], [0 -1 -2 -3]
  const Dataset halved = tg::nn::divide_inputs(data, 2.0);
  EXPECT_EQ(halved.inputs.at({3, 1}), 15.0);
  EXPECT_EQ(data.inputs.at({3, 1}), 30.0);  // the source is untouched
  const tg::nn::Standardizer s = tg::nn::Standardizer::fit(data);
  EXPECT_DOUBLE_EQ(s.mean()[1], 15.0);
  EXPECT_DOUBLE_EQ(s.stddev()[0], std::sqrt(1.25));  // population std of 0..3
  const Dataset z = s.apply(data);
  for (int j = 0; j < 3; ++j) {
    double sum = 0;
    double squares = 0;
    for (std::int64_t i = 0; i < 4; ++i) {
      sum += z.inputs.at({i, j});
      squares += z.inputs.at({i, j}) * z.inputs.at({i, j});
    }
    EXPECT_NEAR(sum / 4, 0.0, 1e-6);
    EXPECT_NEAR(squares / 4, 1.0, 1e-6);
  }
  // Applied to other data with the training statistics, not its own.
  const Dataset other = s.apply(tg::nn::subset(data, std::vector<std::int64_t>{3}));
  EXPECT_NEAR(other.inputs.at({0, 0}), (3 - 1.5) / std::sqrt(1.25), 1e-6);
  // A constant feature is only centred.
  const Dataset digits = tg::nn::load_digits(kDigits);
  const tg::nn::Standardizer d = tg::nn::Standardizer::fit(digits);
  EXPECT_EQ(d.stddev()[0], 1.0);  // pixel 0 is always 0
  EXPECT_EQ(d.apply(digits).inputs.at({5, 0}), 0.0);
  EXPECT_ERROR(std::invalid_argument, s.apply(digits), "fitted on 3 features, the data has 64");
  EXPECT_ERROR(std::invalid_argument, tg::nn::divide_inputs(data, -1),
               "divisor must be a positive finite number, got -1");
}

// ---- DataLoader ----

static_assert(std::input_iterator<DataLoader::Iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, DataLoader::Iterator>);

TEST(DataLoader, BatchesInOrderWithoutShuffle) {
  DataLoader loader(traceable(10), {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3);
  std::vector<std::int64_t> sizes;
  std::vector<std::int64_t> ids;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.inputs.size(1), 3);
    EXPECT_EQ(b.labels.size(0), b.inputs.size(0));
    sizes.push_back(b.inputs.size(0));
    const std::vector<std::int64_t> got = ids_of(b.inputs, b.labels);
    ids.insert(ids.end(), got.begin(), got.end());
  }
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{4, 4, 2}));
  EXPECT_EQ(ids, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(DataLoader, DropLast) {
  DataLoader loader(traceable(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(loader.size(), 2);
  int batches = 0;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.inputs.shape(), tg::Shape({4, 3}));
    ++batches;
  }
  EXPECT_EQ(batches, 2);
  EXPECT_EQ(DataLoader(traceable(3), {.batch_size = 4, .drop_last = true}).size(), 0);
  EXPECT_EQ(DataLoader(tg::nn::read_csv(kDigits), {.batch_size = 64}).size(), 29);  // 28 full + 5 left over
  DataLoader none(tg::nn::subset(traceable(3), {}), {.batch_size = 2});
  EXPECT_EQ(none.size(), 0);
  EXPECT_TRUE(none.begin() == none.end());
}

// Every epoch's sample ids, batch after batch.
std::vector<std::vector<std::int64_t>> epochs_of(DataLoader& loader, int epochs) {
  std::vector<std::vector<std::int64_t>> out;
  for (int e = 0; e < epochs; ++e) {
    out.emplace_back();
    for (const Batch& b : loader) {
      const std::vector<std::int64_t> got = ids_of(b.inputs, b.labels);
      out.back().insert(out.back().end(), got.begin(), got.end());
    }
  }
  return out;
}

TEST(DataLoader, ShuffleCoversEverySampleOncePerEpochAndIsSeeded) {
  DataLoader loader(traceable(23), {.batch_size = 5, .shuffle = true, .seed = 9});
  const auto epochs = epochs_of(loader, 3);
  EXPECT_EQ(loader.epochs(), 3);
  tg::Generator gen(9);  // epoch e uses the generator state left by the epochs before it
  for (const auto& epoch : epochs) EXPECT_EQ(epoch, tg::nn::permutation(23, gen));
  EXPECT_NE(epochs[0], epochs[1]);
  DataLoader same(traceable(23), {.batch_size = 5, .shuffle = true, .seed = 9});
  EXPECT_EQ(epochs_of(same, 3), epochs);
  DataLoader other(traceable(23), {.batch_size = 5, .shuffle = true, .seed = 10});
  EXPECT_NE(epochs_of(other, 1)[0], epochs[0]);
}

// Resuming from a checkpoint saved after 2 epochs: set_epoch(2) gives epoch 2's order, and from then on
// the orders of an uninterrupted loader, at one rank or sharded (each rank's share of the same order).
TEST(DataLoader, SetEpochResumesTheUninterruptedOrder) {
  DataLoader straight(traceable(23), {.batch_size = 5, .shuffle = true, .seed = 9});
  const auto epochs = epochs_of(straight, 4);
  DataLoader resumed(traceable(23), {.batch_size = 5, .shuffle = true, .seed = 9});
  static_cast<void>(epochs_of(resumed, 1));  // whatever ran before the resume is forgotten
  resumed.set_epoch(2);
  EXPECT_EQ(resumed.epochs(), 2);
  const auto rest = epochs_of(resumed, 2);
  EXPECT_EQ(rest, (std::vector<std::vector<std::int64_t>>{epochs[2], epochs[3]}));
  EXPECT_EQ(resumed.epochs(), 4);
  for (std::int64_t r = 0; r < 2; ++r) {
    DataLoader shard(traceable(23), {.batch_size = 3, .shuffle = true, .seed = 9, .num_replicas = 2, .rank = r});
    shard.set_epoch(3);
    std::vector<std::int64_t> expected;  // positions r, r + 2, ... of epoch 3's order, padded to 24
    for (std::size_t j = static_cast<std::size_t>(r); j < 24; j += 2) expected.push_back(epochs[3][j % 23]);
    EXPECT_EQ(epochs_of(shard, 1)[0], expected) << "rank " << r;
  }
  DataLoader ordered(traceable(4), {.batch_size = 2});
  ordered.set_epoch(5);
  EXPECT_EQ(epochs_of(ordered, 1)[0], (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_ERROR(std::invalid_argument, ordered.set_epoch(-1), "DataLoader::set_epoch: epoch must be >= 0, got -1");
}

TEST(DataLoader, ReusesBuffersButNeverOverwritesAKeptBatch) {
  DataLoader loader(traceable(12, tg::kFloat64), {.batch_size = 4});
  auto it = loader.begin();
  const tg::detail::TensorImpl* first = it->inputs.impl();
  ++it;
  EXPECT_EQ(it->inputs.impl(), first);  // nobody kept batch 0: its buffer is refilled
  const Batch kept = *it;                // batch 1, held by the caller
  ++it;
  EXPECT_NE(it->inputs.impl(), kept.inputs.impl());
  EXPECT_EQ(ids_of(kept.inputs, kept.labels), (std::vector<std::int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(ids_of(it->inputs, it->labels), (std::vector<std::int64_t>{8, 9, 10, 11}));
  ++it;
  EXPECT_TRUE(it == std::default_sentinel);
}

// A Dataset built by hand may hold floating-point targets (a regression): batches carry them unchanged.
TEST(DataLoader, FloatTargetsPassThroughUnchanged) {
  Dataset data = traceable(6, tg::kFloat64);
  data.labels = tg::tensor({0.5, -1.5, 2.25, 3.0, 4.75, -0.125}, tg::kFloat64);
  data.num_classes = 0;
  DataLoader loader(data, {.batch_size = 4});
  std::vector<double> targets;
  for (const Batch& b : loader) {
    EXPECT_EQ(b.labels.dtype(), tg::kFloat64);
    const std::vector<double> got = b.labels.to_vector();
    targets.insert(targets.end(), got.begin(), got.end());
  }
  EXPECT_EQ(targets, data.labels.to_vector());
  EXPECT_EQ(tg::nn::subset(data, std::vector<std::int64_t>{2}).labels.to_vector(), (std::vector<double>{2.25}));
}

// The property data-parallel training rests on: R ranks with batch B / R each see, step for step, exactly
// the samples of one process with batch B (every epoch reshuffled alike), the last short batch included
// when R divides N. No MPI: the ranks are R loaders in one process.
TEST(DataLoader, ShardsTogetherMakeTheOneProcessBatches) {
  for (const std::int64_t replicas : {2, 4}) {
    DataLoader whole(traceable(48), {.batch_size = 12, .shuffle = true, .seed = 3});
    std::vector<DataLoader> ranks;
    for (std::int64_t r = 0; r < replicas; ++r)
      ranks.emplace_back(traceable(48), tg::nn::DataLoaderOptions{.batch_size = 12 / replicas, .shuffle = true,
                                                                  .seed = 3, .num_replicas = replicas, .rank = r});
    for (int epoch = 0; epoch < 3; ++epoch) {
      std::vector<DataLoader::Iterator> its;
      for (DataLoader& l : ranks) its.push_back(l.begin());
      for (const Batch& b : whole) {
        std::vector<std::int64_t> expected = ids_of(b.inputs, b.labels);
        std::vector<std::int64_t> got;
        for (DataLoader::Iterator& it : its) {
          ASSERT_FALSE(it == std::default_sentinel);
          const std::vector<std::int64_t> share = ids_of(it->inputs, it->labels);
          got.insert(got.end(), share.begin(), share.end());
          ++it;
        }
        std::sort(expected.begin(), expected.end());
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, expected) << replicas << " replicas, epoch " << epoch;
      }
      for (DataLoader::Iterator& it : its) EXPECT_TRUE(it == std::default_sentinel);
    }
  }
}

TEST(DataLoader, ShardingPadsAsDistributedSampler) {
  // torch.utils.data.DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False): [0, 2, 4] and
  // [1, 3, 0], the order padded with its first sample so that both ranks run as many steps.
  std::vector<std::vector<std::int64_t>> shares;
  for (std::int64_t r = 0; r < 2; ++r) {
    DataLoader loader(traceable(5), {.batch_size = 2, .num_replicas = 2, .rank = r});
    EXPECT_EQ(loader.size(), 2);
    shares.push_back(epochs_of(loader, 1)[0]);
  }
  EXPECT_EQ(shares[0], (std::vector<std::int64_t>{0, 2, 4}));
  EXPECT_EQ(shares[1], (std::vector<std::int64_t>{1, 3, 0}));
  // More ranks than samples: the order repeats.
  DataLoader last(traceable(2), {.batch_size = 4, .num_replicas = 5, .rank = 4});
  EXPECT_EQ(epochs_of(last, 1)[0], (std::vector<std::int64_t>{0}));
}

TEST(DataLoader, BadArguments) {
  EXPECT_ERROR(std::invalid_argument, DataLoader(traceable(4), {.batch_size = 0}),
               "DataLoader: batch_size must be >= 1, got 0");
  Dataset broken = traceable(4);
  broken.labels = tg::zeros({3});
  EXPECT_ERROR(std::invalid_argument, DataLoader(broken), "DataLoader: labels must be [N] for inputs [4, 3], got [3]");
  broken.labels = tg::zeros({4}, tg::kFloat64);
  EXPECT_ERROR(std::invalid_argument, DataLoader(broken),
               "DataLoader: labels are float64 but inputs are float32; labels must be int64 class indices (or "
               "targets in the inputs' dtype)");
  broken.labels = tg::zeros({4}, tg::kBool);
  EXPECT_ERROR(std::invalid_argument, DataLoader(broken), "DataLoader: labels are bool but inputs are float32");
  EXPECT_ERROR(std::invalid_argument, DataLoader(Dataset{}), "undefined inputs or labels");
  EXPECT_ERROR(std::invalid_argument, DataLoader(traceable(4), {.num_replicas = 0}),
               "DataLoader: num_replicas must be >= 1, got 0");
  EXPECT_ERROR(std::invalid_argument, DataLoader(traceable(4), {.num_replicas = 2, .rank = 2}),
               "DataLoader: rank must be in [0, 2), got 2");
}

}  // namespace
