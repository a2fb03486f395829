// DIFF. See diff.h. The SQL is built from the two versions' schemas; DuckDB does the work
// (EXCEPT ALL both ways without a key, a FULL OUTER JOIN on the key with one).
#include "ops/diff.h"

#include <algorithm>
#include <set>

#include "delta/schema/schema.h"
#include "util/path.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

Result<std::vector<std::string>> column_names(const delta::Snapshot& snap) {
  std::vector<std::string> out;
  if (snap.metadata().schema_string.empty()) return out;
  SILT_ASSIGN_OR_RETURN(auto schema, delta::parse_schema(snap.metadata().schema_string));
  for (const auto& f : schema.fields) out.push_back(f.name);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// SELECT of `columns` from one version; columns it lacks read as NULL.
std::string version_select(const std::string& root, int64_t version, const std::vector<std::string>& columns,
                           const std::vector<std::string>& present, bool marker) {
  std::string cols;
  for (const auto& c : columns) {
    cols +=
        (cols.empty() ? "" : ", ") + (contains(present, c) ? quote_ident(c) : "NULL AS " + quote_ident(c));
  }
  if (marker) cols += ", true AS __silt_present";
  return "SELECT " + cols + " FROM delta_scan(" + quote_literal(root) + ", version => " +
         std::to_string(version) + ")";
}

std::string qualified(const std::string& alias, const std::string& c) { return alias + "." + quote_ident(c); }

}  // namespace

Result<std::string> diff_sql(Session& session, std::string_view path, int64_t from, int64_t to,
                             const std::vector<std::string>& key) {
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(auto listing, session.list_log(root));
  int64_t latest = listing.latest_version();
  for (int64_t v : {from, to}) {
    if (v < 0 || v > latest) {
      return Error(ErrorKind::InvalidArgument, "version " + std::to_string(v) +
                                                   " does not exist (the table has " + "versions 0 to " +
                                                   std::to_string(latest) + ")");
    }
  }
  SILT_ASSIGN_OR_RETURN(auto a_snap, session.snapshot(root, {.version = from}));
  SILT_ASSIGN_OR_RETURN(auto b_snap, session.snapshot(root, {.version = to}));
  SILT_ASSIGN_OR_RETURN(auto a_cols, column_names(a_snap));
  SILT_ASSIGN_OR_RETURN(auto b_cols, column_names(b_snap));
  std::vector<std::string> columns = b_cols;
  for (const auto& c : a_cols) {
    if (!contains(columns, c)) columns.push_back(c);
  }
  if (columns.empty()) return Error(ErrorKind::InvalidArgument, "the table has no columns");
  for (const auto& k : key) {
    if (!contains(a_cols, k) || !contains(b_cols, k)) {
      return Error(ErrorKind::InvalidArgument, "key column " + k + " is not a column of versions " +
                                                   std::to_string(from) + " and " + std::to_string(to));
    }
  }
  std::string all;
  for (const auto& c : columns) all += (all.empty() ? "" : ", ") + quote_ident(c);
  if (key.empty()) {
    std::string a = version_select(root, from, columns, a_cols, false);
    std::string b = version_select(root, to, columns, b_cols, false);
    return "SELECT 'added' AS _change, " + all + " FROM (" + b + " EXCEPT ALL " + a +
           ") UNION ALL SELECT 'removed' AS _change, " + all + " FROM (" + a + " EXCEPT ALL " + b +
           ") ORDER BY ALL";
  }
  std::string a = version_select(root, from, columns, a_cols, true);
  std::string b = version_select(root, to, columns, b_cols, true);
  std::string select =
      "CASE WHEN a.__silt_present IS NULL THEN 'added' WHEN b.__silt_present IS NULL THEN "
      "'removed' ELSE 'changed' END AS _change";
  for (const auto& c : columns) {
    select += ", CASE WHEN b.__silt_present IS NULL THEN " + qualified("a", c) + " ELSE " +
              qualified("b", c) + " END AS " + quote_ident(c);
  }
  std::string on, changed;
  for (const auto& k : key) {
    on += (on.empty() ? "" : " AND ") + qualified("a", k) + " IS NOT DISTINCT FROM " + qualified("b", k);
  }
  for (const auto& c : columns) {
    if (contains(key, c)) continue;
    changed += (changed.empty() ? "" : " OR ") + qualified("a", c) + " IS DISTINCT FROM " + qualified("b", c);
  }
  std::string order = "_change";
  for (const auto& k : key) order += ", " + quote_ident(k);
  return "SELECT * FROM (SELECT " + select + " FROM (" + a + ") AS a FULL OUTER JOIN (" + b + ") AS b ON " +
         on + " WHERE a.__silt_present IS NULL OR b.__silt_present IS NULL OR (" +
         (changed.empty() ? "false" : changed) + ")) ORDER BY " + order;
}

}  // namespace silt::ops
