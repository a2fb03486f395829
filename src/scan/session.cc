// Session: table access and the delta_scan SQL front end. See session.h.
#include "scan/session.h"

#include <algorithm>
#include <charconv>

#include "delta/snapshot/commit_timestamps.h"
#include "scan/delta_scan.h"
#include "scan/file_skipping.h"
#include "util/path.h"
#include "util/time.h"

namespace silt {

Session::Session(std::shared_ptr<db::Database> db, db::Connection conn, std::unique_ptr<Storage> storage)
    : db_(std::move(db)), conn_(std::move(conn)), storage_(std::move(storage)) {}

Result<std::unique_ptr<Session>> Session::open() {
  SILT_ASSIGN_OR_RETURN(auto db, db::Database::open_in_memory());
  return open_on(std::make_shared<db::Database>(std::move(db)));
}

Result<std::unique_ptr<Session>> Session::open_on(std::shared_ptr<db::Database> db) {
  SILT_ASSIGN_OR_RETURN(auto conn, db::Connection::open(*db));
  // Delta timestamps are UTC instants; show and parse them in UTC whatever the machine's zone.
  SILT_TRY(conn.execute("SET TimeZone = 'UTC'"));
  return std::unique_ptr<Session>(new Session(std::move(db), std::move(conn), make_local_storage()));
}

Result<delta::LogListing> Session::list_log(std::string_view table_path) const {
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(table_path));
  return delta::LogListing::list(*storage_, root);
}

Result<int64_t> Session::resolve_version(const delta::LogListing& listing, const TimeTravel& at) {
  if (at.version) return *at.version;
  if (!at.timestamp_ms) return listing.latest_version();
  // In-commit timestamp settings come from the latest metadata.
  SILT_ASSIGN_OR_RETURN(auto latest, delta::Snapshot::load(listing, *storage_, conn_, std::nullopt));
  auto ict = delta::InCommitTimestampConfig::from(latest.metadata());
  return delta::version_at_timestamp(listing, *storage_, ict, *at.timestamp_ms);
}

Result<delta::Snapshot> Session::snapshot(std::string_view table_path, const TimeTravel& at,
                                          const delta::SnapshotOptions& options) {
  SILT_ASSIGN_OR_RETURN(auto listing, list_log(table_path));
  SILT_ASSIGN_OR_RETURN(int64_t version, resolve_version(listing, at));
  return delta::Snapshot::load(listing, *storage_, conn_, version, options);
}

Result<std::string> Session::eval_text(const std::string& expr) {
  auto value = conn_.scalar("SELECT CAST((" + expr + ") AS VARCHAR)");
  if (!value.ok()) return value.error().with_context("bad argument " + expr);
  if (!*value) return Error(ErrorKind::InvalidArgument, "argument is NULL: " + expr);
  return **value;
}

Result<std::string> Session::expand_call(const scan::TableFunctionCall& call,
                                         const std::optional<delta::Predicate>& where) {
  if (call.args.empty() || !call.args[0].name.empty()) {
    return Error(ErrorKind::InvalidArgument, call.function + "() needs the table path as its first argument");
  }
  SILT_ASSIGN_OR_RETURN(std::string path, eval_text(call.args[0].expr));
  TimeTravel at;
  scan::ScanOptions options;
  for (size_t i = 1; i < call.args.size(); i++) {
    const auto& arg = call.args[i];
    SILT_ASSIGN_OR_RETURN(std::string value, eval_text(arg.expr));
    if (arg.name == "version") {
      int64_t v;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || v < 0) {
        return Error(ErrorKind::InvalidArgument, "version must be a non-negative integer, got " + value);
      }
      at.version = v;
    } else if (arg.name == "timestamp") {
      SILT_ASSIGN_OR_RETURN(int64_t ts, parse_timestamp_ms(value));
      at.timestamp_ms = ts;
    } else if (arg.name == "filter") {
      options.filter_sql = value;
    } else {
      return Error(ErrorKind::InvalidArgument, "unknown " + call.function + "() argument '" +
                                                   (arg.name.empty() ? arg.expr : arg.name) +
                                                   "' (expected version, timestamp or filter)");
    }
  }
  if (at.version && at.timestamp_ms) {
    return Error(ErrorKind::InvalidArgument, "give either version or timestamp, not both");
  }
  options.skip_predicate = where;
  SILT_ASSIGN_OR_RETURN(auto plan, scan(path, at, options));
  return plan.sql;
}

Result<scan::ChangePlan> Session::changes(std::string_view table_path, const scan::ChangeRange& range) {
  SILT_ASSIGN_OR_RETURN(auto listing, list_log(table_path));
  return scan::plan_changes(conn_, *storage_, listing, range, next_scan_id_);
}

