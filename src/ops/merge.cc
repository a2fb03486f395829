// MERGE. Order of work: materialize the source once (numbered rows), choose the target files that
// may match, join them with the source into (target row, source row, first matched clause)
// pairs, refuse ambiguous matches, then record the target rows each clause deletes or updates as
// touched rows, the source rows each clause inserts, and hand both to the row-change engine.
#include "ops/merge.h"

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "delta/schema/schema.h"
#include "ops/row_changes.h"
#include "scan/file_skipping.h"
#include "util/json_text.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::ops {
namespace {

using delta::AddFile;
using Kind = MergeClause::Kind;

constexpr const char* kSource = "__silt_merge_source";
constexpr const char* kSourceRow = "__silt_merge_source_row";
constexpr const char* kPairs = "__silt_merge_pairs";      // (f, r, src, clause) per ON match
constexpr const char* kActions = "__silt_merge_actions";  // (f, r, src, clause) per changed target row
constexpr const char* kInserts = "__silt_merge_inserts";
constexpr const char* kTargetShape = "__silt_merge_target_shape";  // (src, clause) per inserted source row

bool is_matched(Kind k) { return k == Kind::MatchedUpdate || k == Kind::MatchedDelete; }
bool is_by_source(Kind k) {
  return k == Kind::NotMatchedBySourceUpdate || k == Kind::NotMatchedBySourceDelete;
}
bool is_delete(Kind k) { return k == Kind::MatchedDelete || k == Kind::NotMatchedBySourceDelete; }
bool is_update(Kind k) { return k == Kind::MatchedUpdate || k == Kind::NotMatchedBySourceUpdate; }

std::string clause_label(const MergeClause& c) {
  static const char* const names[] = {"WHEN MATCHED", "WHEN MATCHED", "WHEN NOT MATCHED",
                                      "WHEN NOT MATCHED BY SOURCE", "WHEN NOT MATCHED BY SOURCE"};
  std::string label = names[int(c.kind)];
  if (!c.condition.empty()) label += " AND " + c.condition;
  return label + (is_delete(c.kind)                  ? " THEN DELETE"
                  : c.kind == Kind::NotMatchedInsert ? " THEN INSERT"
                                                     : " THEN UPDATE");
}

// Drops the temp tables of one MERGE when it ends, however it ends.
class TempTables {
 public:
  explicit TempTables(db::Connection& conn) : conn_(conn) {}
  TempTables(const TempTables&) = delete;
  TempTables& operator=(const TempTables&) = delete;
  ~TempTables() {
    for (const char* name : {kSource, kPairs, kActions, kInserts, kTargetShape})
      ignore_result(conn_.execute(std::string("DROP TABLE IF EXISTS ") + name));
  }

