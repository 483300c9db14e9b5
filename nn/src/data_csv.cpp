// The CSV reader: one sample per non-blank line, every field a number, one field the label.

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "data_io.hpp"
#include "tapegrad/nn/csv.hpp"

namespace tg::nn {

namespace {

constexpr std::string_view kOp = "read_csv";

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// A byte as a message shows it: printable ASCII as itself, anything else (a tab, a stray byte-order mark,
// a non-breaking space) as an escape, so that an invisible byte is never the unexplained cause of an error.
void append_visible(std::string& text, char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == '"' || c == '\\') {
    text += '\\';
    text += c;
  } else if (c == '\t') {
    text += "\\t";
  } else if (byte >= 0x20 && byte < 0x7F) {
    text += c;
  } else {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    text += "\\x";
    text += kHex[byte >> 4];
    text += kHex[byte & 0xFU];
  }
}

// A field as it appears in a message, shortened so that a binary file does not make a megabyte message.
std::string quoted(std::string_view field) {
  constexpr std::size_t kShown = 40;
  std::string text(1, '"');
  for (const char c : field.substr(0, kShown)) append_visible(text, c);
  text.append(field.size() > kShown ? "...\"" : "\"");
  return text;
}

class CsvParser {
 public:
  CsvParser(const std::filesystem::path& file, const CsvOptions& options) : file_(file), options_(options) {}
  [[nodiscard]] Dataset parse(detail::DataFile& in);

 private:
  void parse_row(std::string_view line);
  void add_label(double value, std::int64_t field_no);
  [[nodiscard]] int inferred_classes() const;
  void set_width(std::int64_t fields);
  [[nodiscard]] double parse_number(std::string_view field, std::int64_t field_no) const;
  [[noreturn]] void fail_at(const std::string& what) const {
    detail::fail(kOp, file_, "line " + std::to_string(line_no_) + ": " + what);
  }
  [[noreturn]] void fail_at(std::int64_t field_no, const std::string& what) const {
    detail::fail(kOp, file_, "line " + std::to_string(line_no_) + ", field " + std::to_string(field_no) + ": " + what);
  }

