// The data writer: SQL for DuckDB's COPY ... TO (cast, rename, partition), decoding of what
// RETURN_STATS reports, and the Delta stats JSON. DuckDB's statistics are re-read and re-written,
// never passed through: a value that cannot be read exactly is left out. Stateless functions.
#include "ops/data_writer.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "delta/schema/read_projection.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/uuid.h"

namespace silt::ops {
namespace {

using delta::ColumnMappingMode;
using delta::DataType;
using delta::PrimitiveKind;
using delta::PrimitiveType;
using delta::StructField;
using delta::StructType;

// ---- DuckDB C handles and result vectors ----

struct DestroyPrepared {
  void operator()(_duckdb_prepared_statement* p) const { duckdb_destroy_prepare(&p); }
};
struct DestroyLogicalType {
  void operator()(_duckdb_logical_type* t) const { duckdb_destroy_logical_type(&t); }
};
struct DestroyChunk {
  void operator()(_duckdb_data_chunk* c) const { duckdb_destroy_data_chunk(&c); }
};
using Prepared = std::unique_ptr<_duckdb_prepared_statement, DestroyPrepared>;
using LogicalType = std::unique_ptr<_duckdb_logical_type, DestroyLogicalType>;
using Chunk = std::unique_ptr<_duckdb_data_chunk, DestroyChunk>;

// Copies and frees a string DuckDB allocated.
std::string take_string(const char* s) {
  std::string out = s ? s : "";
  duckdb_free(const_cast<char*>(s));
  return out;
}

std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  return message;
}

bool is_valid(duckdb_vector v, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(v);
  return !validity || duckdb_validity_row_is_valid(validity, row);
}

std::string text_at(duckdb_vector v, idx_t row) {
  auto* s = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v)) + row;
  return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

// Calls visit(key, values_vector, index) for each entry of the MAP(VARCHAR, ...) at `row`.
template <class Visit>
void for_each_map_entry(duckdb_vector map, idx_t row, Visit visit) {
  if (!is_valid(map, row)) return;
  duckdb_list_entry entry = static_cast<duckdb_list_entry*>(duckdb_vector_get_data(map))[row];
  duckdb_vector entries = duckdb_list_vector_get_child(map);
  duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
  duckdb_vector values = duckdb_struct_vector_get_child(entries, 1);
  for (idx_t i = entry.offset; i < entry.offset + entry.length; ++i) visit(text_at(keys, i), values, i);
}

std::string as_subquery(std::string_view sql) { return subquery(sql) + " AS __silt_source"; }

struct QueryColumn {
  std::string name;
  LogicalType type;
};

// Binds (never runs) the query and returns its columns.
Result<std::vector<QueryColumn>> bind_query(db::Connection& conn, std::string_view select_sql) {
  std::string sql = "SELECT * FROM " + as_subquery(select_sql);
  duckdb_prepared_statement raw = nullptr;
  duckdb_state state = duckdb_prepare(conn.raw(), sql.c_str(), &raw);
  Prepared prepared(raw);
  if (state != DuckDBSuccess) {
    const char* err = raw ? duckdb_prepare_error(raw) : nullptr;
    std::string message = one_line(err ? err : "cannot bind the query");
    // As db::Connection::query does: a missing input file is Io, anything else bad SQL.
    return Error(message.starts_with("IO Error") ? ErrorKind::Io : ErrorKind::InvalidArgument, message);
  }
  std::vector<QueryColumn> columns;
  for (idx_t i = 0; i < duckdb_prepared_statement_column_count(raw); ++i) {
    columns.push_back({take_string(duckdb_prepared_statement_column_name(raw, i)),
                       LogicalType(duckdb_prepared_statement_column_logical_type(raw, i))});
  }
  return columns;
}

// ---- DuckDB types -> Delta types ----
// Names need no check: DuckDB already keeps a query's column names and a struct's field names unique
// ignoring case, as Delta requires (it renames a second "A" to "A_1" and refuses duplicate fields).

// A nullable field without metadata: what a query column becomes.
StructField query_field(std::string name, DataType type) {
  return StructField{std::move(name), std::move(type), true, "{}", std::nullopt, std::nullopt};
}

std::optional<DataType> delta_primitive(duckdb_type id) {
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
      return DataType(PrimitiveKind::Boolean);
    case DUCKDB_TYPE_TINYINT:
      return DataType(PrimitiveKind::Byte);
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
      return DataType(PrimitiveKind::Short);
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
      return DataType(PrimitiveKind::Integer);
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
      return DataType(PrimitiveKind::Long);
    case DUCKDB_TYPE_UBIGINT:
      return DataType::decimal(20, 0);  // every UBIGINT fits 20 digits
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      return DataType::decimal(38, 0);  // e.g. sum(BIGINT); casts check range
    case DUCKDB_TYPE_FLOAT:
      return DataType(PrimitiveKind::Float);
    case DUCKDB_TYPE_DOUBLE:
      return DataType(PrimitiveKind::Double);
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_ENUM:
    case DUCKDB_TYPE_UUID:
      return DataType(PrimitiveKind::String);
    case DUCKDB_TYPE_BLOB:
      return DataType(PrimitiveKind::Binary);
    case DUCKDB_TYPE_DATE:
      return DataType(PrimitiveKind::Date);
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return DataType(PrimitiveKind::Timestamp);
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return DataType(PrimitiveKind::TimestampNtz);
    default:
      return std::nullopt;
  }
}

