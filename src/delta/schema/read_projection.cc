// Builds read_parquet projections: cast to the file's physical type, then rename nested struct fields
// from physical to logical names where column mapping changed them. Pure functions; thread-safe.
#include "delta/schema/read_projection.h"

#include <fmt/format.h>

namespace silt::delta {
namespace {

// True when some struct field in `type` is stored under a name other than its logical one.
bool needs_rename(const DataType& type, ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::None) return false;
  if (const StructType* s = type.struct_type()) {
    for (const StructField& field : s->fields) {
      if (field.physical_name.value_or(field.name) != field.name || needs_rename(field.type, mode))
        return true;
    }
    return false;
  }
  if (const ArrayType* a = type.array_type()) return needs_rename(*a->element_type, mode);
  if (const MapType* m = type.map_type()) {
    return needs_rename(*m->key_type, mode) || needs_rename(*m->value_type, mode);
  }
  return false;
}

Result<std::string> struct_file_type(const StructType& type, ColumnMappingMode mode) {
  std::string out = "STRUCT(";
  for (size_t i = 0; i < type.fields.size(); ++i) {
    SILT_ASSIGN_OR_RETURN(std::string name, physical_name(type.fields[i], mode));
    SILT_ASSIGN_OR_RETURN(std::string child, file_duckdb_type(type.fields[i].type, mode));
    out += fmt::format("{}{} {}", i > 0 ? ", " : "", quote_ident(name), child);
  }
  return out + ")";
}

// Rewrites an expression of the file type into one of the logical type. Lambda parameters are named
// by nesting depth so that nested lambdas never shadow each other.
class Renamer {
 public:
  explicit Renamer(ColumnMappingMode mode) : mode_(mode) {}

  Result<std::string> rename(const std::string& expression, const DataType& type, int depth) const {
    if (!needs_rename(type, mode_)) return expression;
    if (const StructType* s = type.struct_type()) return rename_struct(expression, *s, depth);
    if (const ArrayType* a = type.array_type()) return rename_list(expression, *a, depth);
    return rename_map(expression, *type.map_type(), depth);
  }

 private:
  // struct_pack alone would turn a NULL struct into a struct of NULLs, hence the CASE.
  Result<std::string> rename_struct(const std::string& expression, const StructType& type, int depth) const {
    std::string fields;
    for (const StructField& field : type.fields) {
      SILT_ASSIGN_OR_RETURN(std::string name, physical_name(field, mode_));
      std::string child = fmt::format("struct_extract({}, {})", expression, quote_literal(name));
      SILT_ASSIGN_OR_RETURN(std::string renamed, rename(child, field.type, depth));
      fields += fmt::format("{}{} := {}", fields.empty() ? "" : ", ", quote_ident(field.name), renamed);
    }
    return fmt::format("CASE WHEN {} IS NULL THEN NULL ELSE struct_pack({}) END", expression, fields);
  }

  Result<std::string> rename_list(const std::string& expression, const ArrayType& type, int depth) const {
    std::string var = fmt::format("silt_v{}", depth);
    SILT_ASSIGN_OR_RETURN(std::string element, rename(var, *type.element_type, depth + 1));
    return fmt::format("list_transform({}, lambda {}: {})", expression, var, element);
  }

  Result<std::string> rename_map(const std::string& expression, const MapType& type, int depth) const {
    std::string var = fmt::format("silt_v{}", depth);
    SILT_ASSIGN_OR_RETURN(std::string key, rename(fmt::format("{}.\"key\"", var), *type.key_type, depth + 1));
    SILT_ASSIGN_OR_RETURN(std::string value,
                          rename(fmt::format("{}.\"value\"", var), *type.value_type, depth + 1));
    return fmt::format(
        "map_from_entries(list_transform(map_entries({}), lambda {}: struct_pack(\"key\" := {}, \"value\" := "
        "{})))",
        expression, var, key, value);
  }

  ColumnMappingMode mode_;
};

}  // namespace

Result<std::string> file_duckdb_type(const DataType& type, ColumnMappingMode mode) {
  if (const StructType* s = type.struct_type()) return struct_file_type(*s, mode);
  if (const ArrayType* a = type.array_type()) {
    SILT_ASSIGN_OR_RETURN(std::string element, file_duckdb_type(*a->element_type, mode));
    return element + "[]";
  }
  if (const MapType* m = type.map_type()) {
    SILT_ASSIGN_OR_RETURN(std::string key, file_duckdb_type(*m->key_type, mode));
    SILT_ASSIGN_OR_RETURN(std::string value, file_duckdb_type(*m->value_type, mode));
    return fmt::format("MAP({}, {})", key, value);
  }
  return duckdb_type(type);
}

Result<std::string> read_expression(const StructField& field, ColumnMappingMode mode,
                                    std::string_view source_relation_alias) {
  if (field.type.is(PrimitiveKind::Void)) return fmt::format("CAST(NULL AS {})", duckdb_type(field.type));
  SILT_ASSIGN_OR_RETURN(std::string column, physical_name(field, mode));
  std::string source = quote_ident(column);
  if (!source_relation_alias.empty()) source = quote_ident(source_relation_alias) + "." + source;
  SILT_ASSIGN_OR_RETURN(std::string file_type, file_duckdb_type(field.type, mode));
  return Renamer(mode).rename(fmt::format("CAST({} AS {})", source, file_type), field.type, 1);
}

}  // namespace silt::delta
