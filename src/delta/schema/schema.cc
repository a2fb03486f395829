// Delta schema JSON <-> DataType tree, DuckDB type names, column mapping and type widening rules.
// Parsing uses simdjson's DOM with a parser per call; nothing is shared between calls.
// Pure functions; thread-safe.
#include "delta/schema/schema.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cctype>
#include <charconv>

#include "util/json_text.h"

namespace silt::delta {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kPhysicalNameKey = "delta.columnMapping.physicalName";
constexpr std::string_view kFieldIdKey = "delta.columnMapping.id";
constexpr std::string_view kTypeChangesKey = "delta.typeChanges";
constexpr int kMaxDecimalPrecision = 38;

Error corruption(std::string message) { return Error(ErrorKind::Corruption, "schema: " + message); }
Error unsupported(std::string message) { return Error(ErrorKind::Unsupported, std::move(message)); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// ---- type names ----

struct NamedKind {
  std::string_view name;
  PrimitiveKind kind;
};
constexpr NamedKind kPrimitiveNames[] = {
    {"string", PrimitiveKind::String},       {"long", PrimitiveKind::Long},
    {"integer", PrimitiveKind::Integer},     {"short", PrimitiveKind::Short},
    {"byte", PrimitiveKind::Byte},           {"float", PrimitiveKind::Float},
    {"double", PrimitiveKind::Double},       {"boolean", PrimitiveKind::Boolean},
    {"binary", PrimitiveKind::Binary},       {"date", PrimitiveKind::Date},
    {"timestamp", PrimitiveKind::Timestamp}, {"timestamp_ntz", PrimitiveKind::TimestampNtz},
    {"void", PrimitiveKind::Void},
};

Result<int> parse_small_int(std::string_view text, std::string_view whole) {
  text = trim(text);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return corruption(fmt::format("malformed decimal type '{}'", whole));
  }
  return value;
}

// "decimal(p,s)" (spaces allowed) or plain "decimal", which Spark reads as decimal(10,0).
Result<DataType> parse_decimal_name(std::string_view name) {
  if (name == "decimal") return DataType::decimal(10, 0);
  std::string_view args = trim(name.substr(7));
  size_t comma = args.find(',');
  if (args.size() < 2 || args.front() != '(' || args.back() != ')' || comma == std::string_view::npos) {
    return corruption(fmt::format("malformed decimal type '{}'", name));
  }
  SILT_ASSIGN_OR_RETURN(int precision, parse_small_int(args.substr(1, comma - 1), name));
  SILT_ASSIGN_OR_RETURN(int scale, parse_small_int(args.substr(comma + 1, args.size() - comma - 2), name));
  if (precision < 1 || precision > kMaxDecimalPrecision || scale < 0) {
    return unsupported(fmt::format("unsupported data type '{}' (precision must be 1..38, scale >= 0)", name));
  }
  if (scale > precision) return corruption(fmt::format("decimal scale exceeds precision in '{}'", name));
  return DataType::decimal(precision, scale);
}

Result<DataType> parse_type_name(std::string_view name) {
  for (const NamedKind& named : kPrimitiveNames) {
    if (named.name == name) return DataType(named.kind);
  }
  if (name == "variant") return DataType(VariantType{});
  if (name.starts_with("decimal")) return parse_decimal_name(name);
  return unsupported(fmt::format("unsupported data type '{}'", name));
}

std::string primitive_name(const PrimitiveType& type) {
  if (type.kind == PrimitiveKind::Decimal) return fmt::format("decimal({},{})", type.precision, type.scale);
  for (const NamedKind& named : kPrimitiveNames) {
    if (named.kind == type.kind) return std::string(named.name);
  }
  return "?";
}

// ---- JSON -> DataType ----

Result<DataType> parse_type(dom::element element);

Result<dom::element> required(dom::object object, std::string_view key, std::string_view where) {
  dom::element value;
  if (object[key].get(value) != simdjson::SUCCESS) {
    return corruption(fmt::format("{} has no \"{}\"", where, key));
  }
  return value;
}

// An absent flag defaults to true, the permissive reading of a nullable/containsNull.
Result<bool> optional_flag(dom::object object, std::string_view key, std::string_view where) {
  dom::element value;
  if (object[key].get(value) != simdjson::SUCCESS) return true;
  bool flag = true;
  if (value.get_bool().get(flag) != simdjson::SUCCESS) {
    return corruption(fmt::format("{}.{} is not a boolean", where, key));
  }
  return flag;
}

Status parse_column_mapping(dom::object metadata, StructField& field) {
  dom::element value;
  if (metadata[kPhysicalNameKey].get(value) == simdjson::SUCCESS) {
    std::string_view name;
    if (value.get_string().get(name) != simdjson::SUCCESS) {
      return corruption(fmt::format("field '{}': {} is not a string", field.name, kPhysicalNameKey));
    }
    field.physical_name = std::string(name);
  }
  if (metadata[kFieldIdKey].get(value) == simdjson::SUCCESS) {
    int64_t id = 0;
    if (value.get_int64().get(id) != simdjson::SUCCESS) {
      return corruption(fmt::format("field '{}': {} is not an integer", field.name, kFieldIdKey));
    }
    field.field_id = id;
  }
  return ok_status();
}

Status parse_metadata(dom::object field_object, StructField& field) {
  dom::element value;
  if (field_object["metadata"].get(value) != simdjson::SUCCESS || value.is_null()) return ok_status();
  dom::object metadata;
  if (value.get_object().get(metadata) != simdjson::SUCCESS) {
    return corruption(fmt::format("field '{}': metadata is not an object", field.name));
  }
  field.metadata_json = simdjson::minify(metadata);
  return parse_column_mapping(metadata, field);
}

Result<StructField> parse_field(dom::element element) {
  dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS)
    return corruption("struct field is not an object");
  SILT_ASSIGN_OR_RETURN(dom::element name, required(object, "name", "struct field"));
  std::string_view name_text;
  if (name.get_string().get(name_text) != simdjson::SUCCESS) return corruption("field name is not a string");
  std::string where = fmt::format("field '{}'", name_text);
  SILT_ASSIGN_OR_RETURN(dom::element type_element, required(object, "type", where));
  SILT_ASSIGN_OR_RETURN(DataType type, parse_type(type_element));
  SILT_ASSIGN_OR_RETURN(bool nullable, optional_flag(object, "nullable", where));
  StructField field{std::string(name_text), std::move(type), nullable, "{}", std::nullopt, std::nullopt};
  SILT_TRY(parse_metadata(object, field));
  return field;
}