std::string duckdb_type_name(duckdb_type id) {
  switch (id) {
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIME_TZ:
      return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIME_NS:
      return "TIME_NS";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_UNION:
      return "UNION";
    case DUCKDB_TYPE_BIT:
      return "BIT";
    case DUCKDB_TYPE_BIGNUM:
      return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL:
      return "NULL (untyped)";
    default:
      return fmt::format("#{}", static_cast<int>(id));
  }
}

Result<DataType> delta_type_of(duckdb_logical_type type, const std::string& column);

Result<DataType> delta_struct_of(duckdb_logical_type type, const std::string& column) {
  StructType out;
  for (idx_t i = 0; i < duckdb_struct_type_child_count(type); ++i) {
    std::string name = take_string(duckdb_struct_type_child_name(type, i));
    LogicalType child(duckdb_struct_type_child_type(type, i));
    SILT_ASSIGN_OR_RETURN(DataType child_type, delta_type_of(child.get(), column + "." + name));
    out.fields.push_back(query_field(name, std::move(child_type)));
  }
  return DataType(std::move(out));
}

Result<DataType> delta_array_of(LogicalType element, const std::string& column) {
  SILT_ASSIGN_OR_RETURN(DataType element_type, delta_type_of(element.get(), column + ".element"));
  return DataType(delta::ArrayType{std::move(element_type)});
}

Result<DataType> delta_map_of(duckdb_logical_type type, const std::string& column) {
  LogicalType key(duckdb_map_type_key_type(type));
  LogicalType value(duckdb_map_type_value_type(type));
  SILT_ASSIGN_OR_RETURN(DataType key_type, delta_type_of(key.get(), column + ".key"));
  SILT_ASSIGN_OR_RETURN(DataType value_type, delta_type_of(value.get(), column + ".value"));
  return DataType(delta::MapType{std::move(key_type), std::move(value_type)});
}

Result<DataType> delta_type_of(duckdb_logical_type type, const std::string& column) {
  duckdb_type id = duckdb_get_type_id(type);
  if (std::optional<DataType> primitive = delta_primitive(id)) return *primitive;
  switch (id) {
    case DUCKDB_TYPE_DECIMAL:
      return DataType::decimal(duckdb_decimal_width(type), duckdb_decimal_scale(type));
    case DUCKDB_TYPE_STRUCT:
      return delta_struct_of(type, column);
    case DUCKDB_TYPE_LIST:
      return delta_array_of(LogicalType(duckdb_list_type_child_type(type)), column);
    case DUCKDB_TYPE_ARRAY:
      return delta_array_of(LogicalType(duckdb_array_type_child_type(type)), column);
    case DUCKDB_TYPE_MAP:
      return delta_map_of(type, column);
    default:
      return Error(ErrorKind::Unsupported,
                   fmt::format("column '{}' has DuckDB type {}, which no Delta type holds; cast it", column,
                               duckdb_type_name(id)));
  }
}

// ---- the SELECT that COPY writes ----

// Query column feeding each schema field (nullopt: written as NULL).
Result<std::vector<std::optional<std::string>>> match_query_columns(const StructType& schema,
                                                                    const std::vector<QueryColumn>& query) {
  std::vector<std::optional<std::string>> sources(schema.fields.size());
  std::string unknown;
  for (const QueryColumn& column : query) {
    const StructField* field = delta::find_field(schema, column.name);
    if (!field) {
      unknown += (unknown.empty() ? "'" : ", '") + column.name + "'";
      continue;
    }
    sources[field - schema.fields.data()] = column.name;  // one at most: both sides are case-unique
  }
  if (!unknown.empty()) {
    return Error(ErrorKind::InvalidArgument, "query column(s) not in the table schema: " + unknown);
  }
  return sources;
}

// The source value cast to the column's logical DuckDB type; NULL in a non-nullable column fails.
std::string typed_value(const StructField& field, const std::optional<std::string>& source) {
  std::string type = delta::duckdb_type(field.type);
  if (!source) return fmt::format("CAST(NULL AS {})", type);
  std::string value = fmt::format("CAST(__silt_source.{} AS {})", quote_ident(*source), type);
  if (field.nullable) return value;
  std::string message = "NULL value in non-nullable column " + field.name;
  return fmt::format("coalesce({}, error({}))", value, quote_literal(message));
}

// Rewrites an expression of the logical type into the file type: nested struct fields renamed to
// their physical names (the inverse of read_expression's renaming). struct_pack alone would turn a
// NULL struct into a struct of NULLs, hence the CASE; lambda variables are named by depth.
Result<std::string> with_file_names(const std::string& expr, const DataType& type, ColumnMappingMode mode,
                                    int depth) {
  SILT_ASSIGN_OR_RETURN(std::string file_type, delta::file_duckdb_type(type, mode));
  if (file_type == delta::duckdb_type(type)) return expr;
  std::string var = fmt::format("silt_w{}", depth);
  if (const StructType* s = type.struct_type()) {
    std::string fields;
    for (const StructField& field : s->fields) {
      SILT_ASSIGN_OR_RETURN(std::string physical, delta::physical_name(field, mode));
      std::string child = fmt::format("struct_extract({}, {})", expr, quote_literal(field.name));
      SILT_ASSIGN_OR_RETURN(std::string renamed, with_file_names(child, field.type, mode, depth));
      fields += fmt::format("{}{} := {}", fields.empty() ? "" : ", ", quote_ident(physical), renamed);
    }
    return fmt::format("CASE WHEN {} IS NULL THEN NULL ELSE struct_pack({}) END", expr, fields);
  }
  if (const delta::ArrayType* a = type.array_type()) {
    SILT_ASSIGN_OR_RETURN(std::string element, with_file_names(var, *a->element_type, mode, depth + 1));
    return fmt::format("list_transform({}, lambda {}: {})", expr, var, element);
  }
  const delta::MapType& m = *type.map_type();
  SILT_ASSIGN_OR_RETURN(std::string key, with_file_names(var + ".\"key\"", *m.key_type, mode, depth + 1));
  SILT_ASSIGN_OR_RETURN(std::string value,
                        with_file_names(var + ".\"value\"", *m.value_type, mode, depth + 1));
  return fmt::format(
      "map_from_entries(list_transform(map_entries({}), "
      "lambda {}: struct_pack(\"key\" := {}, \"value\" := {})))",
      expr, var, key, value);
}

