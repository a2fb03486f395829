// Scan planning. The generated SQL has this shape:
//   (SELECT <logical columns> FROM read_parquet(getvariable('__silt_files_N'), ...) AS t
//      [JOIN __silt_parts_N AS p ON p.path = t.filename]              -- partition values
//      [ANTI JOIN __silt_dv_N AS d ON d.path = t.filename AND d.row = t.file_row_number]
//    [WHERE <filter>])
// Partition values and DV rows go in through DuckDB's Appender, so the SQL text stays small
// however many files the table has.
#include "scan/delta_scan.h"

#include <algorithm>
#include <map>
#include <set>

#include "delta/dv/deletion_vector.h"
#include "delta/schema/partition_value.h"
#include "delta/schema/read_projection.h"
#include "delta/schema/schema.h"
#include "scan/file_skipping.h"
#include "util/path.h"
#include "util/sql_text.h"

namespace silt::scan {
namespace {

using delta::AddFile;
using delta::ColumnMappingMode;
using delta::StructField;

struct PartitionColumn {
  const StructField* field;
  std::string physical;  // key in partitionValues
};

std::optional<std::string> partition_value(const AddFile& f, const std::string& key) {
  for (const auto& [k, v] : f.partition_values) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// Empty relation with the table's columns, for a snapshot without files.
std::string empty_relation(const delta::StructType& schema, const ScanOptions& options) {
  std::string cols;
  for (const StructField& f : schema.fields) {
    cols += (cols.empty() ? "" : ", ") + std::string("CAST(NULL AS ") + delta::duckdb_type(f.type) + ") AS " +
            quote_ident(f.name);
  }
  for (const std::string& extra : options.extra_file_columns) {
    cols += ", CAST(NULL AS VARCHAR) AS " + quote_ident(extra);
  }
  if (options.with_row_positions) {
    cols +=
        std::string(", CAST(NULL AS VARCHAR) AS ") + kFileColumn + ", CAST(NULL AS BIGINT) AS " + kRowColumn;
  }
  return "(SELECT " + cols + " WHERE false)";
}

// Typed value of a partition column from its serialized text (PROTOCOL.md "Partition Value
// Serialization"): an empty string is null for any type; binary is the raw bytes; a timestamp
// without a zone is UTC, whatever the session's time zone.
Result<std::string> partition_column_expression(const std::string& raw, const delta::DataType& type) {
  std::string v = "NULLIF(" + raw + ", '')";
  if (type.is(delta::PrimitiveKind::String)) return v;
  if (type.is(delta::PrimitiveKind::Binary)) return "encode(" + v + ")";
  if (type.is(delta::PrimitiveKind::Timestamp)) {
    return "CASE WHEN regexp_matches(" + v + ", '(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$') THEN CAST(" + v +
           " AS TIMESTAMPTZ) ELSE timezone('UTC', CAST(" + v + " AS TIMESTAMP)) END";
  }
  if (!type.primitive()) return Error(ErrorKind::Unsupported, "partition column of a nested type");
  return "CAST(" + v + " AS " + delta::duckdb_type(type) + ")";
}

// Fills `table` with one row per file: its path and its partition values, typed once per file
// (not per row) from the serialized text.
Status load_partitions(db::Connection& conn, const std::string& table,
                       const std::vector<const AddFile*>& files, const std::vector<std::string>& paths,
                       const std::vector<PartitionColumn>& parts) {
  std::string raw = table + "_raw";
  std::string ddl = "CREATE OR REPLACE TEMP TABLE " + raw + " (path VARCHAR";
  for (size_t i = 0; i < parts.size(); i++) ddl += ", p" + std::to_string(i) + " VARCHAR";
  SILT_TRY(conn.execute(ddl + ")"));
  SILT_ASSIGN_OR_RETURN(auto app, db::Appender::open(conn, raw));
  for (size_t i = 0; i < files.size(); i++) {
    app.append(paths[i]);
    for (const PartitionColumn& pc : parts) {
      auto v = partition_value(*files[i], pc.physical);
      // Validates the serialized value against the column type before DuckDB sees it.
      auto literal = delta::partition_value_sql(v, pc.field->type);
      if (!literal.ok())
        return literal.error().with_context("partition column " + pc.field->name + " of " + files[i]->path);
      if (v)
        app.append(*v);
      else
        app.append_null();
    }
    SILT_TRY(app.end_row());
  }
  SILT_TRY(app.flush());
  std::string typed = "path";
  for (size_t i = 0; i < parts.size(); i++) {
    std::string col = "p" + std::to_string(i);
    SILT_ASSIGN_OR_RETURN(std::string expr, partition_column_expression(col, parts[i].field->type));
    typed += ", " + expr + " AS " + col;
  }
  SILT_TRY(conn.execute("CREATE OR REPLACE TEMP TABLE " + table + " AS SELECT " + typed + " FROM " + raw +
                        " ORDER BY rowid"));
  return conn.execute("DROP TABLE " + raw);
}

Status load_deletion_vectors(db::Connection& conn, const std::string& table, const std::string& table_root,
                             const std::vector<const AddFile*>& files, const std::vector<std::string>& paths,
                             const Storage& storage) {
  SILT_TRY(conn.execute("CREATE OR REPLACE TEMP TABLE " + table + " (path VARCHAR, row BIGINT)"));
  SILT_ASSIGN_OR_RETURN(auto app, db::Appender::open(conn, table));
  for (size_t i = 0; i < files.size(); i++) {
    if (!files[i]->deletion_vector) continue;
    auto dv = delta::DeletionVector::load(*files[i]->deletion_vector, table_root, storage);
    if (!dv.ok()) return dv.error().with_context("deletion vector of " + files[i]->path);
    for (uint64_t row : dv->rows()) {
      app.append(paths[i]);
      app.append(int64_t(row));
      SILT_TRY(app.end_row());
    }
  }
  return app.flush();
}

// DuckDB's "No files found that match the pattern "X"" means a live file is gone.
Error data_file_error(const Error& e) {
  const std::string& m = e.message();
  auto at = m.find("No files found that match the pattern \"");
  if (at == std::string::npos) return e.with_context("reading data files");
  size_t start = at + 39;
  std::string path = m.substr(start, m.find('"', start) - start);
  return Error(ErrorKind::NotFound, "data file missing: " + path + " (deleted or vacuumed outside the log?)");
}

// Top-level columns present in at least one of the files, with their DuckDB types.
Result<std::map<std::string, std::string>> parquet_columns(db::Connection& conn, const std::string& var) {
  SILT_ASSIGN_OR_RETURN(auto rows, conn.query_text("DESCRIBE SELECT * FROM read_parquet(getvariable(" +
                                                   quote_literal(var) + "), union_by_name = true)"));
  std::map<std::string, std::string> out;
  for (auto& row : rows) {
    if (row.size() > 1 && row[0]) out[*row[0]] = row[1].value_or("");
  }
  return out;
}

// The table's schema and partition columns as a scan reads them.
struct TableLayout {
  delta::StructType schema;
  ColumnMappingMode mode = ColumnMappingMode::None;
  std::vector<PartitionColumn> parts;  // point into schema: keep the layout where it is
};

Status load_layout(const delta::Metadata& metadata, TableLayout& layout) {
  SILT_ASSIGN_OR_RETURN(layout.schema, delta::parse_schema(metadata.schema_string));
  SILT_TRY(delta::check_type_changes(layout.schema));
  SILT_ASSIGN_OR_RETURN(layout.mode, delta::column_mapping_mode(metadata.configuration));
  for (const std::string& name : metadata.partition_columns) {
    const StructField* f = delta::find_field(layout.schema, name);
    if (!f) return Error(ErrorKind::Corruption, "partition column " + name + " is not in the table schema");
    SILT_ASSIGN_OR_RETURN(std::string phys, delta::physical_name(*f, layout.mode));
    layout.parts.push_back({f, std::move(phys)});
  }
  return ok_status();
}

// The SQL over exactly `files`, each read minus its own deletion vector.
Result<std::string> files_sql(db::Connection& conn, const Storage& storage, const std::string& table_root,
                              const TableLayout& layout, const std::vector<const AddFile*>& files,
                              const ScanOptions& options, int scan_id) {
  const auto& [schema, mode, parts] = layout;
  if (files.empty()) return empty_relation(schema, options);

  std::vector<std::string> paths;
  paths.reserve(files.size());
  bool any_dv = false;
  for (const AddFile* f : files) {
    SILT_ASSIGN_OR_RETURN(std::string p, resolve_log_path(table_root, f->path));
    paths.push_back(std::move(p));
    any_dv |= f->deletion_vector.has_value();
  }

  std::string id = std::to_string(scan_id);
  std::string files_table = "__silt_files_" + id;
  std::string dv_table = "__silt_dv_" + id;
  std::string var = "__silt_files_" + id;
  if (parts.empty() && paths.size() <= 1000) {
    // Small and unpartitioned: the list goes in directly, saving the temp table round trips.
    SILT_TRY(conn.execute("SET VARIABLE " + var + " = " + string_list_literal(paths)));
  } else {
    SILT_TRY(load_partitions(conn, files_table, files, paths, parts));
    SILT_TRY(conn.execute("SET VARIABLE " + var + " = (SELECT list(path ORDER BY rowid) FROM " + files_table +
                          ")"));
  }
  if (any_dv) SILT_TRY(load_deletion_vectors(conn, dv_table, table_root, files, paths, storage));

  auto present = parquet_columns(conn, var);
  if (!present.ok()) return data_file_error(present.error());
  std::string cols;
  for (const StructField& f : schema.fields) {
    std::string expr;
    auto part =
        std::find_if(parts.begin(), parts.end(), [&](const PartitionColumn& pc) { return pc.field == &f; });
    SILT_ASSIGN_OR_RETURN(std::string phys, delta::physical_name(f, mode));
    if (part != parts.end()) {
      expr = "p.p" + std::to_string(part - parts.begin());
    } else if (!present->count(phys)) {
      // Columns added after these files were written read as null (PROTOCOL.md, writer rules).
      expr = "CAST(NULL AS " + delta::duckdb_type(f.type) + ")";
    } else if (f.type.is(delta::PrimitiveKind::Timestamp) && present->at(phys) == "TIMESTAMP") {
      // Zone-less parquet timestamps (Spark's INT96) hold UTC instants: read them as UTC,
      // whatever the session's time zone.
      expr = "timezone('UTC', t." + quote_ident(phys) + ")";
    } else {
      SILT_ASSIGN_OR_RETURN(expr, delta::read_expression(f, mode, "t"));
    }
    cols += (cols.empty() ? "" : ", ") + expr + " AS " + quote_ident(f.name);
  }
  for (const std::string& extra : options.extra_file_columns) {
    if (!present->count(extra)) {
      return Error(ErrorKind::Corruption, "column " + extra + " is missing from " + paths.front() +
                                              (paths.size() > 1 ? " and the files read with it" : ""));
    }
    cols += ", t." + quote_ident(extra);
  }
  bool positions = options.with_row_positions;
  if (positions) {
    cols += std::string(", t.filename AS ") + kFileColumn + ", t.file_row_number AS " + kRowColumn;
  }
  std::string sql = "(SELECT " + cols + " FROM read_parquet(getvariable(" + quote_literal(var) +
                    "), union_by_name = true" +
                    (parts.empty() && !any_dv && !positions ? "" : ", filename = true") +
                    (any_dv || positions ? ", file_row_number = true" : "") + ") AS t";
  if (!parts.empty()) sql += " JOIN " + files_table + " AS p ON p.path = t.filename";
  if (any_dv) sql += " ANTI JOIN " + dv_table + " AS d ON d.path = t.filename AND d.row = t.file_row_number";
  sql += ")";
  if (!options.filter_sql.empty()) sql = "(SELECT * FROM " + sql + " WHERE " + options.filter_sql + ")";
  return sql;
}

}  // namespace

Result<ScanPlan> plan_scan(db::Connection& conn, const Storage& storage, const delta::Snapshot& snap,
                           const ScanOptions& options, int scan_id) {
  if (snap.metadata().schema_string.empty()) {
    return Error(ErrorKind::InvalidArgument,
                 "the table has no schema yet at version " + std::to_string(snap.version()));
  }
  TableLayout layout;
  SILT_TRY(load_layout(snap.metadata(), layout));
  ScanPlan plan;
  plan.files_total = snap.files().size();

  delta::Predicate predicate = options.skip_predicate.value_or(delta::Predicate{});
  if (!options.filter_sql.empty()) {
    SILT_ASSIGN_OR_RETURN(auto filter, predicate_from_filter_sql(conn, options.filter_sql));
    if (filter) {
      predicate.conjuncts.insert(predicate.conjuncts.end(), filter->conjuncts.begin(),
                                 filter->conjuncts.end());
      predicate.disjunctions.insert(predicate.disjunctions.end(), filter->disjunctions.begin(),
                                    filter->disjunctions.end());
    }
  }
  SILT_ASSIGN_OR_RETURN(std::vector<const AddFile*> files,
                        files_to_scan(snap, layout.schema, layout.mode, predicate));
  if (options.only_paths) {
    std::erase_if(files, [&](const AddFile* f) { return !options.only_paths->count(f->path); });
  }
  plan.files_scanned = files.size();
  SILT_ASSIGN_OR_RETURN(plan.sql,
                        files_sql(conn, storage, snap.table_root(), layout, files, options, scan_id));
  return plan;
}

Result<ScanPlan> plan_files_scan(db::Connection& conn, const Storage& storage, const std::string& table_root,
                                 const delta::Metadata& metadata, std::span<const delta::AddFile> files,
                                 const ScanOptions& options, int scan_id) {
  if (metadata.schema_string.empty()) return Error(ErrorKind::InvalidArgument, "the table has no schema");
  TableLayout layout;
  SILT_TRY(load_layout(metadata, layout));
  std::vector<const AddFile*> chosen;
  for (const AddFile& f : files) {
    if (!options.only_paths || options.only_paths->count(f.path)) chosen.push_back(&f);
  }
  ScanPlan plan;
  plan.files_total = files.size();
  plan.files_scanned = chosen.size();
  SILT_ASSIGN_OR_RETURN(plan.sql, files_sql(conn, storage, table_root, layout, chosen, options, scan_id));
  return plan;
}

}  // namespace silt::scan