namespace {

// A table_changes() bound: an integer is a version, anything else a timestamp.
Status set_change_bound(const std::string& value, std::optional<int64_t>& version,
                        std::optional<int64_t>& timestamp_ms) {
  int64_t v;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec == std::errc() && p == value.data() + value.size()) {
    version = v;
    return ok_status();
  }
  SILT_ASSIGN_OR_RETURN(int64_t ts, parse_timestamp_ms(value));
  timestamp_ms = ts;
  return ok_status();
}

}  // namespace

Result<std::string> Session::expand_changes_call(const scan::TableFunctionCall& call) {
  if (call.args.size() < 2 || call.args.size() > 3 ||
      std::any_of(call.args.begin(), call.args.end(), [](auto& a) { return !a.name.empty(); })) {
    return Error(ErrorKind::InvalidArgument,
                 "table_changes() takes ('path', start [, end]) as positional arguments");
  }
  SILT_ASSIGN_OR_RETURN(std::string path, eval_text(call.args[0].expr));
  scan::ChangeRange range;
  SILT_ASSIGN_OR_RETURN(std::string start, eval_text(call.args[1].expr));
  SILT_TRY(set_change_bound(start, range.from_version, range.from_timestamp_ms));
  if (call.args.size() == 3) {
    SILT_ASSIGN_OR_RETURN(std::string end, eval_text(call.args[2].expr));
    SILT_TRY(set_change_bound(end, range.to_version, range.to_timestamp_ms));
  }
  SILT_ASSIGN_OR_RETURN(auto plan, changes(path, range));
  return plan.sql;
}

Result<scan::ScanPlan> Session::scan(std::string_view table_path, const TimeTravel& at,
                                     const scan::ScanOptions& options) {
  delta::SnapshotOptions snapshot_options;
  snapshot_options.with_stats = !options.filter_sql.empty() || options.skip_predicate;  // only for skipping
  SILT_ASSIGN_OR_RETURN(auto snap, snapshot(table_path, at, snapshot_options));
  SILT_ASSIGN_OR_RETURN(auto plan, scan::plan_scan(conn_, *storage_, snap, options, next_scan_id_++));
  last_scans_.push_back({snap.table_root(), snap.version(), plan.files_total, plan.files_scanned});
  return plan;
}

Result<scan::ScanPlan> Session::scan_files(const std::string& table_root, const delta::Metadata& metadata,
                                           std::span<const delta::AddFile> files) {
  return scan::plan_files_scan(conn_, *storage_, table_root, metadata, files, {}, next_scan_id_++);
}

namespace {

// Cheap pre-check before asking DuckDB's parser for a WHERE clause.
bool contains_word_where(std::string_view sql) {
  for (size_t i = 0; i + 5 <= sql.size(); i++) {
    if ((sql[i] | 0x20) == 'w' && (sql[i + 1] | 0x20) == 'h' && (sql[i + 2] | 0x20) == 'e' &&
        (sql[i + 3] | 0x20) == 'r' && (sql[i + 4] | 0x20) == 'e') {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::string> Session::expand_sql(std::string_view statement) {
  static const std::vector<std::string> kFunctions = {"delta_scan", "table_changes"};
  last_scans_.clear();
  size_t calls = 0;
  SILT_TRY(scan::rewrite_table_functions(statement, kFunctions, [&](const scan::TableFunctionCall& c) {
    calls += c.function == "delta_scan" ? 1 : 2;  // WHERE skipping only for a lone delta_scan
    return Result<std::string>(std::string());
  }));
  // With exactly one scan and a plain WHERE over it, the WHERE also skips files.
  std::optional<delta::Predicate> where;
  if (calls == 1 && contains_word_where(statement)) {
    auto p = scan::predicate_from_single_scan(conn_, statement);
    if (p.ok()) where = std::move(*p);  // unparsable SQL: DuckDB reports it when it runs
  }
  return scan::rewrite_table_functions(statement, kFunctions, [&](const scan::TableFunctionCall& c) {
    return c.function == "table_changes" ? expand_changes_call(c) : expand_call(c, where);
  });
}

Result<db::QueryResult> Session::run(std::string_view script) {
  auto statements = scan::split_statements(script);
  if (statements.empty()) return Error(ErrorKind::InvalidArgument, "no SQL statement given");
  for (size_t i = 0; i < statements.size(); i++) {
    SILT_ASSIGN_OR_RETURN(std::string sql, expand_sql(statements[i]));
    SILT_ASSIGN_OR_RETURN(auto result, conn_.query(sql));
    if (i + 1 == statements.size()) return result;
  }
  return Error(ErrorKind::Internal, "unreachable");
}

}  // namespace silt