 private:
  db::Connection& conn_;
};

// A clause with its values bound: target column -> SQL over t and s.
struct BoundClause {
  const MergeClause* clause;
  int index;  // position among all clauses
  std::string condition;
  ColumnValues values;
  bool reads_target = false;  // some value names t (checked by binding it without t)
};

// The state of one MERGE.
struct Merge {
  Merge(Session& s, const MergeOptions& o, ChangeTarget target)
      : session(s), options(o), t(std::move(target)) {}
  Session& session;
  const MergeOptions& options;
  ChangeTarget t;
  std::string on;  // with delta_scan calls expanded
  std::vector<std::string> source_columns;
  std::vector<BoundClause> clauses;
  std::string target_shape;  // an empty table with the target scan's columns (for binding)
  std::vector<const AddFile*> candidates;
  delta::ReadSet read;
  std::vector<std::string> key_columns;  // target columns of the ON's t.x = s.y conjuncts
  db::Connection& conn() { return session.connection(); }
};

Result<std::string> expand(Session& session, const std::string& sql, const std::string& context) {
  auto expanded = session.expand_sql(sql);
  if (!expanded.ok()) return user_sql_error(expanded.error(), context);
  return *expanded;
}

// --- the source ------------------------------------------------------------------------------

// Runs the source once into kSource, numbering its rows; returns how many there are.
Result<int64_t> materialize_source(Merge& m) {
  if (trim_text(m.options.source_sql).empty())
    return Error(ErrorKind::InvalidArgument, "MERGE needs a source query");
  SILT_ASSIGN_OR_RETURN(std::string sql, expand(m.session, m.options.source_sql, "source"));
  std::string create = std::string("CREATE OR REPLACE TEMP TABLE ") + kSource +
                       " AS SELECT *, row_number() OVER () AS " + kSourceRow + " FROM (" + sql + ") AS s";
  if (auto st = m.conn().execute(create); !st.ok())
    return user_sql_error(st.error(), "source " + m.options.source_sql);
  SILT_ASSIGN_OR_RETURN(auto cols,
                        m.conn().query_text(std::string("SELECT column_name FROM (DESCRIBE ") + kSource +
                                            ") WHERE column_name <> " + quote_literal(kSourceRow)));
  for (const auto& row : cols) m.source_columns.push_back(row[0].value_or(""));
  SILT_ASSIGN_OR_RETURN(auto n, m.conn().scalar(std::string("SELECT count(*) FROM ") + kSource));
  return std::stoll(n.value_or("0"));
}

// --- binding the clauses ---------------------------------------------------------------------

// UPDATE SET * / INSERT *: every target column from the source column of the same name (ignoring
// case); the two column sets must be equal.
Result<ColumnValues> all_columns(const Merge& m, const std::string& label) {
  std::map<std::string, std::string> source;
  for (const auto& c : m.source_columns) source.emplace(lower_ascii(c), c);
  ColumnValues out;
  for (const delta::StructField& f : m.t.schema.fields) {
    auto it = source.find(lower_ascii(f.name));
    if (it == source.end())
      return Error(ErrorKind::InvalidArgument, label + " *: the source has no column " + f.name);
    out.emplace(f.name, "s." + quote_ident(it->second));
    source.erase(it);
  }
  if (!source.empty()) {
    return Error(ErrorKind::InvalidArgument,
                 label + " *: source column " + source.begin()->second + " is not in the target table");
  }
  return out;
}

// FROM clause of what a clause may see: matched t and s, not matched s, by source t.
std::string scope_of(const Merge& m, Kind k) {
  std::string source = std::string(kSource) + " AS s";
  std::string target = m.target_shape + " AS t";
  if (is_matched(k)) return target + ", " + source;
  return is_by_source(k) ? target : source;
}

// Binds every condition and value against what its clause may see, so bad SQL fails before any
// work, named by its clause.
Status bind_clauses(Merge& m) {
  if (m.options.clauses.empty())
    return Error(ErrorKind::InvalidArgument, "MERGE needs at least one WHEN clause");
  for (size_t i = 0; i < m.options.clauses.size(); i++) {
    const MergeClause& c = m.options.clauses[i];
    BoundClause b{&c, int(i), "", {}};
    std::string label = clause_label(c);
    std::string scope = scope_of(m, c.kind);
    if (!c.condition.empty()) {
      SILT_ASSIGN_OR_RETURN(b.condition, expand(m.session, c.condition, label));
      auto st = m.conn().execute("SELECT CAST((" + b.condition + ") AS BOOLEAN) FROM " + scope + " LIMIT 0");
      if (!st.ok()) return user_sql_error(st.error(), label);
    }
    if (c.all) {
      SILT_ASSIGN_OR_RETURN(b.values, all_columns(m, label));
    } else if (!is_delete(c.kind)) {
      SILT_ASSIGN_OR_RETURN(b.values, bind_assignments(m.t.schema, c.values, label));
    }
    for (const auto& [column, expr] : b.values) {
      auto st = m.conn().execute("SELECT " + cast_to_column(*delta::find_field(m.t.schema, column), expr) +
                                 " FROM " + scope + " LIMIT 0");
      if (!st.ok()) return user_sql_error(st.error(), label + ": " + column + " = " + expr);
      b.reads_target = b.reads_target || is_by_source(c.kind) ||
                       !m.conn().execute("SELECT " + expr + " FROM " + kSource + " AS s LIMIT 0").ok();
    }
    m.clauses.push_back(std::move(b));
  }
  return ok_status();
}

// CASE choosing the first clause of `kinds` whose condition holds (its index), else NULL.
std::string first_clause(const Merge& m, bool (*kinds)(Kind)) {
  std::string out;
  for (const BoundClause& b : m.clauses) {
    if (!kinds(b.clause->kind)) continue;
    out += " WHEN " + (b.condition.empty() ? std::string("TRUE") : "(" + b.condition + ")") + " THEN " +
           std::to_string(b.index);
  }
  return out.empty() ? "CAST(NULL AS INTEGER)" : "CASE" + out + " END";
}

bool matched_kind(Kind k) { return is_matched(k); }
bool by_source_kind(Kind k) { return is_by_source(k); }
bool insert_kind(Kind k) { return k == Kind::NotMatchedInsert; }

// "(i, j, ...)" of the clauses of `kinds`, with -1 so that it is never empty.
std::string clause_list(const Merge& m, bool (*kinds)(Kind)) {
  std::string out = "(-1";
  for (const BoundClause& b : m.clauses)
    if (kinds(b.clause->kind)) out += ", " + std::to_string(b.index);
  return out + ")";
}

bool has(const Merge& m, bool (*kinds)(Kind)) {
  for (const BoundClause& b : m.clauses)
    if (kinds(b.clause->kind)) return true;
  return false;
}

// --- which target files ----------------------------------------------------------------------

// t.x = s.y (either way round) with x a target column: (x as the schema spells it, y as written).
std::optional<std::pair<std::string, std::string>> key_equality(const Merge& m, const std::string& conjunct) {
  static const std::regex eq(
      R"re(^\s*([ts])\.("(?:[^"]|"")+"|\w+)\s*=\s*([ts])\.("(?:[^"]|"")+"|\w+)\s*$)re");
  std::smatch g;
  if (!std::regex_match(conjunct, g, eq) || g[1] == g[3]) return std::nullopt;
  std::string target = g[1] == "t" ? g[2].str() : g[4].str();
  std::string source = g[1] == "t" ? g[4].str() : g[2].str();
  const delta::StructField* f = delta::find_field(m.t.schema, unquote_identifier(target));
  if (!f || !f->type.primitive()) return std::nullopt;
  return std::make_pair(f->name, source);
}

// "t.x >= lo AND t.x <= hi" over the source's values of `source_expr` cast to x's type; "FALSE"
// when the source has no non-NULL value; nullopt when a value does not cast (no pruning then).
Result<std::optional<std::string>> key_range(Merge& m, const std::string& column,
                                             const std::string& source_expr) {
  const delta::StructField& f = *delta::find_field(m.t.schema, column);
  std::string type = delta::duckdb_type(f.type);
  SILT_ASSIGN_OR_RETURN(
      auto rows,
      m.conn().query_text("SELECT min(v)::VARCHAR, max(v)::VARCHAR, count(*) FILTER (v IS NULL AND y IS NOT "
                          "NULL) FROM (SELECT TRY_CAST(s." +
                          source_expr + " AS " + type + ") AS v, s." + source_expr + " AS y FROM " + kSource +
                          " AS s)"));
  if (rows.empty() || rows[0][2].value_or("1") != "0") return std::optional<std::string>();
  if (!rows[0][0]) return std::optional<std::string>("FALSE");
  std::string name = delta::delta_type_name(f.type);
  bool numeric =
      name == "long" || name == "integer" || name == "short" || name == "byte" || name.starts_with("decimal");
  auto literal = [&](const std::string& v) {
    return numeric ? v : "CAST(" + quote_literal(v) + " AS " + type + ")";
  };
  std::string col = "t." + quote_ident(column);
  return std::optional<std::string>(col + " >= " + literal(*rows[0][0]) + " AND " + col +
                                    " <= " + literal(*rows[0][1]));
}

// Column paths of `p` without the target alias: the conflict checker resolves paths against the
// schema alone. A top-level column named t keeps its paths as they are.
void drop_alias(delta::Predicate& p, const delta::StructType& schema) {
  if (delta::find_field(schema, "t")) return;
  for (auto& c : p.conjuncts)
    if (c.column.size() > 1 && c.column.front() == "t") c.column.erase(c.column.begin());
  for (auto& any : p.disjunctions)
    for (auto& branch : any) drop_alias(branch, schema);
}

// Keeps the files the ON may match: join-key ranges from the source and the ON's conjuncts that
// name only the target. NOT MATCHED BY SOURCE clauses need every file.
Status select_target_files(Merge& m) {
  std::vector<std::string> parts;
  bool nothing = false;
  for (const std::string& conjunct : split_conjuncts(m.on)) {
    if (auto key = key_equality(m, conjunct)) {
      m.key_columns.push_back(key->first);
      SILT_ASSIGN_OR_RETURN(auto range, key_range(m, key->first, key->second));
      if (range && *range == "FALSE") nothing = true;
      if (range && *range != "FALSE") parts.push_back(*range);
    } else if (m.conn()
                   .execute("SELECT 1 FROM " + m.target_shape + " AS t WHERE (" + conjunct + ") LIMIT 0")
                   .ok()) {
      parts.push_back("(" + conjunct + ")");
    }
  }
  std::optional<delta::Predicate> predicate;
  if (!parts.empty()) {
    std::string filter;
    for (const auto& p : parts) filter += (filter.empty() ? "" : " AND ") + p;
    SILT_ASSIGN_OR_RETURN(predicate, scan::predicate_from_filter_sql(m.conn(), filter));
    if (predicate) drop_alias(*predicate, m.t.schema);
  }
  if (has(m, by_source_kind) || (!predicate && !nothing)) {
    for (const AddFile& f : m.t.snap.files()) m.candidates.push_back(&f);
    m.read.whole_table = true;
  } else if (!nothing) {
    SILT_ASSIGN_OR_RETURN(m.candidates, scan::files_to_scan(m.t.snap, m.t.schema, m.t.mapping, *predicate));
    m.read.predicate = std::move(predicate);
  }
  // With no source key, no target row can match: nothing is read, like a blind append.
  for (const AddFile* f : m.candidates) {
    SILT_ASSIGN_OR_RETURN(std::string canonical, delta::canonical_data_path(m.t.root, f->path));
    m.read.files.insert(std::move(canonical));
  }
  return ok_status();
}

// --- which rows ------------------------------------------------------------------------------

std::set<std::string> paths_of(const std::vector<const AddFile*>& files) {
  std::set<std::string> out;
  for (const AddFile* f : files) out.insert(f->path);
  return out;
}

// kPairs: every (target row, source row) the ON matches, with the first matched clause that
// applies. Returns the scan of the candidate files it used ("" when there are none).
Result<std::string> find_pairs(Merge& m) {
  std::string create = std::string("CREATE OR REPLACE TEMP TABLE ") + kPairs + " AS ";
  if (m.candidates.empty()) {
    SILT_TRY(
        m.conn().execute(create +
                         "SELECT NULL::VARCHAR AS f, NULL::BIGINT AS r, NULL::BIGINT AS src, NULL::INTEGER "
                         "AS clause WHERE false"));
    return std::string();
  }
  SILT_ASSIGN_OR_RETURN(std::string scan, scan_with_positions(m.session, m.t, paths_of(m.candidates)));
  std::string sql = create + "SELECT t." + scan::kFileColumn + " AS f, t." + scan::kRowColumn + " AS r, s." +
                    kSourceRow + " AS src, " + first_clause(m, matched_kind) + " AS clause FROM (" + scan +
                    ") AS t JOIN " + kSource + " AS s ON (" + m.on + ")";
  if (auto st = m.conn().execute(sql); !st.ok()) return user_sql_error(st.error(), "ON " + m.options.on);
  return scan;
}

// Spark refuses a target row that several source rows match, as the result would depend on
// which one is applied; when only matched clauses exist, only pairs a clause applies to count.
// A sole unconditional DELETE is unambiguous.
Status check_unique_matches(Merge& m, const std::string& scan) {
  if (!has(m, matched_kind)) return ok_status();
  int matched = 0;
  bool unconditional_delete = false;
  for (const BoundClause& b : m.clauses) {
    if (!is_matched(b.clause->kind)) continue;
    matched++;
    unconditional_delete = b.clause->kind == Kind::MatchedDelete && b.condition.empty();
  }
  if (matched == 1 && unconditional_delete) return ok_status();
  bool matched_only = !has(m, insert_kind) && !has(m, by_source_kind);
  std::string dups = std::string("SELECT f, r FROM ") + kPairs +
                     (matched_only ? " WHERE clause IS NOT NULL" : "") + " GROUP BY f, r HAVING count(*) > 1";
  SILT_ASSIGN_OR_RETURN(auto any, m.conn().scalar("SELECT count(*) FROM (" + dups + ")"));
  if (any.value_or("0") == "0") return ok_status();
  std::string keys;
  for (const auto& k : m.key_columns)
    keys += (keys.empty() ? "" : " || ', ' || ") + quote_literal("t." + k + " = ") + " || coalesce(t." +
            quote_ident(k) + "::VARCHAR, 'NULL')";
  if (keys.empty())
    keys = std::string("'row ' || t.") + scan::kRowColumn + " || ' of ' || t." + scan::kFileColumn;
  SILT_ASSIGN_OR_RETURN(
      auto rows, m.conn().query_text("SELECT " + keys + " FROM (" + scan + ") AS t SEMI JOIN (" + dups +
                                     ") AS d ON d.f = t." + scan::kFileColumn + " AND d.r = t." +
                                     scan::kRowColumn + " LIMIT 3"));
  if (rows.empty()) return ok_status();
  std::string shown;
  for (const auto& row : rows) shown += (shown.empty() ? "" : "; ") + row[0].value_or("");
  return Error(ErrorKind::InvalidArgument,
               "MERGE: multiple source rows matched the same target row (" + shown +
                   "): make the source unique on the ON keys, or narrow the ON condition");
}

// kActions: the target rows a clause changes, each with its clause (and source row if matched).
Status find_actions(Merge& m, const std::string& scan) {
  std::string sql = std::string("CREATE OR REPLACE TEMP TABLE ") + kActions +
                    " AS SELECT f, r, min(src) AS src, min(clause) AS clause FROM " + kPairs +
                    " WHERE clause IS NOT NULL GROUP BY f, r";
  if (has(m, by_source_kind) && !scan.empty()) {
    sql += std::string(" UNION ALL SELECT * FROM (SELECT t.") + scan::kFileColumn + ", t." +
           scan::kRowColumn + ", NULL::BIGINT, " + first_clause(m, by_source_kind) + " AS clause FROM (" +
           scan + ") AS t ANTI JOIN " + kPairs + " AS p ON p.f = t." + scan::kFileColumn + " AND p.r = t." +
           scan::kRowColumn + ") WHERE clause IS NOT NULL";
  }
  if (auto st = m.conn().execute(sql); !st.ok())
    return user_sql_error(st.error(), "WHEN NOT MATCHED BY SOURCE");
  return ok_status();
}

// kInserts: source rows no target row matched, with the first NOT MATCHED clause that applies.
Result<int64_t> find_inserts(Merge& m) {
  if (!has(m, insert_kind)) return int64_t(0);
  std::string sql = std::string("CREATE OR REPLACE TEMP TABLE ") + kInserts + " AS SELECT * FROM (SELECT s." +
                    kSourceRow + " AS src, " + first_clause(m, insert_kind) + " AS clause FROM " + kSource +
                    " AS s ANTI JOIN " + kPairs + " AS p ON p.src = s." + kSourceRow +
                    ") WHERE clause IS NOT NULL";
  if (auto st = m.conn().execute(sql); !st.ok()) return user_sql_error(st.error(), "WHEN NOT MATCHED");
  SILT_ASSIGN_OR_RETURN(auto n, m.conn().scalar(std::string("SELECT count(*) FROM ") + kInserts));
  return std::stoll(n.value_or("0"));
}

// --- new rows --------------------------------------------------------------------------------

// SELECT list of the target's columns: each the value of the clause `clause_column` names, when
// that clause of `kinds` assigns it, else `otherwise` (prefix for the column, or NULL).
std::string clause_values(const Merge& m, bool (*kinds)(Kind), const std::string& clause_column,
                          bool keep_target) {
  std::string cols;
  for (const delta::StructField& f : m.t.schema.fields) {
    std::string cases;
    for (const BoundClause& b : m.clauses) {
      if (!kinds(b.clause->kind)) continue;
      if (auto it = b.values.find(f.name); it != b.values.end())
        cases += " WHEN " + std::to_string(b.index) + " THEN " + cast_to_column(f, it->second);
    }
    std::string otherwise =
        keep_target ? "t." + quote_ident(f.name) : "CAST(NULL AS " + delta::duckdb_type(f.type) + ")";
    std::string expr =
        cases.empty() ? otherwise : "CASE " + clause_column + cases + " ELSE " + otherwise + " END";
    cols += (cols.empty() ? "" : ", ") + expr + " AS " + quote_ident(f.name);
  }
  return cols;
}

bool update_kind(Kind k) { return is_update(k); }

// SELECT of the update post-images and the inserted rows, with kChangeType.
// Whether update post-images need the target's columns: a value names t, a NOT MATCHED BY
// SOURCE update keeps t's other columns, or some matched update leaves a column as it was.
bool updates_read_target(const Merge& m) {
  for (const BoundClause& b : m.clauses) {
    if (!is_update(b.clause->kind)) continue;
    if (b.reads_target || b.values.size() < m.t.schema.fields.size()) return true;
  }
  return false;
}

// SELECT of the update post-images and the inserted rows, with kChangeType. Post-images that
// only need the source skip reading the target files again.
Result<std::string> new_rows_sql(Merge& m, const TouchedRows& touched, int64_t inserts) {
  std::string sql;
  if (touched.updated() > 0) {
    std::string target;
    bool reads_target = updates_read_target(m);
    if (reads_target) {
      std::set<std::string> paths;
      for (const auto& f : touched.files()) paths.insert(f.file->path);
      SILT_ASSIGN_OR_RETURN(std::string scan, scan_with_positions(m.session, m.t, std::move(paths)));
      target = "(" + scan + ") AS t JOIN " + kActions + " AS a ON a.f = t." + scan::kFileColumn +
               " AND a.r = t." + scan::kRowColumn;
    } else {
      target = std::string(kActions) + " AS a";
    }
    sql = "SELECT " + clause_values(m, update_kind, "a.clause", reads_target) + ", 'update_postimage' AS " +
          kChangeType + " FROM " + target + " LEFT JOIN " + kSource + " AS s ON s." + kSourceRow +
          " = a.src WHERE a.clause IN " + clause_list(m, update_kind);
  }
  if (inserts > 0) {
    sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT ") +
           clause_values(m, insert_kind, "i.clause", false) + ", 'insert' AS " + kChangeType + " FROM " +
           kSource + " AS s JOIN " + kInserts + " AS i ON i.src = s." + kSourceRow;
  }
  return sql;
}

// --- commit ----------------------------------------------------------------------------------

std::string predicates_json(const Merge& m, bool (*kinds)(Kind)) {
  std::string out;
  for (const BoundClause& b : m.clauses) {
    if (!kinds(b.clause->kind)) continue;
    const char* action = is_delete(b.clause->kind)                  ? "delete"
                         : b.clause->kind == Kind::NotMatchedInsert ? "insert"
                                                                    : "update";
    std::string item = "{";
    if (!b.clause->condition.empty()) item += "\"predicate\":" + json_quote(b.clause->condition) + ",";
    out += (out.empty() ? "" : ",") + item + "\"actionType\":\"" + action + "\"}";
  }
  return json_quote("[" + out + "]");
}

// Spark's operationParameters for MERGE: each a JSON document in a string.
std::string parameters_json(const Merge& m) {
  return "{\"predicate\":" + json_quote("[" + json_quote(m.options.on) + "]") +
         ",\"matchedPredicates\":" + predicates_json(m, matched_kind) +
         ",\"notMatchedPredicates\":" + predicates_json(m, insert_kind) +
         ",\"notMatchedBySourcePredicates\":" + predicates_json(m, by_source_kind) + "}";
}

// Rows per clause kind, for Spark's split of updated and deleted rows.
Result<std::map<Kind, int64_t>> rows_by_kind(Merge& m) {
  SILT_ASSIGN_OR_RETURN(auto rows, m.conn().query_text(std::string("SELECT clause, count(*) FROM ") +
                                                       kActions + " GROUP BY clause"));
  std::map<Kind, int64_t> out;
  for (const auto& row : rows)
    out[m.clauses.at(std::stoi(row[0].value_or("0"))).clause->kind] += std::stoll(row[1].value_or("0"));
  return out;
}

std::string metrics_json(const MergeResult& r, std::map<Kind, int64_t> by_kind, const StatementClock& time) {
  return metrics_object({
      {"numSourceRows", r.source_rows},
      {"numTargetRowsInserted", r.rows_inserted},
      {"numTargetRowsUpdated", r.rows_updated},
      {"numTargetRowsMatchedUpdated", by_kind[Kind::MatchedUpdate]},
      {"numTargetRowsNotMatchedBySourceUpdated", by_kind[Kind::NotMatchedBySourceUpdate]},
      {"numTargetRowsDeleted", r.rows_deleted},
      {"numTargetRowsMatchedDeleted", by_kind[Kind::MatchedDelete]},
      {"numTargetRowsNotMatchedBySourceDeleted", by_kind[Kind::NotMatchedBySourceDelete]},
      {"numTargetRowsCopied", r.rows_copied},
      {"numOutputRows", r.rows_written},
      {"numTargetFilesAdded", r.files_added},
      {"numTargetFilesRemoved", r.files_removed},
      {"numTargetBytesAdded", r.bytes_added},
      {"numTargetBytesRemoved", r.bytes_removed},
      {"numTargetDeletionVectorsAdded", r.dvs_added},
      {"numTargetDeletionVectorsRemoved", r.dvs_removed},
      {"numTargetDeletionVectorsUpdated", r.dvs_updated},
      {"numTargetChangeFilesAdded", r.change_files_added},
      {"executionTimeMs", time.elapsed_ms()},
      {"scanTimeMs", time.scan_ms},
      {"rewriteTimeMs", time.rewrite_ms},
  });
}

Result<MergeResult> run_merge(Merge& m) {
  StatementClock time;
  MergeResult r;
  r.version = m.t.snap.version();
  r.deletion_vectors = m.t.dv_mode;
  SILT_ASSIGN_OR_RETURN(r.source_rows, materialize_source(m));
  scan::ScanOptions all;
  all.with_row_positions = true;
  SILT_ASSIGN_OR_RETURN(auto plan, m.session.scan(m.t.root, at_version(m.t), all));
  // Binding against the scan itself would read every file's footer each time.
  m.target_shape = kTargetShape;
  SILT_TRY(m.conn().execute("CREATE OR REPLACE TEMP TABLE " + m.target_shape + " AS SELECT * FROM " +
                            plan.sql + " LIMIT 0"));
  if (trim_text(m.options.on).empty())
    return Error(ErrorKind::InvalidArgument, "MERGE needs an ON condition");
  SILT_ASSIGN_OR_RETURN(m.on, expand(m.session, m.options.on, "ON " + m.options.on));
  if (auto st = m.conn().execute("SELECT CAST((" + m.on + ") AS BOOLEAN) FROM " + m.target_shape + " AS t, " +
                                 kSource + " AS s LIMIT 0");
      !st.ok())
    return user_sql_error(st.error(), "ON " + m.options.on);
  SILT_TRY(bind_clauses(m));
  SILT_TRY(select_target_files(m));
  r.files_scanned = int64_t(m.candidates.size());
  SILT_ASSIGN_OR_RETURN(std::string scan, find_pairs(m));
  SILT_TRY(check_unique_matches(m, scan));
  SILT_TRY(find_actions(m, scan));
  SILT_ASSIGN_OR_RETURN(r.rows_inserted, find_inserts(m));
  TouchedRows touched(m.conn());
  SILT_TRY(touched.record(m.t,
                          std::string("SELECT f, r, CASE WHEN clause IN ") +
                              clause_list(m, [](Kind k) { return is_delete(k); }) +
                              " THEN 'delete' ELSE 'update' END FROM " + kActions,
                          m.candidates));
  r.rows_updated = touched.updated();
  r.rows_deleted = touched.deleted();
  time.scan_ms = time.elapsed_ms();
  if (touched.rows() == 0 && r.rows_inserted == 0) return r;
  auto rewrite_start = StatementClock::Clock::now();
  SILT_ASSIGN_OR_RETURN(std::string new_rows, new_rows_sql(m, touched, r.rows_inserted));
  RowChangeOptions engine{m.options.max_inline_dv_bytes, m.options.target_file_size};
  auto changes =
      write_row_changes(m.session, m.t, touched, new_rows, r.rows_updated + r.rows_inserted, engine);
  if (!changes.ok()) return user_sql_error(changes.error(), "MERGE");
  time.rewrite_ms = StatementClock::ms_since(rewrite_start);
  record_counts(changes->counts, r);
  SILT_ASSIGN_OR_RETURN(auto by_kind, rows_by_kind(m));
  OperationInfo info{"MERGE", parameters_json(m), metrics_json(r, by_kind, time)};
  if (m.options.app_id) info.app_txn = delta::Txn{*m.options.app_id, *m.options.app_version, now_ms()};
  SILT_ASSIGN_OR_RETURN(auto committed,
                        commit_row_changes(m.session, m.t, std::move(*changes), m.read, info));
  record_commit(committed, r);
  return r;
}

}  // namespace