// The partition value as PROTOCOL.md serializes it, computed by DuckDB so that the hive directory
// and RETURN_STATS's partition_keys carry it verbatim; NULL stays NULL (__HIVE_DEFAULT_PARTITION__).
Result<std::string> partition_text(const StructField& field, const std::string& typed) {
  const PrimitiveType* p = field.type.primitive();
  if (!p || p->kind == PrimitiveKind::Binary || p->kind == PrimitiveKind::Void) {
    return Error(ErrorKind::Unsupported, fmt::format("cannot partition by column '{}' of type {}", field.name,
                                                     delta::delta_type_name(field.type)));
  }
  switch (p->kind) {
    case PrimitiveKind::String:
      return fmt::format("NULLIF({}, '')", typed);  // "" reads as null anyway
    case PrimitiveKind::Timestamp:
      return fmt::format("strftime(timezone('UTC', {}), '%Y-%m-%d %H:%M:%S.%f')", typed);
    case PrimitiveKind::TimestampNtz:
      return fmt::format("strftime({}, '%Y-%m-%d %H:%M:%S.%f')", typed);
    case PrimitiveKind::Float:
    case PrimitiveKind::Double:  // Java's names for the non-finite values
      return fmt::format(
          "CASE CAST({0} AS VARCHAR) WHEN 'nan' THEN 'NaN' WHEN 'inf' THEN 'Infinity' WHEN '-inf' THEN "
          "'-Infinity' ELSE CAST({0} AS VARCHAR) END",
          typed);
    default:
      return fmt::format("CAST({} AS VARCHAR)", typed);  // integers, decimals, true/false, dates
  }
}

// DuckDB's FIELD_IDS entry for a field: its id, or {'__duckdb_field_id': id, child: ...} when
// something inside has ids too; "" when nothing does.
Result<std::string> field_ids_entry(std::optional<int64_t> id, const DataType& type, ColumnMappingMode mode);

std::string ids_object(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  for (const auto& [key, value] : entries) {
    if (!value.empty()) out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", quote_literal(key), value);
  }
  return out.empty() ? "" : "{" + out + "}";
}

Result<std::string> field_ids_of(const std::vector<const StructField*>& fields, ColumnMappingMode mode) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const StructField* field : fields) {
    SILT_ASSIGN_OR_RETURN(std::string physical, delta::physical_name(*field, mode));
    SILT_ASSIGN_OR_RETURN(std::string entry, field_ids_entry(field->field_id, field->type, mode));
    entries.emplace_back(std::move(physical), std::move(entry));
  }
  return ids_object(entries);
}

Result<std::string> child_field_ids(const DataType& type, ColumnMappingMode mode) {
  if (const StructType* s = type.struct_type()) {
    std::vector<const StructField*> fields;
    for (const StructField& field : s->fields) fields.push_back(&field);
    return field_ids_of(fields, mode);
  }
  std::vector<std::pair<std::string, std::string>> entries;
  if (const delta::ArrayType* a = type.array_type()) {
    SILT_ASSIGN_OR_RETURN(std::string element, field_ids_entry(std::nullopt, *a->element_type, mode));
    entries.emplace_back("element", std::move(element));
  } else if (const delta::MapType* m = type.map_type()) {
    SILT_ASSIGN_OR_RETURN(std::string key, field_ids_entry(std::nullopt, *m->key_type, mode));
    SILT_ASSIGN_OR_RETURN(std::string value, field_ids_entry(std::nullopt, *m->value_type, mode));
    entries.emplace_back("key", std::move(key));
    entries.emplace_back("value", std::move(value));
  }
  return ids_object(entries);
}

Result<std::string> field_ids_entry(std::optional<int64_t> id, const DataType& type, ColumnMappingMode mode) {
  SILT_ASSIGN_OR_RETURN(std::string children, child_field_ids(type, mode));
  if (!id) return children;
  if (children.empty()) return std::to_string(*id);
  return fmt::format("{{'__duckdb_field_id': {}, {}", *id, children.substr(1));
}

// What one write sends to COPY, and how to read its results back.
struct WritePlan {
  std::string select;                           // the SELECT over the user's query
  std::vector<std::string> partition_columns;   // physical names, in PARTITION_BY order
  std::string field_ids;                        // FIELD_IDS value, "" for none
  std::vector<const StructField*> data_fields;  // the columns stored in the files
};

Result<std::vector<const StructField*>> partition_fields(const StructType& schema,
                                                         const std::vector<std::string>& names) {
  std::vector<const StructField*> fields;
  for (const std::string& name : names) {
    const StructField* field = delta::find_field(schema, name);
    if (!field) {
      return Error(ErrorKind::InvalidArgument,
                   fmt::format("partition column '{}' is not in the schema", name));
    }
    if (std::find(fields.begin(), fields.end(), field) != fields.end()) {
      return Error(ErrorKind::InvalidArgument, fmt::format("partition column '{}' is listed twice", name));
    }
    fields.push_back(field);
  }
  if (fields.size() == schema.fields.size()) {
    return Error(ErrorKind::InvalidArgument, "cannot use all columns as partition columns");
  }
  return fields;
}

