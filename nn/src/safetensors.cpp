// The safetensors format: header JSON through nlohmann_json, tensor data as raw little-endian bytes.

#include "tapegrad/nn/safetensors.hpp"

#include "atomic_file.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <system_error>

namespace tg::detail {

void fail_checkpoint(std::string_view op, const std::filesystem::path& file, const std::string& what) {
  throw nn::CheckpointError(std::string(op) + ": " + file.string() + ": " + what);
}

// Appended piece by piece: GCC 12 misreports "literal" + std::string&& under -Wrestrict (PR 105329).
std::string in_quotes(std::string_view name) {
  std::string text = "'";
  text.append(name).append("'");
  return text;
}

}  // namespace tg::detail

namespace tg::nn {

namespace {

namespace fs = std::filesystem;
// Plain objects (std::map): nlohmann::ordered_json finds a key by a linear search, which made reading or
// writing a header of n entries take n^2 steps (200,000 entries: over a minute). The order of the
// tensors, which std::map does not keep, is kept beside it (Header::entries) or written by hand.
using Json = nlohmann::json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; tapegrad copies it without swapping bytes");

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr std::size_t kLengthBytes = 8;  // the header length in front of the header
constexpr std::size_t kAlignment = 8;    // the reference writer pads the header to this

using detail::in_quotes;
[[noreturn]] void fail(std::string_view op, const fs::path& file, const std::string& what) {
  detail::fail_checkpoint(op, file, what);
}

// safetensors' codes for tapegrad's dtypes (the format's F32, F64, I64 and BOOL).
std::string_view dtype_code(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return "F32";
    case Dtype::Float64: return "F64";
    case Dtype::Int64: return "I64";
    case Dtype::Bool: return "BOOL";
  }
  return "";
}

std::optional<Dtype> dtype_from_code(std::string_view code) {
  for (Dtype dtype : {kFloat32, kFloat64, kInt64, kBool})
    if (code == dtype_code(dtype)) return dtype;
  return std::nullopt;
}

/// The elements of t as bytes, row-major (tensors are contiguous; a handle shares its storage).
std::span<char> bytes_of(const Tensor& t) {
  return visit_all_dtypes(t.dtype(), [&]<class T>() {
    return std::span(reinterpret_cast<char*>(t.data<T>()), static_cast<std::size_t>(t.numel()) * sizeof(T));
  });
}

// ---- saving ----

void check_for_saving(const fs::path& file, const NamedTensors& tensors) {
  std::set<std::string_view> names;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == kMetadataKey)
      fail("save_safetensors", file, "a tensor may not be named " + in_quotes(name));
    if (!names.insert(name).second)
      fail("save_safetensors", file, "the tensor name " + in_quotes(name) + " appears twice");
    if (!t.defined()) fail("save_safetensors", file, "tensor " + in_quotes(name) + " is undefined");
  }
}

/// The JSON header, padded with spaces to a multiple of kAlignment bytes: the metadata, then the tensors
/// in the order their data follows, each as {"dtype", "shape", "data_offsets"} like the reference writer.
std::string make_header(const fs::path& file, const NamedTensors& tensors, const Metadata& metadata) {
  std::string text = "{";
  const auto add_member = [&text](const std::string& key, const auto& value) {
    if (text.size() > 1) text += ',';
    text.append(Json(key).dump()).append(":").append(value.dump());
  };
  try {
    if (!metadata.empty()) add_member(std::string(kMetadataKey), Json(metadata));
    std::uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
      const std::uint64_t bytes = bytes_of(t).size();
      // Three keys: ordered_json's linear search costs nothing here and keeps the reference order.
      add_member(name, nlohmann::ordered_json{{"dtype", dtype_code(t.dtype())},
                                              {"shape", std::vector<std::int64_t>(t.shape().begin(), t.shape().end())},
                                              {"data_offsets", {offset, offset + bytes}}});
      offset += bytes;
    }
  } catch (const Json::exception& e) {  // JSON strings are UTF-8; nlohmann_json refuses anything else
    fail("save_safetensors", file, std::string("a tensor name or metadata text is not valid UTF-8: ") + e.what());
  }
  text += '}';
  text.append((kAlignment - text.size() % kAlignment) % kAlignment, ' ');
  return text;
}

}  // namespace

