// Table history: one entry per commit still in the log, newest first, with its commit
// timestamp (the one timestamp time travel resolves against) and its commitInfo.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scan/session.h"

namespace silt::ops {

struct HistoryEntry {
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::string operation;         // "" when the commit has no commitInfo
  std::string commit_info_json;  // raw commitInfo object, "{}" when absent
};

Result<std::vector<HistoryEntry>> table_history(Session& session, std::string_view table_path,
                                                std::optional<int64_t> limit);

}  // namespace silt::ops
