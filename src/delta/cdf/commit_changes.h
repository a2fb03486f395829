// What one commit contributes to the change data feed (PROTOCOL.md "Add CDC File", "Change Data
// Files"): its cdc actions when it has any, else its data-changing adds and removes. Pure
// protocol logic, no I/O; stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delta/model/actions.h"
#include "util/result.h"

namespace silt::delta {

// The table property that turns the change data feed on.
inline constexpr const char* kEnableChangeDataFeed = "delta.enableChangeDataFeed";
// The column every change row carries (insert, delete, update_preimage, update_postimage).
inline constexpr const char* kChangeTypeColumn = "_change_type";

// True when the table's configuration has delta.enableChangeDataFeed=true (case-insensitive,
// as Spark parses booleans).
bool change_data_feed_enabled(const Metadata& metadata);

struct CommitChanges {
  int64_t version = 0;
  // When non-empty the commit's changes are exactly the rows of these files, and `added` /
  // `removed` are empty: the protocol says readers ignore a cdc commit's adds and removes.
  std::vector<AddCdcFile> cdc;
  std::vector<AddFile> added;        // dataChange=true adds: their rows (minus their DV) are inserts
  std::vector<RemoveFile> removed;   // dataChange=true removes: their rows (minus their DV) are deletes
  std::optional<Metadata> metadata;  // the commit's metaData action, if any
  std::optional<CommitInfo> commit_info;
};

// Parses one commit file's text (padded as Storage::read returns it). `source` names the file in
// errors. Corruption on malformed JSON.
Result<CommitChanges> parse_commit_changes(const std::string& text, std::string_view source, int64_t version);

// The file a remove refers to, as a scan reads it: its path, partition values and the DV it
// carried (the rows already deleted before the remove).
AddFile removed_file(const RemoveFile& remove);

}  // namespace silt::delta
