// Checkpointing a table: `silt checkpoint`, and the automatic checkpoint every
// delta.checkpointInterval commits (default 10) after a write, followed by cleanup of log files
// older than delta.logRetentionDuration unless delta.enableExpiredLogCleanup is false.
#pragma once

#include <string>

#include "delta/checkpoint/checkpoint_writer.h"
#include "scan/session.h"

namespace silt::ops {

struct CheckpointReport {
  delta::CheckpointSummary summary;
  size_t log_files_deleted = 0;
};

// Checkpoints the table's latest version (or `version` when given) and cleans up expired logs.
Result<CheckpointReport> checkpoint_table(Session& session, const std::string& table_path,
                                          std::optional<int64_t> version = std::nullopt);

// Whether a commit at `version` is due a checkpoint under the table's configuration.
bool checkpoint_due(const delta::Metadata& metadata, int64_t version);

}  // namespace silt::ops
