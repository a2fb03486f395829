// Delta data types (PROTOCOL.md "Schema Serialization Format"): a value-type tree parsed from and
// written back to the log's JSON schema string, mapped to DuckDB SQL types, plus column mapping and
// type widening rules. Immutable values and pure functions; safe to use from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "util/result.h"
#include "util/sql_text.h"

namespace silt::delta {

enum class PrimitiveKind {
  String,
  Long,
  Integer,
  Short,
  Byte,
  Float,
  Double,
  Boolean,
  Binary,
  Date,
  Timestamp,     // microseconds since the epoch, UTC
  TimestampNtz,  // wall-clock microseconds, no zone (feature timestampNtz)
  Decimal,
  Void,  // only nulls, never materialized in data files
};

struct PrimitiveType {
  PrimitiveKind kind = PrimitiveKind::String;
  // Decimal only (zero otherwise): 1 <= precision <= 38 and 0 <= scale <= precision.
  int precision = 0;
  int scale = 0;
  bool operator==(const PrimitiveType&) const = default;
};

// A heap-held value with deep copy and deep comparison: lets DataType contain itself while
// staying a plain value type. A moved-from Boxed may only be destroyed or assigned to.
template <class T>
class Boxed {
 public:
  // Implicit from anything T is constructible from, e.g. Boxed<DataType> from a PrimitiveKind.
  template <class U, class = std::enable_if_t<!std::is_same_v<std::decay_t<U>, Boxed> &&
                                              std::is_constructible_v<T, U&&>>>
  Boxed(U&& value) : ptr_(std::make_unique<T>(std::forward<U>(value))) {}  // NOLINT: implicit by design
  Boxed(const Boxed& other) : ptr_(std::make_unique<T>(*other.ptr_)) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    ptr_ = std::make_unique<T>(*other.ptr_);
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }
  bool operator==(const Boxed& other) const { return *ptr_ == *other.ptr_; }

 private:
  std::unique_ptr<T> ptr_;
};

class DataType;
struct StructField;

// Invariant (checked by parse_schema): field names are unique ignoring ASCII case.
struct StructType {
  std::vector<StructField> fields;
  bool operator==(const StructType& other) const;
};

struct ArrayType {
  Boxed<DataType> element_type;
  bool contains_null = true;
  bool operator==(const ArrayType&) const = default;
};

struct MapType {
  Boxed<DataType> key_type;
  Boxed<DataType> value_type;
  bool value_contains_null = true;
  bool operator==(const MapType&) const = default;
};

// Semi-structured value; stored in parquet as struct<value: binary, metadata: binary>.
struct VariantType {
  bool operator==(const VariantType&) const = default;
};

class DataType {
 public:
  using Node = std::variant<PrimitiveType, StructType, ArrayType, MapType, VariantType>;

  DataType(PrimitiveKind kind) : node_(PrimitiveType{kind}) {}  // NOLINT: implicit by design
  DataType(PrimitiveType type) : node_(type) {}                 // NOLINT
  DataType(StructType type) : node_(std::move(type)) {}         // NOLINT
  DataType(ArrayType type) : node_(std::move(type)) {}          // NOLINT
  DataType(MapType type) : node_(std::move(type)) {}            // NOLINT
  DataType(VariantType type) : node_(type) {}                   // NOLINT
  // REQUIRES: the decimal invariants of PrimitiveType.
  static DataType decimal(int precision, int scale) {
    return PrimitiveType{PrimitiveKind::Decimal, precision, scale};
  }

  const Node& node() const { return node_; }
  // Each returns nullptr when the type is of another shape.
  const PrimitiveType* primitive() const { return std::get_if<PrimitiveType>(&node_); }
  const StructType* struct_type() const { return std::get_if<StructType>(&node_); }
  const ArrayType* array_type() const { return std::get_if<ArrayType>(&node_); }
  const MapType* map_type() const { return std::get_if<MapType>(&node_); }
  bool is_variant() const { return std::holds_alternative<VariantType>(node_); }
  bool is(PrimitiveKind kind) const { return primitive() && primitive()->kind == kind; }

  bool operator==(const DataType&) const = default;

 private:
  Node node_;
};

// A (possibly nested) column. metadata_json is the field's metadata object as raw JSON, e.g.
// `{"delta.columnMapping.id":5}`; physical_name and field_id are its column mapping entries,
// parsed. When serializing, physical_name and field_id win over what metadata_json says.
struct StructField {
  std::string name;
  DataType type;
  bool nullable = true;
  std::string metadata_json = "{}";
  std::optional<std::string> physical_name;  // delta.columnMapping.physicalName
  std::optional<int64_t> field_id;           // delta.columnMapping.id
  bool operator==(const StructField&) const = default;
};

inline bool StructType::operator==(const StructType& other) const { return fields == other.fields; }

// Parses a metaData.schemaString. Malformed JSON or a malformed schema -> Corruption; a type
// silt does not know (e.g. "interval") -> Unsupported naming the type.
Result<StructType> parse_schema(std::string_view schema_json);
// Parses one type as written in a schema, e.g. "long", "decimal(10,2)" or an array object.
Result<DataType> parse_data_type(std::string_view type_json);
// Compact schemaString in Spark's layout; parse_schema(to_schema_json(s)) == s.
std::string to_schema_json(const StructType& schema);
// The type as the schema writes it: "long", "decimal(10,2)", or compact JSON for nested types.
std::string delta_type_name(const DataType& type);

// The DuckDB SQL type of the logical type, e.g. BIGINT, DECIMAL(10,2), STRUCT("a" INTEGER)[],
// MAP(VARCHAR, DOUBLE). timestamp is TIMESTAMP WITH TIME ZONE and timestamp_ntz is TIMESTAMP;
// variant is exposed as its parquet struct STRUCT("value" BLOB, "metadata" BLOB); void is "NULL".
std::string duckdb_type(const DataType& type);

// SQL quoting for identifiers ("a""b") and string literals ('it''s'): the util/sql_text.h functions,
// visible here because the SQL this module writes is full of them.
using silt::quote_ident;
using silt::quote_literal;

// PROTOCOL.md "Column Mapping".
enum class ColumnMappingMode { None, Name, Id };
const char* column_mapping_mode_name(ColumnMappingMode mode);  // "none", "name", "id"
// Reads delta.columnMapping.mode (absent -> None; case-insensitive); other values -> Unsupported.
Result<ColumnMappingMode> column_mapping_mode(const std::map<std::string, std::string>& table_configuration);

// Top-level field by logical name: exact match first, else the match ignoring ASCII case (Delta
// names are case-insensitive). nullptr if none. The pointer lives as long as `schema`.
const StructField* find_field(const StructType& schema, std::string_view logical_name);
// The name of the field in data files, partition values and stats: the logical name under mode
// None, else delta.columnMapping.physicalName (Corruption when it is missing).
Result<std::string> physical_name(const StructField& field, ColumnMappingMode mode);

// PROTOCOL.md "Type Widening": whether `from` may be widened to `to`.
bool is_supported_widening(const DataType& from, const DataType& to);
// Checks every delta.typeChanges entry in the schema (nested fields included): a change silt cannot
// apply -> Unsupported, a malformed entry -> Corruption. Readers call this before reading data.
Status check_type_changes(const StructType& schema);

}  // namespace silt::delta