void save_safetensors(const fs::path& file, const NamedTensors& tensors, const Metadata& metadata) {
  check_for_saving(file, tensors);
  const std::string header = make_header(file, tensors, metadata);
  std::array<char, kLengthBytes> length{};
  for (std::size_t i = 0; i < kLengthBytes; ++i)
    length[i] = static_cast<char>((static_cast<std::uint64_t>(header.size()) >> (8 * i)) & 0xFF);

  std::vector<std::span<const char>> pieces = {length, header};
  for (const auto& entry : tensors) pieces.push_back(bytes_of(entry.second));
  detail::write_file_atomically("save_safetensors", file, pieces);
}

// ---- loading ----

namespace {

constexpr std::string_view kLoad = "load_safetensors";

/// A BOOL tensor's bytes must each be 0 or 1: any other byte read as a C++ bool is undefined behaviour.
void check_bool_bytes(const std::string& name, std::span<const char> bytes, const fs::path& file) {
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] != 0 && bytes[i] != 1)
      fail(kLoad, file,
           "tensor " + in_quotes(name) + " is BOOL but its element " + std::to_string(i) + " holds the byte " +
               std::to_string(static_cast<unsigned char>(bytes[i])) + " (expected 0 or 1)");
}

struct Entry {
  std::string name;
  Dtype dtype = kFloat32;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// Opens the file and returns it with its size.
std::pair<std::ifstream, std::uint64_t> open_for_reading(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (!fs::exists(status)) fail(kLoad, file, "no such file");
  if (fs::is_directory(status)) fail(kLoad, file, "is a folder, expected a file");
  const std::uint64_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) fail(kLoad, file, "cannot open for reading: " + std::string(std::strerror(errno != 0 ? errno : EIO)));
  return {std::move(in), size};
}

void read_bytes(std::ifstream& in, std::span<char> bytes, const fs::path& file) {
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) fail(kLoad, file, "cannot read " + std::to_string(bytes.size()) + " bytes (the file changed while read?)");
}

/// Reads the header length and the header text; the rest of the file is the data.
std::string read_header_text(std::ifstream& in, std::uint64_t file_size, const fs::path& file) {
  if (file_size < kLengthBytes)
    fail(kLoad, file, "the file is " + std::to_string(file_size) +
                          " bytes, too short for the 8-byte header length (truncated file?)");
  std::array<char, kLengthBytes> length_bytes{};
  read_bytes(in, length_bytes, file);
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i)
    length |= static_cast<std::uint64_t>(static_cast<unsigned char>(length_bytes[i])) << (8 * i);
  if (length > file_size - kLengthBytes)
    fail(kLoad, file, "the header length " + std::to_string(length) + " is larger than the " +
                          std::to_string(file_size - kLengthBytes) +
                          " bytes that follow it (truncated, or not a safetensors file?)");
  std::string text(length, '\0');
  read_bytes(in, text, file);
  return text;
}

/// The parsed header and its entries (tensors and __metadata__) in the order of the file.
struct Header {
  Json json;
  std::vector<std::pair<std::string, const Json*>> entries;  // point into json
};

/// Builds the header from nlohmann_json's SAX events, refusing a key given twice in any object (a DOM
/// parse keeps the last silently) and nesting deeper than a header needs. Not Json::parse with a
/// callback: its parser scans the whole enclosing object at the end of every entry, n^2 steps for n
/// entries (200,000 entries: over a minute); not ordered_json: a linear search per key, n^2 again.
class HeaderReader final : public nlohmann::json_sax<Json> {
 public:
  explicit HeaderReader(const fs::path& file) : file_(file) {}
  Header header;
  std::string error;  // nlohmann_json's message for malformed JSON