  const std::filesystem::path& file_;
  const CsvOptions& options_;
  std::int64_t line_no_ = 0;
  std::int64_t width_ = 0;  // fields per row, set by the first row
  std::int64_t first_row_line_ = 0;
  std::int64_t label_index_ = 0;  // 0-based
  double max_label_ = -1;
  std::int64_t max_label_line_ = 0;
  std::unordered_set<std::int64_t> distinct_labels_;  // only when the class count is inferred
  std::vector<std::string_view> fields_;
  std::vector<double> features_;
  std::vector<std::int64_t> labels_;
};

Dataset CsvParser::parse(detail::DataFile& in) {
  detail::LineReader lines(in);
  bool skip_header = options_.header;
  std::string_view line;
  while (lines.next(line)) {
    line_no_ = lines.line_no();
    if (trim(line).empty()) continue;
    if (skip_header) {
      skip_header = false;
      continue;
    }
    parse_row(line);
  }
  if (labels_.empty()) detail::fail(kOp, file_, "the file is empty: it has no rows of numbers");
  const int num_classes = options_.num_classes > 0 ? options_.num_classes : inferred_classes();
  const auto n = static_cast<std::int64_t>(labels_.size());
  return {tensor(features_, {n, width_ - 1}, options_.dtype), tensor(labels_, {n}), num_classes};
}

// The largest label + 1, as PyTorch users count classes (F.one_hot infers it so). One mistyped label
// (1000000 among 0..9) would make that a million-class model without a word, so a count above kManyClasses
// that is also more than kSparseRatio times the distinct labels present is refused. Below kManyClasses
// (ImageNet's count) a wide output layer is cheap, and a small file may well hold only some classes.
int CsvParser::inferred_classes() const {
  constexpr std::int64_t kManyClasses = 1000;
  constexpr std::int64_t kSparseRatio = 10;
  const auto implied = static_cast<std::int64_t>(max_label_) + 1;
  const auto distinct = static_cast<std::int64_t>(distinct_labels_.size());
  if (implied > kManyClasses && implied > kSparseRatio * distinct)
    detail::fail(kOp, file_,
                 "line " + std::to_string(max_label_line_) + ", field " + std::to_string(label_index_ + 1) +
                     ": label " + detail::format_number(max_label_) + " implies " + std::to_string(implied) +
                     " classes, but only " + std::to_string(distinct) +
                     " distinct labels appear in the file; if the label is not a typo, give num_classes");
  return static_cast<int>(implied);
}

void CsvParser::parse_row(std::string_view line) {
  fields_.clear();
  for (std::size_t start = 0;;) {
    const std::size_t end = line.find(options_.delimiter, start);
    fields_.push_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const auto count = static_cast<std::int64_t>(fields_.size());
  if (width_ == 0) set_width(count);
  if (count != width_)
    fail_at(std::to_string(count) + " fields, expected " + std::to_string(width_) + " (as on line " +
            std::to_string(first_row_line_) + ")");
  for (std::int64_t k = 0; k < count; ++k) {
    const double value = parse_number(trim(fields_[static_cast<std::size_t>(k)]), k + 1);
    if (k != label_index_) {
      const double feature = value / options_.divisor;
      if (options_.dtype == kFloat32 && std::abs(feature) > std::numeric_limits<float>::max())
        fail_at(k + 1, quoted(fields_[static_cast<std::size_t>(k)]) + " is too large for float32");
      features_.push_back(feature);
      continue;
    }
    add_label(value, k + 1);
  }
}

void CsvParser::add_label(double value, std::int64_t field_no) {
  const std::string problem = detail::label_problem(value, options_.num_classes);
  if (!problem.empty()) fail_at(field_no, problem);
  labels_.push_back(static_cast<std::int64_t>(value));  // a whole number below INT_MAX: exact
  if (options_.num_classes == 0) distinct_labels_.insert(labels_.back());
  if (value > max_label_) {
    max_label_ = value;
    max_label_line_ = line_no_;
  }
}

void CsvParser::set_width(std::int64_t fields) {
  if (fields < 2) fail_at("1 field, but a row needs at least 2 (the features and a label)");
  const std::int64_t index = options_.label_column < 0 ? fields + options_.label_column : options_.label_column;
  if (index < 0 || index >= fields)
    fail_at("the label column " + std::to_string(options_.label_column) + " is out of range for rows of " +
            std::to_string(fields) + " fields");
  width_ = fields;
  first_row_line_ = line_no_;
  label_index_ = index;
}

double CsvParser::parse_number(std::string_view field, std::int64_t field_no) const {
  if (field.empty()) fail_at(field_no, "the field is empty, expected a number");
  std::string_view digits = field;
  if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-') digits.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) fail_at(field_no, quoted(field) + " is out of range for a double");
  if (error != std::errc() || end != digits.data() + digits.size())
    fail_at(field_no, quoted(field) + " is not a number");
  if (!std::isfinite(value)) fail_at(field_no, quoted(field) + " is not a finite number");
  return value;
}

}  // namespace

Dataset read_csv(const std::filesystem::path& file, const CsvOptions& options) {
  detail::check_divisor(kOp, options.divisor);
  if (options.num_classes < 0)
    throw std::invalid_argument("read_csv: num_classes must be >= 0 (0 infers it), got " +
                                std::to_string(options.num_classes));
  if (options.delimiter == '\n' || options.delimiter == '\r')
    throw std::invalid_argument("read_csv: the delimiter cannot be a line break");
  detail::DataFile in(kOp, file);
  return CsvParser(file, options).parse(in);
}

Dataset load_digits(const std::filesystem::path& file, Dtype dtype) {
  constexpr std::int64_t kPixels = 64;
  Dataset digits = read_csv(file, {.label_column = -1, .num_classes = 10, .dtype = dtype, .divisor = 16.0});
  if (digits.features() != kPixels)
    detail::fail("load_digits", file,
                 "rows have " + std::to_string(digits.features()) + " pixel values, expected " +
                     std::to_string(kPixels) + " (an 8x8 image) and a label");
  return digits;
}

}  // namespace tg::nn