Status check_unique_names(const StructType& type) {
  for (size_t i = 0; i < type.fields.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (iequals(type.fields[i].name, type.fields[j].name)) {
        return corruption(fmt::format("duplicate field name '{}'", type.fields[i].name));
      }
    }
  }
  return ok_status();
}

Result<StructType> parse_struct(dom::object object) {
  SILT_ASSIGN_OR_RETURN(dom::element fields_element, required(object, "fields", "struct type"));
  dom::array fields;
  if (fields_element.get_array().get(fields) != simdjson::SUCCESS) {
    return corruption("struct \"fields\" is not an array");
  }
  StructType result;
  for (dom::element field : fields) {
    SILT_ASSIGN_OR_RETURN(StructField parsed, parse_field(field));
    result.fields.push_back(std::move(parsed));
  }
  SILT_TRY(check_unique_names(result));
  return result;
}

Result<DataType> parse_array(dom::object object) {
  SILT_ASSIGN_OR_RETURN(dom::element element, required(object, "elementType", "array type"));
  SILT_ASSIGN_OR_RETURN(DataType element_type, parse_type(element));
  SILT_ASSIGN_OR_RETURN(bool contains_null, optional_flag(object, "containsNull", "array type"));
  return DataType(ArrayType{std::move(element_type), contains_null});
}

Result<DataType> parse_map(dom::object object) {
  SILT_ASSIGN_OR_RETURN(dom::element key, required(object, "keyType", "map type"));
  SILT_ASSIGN_OR_RETURN(dom::element value, required(object, "valueType", "map type"));
  SILT_ASSIGN_OR_RETURN(DataType key_type, parse_type(key));
  SILT_ASSIGN_OR_RETURN(DataType value_type, parse_type(value));
  SILT_ASSIGN_OR_RETURN(bool value_contains_null, optional_flag(object, "valueContainsNull", "map type"));
  return DataType(MapType{std::move(key_type), std::move(value_type), value_contains_null});
}

