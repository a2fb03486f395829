// Human output for the CLI: aligned text tables (psql style) from text rows. Formatting only.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace silt::cli {

struct TextTable {
  std::vector<std::string> header;
  std::vector<bool> right_align;  // per column; numbers read best right-aligned
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Prints the table and a "(N rows)" footer. NULL shows as "NULL"; control characters in
// values are escaped so that one row stays on one line.
void print_table(std::ostream& out, const TextTable& table);

// The file side of a row-level change for a one-line report: ", N deletion vector(s) written,
// N file(s) removed, N file(s) added, N row(s) copied", each part only when non-zero.
void print_file_changes(std::ostream& out, int64_t dvs_written, int64_t files_removed, int64_t files_added,
                        int64_t rows_copied);

// Ends a one-line commit report: concurrent retries, the automatic checkpoint, and (on stderr)
// why a due checkpoint was not written.
void finish_commit_report(std::ostream& out, int attempts, bool checkpointed,
                          const std::string& checkpoint_warning);

}  // namespace silt::cli