Result<WritePlan> plan_write(db::Connection& conn, const std::string& select_sql, const StructType& schema,
                             const DataWriteOptions& options) {
  SILT_ASSIGN_OR_RETURN(std::vector<QueryColumn> query, bind_query(conn, select_sql));
  SILT_ASSIGN_OR_RETURN(auto sources, match_query_columns(schema, query));
  SILT_ASSIGN_OR_RETURN(auto partitions, partition_fields(schema, options.partition_columns));
  WritePlan plan;
  plan.partition_columns.resize(partitions.size());
  std::vector<std::string> data_selects, partition_selects(partitions.size());
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const StructField& field = schema.fields[i];
    if (!field.nullable && !sources[i]) {
      return Error(ErrorKind::InvalidArgument,
                   "non-nullable column '" + field.name + "' is not in the query");
    }
    SILT_ASSIGN_OR_RETURN(std::string physical, delta::physical_name(field, options.mapping));
    std::string typed = typed_value(field, sources[i]);
    auto partition = std::find(partitions.begin(), partitions.end(), &field);
    if (partition != partitions.end()) {
      SILT_ASSIGN_OR_RETURN(std::string text, partition_text(field, typed));
      partition_selects[partition - partitions.begin()] = text + " AS " + quote_ident(physical);
      plan.partition_columns[partition - partitions.begin()] = physical;
    } else if (!field.type.is(PrimitiveKind::Void)) {  // void columns are never stored in files
      SILT_ASSIGN_OR_RETURN(std::string value, with_file_names(typed, field.type, options.mapping, 1));
      data_selects.push_back(value + " AS " + quote_ident(physical));
      plan.data_fields.push_back(&field);
    }
  }
  if (options.mapping != ColumnMappingMode::None) {
    SILT_ASSIGN_OR_RETURN(plan.field_ids, field_ids_of(plan.data_fields, options.mapping));
  }
  std::string columns;
  for (const auto* list : {&data_selects, &partition_selects}) {
    for (const std::string& c : *list) columns += (columns.empty() ? "" : ", ") + c;
  }
  plan.select = fmt::format("SELECT {} FROM {}", columns, as_subquery(select_sql));
  return plan;
}

// COPY of `query` into `directory`; `layout` is PARTITION_BY (...) or FILE_SIZE_BYTES n (DuckDB
// cannot combine the two). APPEND never overwrites: it allows a non-empty directory and picks
// fresh names on the (uuid-improbable) clash.
std::string copy_statement(const std::string& query, const std::string& directory, const std::string& layout,
                           const WritePlan& plan, const DataWriteOptions& options) {
  std::string field_ids = plan.field_ids.empty() ? "" : ", FIELD_IDS " + plan.field_ids;
  std::string row_groups =
      options.row_group_rows > 0 ? fmt::format(", ROW_GROUP_SIZE {}", options.row_group_rows) : "";
  return fmt::format(
      "COPY ({}) TO {} (FORMAT parquet, COMPRESSION {}, RETURN_STATS, APPEND, "
      "FILENAME_PATTERN '{}-{{uuid}}', {}{}{})",
      query, quote_literal(directory), options.compression, options.file_prefix, layout, field_ids,
      row_groups);
}

std::string size_layout(const DataWriteOptions& options) {
  return fmt::format("FILE_SIZE_BYTES {}", options.target_file_size);
}

// ---- what COPY ... RETURN_STATS reports ----

struct WrittenFile {
  std::string filename;  // the COPY target joined with the file's relative path
  int64_t count = 0;
  int64_t size = 0;
  // Column key as DuckDB writes it ("a"."b") -> statistic (min, max, null_count, has_nan, ...) -> text.
  std::map<std::string, std::map<std::string, std::string>> column_stats;
  std::map<std::string, std::optional<std::string>> partition_keys;  // NULL value -> nullopt
};

Result<idx_t> column_index(db::QueryResult& result, std::string_view name) {
  for (idx_t i = 0; i < result.column_count(); ++i) {
    if (result.column_name(i) == name) return i;
  }
  return Error(ErrorKind::Internal, fmt::format("COPY ... RETURN_STATS returned no column {}", name));
}

int64_t integer_at(duckdb_vector v, idx_t row) {
  LogicalType type(duckdb_vector_get_column_type(v));
  void* data = duckdb_vector_get_data(v);
  return duckdb_get_type_id(type.get()) == DUCKDB_TYPE_UBIGINT
             ? static_cast<int64_t>(static_cast<uint64_t*>(data)[row])
             : static_cast<int64_t*>(data)[row];
}

WrittenFile written_file(duckdb_data_chunk chunk, idx_t row, const idx_t (&cols)[5]) {
  WrittenFile file;
  file.filename = text_at(duckdb_data_chunk_get_vector(chunk, cols[0]), row);
  file.count = integer_at(duckdb_data_chunk_get_vector(chunk, cols[1]), row);
  file.size = integer_at(duckdb_data_chunk_get_vector(chunk, cols[2]), row);
  for_each_map_entry(duckdb_data_chunk_get_vector(chunk, cols[3]), row,
                     [&](std::string column, duckdb_vector stats, idx_t index) {
                       auto& out = file.column_stats[std::move(column)];
                       for_each_map_entry(stats, index, [&](std::string name, duckdb_vector values, idx_t i) {
                         if (is_valid(values, i)) out[std::move(name)] = text_at(values, i);
                       });
                     });
  for_each_map_entry(duckdb_data_chunk_get_vector(chunk, cols[4]), row,
                     [&](std::string key, duckdb_vector values, idx_t i) {
                       file.partition_keys[std::move(key)] =
                           is_valid(values, i) ? std::optional(text_at(values, i)) : std::nullopt;
                     });
  return file;
}

