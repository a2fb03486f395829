// The files of a table's _delta_log, classified by name (PROTOCOL.md "Delta Log Entries",
// "Checkpoints"), and the LogSegment that reconstructs one version from them. Pure data once
// built; safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

struct CommitFile {
  int64_t version = 0;
  std::string path;  // full path
  int64_t size = 0;
  int64_t modified_ms = 0;
};

enum class CheckpointKind { Classic, MultiPart, V2 };

struct Checkpoint {
  int64_t version = 0;
  CheckpointKind kind = CheckpointKind::Classic;
  std::vector<std::string> parts;  // full paths; one file except for MultiPart
};

// Everything listed in _delta_log. Commits are sorted by version; checkpoints holds only
// complete checkpoints (every part of a multi-part one present), sorted by version.
struct LogListing {
  std::string table_root;
  std::string log_dir;
  std::vector<CommitFile> commits;
  std::vector<Checkpoint> checkpoints;

  // NotFound (naming the path) when there is no _delta_log or it holds no commit/checkpoint.
  static Result<LogListing> list(const Storage& storage, const std::string& table_root);
  int64_t latest_version() const;
  // Lowest version a snapshot can be built for.
  int64_t earliest_reconstructable_version() const;
};

// What a snapshot of one version reads: an optional checkpoint, then commits in order.
// Invariants, checked by make():
//  1. commits are contiguous and ascending, from checkpoint->version + 1 (or 0) to version;
//  2. the checkpoint, when present, is complete and not newer than version.
struct LogSegment {
  int64_t version = -1;
  std::optional<Checkpoint> checkpoint;
  std::vector<CommitFile> commits;

  // The segment for `version` (latest when nullopt). InvalidArgument for a version outside
  // what the log holds, Corruption when a commit in the needed range is missing.
  static Result<LogSegment> make(const LogListing& listing, std::optional<int64_t> version);
};

}  // namespace silt::delta
