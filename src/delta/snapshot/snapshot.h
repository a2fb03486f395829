// A Snapshot is the reconciled state of a table at one version (PROTOCOL.md "Action
// Reconciliation"): protocol, metadata, live files, app txn versions and domain metadata.
// Built by replaying a LogSegment (checkpoint first, then commits in order). Immutable once
// built; safe to read from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "delta/log/log_listing.h"
#include "delta/model/actions.h"
#include "duckdb/engine.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

struct SnapshotOptions {
  // Keep each file's stats JSON (for data skipping). Callers that only need the file list,
  // such as describe, save the memory and time of holding stats for every file.
  bool with_stats = true;
};

class Snapshot {
 public:
  // Invariants, checked in load():
  //  1. exactly one protocol and one metadata action were found;
  //  2. the protocol is readable by silt (every reader feature implemented);
  //  3. live files are unique by path, each the newest (path, DV id) reference.
  // `conn` is used to read parquet checkpoints.
  static Result<Snapshot> load(const LogListing& listing, const Storage& storage, db::Connection& conn,
                               std::optional<int64_t> version, const SnapshotOptions& options = {});

  int64_t version() const { return version_; }
  const std::string& table_root() const { return table_root_; }
  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  const std::vector<AddFile>& files() const { return files_; }
  // Tombstones (remove actions still in the reconciled state), for vacuum.
  const std::vector<RemoveFile>& tombstones() const { return tombstones_; }
  const std::map<std::string, Txn>& app_transactions() const { return txns_; }
  const std::map<std::string, DomainMetadata>& domains() const { return domains_; }
  // commitInfo of the snapshot's own version, when its commit file holds one.
  const std::optional<CommitInfo>& commit_info() const { return commit_info_; }
  const std::optional<Checkpoint>& checkpoint() const { return checkpoint_; }
  int64_t total_size() const;

 private:
  int64_t version_ = -1;
  std::string table_root_;
  Protocol protocol_;
  Metadata metadata_;
  std::vector<AddFile> files_;
  std::vector<RemoveFile> tombstones_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata> domains_;
  std::optional<CommitInfo> commit_info_;
  std::optional<Checkpoint> checkpoint_;
  friend class Replay;
};

}  // namespace silt::delta