Result<std::vector<WrittenFile>> run_copy(db::Connection& conn, const std::string& copy_sql) {
  SILT_ASSIGN_OR_RETURN(db::QueryResult result, conn.query(copy_sql));
  idx_t cols[5];
  const char* names[5] = {"filename", "count", "file_size_bytes", "column_statistics", "partition_keys"};
  for (int i = 0; i < 5; ++i) {
    SILT_ASSIGN_OR_RETURN(cols[i], column_index(result, names[i]));
  }
  std::vector<WrittenFile> files;
  while (Chunk chunk = Chunk(duckdb_fetch_chunk(*result.raw()))) {
    for (idx_t row = 0; row < duckdb_data_chunk_get_size(chunk.get()); ++row) {
      files.push_back(written_file(chunk.get(), row, cols));
    }
  }
  return files;
}

// DuckDB cannot rotate files while partitioning: a partition file above the target is rewritten
// into target-sized files next to it (streaming, as the first write), then removed.
Result<std::vector<WrittenFile>> split_large_files(db::Connection& conn, std::vector<WrittenFile> files,
                                                   const WritePlan& plan, const DataWriteOptions& options) {
  std::vector<WrittenFile> out;
  for (WrittenFile& file : files) {
    if (file.size <= options.target_file_size) {
      out.push_back(std::move(file));
      continue;
    }
    std::string query = fmt::format("SELECT * FROM read_parquet({}, hive_partitioning = false)",
                                    quote_literal(file.filename));
    std::string directory = std::filesystem::path(file.filename).parent_path().string();
    SILT_ASSIGN_OR_RETURN(
        auto parts, run_copy(conn, copy_statement(query, directory, size_layout(options), plan, options)));
    for (WrittenFile& part : parts) {
      part.partition_keys = file.partition_keys;
      out.push_back(std::move(part));
    }
    std::error_code ignored;  // not referenced by any add: at worst an orphan for vacuum
    std::filesystem::remove(file.filename, ignored);
  }
  return out;
}

// ---- statistics values: DuckDB's text -> Delta's JSON ----

enum class Bound { Min, Max };

constexpr size_t kStringPrefixChars = 32;                  // Spark's delta.dataSkippingStringPrefixLength
constexpr std::string_view kMaxUtf8 = "\xF4\x8F\xBF\xBF";  // U+10FFFF, the greatest UTF-8 sequence

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_integer_text(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return all_digits(s);
}

bool is_decimal_text(std::string_view s) {
  size_t dot = s.find('.');
  return is_integer_text(s.substr(0, dot)) &&
         (dot == std::string_view::npos || all_digits(s.substr(dot + 1)));
}

// A finite floating-point value in the shortest text that reads back as exactly that double; a
// float is written as its exact double value, so the bound holds whether a reader parses it as
// float or as double. Integral values keep a ".0" so that they stay floating-point in JSON.
template <class Float>
std::optional<std::string> floating_json(std::string_view text) {
  Float value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  char buf[40];
  auto written = std::to_chars(buf, buf + sizeof buf, static_cast<double>(value));
  std::string out(buf, written.ptr);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

std::optional<std::string> boolean_json(std::string_view text) {
  if (text == "1" || text == "true") return "true";
  if (text == "0" || text == "false") return "false";
  return std::nullopt;
}

// Byte offset after the first `chars` UTF-8 characters (the size when the string is shorter).
size_t utf8_prefix_bytes(std::string_view s, size_t chars) {
  size_t pos = 0;
  for (size_t i = 0; i < chars && pos < s.size(); ++i) {
    unsigned char lead = static_cast<unsigned char>(s[pos]);
    pos += lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  }
  return std::min(pos, s.size());
}

// Delta's truncateMaxStringAgg: the prefix plus a tie-breaker greater than the character cut at,
// so the result stays above every value: DEL (0x7F) after an ASCII character below it, else
// U+10FFFF (a cut at U+10FFFF itself extends the prefix). Gives up (no max) past 64 characters.
std::optional<std::string> truncated_max(std::string_view s, size_t cut) {
  for (size_t chars = kStringPrefixChars; chars <= 2 * kStringPrefixChars; ++chars) {
    if (cut >= s.size()) return std::string(s);
    if (s.substr(cut, kMaxUtf8.size()) == kMaxUtf8) {
      cut += kMaxUtf8.size();
      continue;
    }
    std::string out(s.substr(0, cut));
    out += static_cast<unsigned char>(s[cut]) < 0x7F ? std::string_view("\x7F") : kMaxUtf8;
    return out;
  }
  return std::nullopt;
}

// Strings are cut to 32 characters as Spark does: a prefix is still a lower bound for the min.
std::optional<std::string> string_json(std::string_view text, Bound bound) {
  if (!simdjson::validate_utf8(text.data(), text.size())) return std::nullopt;
  size_t cut = utf8_prefix_bytes(text, kStringPrefixChars);
  if (cut == text.size()) return json_quote(text);
  if (bound == Bound::Min) return json_quote(text.substr(0, cut));
  std::optional<std::string> max = truncated_max(text, cut);
  return max ? std::optional(json_quote(*max)) : std::nullopt;
}

// Reads exactly `count` digits at `pos`.
bool read_digits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size() || !all_digits(s.substr(pos, count))) return false;
  std::from_chars(s.data() + pos, s.data() + pos + count, out);
  pos += count;
  return true;
}

