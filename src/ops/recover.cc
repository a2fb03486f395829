// RECOVER on the row-change engine: of the rows matching the predicate now and at the earlier
// version, compared as multisets, those only now are the touched rows ('delete') and those only
// then the new rows ('insert'); rows on both sides stay where they are.
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

constexpr const char* kCopy = "__silt_copy";  // a row's number among the equal rows of its side

// The rows of `a` with no equal row in `b`, as multisets, selecting `select` (over alias a):
// both sides are numbered within groups of equal rows, and (row, number) pairs are compared.
// "" for no rows; `b` "" is no rows.
std::string only_in(const std::string& a, const std::string& b, const delta::StructType& schema,
                    const std::string& select) {
  if (a.empty()) return std::string();
  std::string by, same;
  for (const delta::StructField& f : schema.fields) {
    by += (by.empty() ? "" : ", ") + quote_ident(f.name);
    same += "a." + quote_ident(f.name) + " IS NOT DISTINCT FROM b." + quote_ident(f.name) + " AND ";
  }
  auto numbered = [&](const std::string& sql) {
    return "(SELECT *, row_number() OVER (PARTITION BY " + by + ") AS " + kCopy + " FROM (" + sql + "))";
  };
  std::string out = "SELECT " + select + " FROM " + numbered(a) + " AS a";
  if (b.empty()) return out;
  return out + " ANTI JOIN " + numbered(b) + " AS b ON " + same + "a." + kCopy + " = b." + kCopy;
}

std::string metrics_json(const RecoverResult& r) {
  auto metrics = file_metrics(r);
  metrics.insert(metrics.begin(), {{"numDeletedRows", r.rows_removed},
                                   {"numRestoredRows", r.rows_restored},
                                   {"numMatchedRows", r.rows_matched_now},
                                   {"numMatchedRowsAtVersion", r.rows_matched_then}});
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

  std::string columns, new_columns;
  for (const delta::StructField& f : t.schema.fields) {
    columns += (columns.empty() ? "t." : ", t.") + quote_ident(f.name);
    new_columns += (new_columns.empty() ? "a." : ", a.") + quote_ident(f.name);
  }
  db::Connection& conn = session.connection();
  auto where_error = [&](const Error& e) { return user_sql_error(e, "WHERE " + options.where); };
  std::string positions = std::string(scan::kFileColumn) + ", " + scan::kRowColumn;
  SILT_ASSIGN_OR_RETURN(std::string now_rows, matching_rows(session, t, now_sel, columns + ", " + positions));
  SILT_ASSIGN_OR_RETURN(std::string then_rows, matching_rows(session, then, then_sel, columns));
  std::string new_rows = only_in(then_rows, now_rows, t.schema, new_columns + ", 'insert' AS " + kChangeType);
  for (auto [sql, n] : {std::pair{&now_rows, &r.rows_matched_now},
                        {&then_rows, &r.rows_matched_then},
                        {&new_rows, &r.rows_restored}}) {
    auto counted = count_rows(conn, *sql);
    if (!counted.ok()) return where_error(counted.error());
    *n = *counted;
  }
  TouchedRows touched(conn);
  std::string gone =
      only_in(now_rows, then_rows, t.schema,
              "a." + std::string(scan::kFileColumn) + ", a." + scan::kRowColumn + ", 'delete'");
  if (!gone.empty()) {
    if (auto st = touched.record(t, gone, now_sel.candidates); !st.ok()) return where_error(st.error());
  }
  r.rows_removed = touched.rows();
  if (r.rows_changed() == 0) return r;

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
