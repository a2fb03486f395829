// Writes classic single-file V1 checkpoints (PROTOCOL.md "Checkpoints", "Checkpoint Schema") and the
// _last_checkpoint pointer ("Last Checkpoint File Schema"). A checkpoint is published put-if-absent
// from a finished file, so readers see all of it or nothing. Uses the given connection; one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "delta/snapshot/snapshot.h"
#include "duckdb/engine.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

struct CheckpointOptions {
  // Clock that expires tombstones and app transactions, ms since the epoch; 0 = the wall clock.
  int64_t now_ms = 0;
};

// A checkpoint as _last_checkpoint describes it.
struct CheckpointSummary {
  int64_t version = 0;
  int64_t size = 0;           // actions (rows) in the checkpoint
  int64_t size_in_bytes = 0;  // of the parquet file
  int64_t num_of_add_files = 0;
  bool written = false;  // false: this version already had a classic checkpoint; nothing written
};

// OK when table maintenance (checkpoints, vacuum) cannot lose state or files that a feature relies
// on: every writer feature is one silt knows, and the table is not catalog-managed (its maintenance
// belongs to the catalog). Unsupported naming the features otherwise.
Status check_maintainable(const Protocol& protocol);

// `<log_dir>/<version, 20 digits>.checkpoint.parquet`
std::string classic_checkpoint_path(std::string_view log_dir, int64_t version);

// Writes `<version>.checkpoint.parquet` for snapshot.version(), then _last_checkpoint. The checkpoint
// holds protocol, metaData, every txn (less those older than delta.setTransactionRetentionDuration,
// when set), live domainMetadata, live adds (stats as JSON unless delta.checkpoint.writeStatsAsJson is
// false) and the tombstones deleted after now - delta.deletedFileRetentionDuration (default one week);
// never commitInfo or cdc. The parquet schema is the protocol's: Spark, delta-rs and silt read it.
// Idempotent: when the version already has a classic checkpoint, returns written = false and writes
// nothing. _last_checkpoint is replaced unless it already names a newer version.
// Unsupported (nothing written) for tables failing check_maintainable() and tables whose protocol
// requires delta.checkpoint.writeStatsAsStruct (writer version >= 3 with the property true).
// REQUIRES: `snapshot` was loaded from the log that `storage` holds.
Result<CheckpointSummary> write_checkpoint(const Snapshot& snapshot, Storage& storage, db::Connection& conn,
                                           const CheckpointOptions& options = {});

}  // namespace silt::delta