Result<DataType> parse_type(dom::element element) {
  std::string_view name;
  if (element.get_string().get(name) == simdjson::SUCCESS) return parse_type_name(name);
  dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    return corruption("a type must be a string or an object");
  }
  SILT_ASSIGN_OR_RETURN(dom::element tag_element, required(object, "type", "type object"));
  std::string_view tag;
  if (tag_element.get_string().get(tag) != simdjson::SUCCESS) return corruption("\"type\" is not a string");
  if (tag == "struct") {
    SILT_ASSIGN_OR_RETURN(StructType type, parse_struct(object));
    return DataType(std::move(type));
  }
  if (tag == "array") return parse_array(object);
  if (tag == "map") return parse_map(object);
  if (tag == "variant") return DataType(VariantType{});
  return unsupported(fmt::format("unsupported data type '{}'", tag));
}

Result<dom::element> parse_json(dom::parser& parser, std::string_view json) {
  dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
    return corruption(fmt::format("invalid JSON: {}", simdjson::error_message(error)));
  }
  return root;
}

// ---- DataType -> JSON ----

class SchemaWriter {
 public:
  std::string write_type(const DataType& type) {
    append_type(type);
    return std::move(out_);
  }

 private:
  void append_type(const DataType& type) {
    std::visit([this](const auto& node) { append(node); }, type.node());
  }
  void append(const PrimitiveType& type) { append_json_quoted(out_, primitive_name(type)); }
  void append(const VariantType&) { out_ += "\"variant\""; }
  void append(const ArrayType& type) {
    out_ += "{\"type\":\"array\",\"elementType\":";
    append_type(*type.element_type);
    out_ += fmt::format(",\"containsNull\":{}}}", type.contains_null);
  }
  void append(const MapType& type) {
    out_ += "{\"type\":\"map\",\"keyType\":";
    append_type(*type.key_type);
    out_ += ",\"valueType\":";
    append_type(*type.value_type);
    out_ += fmt::format(",\"valueContainsNull\":{}}}", type.value_contains_null);
  }
  void append(const StructType& type) {
    out_ += "{\"type\":\"struct\",\"fields\":[";
    for (size_t i = 0; i < type.fields.size(); ++i) {
      if (i > 0) out_ += ',';
      append_field(type.fields[i]);
    }
    out_ += "]}";
  }
  void append_field(const StructField& field) {
    out_ += "{\"name\":";
    append_json_quoted(out_, field.name);
    out_ += ",\"type\":";
    append_type(field.type);
    out_ += fmt::format(",\"nullable\":{},\"metadata\":", field.nullable);
    append_metadata(field);  // after the type: it reuses parser_, whose documents the type's fields used
    out_ += '}';
  }

  // metadata_json with its column mapping entries replaced in place by the typed fields (appended when
  // absent), so that parse -> write keeps key order. Unparseable metadata_json is written as {}.
  void append_metadata(const StructField& field) {
    out_ += '{';
    bool first = true;
    auto member = [&](std::string_view key) {
      if (!first) out_ += ',';
      first = false;
      append_json_quoted(out_, key);
      out_ += ':';
    };
    bool wrote_name = false;
    bool wrote_id = false;
    auto append_mapping = [&](std::string_view key) {
      if (key == kPhysicalNameKey && field.physical_name && !wrote_name) {
        member(key);
        append_json_quoted(out_, *field.physical_name);
        wrote_name = true;
      } else if (key == kFieldIdKey && field.field_id && !wrote_id) {
        member(key);
        out_ += std::to_string(*field.field_id);
        wrote_id = true;
      }
    };
    dom::object metadata;
    if (parser_.parse(field.metadata_json).get_object().get(metadata) == simdjson::SUCCESS) {
      for (dom::key_value_pair entry : metadata) {
        if (entry.key == kPhysicalNameKey || entry.key == kFieldIdKey) {
          append_mapping(entry.key);
          continue;
        }
        member(entry.key);
        out_ += simdjson::minify(entry.value);
      }
    }
    append_mapping(kFieldIdKey);
    append_mapping(kPhysicalNameKey);
    out_ += '}';
  }

  std::string out_;
  dom::parser parser_;
};

// ---- DuckDB types ----

