// Aligned table printing with UTF-8 aware widths.
#include "cli/output.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace silt::cli {
namespace {

// Display width: counts UTF-8 code points (good enough for tables; no East Asian width table).
size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string escape_cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else
      out.push_back(c);
  }
  return out;
}

void pad(std::ostream& out, size_t n) {
  for (size_t i = 0; i < n; i++) out.put(' ');
}

}  // namespace

void print_table(std::ostream& out, const TextTable& t) {
  size_t ncol = t.header.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(t.rows.size());
  std::vector<size_t> width(ncol);
  for (size_t c = 0; c < ncol; c++) width[c] = display_width(t.header[c]);
  for (const auto& row : t.rows) {
    auto& r = cells.emplace_back();
    for (size_t c = 0; c < ncol; c++) {
      r.push_back(c < row.size() && row[c] ? escape_cell(*row[c]) : "NULL");
      width[c] = std::max(width[c], display_width(r.back()));
    }
  }
  auto print_row = [&](const std::vector<std::string>& r, bool header) {
    for (size_t c = 0; c < ncol; c++) {
      out << (c ? " | " : " ");
      size_t gap = width[c] - display_width(r[c]);
      bool right = !header && c < t.right_align.size() && t.right_align[c];
      if (right) pad(out, gap);
      out << r[c];
      if (!right && c + 1 < ncol) pad(out, gap);
    }
    out << '\n';
  };
  print_row(t.header, true);
  for (size_t c = 0; c < ncol; c++) {
    out << (c ? "-+-" : "-") << std::string(width[c], '-');
  }
  out << "-\n";
  for (const auto& r : cells) print_row(r, false);
  out << '(' << t.rows.size() << (t.rows.size() == 1 ? " row)\n" : " rows)\n");
}

void finish_commit_report(std::ostream& out, int attempts, bool checkpointed,
                          const std::string& checkpoint_warning) {
  if (attempts > 1) out << " (after " << attempts - 1 << " concurrent commit(s))";
  if (checkpointed) out << "; checkpoint written";
  out << "\n";
  if (!checkpoint_warning.empty())
    std::cerr << "warning: checkpoint not written: " << checkpoint_warning << "\n";
}

}  // namespace silt::cli

namespace silt::cli {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void print_file_changes(std::ostream& out, int64_t dvs_written, int64_t files_removed, int64_t files_added,
                        int64_t rows_copied) {
  if (dvs_written) out << ", " << dvs_written << " deletion vector(s) written";
  if (files_removed) out << ", " << files_removed << " file(s) removed";
  if (files_added) out << ", " << files_added << " file(s) added";
  if (rows_copied) out << ", " << rows_copied << " row(s) copied";
}

}  // namespace silt::cli
