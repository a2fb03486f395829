// Change feed planning. The SQL is a UNION ALL of one part per commit that changed data:
//   cdc commit:  SELECT *, v, ts FROM <scan of its cdc files, _change_type passed through>
//   otherwise:   SELECT *, 'insert', v, ts FROM <scan of its adds>     [ANTI JOIN removes]
//      UNION ALL SELECT *, 'delete', v, ts FROM <scan of its removes>  [ANTI JOIN adds]
// Each scan reads its files minus their own DVs. When a commit removes and re-adds the same file
// with a grown DV (a DELETE with deletion vectors), the anti-joins on (file, row) leave exactly
// the newly deleted rows as deletes, and nothing as inserts.
#include "scan/change_scan.h"

#include <algorithm>
#include <set>

#include "delta/cdf/commit_changes.h"
#include "delta/snapshot/commit_timestamps.h"
#include "delta/snapshot/snapshot.h"
#include "scan/delta_scan.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::scan {
namespace {

using delta::CommitChanges;

std::string v_str(int64_t v) { return std::to_string(v); }

// The first version at or after `ts_ms`; nullopt when every commit is older.
Result<std::optional<int64_t>> first_version_from(const delta::LogListing& listing, const Storage& storage,
                                                  const delta::InCommitTimestampConfig& ict, int64_t ts_ms) {
  auto at = delta::version_at_timestamp(listing, storage, ict, ts_ms);
  if (!at.ok()) {
    // Before every commit still in the log: the feed starts at the first one.
    if (at.error().kind() == ErrorKind::InvalidArgument)
      return std::optional(listing.commits.front().version);
    return at.error();
  }
  SILT_ASSIGN_OR_RETURN(int64_t ts, delta::commit_timestamp(listing, storage, ict, *at));
  if (ts >= ts_ms) return std::optional(*at);
  if (*at >= listing.latest_version()) return std::optional<int64_t>();
  return std::optional(*at + 1);
}

Status resolve_range(const delta::LogListing& listing, const Storage& storage,
                     const delta::InCommitTimestampConfig& ict, const ChangeRange& range, ChangePlan& plan) {
  if (range.from_version.has_value() == range.from_timestamp_ms.has_value()) {
    return Error(ErrorKind::InvalidArgument, "give the start of the change feed as a version or a timestamp");
  }
  if (range.to_version && range.to_timestamp_ms) {
    return Error(ErrorKind::InvalidArgument,
                 "give the end of the change feed as a version or a timestamp, not both");
  }
  int64_t latest = listing.latest_version();
  if (range.from_version) {
    plan.from_version = *range.from_version;
  } else {
    SILT_ASSIGN_OR_RETURN(auto v, first_version_from(listing, storage, ict, *range.from_timestamp_ms));
    if (!v) {
      return Error(ErrorKind::InvalidArgument,
                   "start timestamp " + format_timestamp_ms(*range.from_timestamp_ms) +
                       " is after the latest commit (version " + v_str(latest) + ")");
    }
    plan.from_version = *v;
  }
  plan.to_version = latest;
  if (range.to_version) plan.to_version = *range.to_version;
  if (range.to_timestamp_ms) {
    SILT_ASSIGN_OR_RETURN(plan.to_version,
                          delta::version_at_timestamp(listing, storage, ict, *range.to_timestamp_ms));
  }
  if (plan.from_version < 0) {
    return Error(ErrorKind::InvalidArgument, "start version " + v_str(plan.from_version) + " is negative");
  }
  if (plan.from_version > latest) {
    return Error(ErrorKind::InvalidArgument, "start version " + v_str(plan.from_version) +
                                                 " is after the latest version " + v_str(latest));
  }
  if (plan.to_version > latest) {
    return Error(ErrorKind::InvalidArgument,
                 "end version " + v_str(plan.to_version) + " is after the latest version " + v_str(latest));
  }
  if (plan.from_version > plan.to_version) {
    return Error(ErrorKind::InvalidArgument, "start version " + v_str(plan.from_version) +
                                                 " is after end version " + v_str(plan.to_version));
  }
  return ok_status();
}

// The commit files of [from, to], in order. NotFound naming the first version whose commit
// file is gone, with the earliest version the feed can still start at.
Result<std::vector<const delta::CommitFile*>> commits_in(const delta::LogListing& listing, int64_t from,
                                                         int64_t to) {
  std::vector<const delta::CommitFile*> out;
  auto it = std::lower_bound(listing.commits.begin(), listing.commits.end(), from,
                             [](const delta::CommitFile& c, int64_t v) { return c.version < v; });
  for (int64_t v = from; v <= to; v++, it++) {
    if (it == listing.commits.end() || it->version != v) {
      // The feed can start after the last gap in the log.
      int64_t earliest = listing.latest_version() + 1;
      if (!listing.commits.empty()) {
        size_t first = listing.commits.size() - 1;
        while (first > 0 && listing.commits[first - 1].version + 1 == listing.commits[first].version) first--;
        // ... and where a snapshot can be built (its metadata says whether CDF was on).
        earliest = std::max(listing.commits[first].version, listing.earliest_reconstructable_version());
      }
      return Error(ErrorKind::NotFound, "the commit file of version " + v_str(v) +
                                            " is gone (log cleanup); the change feed can start at version " +
                                            v_str(earliest));
    }
    out.push_back(&*it);
  }
  return out;
}

Error not_enabled(int64_t version) {
  return Error(ErrorKind::Unsupported, "change data feed is not enabled at version " + v_str(version) +
                                           " (table property " + delta::kEnableChangeDataFeed + ")");
}

// Builds the per-commit SELECTs over scans planned with the table metadata of the range's end.
class ChangeQueryBuilder {
 public:
  ChangeQueryBuilder(db::Connection& conn, const Storage& storage, const delta::Snapshot& end,
                     int& next_scan_id)
      : conn_(conn), storage_(storage), end_(end), next_scan_id_(next_scan_id) {}