const char* duckdb_primitive(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::String:
      return "VARCHAR";
    case PrimitiveKind::Long:
      return "BIGINT";
    case PrimitiveKind::Integer:
      return "INTEGER";
    case PrimitiveKind::Short:
      return "SMALLINT";
    case PrimitiveKind::Byte:
      return "TINYINT";
    case PrimitiveKind::Float:
      return "FLOAT";
    case PrimitiveKind::Double:
      return "DOUBLE";
    case PrimitiveKind::Boolean:
      return "BOOLEAN";
    case PrimitiveKind::Binary:
      return "BLOB";
    case PrimitiveKind::Date:
      return "DATE";
    case PrimitiveKind::Timestamp:
      return "TIMESTAMP WITH TIME ZONE";
    case PrimitiveKind::TimestampNtz:
      return "TIMESTAMP";
    case PrimitiveKind::Decimal:
      return "DECIMAL";
    case PrimitiveKind::Void:
      return "\"NULL\"";
  }
  return "?";
}

std::string duckdb_node(const PrimitiveType& type) {
  if (type.kind == PrimitiveKind::Decimal) return fmt::format("DECIMAL({},{})", type.precision, type.scale);
  return duckdb_primitive(type.kind);
}
std::string duckdb_node(const VariantType&) { return "STRUCT(\"value\" BLOB, \"metadata\" BLOB)"; }
std::string duckdb_node(const ArrayType& type) { return duckdb_type(*type.element_type) + "[]"; }
std::string duckdb_node(const MapType& type) {
  return fmt::format("MAP({}, {})", duckdb_type(*type.key_type), duckdb_type(*type.value_type));
}
std::string duckdb_node(const StructType& type) {
  std::string out = "STRUCT(";
  for (size_t i = 0; i < type.fields.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_ident(type.fields[i].name) + " " + duckdb_type(type.fields[i].type);
  }
  return out + ")";
}

// ---- type widening ----

bool is_integral_up_to_int(PrimitiveKind kind) {
  return kind == PrimitiveKind::Byte || kind == PrimitiveKind::Short || kind == PrimitiveKind::Integer;
}

int integral_rank(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::Byte:
      return 1;
    case PrimitiveKind::Short:
      return 2;
    case PrimitiveKind::Integer:
      return 3;
    case PrimitiveKind::Long:
      return 4;
    default:
      return 0;
  }
}

bool is_supported_primitive_widening(const PrimitiveType& from, const PrimitiveType& to) {
  int from_rank = integral_rank(from.kind);
  switch (to.kind) {
    case PrimitiveKind::Short:
    case PrimitiveKind::Integer:
    case PrimitiveKind::Long:
      return from_rank > 0 && from_rank < integral_rank(to.kind);
    case PrimitiveKind::Double:
      return from.kind == PrimitiveKind::Float || is_integral_up_to_int(from.kind);
    case PrimitiveKind::TimestampNtz:
      return from.kind == PrimitiveKind::Date;
    case PrimitiveKind::Decimal:
      break;
    default:
      return false;
  }
  // Decimal(p, s) -> Decimal(p + k1, s + k2) with k1 >= k2 >= 0; an integral type counts as
  // Decimal(10, 0) (byte, short, int) or Decimal(20, 0) (long).
  if (from.kind == PrimitiveKind::Decimal) {
    int k1 = to.precision - from.precision;
    int k2 = to.scale - from.scale;
    return k2 >= 0 && k1 >= k2;
  }
  if (is_integral_up_to_int(from.kind)) return to.precision - to.scale >= 10;
  if (from.kind == PrimitiveKind::Long) return to.precision - to.scale >= 20;
  return false;
}

Result<std::string_view> change_string(dom::object change, std::string_view key, std::string_view column) {
  std::string_view text;
  if (change[key].get_string().get(text) != simdjson::SUCCESS) {
    return corruption(
        fmt::format("column '{}': {} entry without a string \"{}\"", column, kTypeChangesKey, key));
  }
  return text;
}

Status check_type_change(dom::element entry, std::string_view column) {
  dom::object change;
  if (entry.get_object().get(change) != simdjson::SUCCESS) {
    return corruption(fmt::format("column '{}': {} entry is not an object", column, kTypeChangesKey));
  }
  SILT_ASSIGN_OR_RETURN(std::string_view from_name, change_string(change, "fromType", column));
  SILT_ASSIGN_OR_RETURN(std::string_view to_name, change_string(change, "toType", column));
  SILT_ASSIGN_OR_RETURN(DataType from, parse_type_name(from_name));
  SILT_ASSIGN_OR_RETURN(DataType to, parse_type_name(to_name));
  if (!is_supported_widening(from, to)) {
    return unsupported(
        fmt::format("column '{}': unsupported type change {} -> {}", column, from_name, to_name));
  }
  return ok_status();
}