  bool null() override { return add(nullptr); }
  bool boolean(bool value) override { return add(value); }
  bool number_integer(number_integer_t value) override { return add(value); }
  bool number_unsigned(number_unsigned_t value) override { return add(value); }
  bool number_float(number_float_t value, const string_t&) override { return add(value); }
  bool string(string_t& value) override { return add(std::move(value)); }
  bool binary(binary_t& value) override { return add(Json::binary(std::move(value))); }
  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& key) override;
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    return false;
  }

 private:
  /// Puts value where the parse is: the whole header, the next element of an array or the value of key_.
  Json* add(Json value);
  bool open(Json container);
  bool close() {
    open_.pop_back();
    return true;
  }
  [[noreturn]] void repeated_key() const;
  const fs::path& file_;
  std::vector<Json*> open_;  // the objects and arrays being read, outermost first (std::map and std::vector
                             // keep them in place while their parents grow: only the innermost grows)
  std::string key_;
};

Json* HeaderReader::add(Json value) {
  if (open_.empty()) return &(header.json = std::move(value));
  Json& parent = *open_.back();
  if (parent.is_array()) return &parent.emplace_back(std::move(value));
  const auto [at, added] = parent.emplace(key_, std::move(value));
  if (!added) repeated_key();
  if (open_.size() == 1) header.entries.emplace_back(key_, &at.value());
  return &at.value();
}

bool HeaderReader::open(Json container) {
  constexpr std::size_t kMaxDepth = 64;  // printing a value recurses: a million '[' would overflow the stack
  if (open_.size() > kMaxDepth)
    fail(kLoad, file_, "the JSON header nests more than " + std::to_string(kMaxDepth) +
                           " levels deep (a safetensors header needs 3)");
  open_.push_back(add(std::move(container)));
  return true;
}

bool HeaderReader::key(string_t& key) {
  key_ = std::move(key);
  return true;
}

void HeaderReader::repeated_key() const {
  if (open_.size() == 1) fail(kLoad, file_, "the header names tensor " + in_quotes(key_) + " twice");
  const std::string& owner = header.entries.empty() ? "" : header.entries.back().first;
  const std::string where = header.entries.empty()  ? std::string("the header")
                            : owner == kMetadataKey ? owner
                                                    : "tensor " + in_quotes(owner);
  fail(kLoad, file_, where + " has the key " + in_quotes(key_) + " twice");
}

Header parse_header(const std::string& text, const fs::path& file) {
  HeaderReader reader(file);
  if (!Json::sax_parse(text, &reader)) fail(kLoad, file, "malformed JSON header: " + reader.error);
  if (!reader.header.json.is_object())
    fail(kLoad, file, "the JSON header must be an object, got " + std::string(reader.header.json.type_name()));
  return std::move(reader.header);
}

/// value as JSON for a message, shortened so that a large header does not make a megabyte message.
std::string shown(const Json& value) {
  constexpr std::size_t kShownChars = 80;
  std::string text = value.dump();
  if (text.size() > kShownChars) text.resize(kShownChars), text += "...";
  return text;
}

Metadata read_metadata(const Json& value, const fs::path& file) {
  if (!value.is_object()) fail(kLoad, file, "__metadata__ must be an object, got " + std::string(value.type_name()));
  Metadata metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string())
      fail(kLoad, file, "__metadata__ entry " + in_quotes(key) + " is not a string: " + shown(text));
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

/// value as a whole number >= 0, or nullopt.
std::optional<std::uint64_t> whole_number(const Json& value) {
  if (!value.is_number_unsigned()) return std::nullopt;
  return value.get<std::uint64_t>();
}

// [begin, end] with 0 <= begin <= end, as whole numbers.
bool read_offsets(const Json& offsets, std::uint64_t& first, std::uint64_t& last) {
  if (!offsets.is_array() || offsets.size() != 2) return false;
  const std::optional<std::uint64_t> begin = whole_number(offsets[0]);
  const std::optional<std::uint64_t> end = whole_number(offsets[1]);
  if (!begin || !end) return false;
  first = *begin;
  last = *end;
  return first <= last;
}