  Status add_commit(const CommitChanges& c, int64_t ts_ms) {
    std::string tail = ", CAST(" + v_str(c.version) +
                       " AS BIGINT) AS _commit_version, timezone('UTC', epoch_ms(" + v_str(ts_ms) +
                       ")) AS _commit_timestamp";
    if (!c.cdc.empty()) {
      std::vector<delta::AddFile> files;
      for (const delta::AddCdcFile& cdc : c.cdc) files.push_back(cdc_file(cdc));
      ScanOptions options;
      options.extra_file_columns = {delta::kChangeTypeColumn};
      SILT_ASSIGN_OR_RETURN(std::string rows, scan(files, options));
      parts_.push_back("SELECT *" + tail + " FROM " + rows);
      return ok_status();
    }
    std::vector<delta::AddFile> removed;
    for (const delta::RemoveFile& r : c.removed) {
      if (r.partition_values.empty() && !end_.metadata().partition_columns.empty()) {
        return Error(ErrorKind::Unsupported,
                     "remove of " + r.path + " at version " + v_str(c.version) + " has no partitionValues");
      }
      removed.push_back(delta::removed_file(r));
    }
    // Files both removed and added by this commit (a DV grew): pair their rows by position.
    std::set<std::string> added_paths;
    for (const delta::AddFile& a : c.added) added_paths.insert(a.path);
    bool paired =
        std::any_of(removed.begin(), removed.end(), [&](auto& r) { return added_paths.count(r.path); });
    ScanOptions options;
    options.with_row_positions = paired;
    std::string inserts, deletes;
    if (!c.added.empty()) {
      SILT_ASSIGN_OR_RETURN(inserts, scan(c.added, options));
    }
    if (!removed.empty()) {
      SILT_ASSIGN_OR_RETURN(deletes, scan(removed, options));
    }
    if (!paired) {
      if (!inserts.empty())
        parts_.push_back("SELECT *, 'insert' AS _change_type" + tail + " FROM " + inserts);
      if (!deletes.empty())
        parts_.push_back("SELECT *, 'delete' AS _change_type" + tail + " FROM " + deletes);
      return ok_status();
    }
    parts_.push_back(net_rows(inserts, deletes, "insert", tail));
    parts_.push_back(net_rows(deletes, inserts, "delete", tail));
    return ok_status();
  }

