// tg::to_dot: the tape's trace mode (SweepOptions::trace) walks the records a root reaches without
// computing gradients or releasing anything; this file turns that walk into DOT text.

#include "tapegrad/graph_export.hpp"

#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "tapegrad/detail/impl.hpp"
#include "tapegrad/detail/tape.hpp"
#include "tapegrad/grad_mode.hpp"

namespace tg {

namespace {

using detail::TensorImpl;
using Names = std::unordered_map<const TensorImpl*, std::string>;

// Length of the well-formed UTF-8 sequence starting at s[i] (no overlong forms, surrogates or code
// points above U+10FFFF), or 0 when there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0U; };
  const unsigned lead = at(0);
  std::size_t n = 0;
  unsigned low = 0x80;  // the range the second byte must fall in
  unsigned high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) n = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) n = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) n = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (at(1) < low || at(1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (at(k) < 0x80 || at(k) > 0xBF) return 0;
  return n;
}

// `text` as the inside of a DOT double-quoted label: `"` and `\` escaped (a lone `\` would start one of
// DOT's \n \l \N ... escapes), a line break as DOT's centred \n, and any other control byte or byte that
// is not part of UTF-8 (Graphviz reads UTF-8) shown as the four characters \xNN.
std::string dot_escaped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (text[i] == '"' || text[i] == '\\') {
      out += '\\';
      out += text[i];
    } else if (text[i] == '\n') {
      out += "\\n";
    } else if (byte >= 0x80 && utf8_length(text, i) > 0) {
      const std::size_t n = utf8_length(text, i);
      out.append(text.substr(i, n));
      i += n - 1;
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\\\x%02X", byte);  // "\\x07": a shown backslash, then x07
      out += hex;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string shape_and_dtype(const TensorImpl* t) { return t->shape.str() + " " + std::string(dtype_name(t->dtype)); }

// One node statement: `n3 [shape=box, label="..."];`, the root with a second outline.
std::string node(std::size_t id, const TensorImpl* t, const char* op, const Names& names, bool root) {
  const auto name = names.find(t);
  std::string label = name != names.end() ? dot_escaped(name->second) + "\\n" : "";
  if (op != nullptr) label += dot_escaped(op) + "\\n";  // escaped too: a custom op may name itself anything
  else if (name == names.end()) label += "leaf\\n";
  label += shape_and_dtype(t);
  return "  n" + std::to_string(id) + " [" + (op == nullptr ? "shape=box, " : "") + (root ? "peripheries=2, " : "") +
         "label=\"" + label + "\"];\n";
}

// Every record `root` reaches, in sweep order (root first), with the inputs each sends gradients to.
std::vector<detail::TracedRecord> trace(const Tensor& root) {
  if (!detail::current_tape().holds(root.impl()))
    throw std::logic_error("to_dot: the tensor of shape " + root.shape().str() +
                           " is a non-leaf whose records are not on this thread's tape (released by a backward() "
                           "without retain_graph, or recorded on another thread); call to_dot before backward()");
  std::vector<detail::TracedRecord> records;
  detail::SweepOptions options(/*retain=*/true);
  options.trace = &records;
  const Tensor seed = zeros(root.shape(), root.dtype());
  // The backward closures run on zero gradients, which may make a NaN (0 * inf) that no real sweep would.
  const detail::SwitchGuard no_anomaly_check(detail::anomaly_enabled, false);
  detail::current_tape().backward({&root, 1}, {&seed, 1}, options);
  return records;
}

}  // namespace

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& named) {
  if (!root.defined()) throw std::invalid_argument("to_dot: the root tensor is undefined");
  Names names;
  for (const auto& [name, t] : named)
    if (t.defined()) names.try_emplace(t.impl(), name);  // a tensor given twice keeps its first name
  std::string dot = "digraph tapegrad {\n  node [fontname=\"Helvetica\"];\n";
  if (root.is_leaf()) return dot + node(0, root.impl(), nullptr, names, true) + "}\n";
  const std::vector<detail::TracedRecord> records = trace(root);
  // Ids: the records in sweep order, then the leaves in the order the sweep first reaches them.
  std::unordered_map<const TensorImpl*, std::size_t> ids;
  for (const detail::TracedRecord& r : records) ids.try_emplace(r.out, ids.size());
  std::vector<const TensorImpl*> leaves;
  for (const detail::TracedRecord& r : records)
    for (const TensorImpl* input : r.inputs)
      if (ids.try_emplace(input, ids.size()).second) leaves.push_back(input);
  for (const detail::TracedRecord& r : records) dot += node(ids.at(r.out), r.out, r.op, names, r.out == root.impl());
  for (const TensorImpl* leaf : leaves) dot += node(ids.at(leaf), leaf, nullptr, names, false);
  for (const detail::TracedRecord& r : records)
    for (const TensorImpl* input : r.inputs)
      dot += "  n" + std::to_string(ids.at(input)) + " -> n" + std::to_string(ids.at(r.out)) + ";\n";
  return dot + "}\n";
}

}  // namespace tg