bool read_char(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" at `pos` as days since the epoch, for a real calendar day.
std::optional<int64_t> read_date(std::string_view s, size_t& pos) {
  int year = 0, month = 0, day = 0;
  if (!read_digits(s, pos, 4, year) || !read_char(s, pos, '-') || !read_digits(s, pos, 2, month) ||
      !read_char(s, pos, '-') || !read_digits(s, pos, 2, day)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

// ".ffffff" (1 to 9 digits) at `pos` as microseconds, digits past the sixth dropped.
int64_t read_fraction_micros(std::string_view s, size_t& pos) {
  if (!read_char(s, pos, '.')) return 0;
  int64_t micros = 0;
  for (int i = 0; pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])); ++i, ++pos) {
    if (i < 6) micros = micros * 10 + (s[pos] - '0');
  }
  return micros;
}

// DuckDB's text of a TIMESTAMP or TIMESTAMP WITH TIME ZONE ("YYYY-MM-DD HH:MM:SS[.f][+HH[:MM]]") as
// microseconds since the epoch in UTC. nullopt for anything else (BC, 5-digit years, infinity).
std::optional<int64_t> timestamp_micros(std::string_view s) {
  size_t pos = 0;
  std::optional<int64_t> days = read_date(s, pos);
  int hour = 0, minute = 0, second = 0, offset_hours = 0, offset_minutes = 0;
  if (!days || !read_char(s, pos, ' ') || !read_digits(s, pos, 2, hour) || !read_char(s, pos, ':') ||
      !read_digits(s, pos, 2, minute) || !read_char(s, pos, ':') || !read_digits(s, pos, 2, second)) {
    return std::nullopt;
  }
  int64_t micros = ((*days * 24 + hour) * 60 + minute) * 60 + second;
  micros = micros * 1'000'000 + read_fraction_micros(s, pos);
  if (pos < s.size()) {
    int sign = s[pos] == '-' ? -1 : 1;
    if ((s[pos] != '+' && s[pos] != '-') || !read_digits(s, ++pos, 2, offset_hours)) return std::nullopt;
    if (read_char(s, pos, ':') && !read_digits(s, pos, 2, offset_minutes)) return std::nullopt;
    if (pos != s.size()) return std::nullopt;
    micros -= sign * (offset_hours * 60 + offset_minutes) * 60 * int64_t{1'000'000};
  }
  return micros;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// Delta's stats timestamps have milliseconds: the min rounds down and the max up, so both still
// bound every value. "2024-01-01T10:00:00.123Z", without the Z for timestamp_ntz.
std::optional<std::string> timestamp_json(std::string_view text, bool utc, Bound bound) {
  std::optional<int64_t> micros = timestamp_micros(text);
  if (!micros) return std::nullopt;
  int64_t ms = bound == Bound::Min ? floor_div(*micros, 1000) : -floor_div(-*micros, 1000);
  int64_t days = floor_div(ms, 86'400'000);
  int64_t in_day = ms - days * 86'400'000;
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return std::nullopt;
  return fmt::format("\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}\"", year,
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), in_day / 3'600'000,
                     in_day / 60'000 % 60, in_day / 1000 % 60, in_day % 1000, utc ? "Z" : "");
}

std::optional<std::string> date_json(std::string_view text) {
  size_t pos = 0;
  if (!read_date(text, pos) || pos != text.size()) return std::nullopt;
  return json_quote(text);
}

// The JSON of a min or max as DuckDB printed it, or nullopt when no exact bound can be given.
std::optional<std::string> bound_json(std::string_view text, const PrimitiveType& type, Bound bound) {
  switch (type.kind) {
    case PrimitiveKind::Byte:
    case PrimitiveKind::Short:
    case PrimitiveKind::Integer:
    case PrimitiveKind::Long:
      return is_integer_text(text) ? std::optional(std::string(text)) : std::nullopt;
    case PrimitiveKind::Decimal:
      return is_decimal_text(text) ? std::optional(std::string(text)) : std::nullopt;
    case PrimitiveKind::Float:
      return floating_json<float>(text);
    case PrimitiveKind::Double:
      return floating_json<double>(text);
    case PrimitiveKind::Boolean:
      return boolean_json(text);
    case PrimitiveKind::String:
      return string_json(text, bound);
    case PrimitiveKind::Date:
      return date_json(text);
    case PrimitiveKind::Timestamp:
      return timestamp_json(text, true, bound);
    case PrimitiveKind::TimestampNtz:
      return timestamp_json(text, false, bound);
    case PrimitiveKind::Binary:  // protocol: no min/max for binary
    case PrimitiveKind::Void:
      return std::nullopt;
  }
  return std::nullopt;
}

enum class Section { Min, Max, NullCount };

using ColumnStatsText = std::map<std::string, std::string>;

std::optional<std::string> find_text(const ColumnStatsText& stats, const std::string& name) {
  auto it = stats.find(name);
  return it == stats.end() ? std::nullopt : std::optional(it->second);
}

// One statistic of a leaf column. Arrays and maps have none: parquet counts their nulls per
// element, not per row. DuckDB leaves NaN out of min/max, but NaN sorts above every number.
std::optional<std::string> stat_json(const ColumnStatsText& stats, const DataType& type, Section section) {
  const PrimitiveType* p = type.primitive();
  if (!p) return std::nullopt;
  if (section == Section::NullCount) {
    std::optional<std::string> count = find_text(stats, "null_count");
    return count && all_digits(*count) ? count : std::nullopt;
  }
  bool floating = p->kind == PrimitiveKind::Float || p->kind == PrimitiveKind::Double;
  if (section == Section::Max && floating && find_text(stats, "has_nan") != "false") return std::nullopt;
  std::optional<std::string> text = find_text(stats, section == Section::Min ? "min" : "max");
  return text ? bound_json(*text, *p, section == Section::Min ? Bound::Min : Bound::Max) : std::nullopt;
}

// ---- the stats JSON ----

// A leaf column that gets statistics.
struct StatsLeaf {
  std::vector<std::string> path;  // physical names from the top
  std::string duckdb_key;         // RETURN_STATS's column key: "a"."b"
  const DataType* type;
};

class StatsLeafCollector {
 public:
  StatsLeafCollector(ColumnMappingMode mode, int budget) : mode_(mode), budget_(budget) {}

  // Adds the leaves of `field` in schema order while the budget lasts (negative: unlimited).
  Status add(const StructField& field, std::vector<std::string> parent) {
    if (budget_ == 0 || field.type.is(PrimitiveKind::Void)) return ok_status();
    SILT_ASSIGN_OR_RETURN(std::string physical, delta::physical_name(field, mode_));
    parent.push_back(std::move(physical));
    if (const StructType* s = field.type.struct_type()) {
      for (const StructField& child : s->fields) SILT_TRY(add(child, parent));
      return ok_status();
    }
    std::string key;
    for (const std::string& name : parent) key += (key.empty() ? "" : ".") + quote_ident(name);
    leaves_.push_back({std::move(parent), std::move(key), &field.type});
    if (budget_ > 0) --budget_;
    return ok_status();
  }
  std::vector<StatsLeaf> take() { return std::move(leaves_); }

 private:
  ColumnMappingMode mode_;
  int budget_;
  std::vector<StatsLeaf> leaves_;
};

// The leaves that get stats: the first num_indexed_cols leaves of the stored (non-partition)
// columns in schema order; no_stats columns are skipped without using up the count.
Result<std::vector<StatsLeaf>> stats_leaves(const StructType& schema, const WritePlan& plan,
                                            const DataWriteOptions& options) {
  std::vector<const StructField*> hidden;
  for (const std::string& name : options.no_stats_columns) {
    const StructField* field = delta::find_field(schema, name);
    if (!field)
      return Error(ErrorKind::InvalidArgument, "no-stats column '" + name + "' is not in the schema");
    hidden.push_back(field);
  }
  StatsLeafCollector collector(options.mapping, options.num_indexed_cols < 0 ? -1 : options.num_indexed_cols);
  for (const StructField* field : plan.data_fields) {
    if (std::find(hidden.begin(), hidden.end(), field) == hidden.end()) SILT_TRY(collector.add(*field, {}));
  }
  return collector.take();
}

// Writes one JSON object whose members nest along the leaves' paths. Leaves come in schema order,
// so the fields of one struct are contiguous and each nested object is opened once.
class NestedObjectWriter {
 public:
  explicit NestedObjectWriter(std::string& out) : out_(out) { open(); }

  void add(const std::vector<std::string>& path, std::string_view json_value) {
    size_t common = 0;
    while (common < open_.size() && common + 1 < path.size() && open_[common] == path[common]) ++common;
    while (open_.size() > common) close();
    for (size_t i = open_.size(); i + 1 < path.size(); ++i) {
      key(path[i]);
      open();
      open_.push_back(path[i]);
    }
    key(path.back());
    out_ += json_value;
  }
  void finish() {
    while (!open_.empty()) close();
    out_ += '}';
  }

 private:
  void open() {
    out_ += '{';
    first_.push_back(true);
  }
  void close() {
    out_ += '}';
    open_.pop_back();
    first_.pop_back();
  }
  void key(std::string_view name) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    append_json_quoted(out_, name);
    out_ += ':';
  }

  std::string& out_;
  std::vector<std::string> open_;  // names of the nested objects currently open
  std::vector<bool> first_;        // per open object: no member written yet
};

