#include "document.hpp"

#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace compare {

namespace fs = std::filesystem;

namespace {

// "model name" from /proc/cpuinfo (Linux), or "unknown CPU".
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown CPU";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

}  // namespace

std::string shell_word(const std::string& arg) {
  const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                          "0123456789-_./:=,+@%") == std::string::npos;
  if (plain) return arg;
  std::string quoted = "'";
  for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

Provenance provenance(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i == 0 ? "" : " ") + shell_word(argv[i]);
  return {command, TAPEGRAD_VERSION,
          cpu_model() + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores", utc_now()};
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string inline_svg(const fs::path& svg) {
  std::ifstream in(svg, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const std::size_t start = all.find("<svg");
  if (!in || start == std::string::npos) throw std::runtime_error("cannot read the plot " + svg.string() + " as SVG");
  return all.substr(start);
}

namespace {

std::string html_table(const Table& table) {
  std::string out = "<table>\n";
  for (std::size_t r = 0; r < table.size(); ++r) {
    out += "<tr>";
    for (const std::string& cell : table[r])
      out += (r == 0 ? "<th>" : "<td>") + html_escape(cell) + (r == 0 ? "</th>" : "</td>");
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;max-width:1450px;margin:1em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
    "th{background:#eee}code,pre{background:#f4f4f4}pre{padding:.5em;white-space:pre-wrap}"
    "svg{max-width:100%;height:auto}";

}  // namespace

void write_reports(const fs::path& folder, const std::string& title, const Provenance& where,
                   const std::vector<std::string>& settings, const std::vector<Section>& sections,
                   const std::vector<std::string>& notes) {
  std::string md = "# " + title + "\n\n```\n" + where.command + "\n```\n\n";
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                     html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
                     html_escape(title) + "</h1>\n<pre><code>" + html_escape(where.command) + "</code></pre>\n<ul>\n";
  std::vector<std::string> facts{"tapegrad " + where.version, "machine: " + where.machine, "date: " + where.date};
  facts.insert(facts.end(), settings.begin(), settings.end());
  for (const std::string& fact : facts) {
    md += "- " + fact + "\n";
    html += "<li>" + html_escape(fact) + "</li>\n";
  }
  html += "</ul>\n";
  for (const Section& section : sections) {
    md += "\n## " + section.title + "\n\n" + section.text + "\n\n";
    html += "<h2>" + html_escape(section.title) + "</h2>\n<p>" + html_escape(section.text) + "</p>\n";
    if (!section.table.empty()) {
      md += markdown(section.table);
      html += html_table(section.table);
    }
    const fs::path svg = fs::path(section.picture).replace_extension(".svg");
    if (!section.picture.empty() && fs::exists(svg)) {
      md += "\n![" + section.title + "](" + fs::path(section.picture).replace_extension(".png").filename().string() + ")\n";
      html += "<figure>\n" + inline_svg(svg) + "</figure>\n";
    }
  }
  if (!notes.empty()) {
    md += "\n## Notes\n\n";
    html += "<h2>Notes</h2>\n<ul>\n";
    for (const std::string& note : notes) {
      md += "- " + note + "\n";
      html += "<li>" + html_escape(note) + "</li>\n";
    }
    html += "</ul>\n";
  }
  html += "</body>\n</html>\n";
  write_atomically(folder / "report.md", md);
  write_atomically(folder / "report.html", html);
}

}  // namespace compare