Status check_field_type_changes(dom::parser& parser, const StructField& field) {
  SILT_ASSIGN_OR_RETURN(dom::element metadata, parse_json(parser, field.metadata_json));
  dom::element changes;
  if (metadata[kTypeChangesKey].get(changes) != simdjson::SUCCESS) return ok_status();
  dom::array list;
  if (changes.get_array().get(list) != simdjson::SUCCESS) {
    return corruption(fmt::format("column '{}': {} is not a list", field.name, kTypeChangesKey));
  }
  for (dom::element entry : list) SILT_TRY(check_type_change(entry, field.name));
  return ok_status();
}

Status check_type_changes_in(dom::parser& parser, const DataType& type);

Status check_struct_type_changes(dom::parser& parser, const StructType& type) {
  for (const StructField& field : type.fields) {
    SILT_TRY(check_field_type_changes(parser, field));
    SILT_TRY(check_type_changes_in(parser, field.type));
  }
  return ok_status();
}

Status check_type_changes_in(dom::parser& parser, const DataType& type) {
  if (const StructType* s = type.struct_type()) return check_struct_type_changes(parser, *s);
  if (const ArrayType* a = type.array_type()) return check_type_changes_in(parser, *a->element_type);
  if (const MapType* m = type.map_type()) {
    SILT_TRY(check_type_changes_in(parser, *m->key_type));
    return check_type_changes_in(parser, *m->value_type);
  }
  return ok_status();
}

}  // namespace

Result<StructType> parse_schema(std::string_view schema_json) {
  dom::parser parser;
  SILT_ASSIGN_OR_RETURN(dom::element root, parse_json(parser, schema_json));
  SILT_ASSIGN_OR_RETURN(DataType type, parse_type(root));
  if (!type.struct_type()) return corruption("the schema is not a struct");
  return *type.struct_type();
}

Result<DataType> parse_data_type(std::string_view type_json) {
  dom::parser parser;
  SILT_ASSIGN_OR_RETURN(dom::element root, parse_json(parser, type_json));
  return parse_type(root);
}

std::string to_schema_json(const StructType& schema) { return SchemaWriter().write_type(schema); }

std::string delta_type_name(const DataType& type) {
  if (const PrimitiveType* p = type.primitive()) return primitive_name(*p);
  if (type.is_variant()) return "variant";
  return SchemaWriter().write_type(type);
}

std::string duckdb_type(const DataType& type) {
  return std::visit([](const auto& node) { return duckdb_node(node); }, type.node());
}

const char* column_mapping_mode_name(ColumnMappingMode mode) {
  switch (mode) {
    case ColumnMappingMode::None:
      return "none";
    case ColumnMappingMode::Name:
      return "name";
    case ColumnMappingMode::Id:
      return "id";
  }
  return "?";
}

Result<ColumnMappingMode> column_mapping_mode(const std::map<std::string, std::string>& table_configuration) {
  auto it = table_configuration.find("delta.columnMapping.mode");
  if (it == table_configuration.end()) return ColumnMappingMode::None;
  for (ColumnMappingMode mode : {ColumnMappingMode::None, ColumnMappingMode::Name, ColumnMappingMode::Id}) {
    if (iequals(it->second, column_mapping_mode_name(mode))) return mode;
  }
  return unsupported(fmt::format("unsupported column mapping mode '{}'", it->second));
}

const StructField* find_field(const StructType& schema, std::string_view logical_name) {
  for (const StructField& field : schema.fields) {
    if (field.name == logical_name) return &field;
  }
  for (const StructField& field : schema.fields) {
    if (iequals(field.name, logical_name)) return &field;
  }
  return nullptr;
}

Result<std::string> physical_name(const StructField& field, ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::None) return field.name;
  if (!field.physical_name) {
    return corruption(fmt::format("column '{}' has no {} under column mapping mode {}", field.name,
                                  kPhysicalNameKey, column_mapping_mode_name(mode)));
  }
  return *field.physical_name;
}

bool is_supported_widening(const DataType& from, const DataType& to) {
  const PrimitiveType* from_primitive = from.primitive();
  const PrimitiveType* to_primitive = to.primitive();
  return from_primitive && to_primitive && is_supported_primitive_widening(*from_primitive, *to_primitive);
}

Status check_type_changes(const StructType& schema) {
  dom::parser parser;
  return check_struct_type_changes(parser, schema);
}

}  // namespace silt::delta
