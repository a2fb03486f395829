// File skipping. See file_skipping.h.
#include "scan/file_skipping.h"

#include <simdjson.h>

#include "delta/stats/file_stats.h"
#include "util/sql_text.h"

namespace silt::scan {
namespace {

using delta::ColumnPath;

Result<std::string> serialize(db::Connection& conn, std::string_view sql) {
  SILT_ASSIGN_OR_RETURN(auto json, conn.scalar("SELECT json_serialize_sql(" + quote_literal(sql) + ")"));
  if (!json) return Error(ErrorKind::Internal, "json_serialize_sql returned NULL");
  return *json;
}

const delta::StructField* field_in(const delta::StructType& s, std::string_view name) {
  return delta::find_field(s, name);
}

// Logical path (maybe alias-qualified) -> physical path and the leaf's type; nullopt if the
// path names no column of the schema.
std::optional<std::pair<ColumnPath, const delta::DataType*>> resolve(const ColumnPath& logical,
                                                                     const delta::StructType& schema,
                                                                     delta::ColumnMappingMode mode) {
  for (size_t skip = 0; skip < 2 && skip < logical.size(); skip++) {
    ColumnPath physical;
    const delta::StructType* level = &schema;
    const delta::DataType* type = nullptr;
    bool ok = true;
    for (size_t i = skip; i < logical.size(); i++) {
      const delta::StructField* f = level ? field_in(*level, logical[i]) : nullptr;
      auto phys = f ? delta::physical_name(*f, mode) : Result<std::string>(Error(ErrorKind::NotFound, ""));
      if (!phys.ok()) {
        ok = false;
        break;
      }
      physical.push_back(*phys);
      type = &f->type;
      level = f->type.struct_type();
    }
    if (ok && type) return std::make_pair(physical, type);
  }
  return std::nullopt;
}

// Rewrites column paths to physical ones, dropping conjuncts on unknown columns (and whole
// disjunctions with any unknown branch), and records each column's kind.
delta::Predicate bind(const delta::Predicate& p, const delta::StructType& schema,
                      delta::ColumnMappingMode mode, delta::ColumnKinds& kinds, bool& complete) {
  delta::Predicate out;
  for (const auto& c : p.conjuncts) {
    auto r = resolve(c.column, schema, mode);
    if (!r) {
      complete = false;
      continue;
    }
    delta::ColumnPredicate bound = c;
    bound.column = r->first;
    if (auto kind = delta::stat_kind_for_delta_type(delta::delta_type_name(*r->second)))
      kinds[r->first] = *kind;
    out.conjuncts.push_back(std::move(bound));
  }
  for (const auto& any : p.disjunctions) {
    std::vector<delta::Predicate> branches;
    bool all = true;
    for (const auto& branch : any) {
      bool branch_complete = true;
      branches.push_back(bind(branch, schema, mode, kinds, branch_complete));
      all &= branch_complete && !branches.back().empty();
    }
    if (all)
      out.disjunctions.push_back(std::move(branches));  // an OR with an unknown branch can't skip
    else
      complete = false;
  }
  return out;
}

}  // namespace

Result<std::optional<delta::Predicate>> predicate_from_filter_sql(db::Connection& conn,
                                                                  std::string_view filter_sql) {
  SILT_ASSIGN_OR_RETURN(std::string json,
                        serialize(conn, "SELECT * FROM t WHERE " + std::string(filter_sql)));
  return delta::predicate_from_serialized_select(json);
}

Result<std::optional<delta::Predicate>> predicate_from_single_scan(db::Connection& conn,
                                                                   std::string_view statement) {
  SILT_ASSIGN_OR_RETURN(std::string json, serialize(conn, statement));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) return std::optional<delta::Predicate>();
  simdjson::dom::array statements;
  if (root["statements"].get_array().get(statements) || statements.size() != 1)
    return std::optional<delta::Predicate>();
  auto node = statements.at(0)["node"];
  std::string_view type, from_type, function;
  if (node["type"].get_string().get(type) || type != "SELECT_NODE") return std::optional<delta::Predicate>();
  if (node["from_table"]["type"].get_string().get(from_type) || from_type != "TABLE_FUNCTION" ||
      node["from_table"]["function"]["function_name"].get_string().get(function) ||
      function != "delta_scan") {
    return std::optional<delta::Predicate>();
  }
  return delta::predicate_from_serialized_select(json);
}

Result<std::vector<const delta::AddFile*>> files_to_scan(const delta::Snapshot& snap,
                                                         const delta::StructType& schema,
                                                         delta::ColumnMappingMode mode,
                                                         const delta::Predicate& predicate) {
  std::vector<const delta::AddFile*> out;
  out.reserve(snap.files().size());
  delta::ColumnKinds kinds;
  bool complete = true;
  delta::Predicate bound = bind(predicate, schema, mode, kinds, complete);
  if (bound.empty()) {
    for (const auto& f : snap.files()) out.push_back(&f);
    return out;
  }
  delta::SkippingFilter filter(bound, kinds);
  delta::FileStatsParser parser;
  for (const auto& f : snap.files()) {
    delta::FileStats stats;
    if (!f.stats.empty()) {
      auto parsed = parser.parse(f.stats, filter.stats_columns());
      if (!parsed.ok()) return parsed.error().with_context("stats of " + f.path);
      stats = std::move(*parsed);
    }
    if (filter.may_match(stats, f.partition_values)) out.push_back(&f);
  }
  return out;
}

}  // namespace silt::scan
