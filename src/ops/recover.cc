// RECOVER on the row-change engine: the current rows matching the predicate are the touched rows
// (all 'delete'), the matching rows of the earlier version are the new rows (all 'insert').
// Both sides are counted as multisets first, so that an equal table commits nothing.
#include "ops/recover.h"

#include <set>

#include "delta/schema/schema.h"
#include "ops/restore.h"
#include "ops/row_changes.h"
#include "util/json_text.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

// The table at `version`, as a ChangeTarget for choosing and scanning its files.
Result<ChangeTarget> target_at(Session& session, const ChangeTarget& now, int64_t version) {
  ChangeTarget t;
  t.root = now.root;
  TimeTravel at;
  at.version = version;
  SILT_ASSIGN_OR_RETURN(t.snap, session.snapshot(t.root, at));
  const delta::Metadata& m = t.snap.metadata();
  if (m.schema_string.empty())
    return Error(ErrorKind::InvalidArgument, "version " + std::to_string(version) + " has no schema");
  SILT_ASSIGN_OR_RETURN(t.schema, delta::parse_schema(m.schema_string));
  SILT_ASSIGN_OR_RETURN(t.mapping, delta::column_mapping_mode(m.configuration));
  return t;
}

std::set<std::string> paths_of(const std::vector<const delta::AddFile*>& files) {
  std::set<std::string> out;
  for (const auto* f : files) out.insert(f->path);
  return out;
}

// "SELECT <select_list> FROM <scan of the selection> AS t WHERE (<where>)", or "" when the
// selection has no file (no row can match).
Result<std::string> matching_rows(Session& session, const ChangeTarget& t, const FileSelection& sel,
                                  const std::string& select_list) {
  if (sel.candidates.empty()) return std::string();
  SILT_ASSIGN_OR_RETURN(std::string scan, scan_with_positions(session, t, paths_of(sel.candidates)));
  return "SELECT " + select_list + " FROM " + scan + " AS t WHERE (" + sel.where + ")";
}

Result<int64_t> count_rows(db::Connection& conn, const std::string& sql) {
  if (sql.empty()) return int64_t(0);
  SILT_ASSIGN_OR_RETURN(auto n, conn.scalar("SELECT count(*) FROM (" + sql + ")"));
  return std::stoll(n.value_or("0"));
}

// Rows of `a` with no equal row in `b`, as multisets ("" is no rows).
Result<int64_t> count_except(db::Connection& conn, const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return count_rows(conn, a);
  return count_rows(conn, a + " EXCEPT ALL " + b);
}

std::string metrics_json(const RecoverResult& r) {
  auto metrics = file_metrics(r);
  metrics.insert(metrics.begin(), {{"numDeletedRows", r.rows_removed},
                                   {"numRestoredRows", r.rows_restored},
                                   {"numChangedRows", r.rows_changed()}});
  return metrics_object(metrics);
}

}  // namespace

Result<RecoverResult> recover_rows(Session& session, std::string_view path, const RecoverOptions& options) {
  if (trim_text(options.where).empty())
    return Error(ErrorKind::InvalidArgument, "recover needs a predicate (use restore for the whole table)");
  SILT_ASSIGN_OR_RETURN(ChangeTarget t, open_change_target(session, path, "RECOVER"));
  RecoverResult r;
  r.read_version = r.version = t.snap.version();
  if (options.from_version < 0 || options.from_version > t.snap.version()) {
    return Error(ErrorKind::InvalidArgument,
                 "cannot recover from version " + std::to_string(options.from_version) +
                     ": the table has versions 0 to " + std::to_string(t.snap.version()));
  }
  SILT_ASSIGN_OR_RETURN(ChangeTarget then, target_at(session, t, options.from_version));
  SILT_ASSIGN_OR_RETURN(FileSelection now_sel, select_files(session, t, options.where));
  SILT_ASSIGN_OR_RETURN(FileSelection then_sel, select_files(session, then, options.where));
  SILT_TRY(check_files_present(session, t.root, then_sel.candidates, "recover"));
  r.files_scanned = int64_t(now_sel.candidates.size());

  std::string columns;
  for (const delta::StructField& f : t.schema.fields)
    columns += (columns.empty() ? "t." : ", t.") + quote_ident(f.name);
  db::Connection& conn = session.connection();
  auto where_error = [&](const Error& e) { return user_sql_error(e, "WHERE " + options.where); };
  SILT_ASSIGN_OR_RETURN(std::string now_rows, matching_rows(session, t, now_sel, columns));
  SILT_ASSIGN_OR_RETURN(std::string then_rows, matching_rows(session, then, then_sel, columns));
  auto only_now = count_except(conn, now_rows, then_rows);
  if (!only_now.ok()) return where_error(only_now.error());
  auto only_then = count_except(conn, then_rows, now_rows);
  if (!only_then.ok()) return where_error(only_then.error());
  r.rows_only_now = *only_now;
  r.rows_only_then = *only_then;
  if (r.rows_changed() == 0) return r;

  TouchedRows touched(conn);
  SILT_ASSIGN_OR_RETURN(std::string touched_sql, matching_rows(session, t, now_sel,
                                                               std::string(scan::kFileColumn) + ", " +
                                                                   scan::kRowColumn + ", 'delete'"));
  if (!touched_sql.empty()) SILT_TRY(touched.record(t, touched_sql, now_sel.candidates));
  r.rows_removed = touched.rows();
  SILT_ASSIGN_OR_RETURN(r.rows_restored, count_rows(conn, then_rows));
  std::string new_rows = then_rows.empty() ? std::string()
                                           : "SELECT " + columns + ", 'insert' AS " + kChangeType +
                                                 " FROM (" + then_rows + ") AS t";
  RowChangeOptions engine{options.max_inline_dv_bytes, options.target_file_size};
  SILT_ASSIGN_OR_RETURN(RowChanges changes,
                        write_row_changes(session, t, touched, new_rows, r.rows_restored, engine));
  record_counts(changes.counts, r);
  std::string params = "{\"version\":" + json_quote(std::to_string(options.from_version)) +
                       ",\"predicate\":" + json_quote(options.where) + "}";
  OperationInfo info{"RECOVER", params, metrics_json(r)};
  SILT_ASSIGN_OR_RETURN(auto committed,
                        commit_row_changes(session, t, std::move(changes), now_sel.read, info));
  record_commit(committed, r);
  return r;
}

}  // namespace silt::ops