Result<MergeClause> parse_merge_clause(MergeClause::Kind kind, bool all, std::string_view text) {
  MergeClause c;
  c.kind = kind;
  c.all = all;
  std::string body = trim_text(text);
  auto words = top_level_keywords(body);
  if (!words.empty() && words.front().offset == 0 && words.front().word == "AND") {
    size_t then = std::string::npos;
    for (const Keyword& w : words)
      if (w.word == "THEN") {
        then = w.offset;
        break;
      }
    c.condition =
        trim_text(std::string_view(body).substr(3, then == std::string::npos ? std::string::npos : then - 3));
    body = then == std::string::npos ? std::string() : trim_text(std::string_view(body).substr(then + 4));
    if (c.condition.empty())
      return Error(ErrorKind::InvalidArgument, "clause '" + std::string(text) + "': empty AND condition");
  }
  std::string label = clause_label(c);
  bool needs_body = !all && !is_delete(kind);
  if (!needs_body) {
    if (!body.empty())
      return Error(ErrorKind::InvalidArgument,
                   label + ": unexpected '" + body + "' (the form is [AND <condition>])");
    return c;
  }
  if (body.empty()) return Error(ErrorKind::InvalidArgument, label + ": missing what to set");
  if (kind != Kind::NotMatchedInsert) {
    SILT_ASSIGN_OR_RETURN(c.values, parse_assignments(body));
    return c;
  }
  // (cols) VALUES (exprs)
  static const std::regex form(R"re(^\(([\s\S]*)\)\s*[Vv][Aa][Ll][Uu][Ee][Ss]\s*\(([\s\S]*)\)$)re");
  std::smatch g;
  if (!std::regex_match(body, g, form))
    return Error(ErrorKind::InvalidArgument,
                 label + ": '" + body + "' is not of the form (columns) VALUES (values)");
  std::vector<std::string> cols = split_top_level(g[1].str(), ','), values = split_top_level(g[2].str(), ',');
  if (cols.size() != values.size()) {
    return Error(ErrorKind::InvalidArgument, label + ": " + std::to_string(cols.size()) + " column(s) but " +
                                                 std::to_string(values.size()) + " value(s)");
  }
  for (size_t i = 0; i < cols.size(); i++)
    c.values.push_back({unquote_identifier(trim_text(cols[i])), trim_text(values[i])});
  return c;
}

Result<MergeResult> merge_into(Session& session, std::string_view path, const MergeOptions& options) {
  if (options.app_id.has_value() != options.app_version.has_value())
    return Error(ErrorKind::InvalidArgument, "MERGE: app id and app version go together");
  SILT_ASSIGN_OR_RETURN(ChangeTarget t, open_change_target(session, path, "MERGE"));
  if (options.app_id) {
    auto it = t.snap.app_transactions().find(*options.app_id);
    if (it != t.snap.app_transactions().end() && it->second.version >= *options.app_version) {
      MergeResult done;
      done.skipped = true;
      done.version = t.snap.version();
      return done;
    }
  }
  Merge m(session, options, std::move(t));
  TempTables temps(session.connection());
  return run_merge(m);
}

}  // namespace silt::ops
