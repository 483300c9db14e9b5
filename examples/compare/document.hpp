#pragma once
// compare_optimizers' reports: report.md (beside its PNG plots) and report.html, self-contained (tables,
// the plots' SVG inline, no external address), each with the exact command, the tapegrad version, the
// machine and the date.

#include <filesystem>
#include <string>
#include <vector>

#include "report.hpp"

namespace compare {

/// Where and when a run was made.
struct Provenance {
  std::string command;  // the argument vector, quoted for a POSIX shell
  std::string version;  // tapegrad's PROJECT_VERSION
  std::string machine;  // CPU model and core count
  std::string date;     // UTC, ISO 8601
};
[[nodiscard]] Provenance provenance(int argc, char** argv);

/// `arg` as one POSIX shell word: unchanged when it holds only safe characters, else single-quoted.
[[nodiscard]] std::string shell_word(const std::string& arg);
/// `text` with &, <, > and " escaped for HTML.
[[nodiscard]] std::string html_escape(const std::string& text);
/// An SVG file's text from its <svg element on (the XML prolog and doctype dropped), for inlining.
[[nodiscard]] std::string inline_svg(const std::filesystem::path& svg);

/// A titled section of the report: a sentence, a table, a plot (its stem: <stem>.svg and <stem>.png).
struct Section {
  std::string title;
  std::string text;
  Table table;                    // may be empty
  std::filesystem::path picture;  // stem, empty for none, or a plot that was not drawn
};

/// Writes <folder>/report.md and <folder>/report.html (each replaced atomically).
void write_reports(const std::filesystem::path& folder, const std::string& title, const Provenance& where,
                   const std::vector<std::string>& settings, const std::vector<Section>& sections,
                   const std::vector<std::string>& notes);

}  // namespace compare