  // The UNION ALL of every part; a typed empty relation when no commit changed data.
  Result<std::string> sql() {
    if (parts_.empty()) {
      ScanOptions options;
      options.extra_file_columns = {delta::kChangeTypeColumn};
      SILT_ASSIGN_OR_RETURN(std::string rows, scan({}, options));
      return "(SELECT *, CAST(NULL AS BIGINT) AS _commit_version, CAST(NULL AS TIMESTAMPTZ) AS "
             "_commit_timestamp FROM " +
             rows + ")";
    }
    std::string out;
    for (const std::string& p : parts_) out += (out.empty() ? "(" : " UNION ALL ") + p;
    return out + ")";
  }

 private:
  static delta::AddFile cdc_file(const delta::AddCdcFile& cdc) {
    delta::AddFile f;
    f.path = cdc.path;
    f.partition_values = cdc.partition_values;
    f.size = cdc.size;
    return f;
  }

  Result<std::string> scan(std::span<const delta::AddFile> files, const ScanOptions& options) {
    SILT_ASSIGN_OR_RETURN(auto plan, plan_files_scan(conn_, storage_, end_.table_root(), end_.metadata(),
                                                     files, options, next_scan_id_++));
    return plan.sql;
  }

  // Rows of `rows` whose (file, row) is not in `other`, tagged `type`.
  static std::string net_rows(const std::string& rows, const std::string& other, const char* type,
                              const std::string& tail) {
    std::string positions = std::string("(") + kFileColumn + ", " + kRowColumn + ")";
    std::string select =
        std::string("SELECT x.* EXCLUDE ") + positions + ", '" + type + "' AS _change_type" + tail;
    if (other.empty()) return select + " FROM " + rows + " AS x";
    return select + " FROM " + rows + " AS x ANTI JOIN " + other + " AS y ON x." + kFileColumn + " = y." +
           kFileColumn + " AND x." + kRowColumn + " = y." + kRowColumn;
  }

  db::Connection& conn_;
  const Storage& storage_;
  const delta::Snapshot& end_;
  int& next_scan_id_;
  std::vector<std::string> parts_;
};

}  // namespace

Result<ChangePlan> plan_changes(db::Connection& conn, const Storage& storage,
                                const delta::LogListing& listing, const ChangeRange& range,
                                int& next_scan_id) {
  // In-commit timestamp settings come from the latest metadata, as for time travel.
  delta::SnapshotOptions no_stats;
  no_stats.with_stats = false;
  SILT_ASSIGN_OR_RETURN(auto latest, delta::Snapshot::load(listing, storage, conn, std::nullopt, no_stats));
  auto ict = delta::InCommitTimestampConfig::from(latest.metadata());
  ChangePlan plan;
  SILT_TRY(resolve_range(listing, storage, ict, range, plan));
  SILT_ASSIGN_OR_RETURN(auto commits, commits_in(listing, plan.from_version, plan.to_version));
  SILT_ASSIGN_OR_RETURN(auto start,
                        delta::Snapshot::load(listing, storage, conn, plan.from_version, no_stats));
  if (!delta::change_data_feed_enabled(start.metadata())) return not_enabled(plan.from_version);
  std::optional<delta::Snapshot> end_holder;
  if (plan.to_version == latest.version()) {
    end_holder = std::move(latest);
  } else {
    SILT_ASSIGN_OR_RETURN(end_holder,
                          delta::Snapshot::load(listing, storage, conn, plan.to_version, no_stats));
  }
  if (end_holder->metadata().schema_string.empty()) {
    return Error(ErrorKind::InvalidArgument, "the table has no schema at version " + v_str(plan.to_version));
  }

  ChangeQueryBuilder builder(conn, storage, *end_holder, next_scan_id);
  for (const delta::CommitFile* commit : commits) {
    SILT_ASSIGN_OR_RETURN(std::string text, storage.read(commit->path));
    SILT_ASSIGN_OR_RETURN(CommitChanges changes,
                          delta::parse_commit_changes(text, commit->path, commit->version));
    if (changes.metadata && !delta::change_data_feed_enabled(*changes.metadata)) {
      return not_enabled(commit->version);
    }
    if (changes.cdc.empty() && changes.added.empty() && changes.removed.empty()) continue;
    SILT_ASSIGN_OR_RETURN(int64_t ts, delta::commit_timestamp(listing, storage, ict, commit->version));
    SILT_TRY(builder.add_commit(changes, ts));
  }
  SILT_ASSIGN_OR_RETURN(plan.sql, builder.sql());
  return plan;
}

}  // namespace silt::scan
