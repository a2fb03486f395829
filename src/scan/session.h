// A Session is silt's engine handle: one embedded DuckDB database and connection, local
// storage, and the SQL front end that expands delta_scan(...) calls into scans of table
// snapshots. Used by one thread at a time (DuckDB parallelizes each query internally).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "delta/log/log_listing.h"
#include "delta/snapshot/snapshot.h"
#include "duckdb/engine.h"
#include "scan/change_scan.h"
#include "scan/delta_scan.h"
#include "scan/sql_rewriter.h"
#include "util/storage.h"

namespace silt {

// Which version of a table to read: the latest, a version, or the state as of a timestamp.
struct TimeTravel {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
};

class Session {
 public:
  // A Session with its own in-memory DuckDB.
  static Result<std::unique_ptr<Session>> open();
  // A Session on `db`, which other Sessions may share: each has its own connection (and temp
  // objects), while DuckDB runs all their queries on one thread pool within one memory limit.
  static Result<std::unique_ptr<Session>> open_on(std::shared_ptr<db::Database> db);
  const std::shared_ptr<db::Database>& database() const { return db_; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<delta::LogListing> list_log(std::string_view table_path) const;
  Result<delta::Snapshot> snapshot(std::string_view table_path, const TimeTravel& at = {},
                                   const delta::SnapshotOptions& options = {});
  // Version a TimeTravel resolves to for this table.
  Result<int64_t> resolve_version(const delta::LogListing& listing, const TimeTravel& at);

  // Plans a scan of a table version: the returned SQL is a subquery usable in any statement
  // on connection(), valid for the life of this Session.
  Result<scan::ScanPlan> scan(std::string_view table_path, const TimeTravel& at = {},
                              const scan::ScanOptions& options = {});

  // Plans a scan of exactly `files` of the table at `table_root`, read with `metadata`'s schema,
  // partitioning and column mapping (see scan::plan_files_scan): e.g. files written but not yet
  // committed. The SQL is valid for the life of this Session; `files` must outlive the call only.
  Result<scan::ScanPlan> scan_files(const std::string& table_root, const delta::Metadata& metadata,
                                    std::span<const delta::AddFile> files);

  // Plans the change data feed of a table over a range of versions (see scan/change_scan.h):
  // the returned SQL is a subquery usable on connection(), valid for the life of this Session.
  Result<scan::ChangePlan> changes(std::string_view table_path, const scan::ChangeRange& range);

  // Expands silt's table functions in one statement: delta_scan('path' [, version => N]
  // [, timestamp => 'T'] [, filter => 'pred']) and table_changes('path', start [, end]), whose
  // start and end are versions (integers) or timestamps (strings).
  Result<std::string> expand_sql(std::string_view statement);
  // Runs a script (statements separated by ';') and returns the last statement's result.
  Result<db::QueryResult> run(std::string_view script);

  // What the scans of the last expanded statement read: table, files scanned of total.
  struct ScanReport {
    std::string table;
    int64_t version = 0;
    size_t files_total = 0;
    size_t files_scanned = 0;
  };
  const std::vector<ScanReport>& last_scans() const { return last_scans_; }

  db::Connection& connection() { return conn_; }
  Storage& storage() const { return *storage_; }

 private:
  Session(std::shared_ptr<db::Database> db, db::Connection conn, std::unique_ptr<Storage> storage);
  Result<std::string> expand_call(const scan::TableFunctionCall& call,
                                  const std::optional<delta::Predicate>& where);
  Result<std::string> expand_changes_call(const scan::TableFunctionCall& call);
  Result<std::string> eval_text(const std::string& expr);

  std::shared_ptr<db::Database> db_;  // declared before conn_: closed after it
  db::Connection conn_;
  std::unique_ptr<Storage> storage_;
  int next_scan_id_ = 0;
  std::vector<ScanReport> last_scans_;
};

}  // namespace silt
