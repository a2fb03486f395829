// Optimistic concurrency: decides whether a transaction that lost the race for version N can
// still commit after the winning commits, per Delta's WriteSerializable isolation:
//  1. a concurrent protocol or metadata change always conflicts;
//  2. a concurrent commit of the same application transaction (txn appId) conflicts;
//  3. files we remove must not have been removed by the winner (no double delete);
//  4. if we read the whole table (overwrite, delete without predicate), any concurrent data
//     change conflicts; if we read the files matching a predicate (replace-where), winner adds
//     that may match it and winner removes of files we read conflict;
//  5. a blind append (read nothing, remove nothing) never conflicts on data.
// Stateless functions over value types; thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "delta/log/action_writer.h"
#include "delta/schema/schema.h"
#include "delta/stats/skipping.h"

namespace silt::delta {

// What a transaction read from its snapshot.
struct ReadSet {
  bool whole_table = false;
  // The transaction read only files that may match this predicate (logical column paths).
  std::optional<Predicate> predicate;
  // Canonical (decoded, relative) paths of the data files the transaction read.
  std::set<std::string> files;
};

// The parts of our transaction the checker needs.
struct PendingCommit {
  ReadSet read;
  std::set<std::string> removed_files;  // canonical paths of our removes
  std::optional<std::string> app_id;
  bool changes_metadata = false;
};

// OK if `pending` may commit after `winner` (the actions of commit `winner_version`);
// ErrorKind::Conflict naming the version and the reason otherwise. `schema` and `mode`
// resolve predicate columns against winner adds.
Status check_conflicts(const PendingCommit& pending, const std::vector<Action>& winner,
                       int64_t winner_version, const std::string& table_root, const StructType& schema,
                       ColumnMappingMode mode);

// The canonical form of a logged data path: URL-decoded and relative to the table root.
Result<std::string> canonical_data_path(const std::string& table_root, const std::string& logged);

}  // namespace silt::delta