std::string stats_json(const WrittenFile& file, const std::vector<StatsLeaf>& leaves) {
  std::string out = "{\"numRecords\":" + std::to_string(file.count);
  for (auto [section, name] : {std::pair{Section::Min, "minValues"}, std::pair{Section::Max, "maxValues"},
                               std::pair{Section::NullCount, "nullCount"}}) {
    out += fmt::format(",\"{}\":", name);
    NestedObjectWriter writer(out);
    for (const StatsLeaf& leaf : leaves) {
      auto stats = file.column_stats.find(leaf.duckdb_key);
      if (stats == file.column_stats.end()) continue;
      if (std::optional<std::string> value = stat_json(stats->second, *leaf.type, section)) {
        writer.add(leaf.path, *value);
      }
    }
    writer.finish();
  }
  return out + "}";
}

// ---- AddFile ----

Result<delta::AddFile> add_file(const std::string& root, const WrittenFile& file, const WritePlan& plan,
                                const std::vector<StatsLeaf>& leaves) {
  std::string prefix = root + "/";
  if (!file.filename.starts_with(prefix)) {
    return Error(ErrorKind::Internal,
                 fmt::format("DuckDB wrote {} outside the table root {}", file.filename, root));
  }
  struct stat info {};
  if (::stat(file.filename.c_str(), &info) != 0) {
    return Error(ErrorKind::Io,
                 fmt::format("cannot stat written file {}: {}", file.filename, std::strerror(errno)));
  }
  delta::AddFile add;
  add.path = url_encode_path(std::string_view(file.filename).substr(prefix.size()));
  for (const std::string& column : plan.partition_columns) {
    auto value = file.partition_keys.find(column);
    if (value == file.partition_keys.end()) {
      return Error(ErrorKind::Internal,
                   fmt::format("no partition value of {} for {}", column, file.filename));
    }
    add.partition_values.emplace_back(column, value->second);
  }
  add.size = info.st_size;
  add.modification_time = int64_t{info.st_mtim.tv_sec} * 1000 + info.st_mtim.tv_nsec / 1'000'000;
  add.data_change = true;
  add.stats = stats_json(file, leaves);
  return add;
}