/// The shape and its size in bytes; checks rank, extents and overflow.
std::pair<Shape, std::uint64_t> read_shape(const Json& value, Dtype dtype, const std::string& where,
                                           const fs::path& file) {
  if (!value.is_array() || value.size() > static_cast<std::size_t>(Shape::kMaxDims))
    fail(kLoad, file, where + " has shape " + shown(value) + ", expected a list of at most " +
                          std::to_string(Shape::kMaxDims) + " extents");
  Shape shape;
  std::uint64_t bytes = dtype_size(dtype);
  for (const Json& extent : value) {
    const auto n = whole_number(extent);
    if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        (*n != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / *n))
      fail(kLoad, file, where + " has shape " + shown(value) +
                            ", expected whole numbers >= 0 whose product fits in memory");
    shape.push_back(static_cast<std::int64_t>(*n));
    bytes *= *n;
  }
  return {shape, bytes};
}

Entry read_entry(const std::string& name, const Json& info, std::uint64_t data_size, const fs::path& file) {
  const std::string where = "tensor " + in_quotes(name);
  if (name.empty())  // save_safetensors cannot write it back
    fail(kLoad, file, "the header names a tensor '', expected a name that is not empty");
  if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
    fail(kLoad, file, where + " is " + shown(info) + ", expected an object with dtype, shape and data_offsets");
  const Json& code = info["dtype"];
  const auto dtype = code.is_string() ? dtype_from_code(code.get<std::string>()) : std::nullopt;
  if (!dtype) fail(kLoad, file, where + " has the unsupported dtype " + shown(code) + " (tapegrad reads F32, F64, I64 and BOOL)");
  Entry entry;
  entry.name = name;
  entry.dtype = *dtype;
  std::uint64_t bytes = 0;
  std::tie(entry.shape, bytes) = read_shape(info["shape"], *dtype, where, file);

  const Json& offsets = info["data_offsets"];
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (!read_offsets(offsets, first, last))
    fail(kLoad, file, where + " has data_offsets " + shown(offsets) + ", expected [begin, end] with 0 <= begin <= end");
  if (last > data_size)
    fail(kLoad, file, where + " has data_offsets " + shown(offsets) + " outside the " + std::to_string(data_size) +
                          " bytes of data (truncated file?)");
  if (last - first != bytes)
    fail(kLoad, file, where + " has data_offsets " + shown(offsets) + " (" + std::to_string(last - first) +
                          " bytes) but shape " + entry.shape.str() + " of " + code.get<std::string>() + " needs " +
                          std::to_string(bytes) + " bytes");
  entry.begin = first;
  entry.end = last;
  return entry;
}

/// Sorts the entries by offset and checks that they cover the data exactly, without overlap or gap.
void check_layout(std::vector<Entry>& entries, std::uint64_t data_size, const fs::path& file) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    const std::string where =
        "tensor " + in_quotes(entry.name) + " [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + ")";
    const std::string after = previous ? "tensor " + in_quotes(previous->name) : "the start of the data";
    if (entry.begin < covered)
      fail(kLoad, file, where + " overlaps " + after + " (which ends at byte " + std::to_string(covered) + ")");
    if (entry.begin > covered)
      fail(kLoad, file, where + " leaves a gap of " + std::to_string(entry.begin - covered) + " bytes after " + after);
    covered = entry.end;
    previous = &entry;
  }
  if (covered != data_size)
    fail(kLoad, file, std::to_string(data_size - covered) + " bytes of data follow the last tensor and belong to none");
}

}  // namespace

SafetensorsFile load_safetensors(const fs::path& file) {
  auto [in, file_size] = open_for_reading(file);
  const std::string text = read_header_text(in, file_size, file);
  const Header header = parse_header(text, file);
  const std::uint64_t data_size = file_size - kLengthBytes - text.size();

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.entries) {
    const Json& info = *value;
    if (name == kMetadataKey) out.metadata = read_metadata(info, file);
    else entries.push_back(read_entry(name, info, data_size, file));
  }
  check_layout(entries, data_size, file);
  for (const Entry& entry : entries) {  // in offset order: the data is read front to back
    Tensor t = empty(entry.shape, entry.dtype);
    const std::span<char> bytes = bytes_of(t);
    read_bytes(in, bytes, file);
    if (entry.dtype == kBool) check_bool_bytes(entry.name, bytes, file);
    out.tensors.emplace_back(entry.name, std::move(t));
  }
  return out;
}

}  // namespace tg::nn
