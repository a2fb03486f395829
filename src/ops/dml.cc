// DELETE and UPDATE on the row-change engine (ops/row_changes.h): keep the files the WHERE may
// match, record the matched rows as touched (file, row) pairs, give updated rows as new rows, and
// let the engine grow deletion vectors or rewrite files and commit.
#include "ops/dml.h"

#include <chrono>
#include <set>

#include "ops/row_changes.h"
#include "util/json_text.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

using delta::AddFile;

enum class Operation { Delete, Update };

std::string operation_name(Operation op) { return op == Operation::Delete ? "DELETE" : "UPDATE"; }

// --- SET clause ------------------------------------------------------------------------------

// SELECT list of the table's columns from relation `t`, with `values` applied where `matched`
// (an SQL condition) holds; an empty `matched` applies them to every row.
std::string updated_columns(const delta::StructType& schema, const ColumnValues& values,
                            const std::string& matched) {
  std::string cols;
  for (const delta::StructField& f : schema.fields) {
    std::string expr = "t." + quote_ident(f.name);
    if (auto it = values.find(f.name); it != values.end()) {
      std::string value = cast_to_column(f, it->second);
      expr = matched.empty() ? value : "CASE WHEN " + matched + " THEN " + value + " ELSE " + expr + " END";
    }
    cols += (cols.empty() ? "" : ", ") + expr + " AS " + quote_ident(f.name);
  }
  return cols;
}

std::string set_text(const ColumnValues& values) {
  std::string out;
  for (const auto& [column, expr] : values) out += (out.empty() ? "" : ", ") + column + " = " + expr;
  return out;
}

// Binds each SET expression against the table, so that a bad one fails before any work, named.
Status check_assignments(db::Connection& conn, const std::string& scan_sql, const delta::StructType& schema,
                         const ColumnValues& values) {
  for (const auto& [column, expr] : values) {
    ColumnValues one{{column, expr}};
    auto bound =
        conn.execute("SELECT " + updated_columns(schema, one, "") + " FROM " + scan_sql + " AS t LIMIT 0");
    if (!bound.ok()) return user_sql_error(bound.error(), "SET " + column + " = " + expr);
  }
  return ok_status();
}

// --- changes ---------------------------------------------------------------------------------

std::string metrics_json(const DmlResult& r, Operation op, const StatementClock& time) {
  auto metrics = file_metrics(r);
  metrics.insert(metrics.begin(), {op == Operation::Delete ? "numDeletedRows" : "numUpdatedRows",
                                   op == Operation::Delete ? r.rows_deleted : r.rows_updated});
  metrics.insert(metrics.end(), {{"scanTimeMs", time.scan_ms},
                                 {"rewriteTimeMs", time.rewrite_ms},
                                 {"executionTimeMs", time.elapsed_ms()}});
  return metrics_object(metrics);
}

// Records the matched rows of the candidate files and turns them into changes.
Result<RowChanges> plan_changes(Session& session, const ChangeTarget& t, const FileSelection& sel,
                                const ColumnValues* values, const DmlOptions& options, DmlResult& r,
                                StatementClock& time) {
  std::set<std::string> candidates;
  for (const AddFile* f : sel.candidates) candidates.insert(f->path);
  SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, std::move(candidates)));
  if (values) SILT_TRY(check_assignments(session.connection(), scan_sql, t.schema, *values));
  TouchedRows touched(session.connection());
  std::string matched = std::string("SELECT ") + scan::kFileColumn + ", " + scan::kRowColumn + ", " +
                        (values ? "'update'" : "'delete'") + " FROM " + scan_sql + " AS t" +
                        (sel.where.empty() ? "" : " WHERE (" + sel.where + ")");
  if (auto st = touched.record(t, matched, sel.candidates); !st.ok())
    return user_sql_error(st.error(), "WHERE " + options.where);
  (values ? r.rows_updated : r.rows_deleted) = touched.rows();
  time.scan_ms = time.elapsed_ms();
  if (touched.rows() == 0) return RowChanges{};
  auto rewrite_start = StatementClock::Clock::now();
  std::string new_rows;
  if (values) {
    std::set<std::string> touched_paths;
    for (const auto& f : touched.files()) touched_paths.insert(f.file->path);
    SILT_ASSIGN_OR_RETURN(std::string touched_scan,
                          scan_with_positions(session, t, std::move(touched_paths)));
    new_rows = "SELECT " + updated_columns(t.schema, *values, "") + ", 'update_postimage' AS " + kChangeType +
               join_touched(touched_scan, "SEMI JOIN");
  }
  RowChangeOptions engine{options.max_inline_dv_bytes, options.target_file_size};
  auto changes = write_row_changes(session, t, touched, new_rows, values ? touched.rows() : 0, engine);
  if (!changes.ok()) {
    bool bad_value = values && changes.error().kind() == ErrorKind::InvalidArgument;
    return bad_value ? user_sql_error(changes.error(), "SET " + set_text(*values)) : changes.error();
  }
  time.rewrite_ms = StatementClock::ms_since(rewrite_start);
  return changes;
}

Result<DmlResult> run_dml(Session& session, std::string_view path, Operation op,
                          const std::vector<Assignment>* set, const DmlOptions& options) {
  StatementClock time;
  SILT_ASSIGN_OR_RETURN(ChangeTarget t, open_change_target(session, path, operation_name(op)));
  std::optional<ColumnValues> values;
  if (set) {
    SILT_ASSIGN_OR_RETURN(values, bind_assignments(t.schema, *set, "SET"));
  }
  SILT_ASSIGN_OR_RETURN(FileSelection sel, select_files(session, t, options.where));
  DmlResult r;
  r.version = t.snap.version();
  r.deletion_vectors = t.dv_mode;
  r.files_scanned = int64_t(sel.candidates.size());
  RowChanges changes;
  if (op == Operation::Delete && sel.where.empty()) {
    // DELETE without WHERE: every file goes, none is read beyond counting its rows.
    SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, at_version(t)));
    SILT_ASSIGN_OR_RETURN(auto n, session.connection().scalar("SELECT count(*) FROM " + plan.sql + " AS t"));
    r.rows_deleted = std::stoll(n.value_or("0"));
    RowChangeOptions engine{options.max_inline_dv_bytes, options.target_file_size};
    SILT_ASSIGN_OR_RETURN(changes, remove_all_rows(session, t, engine));
  } else {
    SILT_ASSIGN_OR_RETURN(changes,
                          plan_changes(session, t, sel, values ? &*values : nullptr, options, r, time));
  }
  if (changes.empty()) return r;  // nothing matched
  record_counts(changes.counts, r);
  std::string params = options.where.empty() ? "{}" : "{\"predicate\":" + json_quote(options.where) + "}";
  OperationInfo info{operation_name(op), params, metrics_json(r, op, time)};
  SILT_ASSIGN_OR_RETURN(auto committed, commit_row_changes(session, t, std::move(changes), sel.read, info));
  record_commit(committed, r);
  return r;
}

}  // namespace

Result<DmlResult> delete_rows(Session& session, std::string_view path, const DmlOptions& options) {
  return run_dml(session, path, Operation::Delete, nullptr, options);
}

Result<DmlResult> update_rows(Session& session, std::string_view path, const std::vector<Assignment>& set,
                              const DmlOptions& options) {
  return run_dml(session, path, Operation::Update, &set, options);
}

}  // namespace silt::ops