Status check_options(const DataWriteOptions& options) {
  if (options.compression != "zstd" && options.compression != "snappy") {
    return Error(ErrorKind::InvalidArgument,
                 "compression must be zstd or snappy, not " + options.compression);
  }
  if (options.target_file_size <= 0)
    return Error(ErrorKind::InvalidArgument, "target file size must be positive");
  if (options.row_group_rows < 0)
    return Error(ErrorKind::InvalidArgument, "rows per row group must not be negative");
  if (options.num_indexed_cols < -1) {
    return Error(ErrorKind::InvalidArgument, "dataSkippingNumIndexedCols must be -1 or more");
  }
  // Both end up inside SQL text and file names: keep them to plain relative names.
  auto plain = [](const std::string& s, bool allow_slash) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || (allow_slash && c == '/');
    });
  };
  if (options.file_prefix.empty() || !plain(options.file_prefix, false)) {
    return Error(ErrorKind::InvalidArgument, "bad data file prefix '" + options.file_prefix + "'");
  }
  if (!plain(options.subdirectory, true) || options.subdirectory.starts_with('/') ||
      options.subdirectory.ends_with('/')) {
    return Error(ErrorKind::InvalidArgument, "bad data file subdirectory '" + options.subdirectory + "'");
  }
  return ok_status();
}

}  // namespace

Result<StructType> schema_of_query(db::Connection& conn, const std::string& select_sql) {
  SILT_ASSIGN_OR_RETURN(std::vector<QueryColumn> columns, bind_query(conn, select_sql));
  StructType schema;
  for (const QueryColumn& column : columns) {
    SILT_ASSIGN_OR_RETURN(DataType type, delta_type_of(column.type.get(), column.name));
    schema.fields.push_back(query_field(column.name, std::move(type)));
  }
  return schema;
}

namespace {

// Deletes the files under `directory` whose names start with `prefix`: what a failed write left.
void remove_written(const std::string& directory, const std::string& prefix) {
  std::error_code ec;
  std::vector<std::filesystem::path> found;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().filename().string().starts_with(prefix))
      found.push_back(it->path());
  }
  for (const auto& path : found) std::filesystem::remove(path, ec);
}

Result<std::vector<delta::AddFile>> write_files(db::Connection& conn, const std::string& root,
                                                const std::string& directory, const std::string& select_sql,
                                                const StructType& schema, const DataWriteOptions& options) {
  SILT_ASSIGN_OR_RETURN(WritePlan plan, plan_write(conn, select_sql, schema, options));
  SILT_ASSIGN_OR_RETURN(std::vector<StatsLeaf> leaves, stats_leaves(schema, plan, options));
  std::error_code ec;

  bool partitioned = !plan.partition_columns.empty();
  std::string layout = size_layout(options);
  if (partitioned) {
    layout = "PARTITION_BY (";
    for (size_t i = 0; i < plan.partition_columns.size(); ++i) {
      layout += (i ? ", " : "") + quote_ident(plan.partition_columns[i]);
    }
    layout += ")";
  }
  SILT_ASSIGN_OR_RETURN(auto files,
                        run_copy(conn, copy_statement(plan.select, directory, layout, plan, options)));
  if (partitioned) {
    SILT_ASSIGN_OR_RETURN(files, split_large_files(conn, std::move(files), plan, options));
  }

  std::vector<delta::AddFile> adds;
  for (const WrittenFile& file : files) {
    if (file.count == 0) {  // DuckDB may close a rotated file empty; nothing refers to it
      std::filesystem::remove(file.filename, ec);
      continue;
    }
    SILT_ASSIGN_OR_RETURN(delta::AddFile add, add_file(root, file, plan, leaves));
    adds.push_back(std::move(add));
  }
  return adds;
}

}  // namespace

Result<std::vector<delta::AddFile>> write_data_files(db::Connection& conn, const std::string& table_root,
                                                     const std::string& select_sql, const StructType& schema,
                                                     const DataWriteOptions& options) {
  SILT_TRY(check_options(options));
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(table_root));
  std::string directory = options.subdirectory.empty() ? root : root + "/" + options.subdirectory;
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return Error(ErrorKind::Io, fmt::format("cannot create {}: {}", directory, ec.message()));
  // Every file of this call shares a random name prefix, so that a failed COPY's partial files
  // can be found and deleted without touching other writers' files.
  DataWriteOptions named = options;
  // 12 hex digits: names of the form <prefix>-<uuid> (8 hex, then '-') never match.
  std::string token = random_uuid();
  token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
  named.file_prefix = options.file_prefix + "-" + token.substr(0, 12);
  auto adds = write_files(conn, root, directory, select_sql, schema, named);
  if (!adds.ok()) remove_written(directory, named.file_prefix + "-");
  return adds;
}

}  // namespace silt::ops
