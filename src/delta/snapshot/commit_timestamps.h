// Commit timestamps and timestamp -> version resolution (PROTOCOL.md "In-Commit Timestamps"
// and its reader recommendations). Without in-commit timestamps a commit's time is its file's
// modification time, made strictly increasing as Delta readers do. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "delta/log/log_listing.h"
#include "delta/model/actions.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

struct InCommitTimestampConfig {
  bool enabled = false;
  int64_t enablement_version = 0;               // first version carrying inCommitTimestamp
  std::optional<int64_t> enablement_timestamp;  // its timestamp, when enabled after creation

  static InCommitTimestampConfig from(const Metadata& latest);
};

// Modification times of listing.commits (same order), made strictly increasing.
std::vector<int64_t> monotonic_mtimes(const LogListing& listing);

// Timestamp (ms since epoch) of a version that has a commit file in the listing.
Result<int64_t> commit_timestamp(const LogListing& listing, const Storage& storage,
                                 const InCommitTimestampConfig& ict, int64_t version);

// The latest version whose commit timestamp is <= ts_ms. InvalidArgument when ts_ms is
// earlier than every commit still in the log; a timestamp after the latest commit resolves
// to the latest version.
Result<int64_t> version_at_timestamp(const LogListing& listing, const Storage& storage,
                                     const InCommitTimestampConfig& ict, int64_t ts_ms);

}  // namespace silt::delta
