// Tests for src/delta/schema: schema JSON parsing and writing on real log schemas, DuckDB type names,
// column mapping, type widening, partition literals and read projections, the SQL checked by running it
// in a real in-memory DuckDB. Single-threaded.
#include "delta/schema/schema.h"

#include <duckdb.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "delta/schema/partition_value.h"
#include "delta/schema/read_projection.h"

namespace silt::delta {

// gtest prints types as their schema JSON.
void PrintTo(const DataType& type, std::ostream* out) { *out << delta_type_name(type); }
void PrintTo(const StructType& type, std::ostream* out) { *out << to_schema_json(type); }

namespace {

namespace fs = std::filesystem;

const std::string kConformance = SILT_SOURCE_DIR "/../shared/conformance/delta-rs";

// ---- helpers ----

// A query result as text: cells are nullopt for NULL; `error` is set when the query failed.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::optional<std::string> error;
};

// An in-memory DuckDB with one connection (the silt wrapper is not used here on purpose).
class Duck {
 public:
  Duck() {
    EXPECT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    EXPECT_EQ(duckdb_connect(db_, &con_), DuckDBSuccess);
  }
  ~Duck() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  Duck(const Duck&) = delete;
  Duck& operator=(const Duck&) = delete;

  QueryResult query(const std::string& sql) {
    QueryResult out;
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) == DuckDBError) {
      out.error = std::string(duckdb_result_error(&result)) + "\nSQL: " + sql;
      duckdb_destroy_result(&result);
      return out;
    }
    idx_t columns = duckdb_column_count(&result);
    for (idx_t c = 0; c < columns; ++c) out.columns.emplace_back(duckdb_column_name(&result, c));
    for (idx_t r = 0; r < duckdb_row_count(&result); ++r) {
      out.rows.emplace_back();
      for (idx_t c = 0; c < columns; ++c) out.rows.back().push_back(cell(result, c, r));
    }
    duckdb_destroy_result(&result);
    return out;
  }

  // Runs SQL that must succeed.
  QueryResult ok(const std::string& sql) {
    QueryResult result = query(sql);
    EXPECT_FALSE(result.error) << *result.error;
    return result;
  }

  // The value of a SQL expression as VARCHAR (nullopt for NULL) and its DuckDB type name.
  std::pair<std::optional<std::string>, std::string> eval(const std::string& expression) {
    QueryResult result =
        ok(fmt::format("SELECT CAST(x AS VARCHAR), typeof(x) FROM (SELECT {} AS x)", expression));
    if (result.rows.size() != 1) return {std::nullopt, "<error>"};
    return {result.rows[0][0], result.rows[0][1].value_or("")};
  }

 private:
  static std::optional<std::string> cell(duckdb_result& result, idx_t column, idx_t row) {
    if (duckdb_value_is_null(&result, column, row)) return std::nullopt;
    char* text = duckdb_value_varchar(&result, column, row);
    std::string value = text ? text : "";
    duckdb_free(text);
    return value;
  }

  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

// Skips (or fails under CI=true) when the shared conformance tables are not there.
#define REQUIRE_CONFORMANCE()                                                    \
  do {                                                                           \
    if (!fs::exists(kConformance)) {                                             \
      const char* ci = std::getenv("CI");                                        \
      if (ci && std::string(ci) == "true") FAIL() << "missing " << kConformance; \
      GTEST_SKIP() << "conformance tables not found at " << kConformance;        \
    }                                                                            \
  } while (0)

struct LoggedSchema {
  std::string table;
  std::string file;
  std::string schema_string;
  std::map<std::string, std::string> configuration;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every metaData.schemaString in the JSON commits of one table.
std::vector<LoggedSchema> logged_schemas(const fs::path& table) {
  std::vector<LoggedSchema> out;
  fs::path log = table / "_delta_log";
  if (!fs::is_directory(log)) return out;
  std::vector<fs::path> commits;
  for (const auto& entry : fs::directory_iterator(log)) {
    if (entry.path().extension() == ".json") commits.push_back(entry.path());
  }
  std::sort(commits.begin(), commits.end());
  simdjson::dom::parser parser;
  for (const fs::path& commit : commits) {
    std::istringstream lines(read_text(commit));
    for (std::string line; std::getline(lines, line);) {
      simdjson::dom::object metadata;
      if (line.empty() || parser.parse(line)["metaData"].get_object().get(metadata)) continue;
      std::string_view schema;
      if (metadata["schemaString"].get_string().get(schema)) continue;
      LoggedSchema logged{table.filename().string(), commit.filename().string(), std::string(schema), {}};
      simdjson::dom::object configuration;
      if (!metadata["configuration"].get_object().get(configuration)) {
        for (auto entry : configuration) {
          std::string_view value;
          if (!entry.value.get_string().get(value)) logged.configuration[std::string(entry.key)] = value;
        }
      }
      out.push_back(std::move(logged));
    }
  }
  return out;
}

// The latest schema of one conformance table.
LoggedSchema latest_schema(const std::string& table) {
  std::vector<LoggedSchema> all = logged_schemas(fs::path(kConformance) / table);
  EXPECT_FALSE(all.empty()) << table;
  return all.empty() ? LoggedSchema{} : all.back();
}

StructType parse_ok(std::string_view json) {
  Result<StructType> schema = parse_schema(json);
  EXPECT_TRUE(schema.ok()) << schema.error().message();
  return schema.ok() ? *schema : StructType{};
}

std::string field_json(std::string_view name, std::string_view type_json, std::string_view metadata = "{}") {
  return fmt::format(R"({{"name":"{}","type":{},"nullable":true,"metadata":{}}})", name, type_json, metadata);
}

std::string struct_json(const std::vector<std::string>& fields) {
  std::string out = R"({"type":"struct","fields":[)";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out + "]}";
}

StructField field(std::string name, DataType type, std::optional<std::string> physical = std::nullopt) {
  return StructField{std::move(name), std::move(type), true, "{}", std::move(physical), std::nullopt};
}

// ---- parsing real schemas ----

TEST(SchemaParse, ColumnMappingTable) {
  REQUIRE_CONFORMANCE();
  LoggedSchema logged = latest_schema("table_with_column_mapping");
  StructType schema = parse_ok(logged.schema_string);
  ASSERT_EQ(schema.fields.size(), 2u);
  const StructField& company = schema.fields[0];
  EXPECT_EQ(company.name, "Company Very Short");
  EXPECT_TRUE(company.type.is(PrimitiveKind::String));
  EXPECT_TRUE(company.nullable);
  EXPECT_EQ(company.physical_name, "col-173b4db9-b5ad-427f-9e75-516aae37fbbb");
  EXPECT_EQ(company.field_id, 1);
  EXPECT_EQ(schema.fields[1].field_id, 2);

  Result<ColumnMappingMode> mode = column_mapping_mode(logged.configuration);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, ColumnMappingMode::Name);
  const StructField* super = find_field(schema, "Super Name");
  ASSERT_NE(super, nullptr);
  EXPECT_EQ(*physical_name(*super, *mode), "col-3877fd94-0973-4941-ac6b-646849a1ff65");
  EXPECT_EQ(*physical_name(*super, ColumnMappingMode::None), "Super Name");
  EXPECT_EQ(find_field(schema, "super name"), super);
  EXPECT_EQ(find_field(schema, "Nope"), nullptr);
}

TEST(SchemaParse, PartitioningMappingTableKeepsPhysicalNameAcrossRename) {
  REQUIRE_CONFORMANCE();
  std::vector<LoggedSchema> all = logged_schemas(fs::path(kConformance) / "table_with_partitioning_mapping");
  ASSERT_GE(all.size(), 3u);
  StructType before = parse_ok(all.front().schema_string);
  StructType after = parse_ok(all.back().schema_string);
  EXPECT_EQ(before.fields[0].physical_name, std::nullopt);
  EXPECT_EQ(after.fields[0].name, "newid");
  EXPECT_EQ(after.fields[0].physical_name, "id");
  EXPECT_EQ(*physical_name(after.fields[0], *column_mapping_mode(all.back().configuration)), "id");
}

TEST(SchemaParse, PartitionedTypesTable) {
  REQUIRE_CONFORMANCE();
  StructType schema = parse_ok(latest_schema("delta-2.2.0-partitioned-types").schema_string);
  ASSERT_EQ(schema.fields.size(), 3u);
  EXPECT_EQ(schema.fields[0].name, "c1");
  EXPECT_TRUE(schema.fields[0].type.is(PrimitiveKind::Integer));
  EXPECT_TRUE(schema.fields[1].type.is(PrimitiveKind::String));
  EXPECT_TRUE(schema.fields[2].type.is(PrimitiveKind::Integer));
  EXPECT_EQ(schema.fields[0].metadata_json, "{}");
}

TEST(SchemaParse, EdgeTimestampsTable) {
  REQUIRE_CONFORMANCE();
  StructType schema = parse_ok(latest_schema("table_with_edge_timestamps").schema_string);
  ASSERT_EQ(schema.fields.size(), 3u);
  EXPECT_EQ(schema.fields[0].name, "BIG_DATE");
  EXPECT_TRUE(schema.fields[0].type.is(PrimitiveKind::Timestamp));
  EXPECT_EQ(duckdb_type(schema.fields[0].type), "TIMESTAMP WITH TIME ZONE");
  EXPECT_TRUE(schema.fields[2].type.is(PrimitiveKind::Integer));
}

TEST(SchemaParse, TableFeaturesTable) {
  REQUIRE_CONFORMANCE();
  StructType schema = parse_ok(latest_schema("simple_table_features").schema_string);
  ASSERT_EQ(schema.fields.size(), 1u);
  EXPECT_EQ(schema.fields[0].name, "id");
  EXPECT_TRUE(schema.fields[0].type.is(PrimitiveKind::Long));
  EXPECT_EQ(*column_mapping_mode(latest_schema("simple_table_features").configuration),
            ColumnMappingMode::None);
}

TEST(SchemaParse, VariantTable) {
  REQUIRE_CONFORMANCE();
  StructType schema = parse_ok(latest_schema("spark-variant-checkpoint").schema_string);
  ASSERT_EQ(schema.fields.size(), 7u);
  EXPECT_TRUE(schema.fields[1].type.is_variant());
  const ArrayType* array = schema.fields[2].type.array_type();
  ASSERT_NE(array, nullptr);
  EXPECT_TRUE(array->element_type->is_variant());
  const MapType* map = schema.fields[4].type.map_type();
  ASSERT_NE(map, nullptr);
  EXPECT_TRUE(map->key_type->is(PrimitiveKind::String));
  EXPECT_TRUE(map->value_type->is_variant());
  EXPECT_EQ(duckdb_type(schema.fields[4].type), R"(MAP(VARCHAR, STRUCT("value" BLOB, "metadata" BLOB)))");
}

// Every schema in every conformance log parses, and writing it back gives the logged string byte
// for byte (they are all in Spark's compact layout).
TEST(SchemaParse, EveryConformanceSchemaRoundTrips) {
  REQUIRE_CONFORMANCE();
  size_t count = 0;
  for (const auto& table : fs::directory_iterator(kConformance)) {
    for (const LoggedSchema& logged : logged_schemas(table.path())) {
      SCOPED_TRACE(logged.table + "/" + logged.file);
      Result<StructType> schema = parse_schema(logged.schema_string);
      ASSERT_TRUE(schema.ok()) << schema.error().message();
      EXPECT_EQ(to_schema_json(*schema), logged.schema_string);
      EXPECT_TRUE(check_type_changes(*schema).ok());
      ++count;
    }
  }
  EXPECT_GE(count, 50u);
}

// ---- parsing built schemas ----

TEST(SchemaParse, EveryPrimitiveType) {
  struct Case {
    const char* name;
    PrimitiveKind kind;
    const char* duckdb;
  };
  const Case cases[] = {
      {"string", PrimitiveKind::String, "VARCHAR"},
      {"long", PrimitiveKind::Long, "BIGINT"},
      {"integer", PrimitiveKind::Integer, "INTEGER"},
      {"short", PrimitiveKind::Short, "SMALLINT"},
      {"byte", PrimitiveKind::Byte, "TINYINT"},
      {"float", PrimitiveKind::Float, "FLOAT"},
      {"double", PrimitiveKind::Double, "DOUBLE"},
      {"boolean", PrimitiveKind::Boolean, "BOOLEAN"},
      {"binary", PrimitiveKind::Binary, "BLOB"},
      {"date", PrimitiveKind::Date, "DATE"},
      {"timestamp", PrimitiveKind::Timestamp, "TIMESTAMP WITH TIME ZONE"},
      {"timestamp_ntz", PrimitiveKind::TimestampNtz, "TIMESTAMP"},
      {"void", PrimitiveKind::Void, "\"NULL\""},
  };
  std::vector<std::string> fields;
  for (const Case& c : cases)
    fields.push_back(field_json(std::string("c_") + c.name, fmt::format("\"{}\"", c.name)));
  StructType schema = parse_ok(struct_json(fields));
  ASSERT_EQ(schema.fields.size(), std::size(cases));
  Duck duck;
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(cases[i].name);
    const DataType& type = schema.fields[i].type;
    EXPECT_TRUE(type.is(cases[i].kind));
    EXPECT_EQ(duckdb_type(type), cases[i].duckdb);
    EXPECT_EQ(delta_type_name(type), cases[i].name);
    duck.ok(fmt::format("SELECT CAST(NULL AS {})", duckdb_type(type)));
  }
}

TEST(SchemaParse, Decimal) {
  StructType schema =
      parse_ok(struct_json({field_json("a", "\"decimal(38,0)\""), field_json("b", "\"decimal(10, 4)\""),
                            field_json("c", "\"decimal\""), field_json("d", "\"decimal(1,1)\"")}));
  EXPECT_EQ(schema.fields[0].type, DataType::decimal(38, 0));
  EXPECT_EQ(schema.fields[1].type, DataType::decimal(10, 4));
  EXPECT_EQ(schema.fields[2].type, DataType::decimal(10, 0));
  EXPECT_EQ(duckdb_type(schema.fields[1].type), "DECIMAL(10,4)");
  EXPECT_EQ(delta_type_name(schema.fields[1].type), "decimal(10,4)");
  EXPECT_EQ(duckdb_type(schema.fields[3].type), "DECIMAL(1,1)");

  Result<DataType> too_wide = parse_data_type("\"decimal(39,2)\"");
  ASSERT_FALSE(too_wide.ok());
  EXPECT_EQ(too_wide.error().kind(), ErrorKind::Unsupported);
  Result<DataType> bad_scale = parse_data_type("\"decimal(5,6)\"");
  ASSERT_FALSE(bad_scale.ok());
  EXPECT_EQ(bad_scale.error().kind(), ErrorKind::Corruption);
  EXPECT_EQ(parse_data_type("\"decimal(5)\"").error().kind(), ErrorKind::Corruption);
  EXPECT_EQ(parse_data_type("\"decimal(a,b)\"").error().kind(), ErrorKind::Corruption);
}

// The protocol's example schema ("Schema Serialization Format"), with column mapping metadata on e.
TEST(SchemaParse, NestedTypes) {
  const std::string json = R"({
    "type" : "struct",
    "fields" : [
      { "name" : "a", "type" : "integer", "nullable" : false, "metadata" : { } },
      { "name" : "b", "type" : { "type" : "struct", "fields" : [
          { "name" : "d", "type" : "integer", "nullable" : false, "metadata" : { } } ] },
        "nullable" : true, "metadata" : { } },
      { "name" : "c", "type" : { "type" : "array", "elementType" : "integer", "containsNull" : false },
        "nullable" : true, "metadata" : { } },
      { "name" : "e", "type" : { "type" : "array", "elementType" : { "type" : "struct", "fields" : [
          { "name" : "d", "type" : "integer", "nullable" : false, "metadata" : {
              "delta.columnMapping.id": 5,
              "delta.columnMapping.physicalName": "col-a7f4159c-53be-4cb0-b81a-f7e5240cfc49" } } ] },
          "containsNull" : true },
        "nullable" : true, "metadata" : { "delta.columnMapping.id": 4,
          "delta.columnMapping.physicalName": "col-5f422f40-de70-45b2-88ab-1d5c90e94db1" } },
      { "name" : "f", "type" : { "type" : "map", "keyType" : "string", "valueType" : "string",
          "valueContainsNull" : true }, "nullable" : true, "metadata" : { } }
    ] })";
  StructType schema = parse_ok(json);
  ASSERT_EQ(schema.fields.size(), 5u);
  EXPECT_FALSE(schema.fields[0].nullable);
  ASSERT_NE(schema.fields[1].type.struct_type(), nullptr);
  EXPECT_EQ(schema.fields[1].type.struct_type()->fields[0].name, "d");
  const ArrayType* c = schema.fields[2].type.array_type();
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->contains_null);
  const ArrayType* e = schema.fields[3].type.array_type();
  ASSERT_NE(e, nullptr);
  const StructField& d = e->element_type->struct_type()->fields[0];
  EXPECT_EQ(d.field_id, 5);
  EXPECT_EQ(d.physical_name, "col-a7f4159c-53be-4cb0-b81a-f7e5240cfc49");
  EXPECT_EQ(schema.fields[3].field_id, 4);
  EXPECT_EQ(schema.fields[3].metadata_json,
            R"({"delta.columnMapping.id":4,)"
            R"("delta.columnMapping.physicalName":"col-5f422f40-de70-45b2-88ab-1d5c90e94db1"})");
  const MapType* f = schema.fields[4].type.map_type();
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->value_contains_null);

  EXPECT_EQ(duckdb_type(schema.fields[1].type), R"(STRUCT("d" INTEGER))");
  EXPECT_EQ(duckdb_type(schema.fields[2].type), "INTEGER[]");
  EXPECT_EQ(duckdb_type(schema.fields[3].type), R"(STRUCT("d" INTEGER)[])");
  EXPECT_EQ(duckdb_type(schema.fields[4].type), "MAP(VARCHAR, VARCHAR)");
  Duck duck;
  for (const StructField& field : schema.fields)
    duck.ok(fmt::format("SELECT CAST(NULL AS {})", duckdb_type(field.type)));

  EXPECT_EQ(parse_schema(to_schema_json(schema)).value(), schema);
}

TEST(SchemaDuckdbType, QuotesStructFieldNames) {
  StructType inner{{field("we\"ird name", PrimitiveKind::Long), field("select", PrimitiveKind::String)}};
  DataType type = ArrayType{MapType{PrimitiveKind::String, inner, true}, true};
  EXPECT_EQ(duckdb_type(type), R"(MAP(VARCHAR, STRUCT("we""ird name" BIGINT, "select" VARCHAR))[])");
  Duck duck;
  auto [value, type_name] = duck.eval(fmt::format("CAST(NULL AS {})", duckdb_type(type)));
  EXPECT_EQ(value, std::nullopt);
  EXPECT_EQ(type_name, R"(MAP(VARCHAR, STRUCT("we""ird name" BIGINT, "select" VARCHAR))[])");
}

TEST(SchemaParse, Errors) {
  struct Case {
    std::string json;
    ErrorKind kind;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"{\"type\":\"struct\",\"fields\":[", ErrorKind::Corruption, "invalid JSON"},
      {"", ErrorKind::Corruption, "invalid JSON"},
      {"\"integer\"", ErrorKind::Corruption, "not a struct"},
      {R"({"type":"struct"})", ErrorKind::Corruption, "fields"},
      {struct_json({field_json("a", "\"interval\"")}), ErrorKind::Unsupported, "'interval'"},
      {struct_json({field_json("a", R"({"type":"udt","class":"x"})")}), ErrorKind::Unsupported, "'udt'"},
      {struct_json({field_json("a", R"({"type":"array","containsNull":true})")}), ErrorKind::Corruption,
       "elementType"},
      {struct_json({R"({"type":"long","nullable":true,"metadata":{}})"}), ErrorKind::Corruption, "name"},
      {struct_json({R"({"name":"a","nullable":true,"metadata":{}})"}), ErrorKind::Corruption, "type"},
      {struct_json({R"({"name":"a","type":"long","nullable":"yes","metadata":{}})"}), ErrorKind::Corruption,
       "nullable"},
      {struct_json({field_json("a", "\"long\""), field_json("A", "\"long\"")}), ErrorKind::Corruption,
       "duplicate"},
      {struct_json({field_json("a", "\"long\"", R"({"delta.columnMapping.id":"x"})")}), ErrorKind::Corruption,
       "delta.columnMapping.id"},
      {struct_json({field_json("a", "\"long\"", R"({"delta.columnMapping.physicalName":3})")}),
       ErrorKind::Corruption, "physicalName"},
      {struct_json({field_json("a", "\"long\"", "[]")}), ErrorKind::Corruption, "metadata"},
      {struct_json({field_json("a", "7")}), ErrorKind::Corruption, "string or an object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    Result<StructType> schema = parse_schema(c.json);
    ASSERT_FALSE(schema.ok());
    EXPECT_EQ(schema.error().kind(), c.kind) << schema.error().message();
    EXPECT_NE(schema.error().message().find(c.message_part), std::string::npos) << schema.error().message();
  }
}

TEST(SchemaParse, LenientDefaults) {
  // nullable, metadata and containsNull may be absent; metadata may be null.
  StructType schema =
      parse_ok(R"({"type":"struct","fields":[{"name":"a","type":{"type":"array","elementType":"long"}},
                   {"name":"b","type":"long","metadata":null}]})");
  EXPECT_TRUE(schema.fields[0].nullable);
  EXPECT_TRUE(schema.fields[0].type.array_type()->contains_null);
  EXPECT_EQ(schema.fields[1].metadata_json, "{}");
}

// ---- writing ----

TEST(SchemaJson, RoundTripsBuiltSchema) {
  StructField mapped = field("we\"ird\\ na\nme\x01", PrimitiveKind::Long, "col-1");
  mapped.field_id = 1;
  mapped.metadata_json = R"({"comment":"hé \"x\"","delta.columnMapping.id":1,)"
                         R"("delta.columnMapping.physicalName":"col-1","n":[1.5,null,true]})";
  StructType inner{{field("x", DataType::decimal(12, 3)), field("v", VariantType{})}};
  StructType schema{{
      mapped,
      field("s", inner),
      field("l", ArrayType{inner, false}),
      field("m", MapType{PrimitiveKind::Date, ArrayType{PrimitiveKind::TimestampNtz, true}, false}),
      field("b", PrimitiveKind::Binary),
  }};
  schema.fields.back().nullable = false;
  std::string json = to_schema_json(schema);
  Result<StructType> parsed = parse_schema(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message() << "\n" << json;
  EXPECT_EQ(*parsed, schema) << json;
  EXPECT_EQ(to_schema_json(*parsed), json);
  EXPECT_NE(json.find(R"("type":{"type":"array","elementType":{"type":"struct")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("name":"v","type":"variant")"), std::string::npos) << json;
}

// physical_name and field_id win over metadata_json; key order is kept where they already were.
TEST(SchemaJson, ColumnMappingFieldsOverrideMetadata) {
  StructField renamed = field("a", PrimitiveKind::Integer, "col-new");
  renamed.metadata_json = R"({"delta.columnMapping.physicalName":"col-old","x":1})";
  renamed.field_id = 7;
  StructField cleared = field("b", PrimitiveKind::Integer);
  cleared.metadata_json = R"({"delta.columnMapping.id":3,"y":2})";
  std::string json = to_schema_json(StructType{{renamed, cleared}});
  EXPECT_EQ(json, R"({"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":)"
                  R"({"delta.columnMapping.physicalName":"col-new","x":1,"delta.columnMapping.id":7}},)"
                  R"({"name":"b","type":"integer","nullable":true,"metadata":{"y":2}}]})");
}

// ---- column mapping and widening ----

TEST(SchemaColumnMapping, Mode) {
  EXPECT_EQ(*column_mapping_mode({}), ColumnMappingMode::None);
  EXPECT_EQ(*column_mapping_mode({{"delta.columnMapping.mode", "none"}}), ColumnMappingMode::None);
  EXPECT_EQ(*column_mapping_mode({{"delta.columnMapping.mode", "name"}}), ColumnMappingMode::Name);
  EXPECT_EQ(*column_mapping_mode({{"delta.columnMapping.mode", "ID"}}), ColumnMappingMode::Id);
  Result<ColumnMappingMode> bad = column_mapping_mode({{"delta.columnMapping.mode", "fancy"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(bad.error().message().find("fancy"), std::string::npos);
}

TEST(SchemaColumnMapping, PhysicalNameRequiredUnderMapping) {
  StructField plain = field("a", PrimitiveKind::Long);
  EXPECT_EQ(*physical_name(plain, ColumnMappingMode::None), "a");
  Result<std::string> missing = physical_name(plain, ColumnMappingMode::Id);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::Corruption);
  EXPECT_NE(missing.error().message().find("'a'"), std::string::npos);
}

TEST(SchemaTypeWidening, Rules) {
  auto widens = [](DataType from, DataType to) { return is_supported_widening(from, to); };
  EXPECT_TRUE(widens(PrimitiveKind::Byte, PrimitiveKind::Short));
  EXPECT_TRUE(widens(PrimitiveKind::Short, PrimitiveKind::Long));
  EXPECT_TRUE(widens(PrimitiveKind::Integer, PrimitiveKind::Long));
  EXPECT_FALSE(widens(PrimitiveKind::Long, PrimitiveKind::Integer));
  EXPECT_FALSE(widens(PrimitiveKind::Integer, PrimitiveKind::Integer));
  EXPECT_TRUE(widens(PrimitiveKind::Float, PrimitiveKind::Double));
  EXPECT_TRUE(widens(PrimitiveKind::Integer, PrimitiveKind::Double));
  EXPECT_FALSE(widens(PrimitiveKind::Long, PrimitiveKind::Double));
  EXPECT_TRUE(widens(PrimitiveKind::Date, PrimitiveKind::TimestampNtz));
  EXPECT_FALSE(widens(PrimitiveKind::Date, PrimitiveKind::Timestamp));
  EXPECT_TRUE(widens(DataType::decimal(6, 2), DataType::decimal(10, 4)));
  EXPECT_FALSE(widens(DataType::decimal(6, 2), DataType::decimal(7, 4)));  // k1 < k2
  EXPECT_FALSE(widens(DataType::decimal(6, 2), DataType::decimal(10, 1)));
  EXPECT_TRUE(widens(PrimitiveKind::Integer, DataType::decimal(12, 2)));
  EXPECT_FALSE(widens(PrimitiveKind::Integer, DataType::decimal(11, 2)));
  EXPECT_TRUE(widens(PrimitiveKind::Long, DataType::decimal(20, 0)));
  EXPECT_FALSE(widens(PrimitiveKind::Long, DataType::decimal(19, 0)));
  EXPECT_FALSE(widens(PrimitiveKind::String, PrimitiveKind::Long));
  EXPECT_FALSE(widens(ArrayType{PrimitiveKind::Integer, true}, ArrayType{PrimitiveKind::Long, true}));
}

TEST(SchemaTypeWidening, CheckTypeChanges) {
  const std::string changes = R"({"delta.typeChanges":[{"fromType":"short","toType":"integer"},)"
                              R"({"fromType":"integer","toType":"long"}]})";
  const std::string nested =
      R"j({"delta.typeChanges":[{"fromType":"decimal(6, 2)","toType":"decimal(10, 4)",)j"
      R"("fieldPath":"element.value"}]})";
  StructType ok = parse_ok(struct_json(
      {field_json("e", "\"long\"", changes),
       field_json("s", struct_json({field_json("n",
                                               R"({"type":"array","elementType":{"type":"map",)"
                                               R"j("keyType":"string","valueType":"decimal(10, 4)",)j"
                                               R"("valueContainsNull":true},"containsNull":true})",
                                               nested)}))}));
  EXPECT_TRUE(check_type_changes(ok).ok());

  StructType narrowing = parse_ok(struct_json({field_json(
      "s", struct_json({field_json("n", "\"integer\"",
                                   R"({"delta.typeChanges":[{"fromType":"long","toType":"integer"}]})")}))}));
  Status status = check_type_changes(narrowing);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(status.error().message().find("long -> integer"), std::string::npos) << status.error().message();

  StructType malformed =
      parse_ok(struct_json({field_json("a", "\"long\"", R"({"delta.typeChanges":[{"x":1}]})")}));
  EXPECT_EQ(check_type_changes(malformed).error().kind(), ErrorKind::Corruption);
}

// ---- partition values ----

struct LiteralCase {
  std::string value;
  DataType type;
  std::string sql;                      // expected partition_value_sql
  std::optional<std::string> rendered;  // CAST(sql AS VARCHAR) in DuckDB
};

void expect_literals(const std::vector<LiteralCase>& cases) {
  Duck duck;
  duck.ok("SET TimeZone = 'UTC'");
  for (const LiteralCase& c : cases) {
    SCOPED_TRACE(c.value + " as " + delta_type_name(c.type));
    Result<std::string> sql = partition_value_sql(c.value, c.type);
    ASSERT_TRUE(sql.ok()) << sql.error().message();
    EXPECT_EQ(*sql, c.sql);
    auto [rendered, type_name] = duck.eval(*sql);
    EXPECT_EQ(rendered, c.rendered);
    EXPECT_EQ(type_name, duckdb_type(c.type));
  }
}

TEST(SchemaPartitionValue, EveryPrimitiveType) {
  expect_literals({
      {"hello", PrimitiveKind::String, "CAST('hello' AS VARCHAR)", "hello"},
      {"9223372036854775807", PrimitiveKind::Long, "CAST(9223372036854775807 AS BIGINT)",
       "9223372036854775807"},
      {"-9223372036854775808", PrimitiveKind::Long, "CAST(-9223372036854775808 AS BIGINT)",
       "-9223372036854775808"},
      {"12", PrimitiveKind::Integer, "CAST(12 AS INTEGER)", "12"},
      {"-2147483648", PrimitiveKind::Integer, "CAST(-2147483648 AS INTEGER)", "-2147483648"},
      {"-32768", PrimitiveKind::Short, "CAST(-32768 AS SMALLINT)", "-32768"},
      {"127", PrimitiveKind::Byte, "CAST(127 AS TINYINT)", "127"},
      {"1.5", PrimitiveKind::Float, "CAST('1.5' AS FLOAT)", "1.5"},
      {"-2.25E10", PrimitiveKind::Double, "CAST('-2.25E10' AS DOUBLE)", "-22500000000.0"},
      {"NaN", PrimitiveKind::Double, "CAST('NaN' AS DOUBLE)", "nan"},
      {"-Infinity", PrimitiveKind::Float, "CAST('-Infinity' AS FLOAT)", "-inf"},
      {"true", PrimitiveKind::Boolean, "CAST(true AS BOOLEAN)", "true"},
      {"FALSE", PrimitiveKind::Boolean, "CAST(false AS BOOLEAN)", "false"},
      {"2021-01-01", PrimitiveKind::Date, "CAST('2021-01-01' AS DATE)", "2021-01-01"},
      {"2024-02-29", PrimitiveKind::Date, "CAST('2024-02-29' AS DATE)", "2024-02-29"},
      {"2021-01-01 00:00:00", PrimitiveKind::Timestamp,
       "CAST('2021-01-01 00:00:00+00:00' AS TIMESTAMP WITH TIME ZONE)", "2021-01-01 00:00:00+00"},
      {"2021-01-01T12:30:45.123456Z", PrimitiveKind::Timestamp,
       "CAST('2021-01-01 12:30:45.123456+00:00' AS TIMESTAMP WITH TIME ZONE)",
       "2021-01-01 12:30:45.123456+00"},
      {"2021-01-01T12:30:45.5+02:00", PrimitiveKind::Timestamp,
       "CAST('2021-01-01 12:30:45.5+02:00' AS TIMESTAMP WITH TIME ZONE)", "2021-01-01 10:30:45.5+00"},
      {"1970-01-01 00:00:00.000001", PrimitiveKind::TimestampNtz,
       "CAST('1970-01-01 00:00:00.000001' AS TIMESTAMP)", "1970-01-01 00:00:00.000001"},
      {"2021-01-01T00:00:00.000000Z", PrimitiveKind::TimestampNtz,
       "CAST('2021-01-01 00:00:00.000000' AS TIMESTAMP)", "2021-01-01 00:00:00"},
      // A date written before the column was widened to timestamp_ntz.
      {"2021-06-30", PrimitiveKind::TimestampNtz, "CAST('2021-06-30 00:00:00' AS TIMESTAMP)",
       "2021-06-30 00:00:00"},
      {"ab", PrimitiveKind::Binary, R"(CAST('\x61\x62' AS BLOB))", "ab"},
      {"123.45", DataType::decimal(5, 2), "CAST('123.45' AS DECIMAL(5,2))", "123.45"},
      {"-0.5", DataType::decimal(3, 2), "CAST('-0.50' AS DECIMAL(3,2))", "-0.50"},
      {"7", DataType::decimal(38, 0), "CAST('7' AS DECIMAL(38,0))", "7"},
      {"1.2E+3", DataType::decimal(10, 1), "CAST('1200.0' AS DECIMAL(10,1))", "1200.0"},
      {"0.005", DataType::decimal(4, 2), "CAST('0.01' AS DECIMAL(4,2))", "0.01"},  // rounds half up
      {"-0.001", DataType::decimal(4, 2), "CAST('0.00' AS DECIMAL(4,2))", "0.00"},
      {"99999999999999999999999999999999999999", DataType::decimal(38, 0),
       "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0))",
       "99999999999999999999999999999999999999"},
      {"anything", PrimitiveKind::Void, "CAST(NULL AS \"NULL\")", std::nullopt},
  });
}

TEST(SchemaPartitionValue, NullsOfEveryType) {
  const std::vector<DataType> types = {
      PrimitiveKind::String, PrimitiveKind::Long,     PrimitiveKind::Integer,   PrimitiveKind::Short,
      PrimitiveKind::Byte,   PrimitiveKind::Float,    PrimitiveKind::Double,    PrimitiveKind::Boolean,
      PrimitiveKind::Binary, PrimitiveKind::Date,     PrimitiveKind::Timestamp, PrimitiveKind::TimestampNtz,
      PrimitiveKind::Void,   DataType::decimal(10, 2)};
  Duck duck;
  for (const DataType& type : types) {
    SCOPED_TRACE(delta_type_name(type));
    for (const std::optional<std::string>& value :
         {std::optional<std::string>(), std::optional<std::string>("")}) {
      Result<std::string> sql = partition_value_sql(value, type);
      ASSERT_TRUE(sql.ok()) << sql.error().message();
      EXPECT_EQ(*sql, fmt::format("CAST(NULL AS {})", duckdb_type(type)));
      auto [rendered, type_name] = duck.eval(*sql);
      EXPECT_EQ(rendered, std::nullopt);
      EXPECT_EQ(type_name, duckdb_type(type));
    }
  }
}

TEST(SchemaPartitionValue, EscapesStringsAndBytes) {
  Duck duck;
  const std::string text = std::string("it's a \"quote\" \\x41 ünï ✓ ") + '\0' + "after nul";
  Result<std::string> sql = partition_value_sql(text, PrimitiveKind::String);
  ASSERT_TRUE(sql.ok());
  QueryResult result =
      duck.ok(fmt::format("SELECT x = {}, octet_length(encode(x)) FROM (SELECT {} AS x)",
                          "'it''s a \"quote\" \\x41 ünï ✓ ' || chr(0) || 'after nul'", *sql));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(result.rows[0][0], "true");
  EXPECT_EQ(result.rows[0][1], std::to_string(text.size()));

  const std::string bytes = std::string("\x00\x01'\\\xff\"x", 7);
  Result<std::string> blob = partition_value_sql(bytes, PrimitiveKind::Binary);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(*blob, R"(CAST('\x00\x01\x27\x5C\xFF\x22\x78' AS BLOB))");
  EXPECT_EQ(duck.eval(fmt::format("hex({})", *blob)).first, "0001275CFF2278");
}

// The literal names its offset, so the session's TimeZone does not move the instant.
TEST(SchemaPartitionValue, TimestampsIgnoreSessionTimeZone) {
  Duck duck;
  duck.ok("SET TimeZone = 'America/New_York'");
  for (const char* value : {"2021-01-01 00:00:00", "2021-01-01T00:00:00.000000Z"}) {
    Result<std::string> sql = partition_value_sql(std::string(value), PrimitiveKind::Timestamp);
    ASSERT_TRUE(sql.ok());
    EXPECT_EQ(duck.eval(fmt::format("epoch_us({})", *sql)).first, "1609459200000000") << value;
  }
  Result<std::string> ntz =
      partition_value_sql(std::string("2021-01-01 00:00:00"), PrimitiveKind::TimestampNtz);
  EXPECT_EQ(duck.eval(fmt::format("epoch_us({})", *ntz)).first, "1609459200000000");
}

TEST(SchemaPartitionValue, BadValuesAreCorruption) {
  const std::vector<std::pair<std::string, DataType>> cases = {
      {"abc", PrimitiveKind::Integer},
      {"12.0", PrimitiveKind::Integer},
      {"+5", PrimitiveKind::Long},
      {"2147483648", PrimitiveKind::Integer},
      {"128", PrimitiveKind::Byte},
      {"-32769", PrimitiveKind::Short},
      {"1e39", PrimitiveKind::Float},
      {"inf", PrimitiveKind::Double},
      {"1.5x", PrimitiveKind::Double},
      {"yes", PrimitiveKind::Boolean},
      {"2021-02-29", PrimitiveKind::Date},
      {"2021-13-01", PrimitiveKind::Date},
      {"2021-1-01", PrimitiveKind::Date},
      {"2021-01-01 24:00:00", PrimitiveKind::Timestamp},
      {"2021-01-01 00:00", PrimitiveKind::Timestamp},
      {"2021-01-01 00:00:00.1234567891", PrimitiveKind::Timestamp},
      {"2021-01-01 00:00:00 UTC", PrimitiveKind::Timestamp},
      {"2021-01-01T00:00:00+01:00", PrimitiveKind::TimestampNtz},
      {"123.456", DataType::decimal(4, 2)},  // 123.46 needs 5 digits
      {"9.999", DataType::decimal(3, 2)},    // rounds up to 10.00
      {"1.2.3", DataType::decimal(10, 2)},
      {"1e", DataType::decimal(10, 2)},
      {"x'; DROP TABLE t; --", DataType::decimal(10, 2)},
      {std::string("\xff\xfe"), PrimitiveKind::String},
  };
  for (const auto& [value, type] : cases) {
    SCOPED_TRACE(value + " as " + delta_type_name(type));
    Result<std::string> sql = partition_value_sql(value, type);
    ASSERT_FALSE(sql.ok()) << *sql;
    EXPECT_EQ(sql.error().kind(), ErrorKind::Corruption);
    EXPECT_NE(sql.error().message().find(delta_type_name(type)), std::string::npos) << sql.error().message();
  }
  Result<std::string> named = partition_value_sql(std::string("abc"), PrimitiveKind::Integer);
  EXPECT_EQ(named.error().with_context("column 'c1'").message(),
            "column 'c1': partition value 'abc' is not a valid integer");
}

TEST(SchemaPartitionValue, ComplexTypesUnsupported) {
  for (const DataType& type : {DataType(VariantType{}), DataType(ArrayType{PrimitiveKind::Long, true}),
                               DataType(StructType{{field("a", PrimitiveKind::Long)}})}) {
    Result<std::string> sql = partition_value_sql(std::string("x"), type);
    ASSERT_FALSE(sql.ok());
    EXPECT_EQ(sql.error().kind(), ErrorKind::Unsupported);
  }
}

// The values of a real partitioned table.
TEST(SchemaPartitionValue, ConformancePartitionedTypes) {
  REQUIRE_CONFORMANCE();
  StructType schema = parse_ok(latest_schema("delta-2.2.0-partitioned-types").schema_string);
  expect_literals({
      {"4", schema.fields[0].type, "CAST(4 AS INTEGER)", "4"},
      {"c", schema.fields[1].type, "CAST('c' AS VARCHAR)", "c"},
  });
}

// ---- read projections ----

class SchemaReadProjection : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("silt_schema_test_{}", getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_parquet(const std::string& name, const std::string& select) {
    std::string path = (dir_ / name).string();
    duck_.ok(fmt::format("COPY ({}) TO {} (FORMAT parquet)", select, quote_literal(path)));
    return path;
  }

  // SELECT <read_expression> AS "<name>", ... FROM read_parquet(path) AS t, each column rendered as
  // VARCHAR next to its typeof, rows in file order.
  QueryResult project(const StructType& schema, ColumnMappingMode mode, const std::string& path) {
    std::string projections;
    std::string rendered;
    for (const StructField& field : schema.fields) {
      Result<std::string> expression = read_expression(field, mode, "t");
      EXPECT_TRUE(expression.ok()) << expression.error().message();
      if (!expression.ok()) return {};
      projections +=
          fmt::format("{}{} AS {}", projections.empty() ? "" : ", ", *expression, quote_ident(field.name));
      rendered += fmt::format("{0}CAST({1} AS VARCHAR) AS {1}, typeof({1})", rendered.empty() ? "" : ", ",
                              quote_ident(field.name));
    }
    return duck_.ok(
        fmt::format("SELECT {} FROM (SELECT {}, file_row_number FROM read_parquet({}, "
                    "file_row_number=true) AS t) ORDER BY file_row_number",
                    rendered, projections, quote_literal(path)));
  }

  fs::path dir_;
  Duck duck_;
};

TEST_F(SchemaReadProjection, PlainCastWidensTypes) {
  std::string path =
      write_parquet("plain.parquet",
                    "SELECT 1::INTEGER AS id, 1.5::FLOAT AS f, DATE '2021-01-02' AS d, 'x' AS s "
                    "UNION ALL SELECT NULL, NULL, NULL, NULL");
  StructType schema{{field("id", PrimitiveKind::Long), field("f", PrimitiveKind::Double),
                     field("d", PrimitiveKind::TimestampNtz), field("s", PrimitiveKind::String)}};
  EXPECT_EQ(*read_expression(schema.fields[0], ColumnMappingMode::None, "t"), R"(CAST("t"."id" AS BIGINT))");
  EXPECT_EQ(*read_expression(schema.fields[3], ColumnMappingMode::None, ""), R"(CAST("s" AS VARCHAR))");
  QueryResult result = project(schema, ColumnMappingMode::None, path);
  ASSERT_EQ(result.rows.size(), 2u);
  std::vector<std::optional<std::string>> first = {
      "1", "BIGINT", "1.5", "DOUBLE", "2021-01-02 00:00:00", "TIMESTAMP", "x", "VARCHAR"};
  EXPECT_EQ(result.rows[0], first);
  EXPECT_EQ(result.rows[1][0], std::nullopt);
  EXPECT_EQ(result.rows[1][1], "BIGINT");
}

// A schema under column mapping whose data file uses physical names at every level.
TEST_F(SchemaReadProjection, ColumnMappingRenamesNestedFields) {
  std::string path = write_parquet("mapped.parquet",
                                   R"(SELECT 1::INTEGER AS "col-a",
                {'col-b': 'x', 'col-c': {'col-d': 5::INTEGER}} AS "col-s",
                [{'col-e': 1::INTEGER}, NULL] AS "col-l",
                MAP {'k': {'col-f': 2.5::DOUBLE}} AS "col-m",
                {'col-h': 9::INTEGER} AS "col-n"
         UNION ALL
         SELECT 2, NULL, NULL, NULL, NULL)");
  StructType schema = parse_ok(struct_json({
      field_json("a", "\"long\"",
                 R"({"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-a"})"),
      field_json(
          "s",
          struct_json({field_json("b", "\"string\"", R"({"delta.columnMapping.physicalName":"col-b"})"),
                       field_json("c",
                                  struct_json({field_json(
                                      "d", "\"long\"", R"({"delta.columnMapping.physicalName":"col-d"})")}),
                                  R"({"delta.columnMapping.physicalName":"col-c"})")}),
          R"({"delta.columnMapping.physicalName":"col-s"})"),
      field_json("l",
                 R"({"type":"array","containsNull":true,"elementType":)" +
                     struct_json({field_json("e", "\"integer\"",
                                             R"({"delta.columnMapping.physicalName":"col-e"})")}) +
                     "}",
                 R"({"delta.columnMapping.physicalName":"col-l"})"),
      field_json("m",
                 R"({"type":"map","keyType":"string","valueContainsNull":true,"valueType":)" +
                     struct_json(
                         {field_json("f", "\"double\"", R"({"delta.columnMapping.physicalName":"col-f"})")}) +
                     "}",
                 R"({"delta.columnMapping.physicalName":"col-m"})"),
      // g was added after the file was written: it reads as NULL.
      field_json(
          "n",
          struct_json({field_json("h", "\"integer\"", R"({"delta.columnMapping.physicalName":"col-h"})"),
                       field_json("g", "\"string\"", R"({"delta.columnMapping.physicalName":"col-g"})")}),
          R"({"delta.columnMapping.physicalName":"col-n"})"),
  }));
  for (ColumnMappingMode mode : {ColumnMappingMode::Name, ColumnMappingMode::Id}) {
    SCOPED_TRACE(column_mapping_mode_name(mode));
    QueryResult result = project(schema, mode, path);
    ASSERT_EQ(result.rows.size(), 2u);
    std::vector<std::string> names;
    for (size_t i = 0; i < result.columns.size(); i += 2) names.push_back(result.columns[i]);
    EXPECT_EQ(names, (std::vector<std::string>{"a", "s", "l", "m", "n"}));
    std::vector<std::optional<std::string>> first = {"1",
                                                     "BIGINT",
                                                     "{'b': x, 'c': {'d': 5}}",
                                                     R"(STRUCT(b VARCHAR, c STRUCT(d BIGINT)))",
                                                     "[{'e': 1}, NULL]",
                                                     "STRUCT(e INTEGER)[]",
                                                     "{k={'f': 2.5}}",
                                                     "MAP(VARCHAR, STRUCT(f DOUBLE))",
                                                     "{'h': 9, 'g': NULL}",
                                                     "STRUCT(h INTEGER, g VARCHAR)"};
    EXPECT_EQ(result.rows[0], first);
    // NULL structs, lists and maps stay NULL rather than becoming structs of NULLs.
    std::vector<std::optional<std::string>> second = {"2", std::nullopt, std::nullopt, std::nullopt,
                                                      std::nullopt};
    for (size_t i = 0; i < second.size(); ++i) EXPECT_EQ(result.rows[1][2 * i], second[i]) << i;
  }

  Result<std::string> plain = read_expression(schema.fields[0], ColumnMappingMode::Name, "t");
  EXPECT_EQ(*plain, R"(CAST("t"."col-a" AS BIGINT))");
  StructField unmapped = field("z", StructType{{field("y", PrimitiveKind::Long)}}, "col-z");
  Result<std::string> missing = read_expression(unmapped, ColumnMappingMode::Name, "t");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::Corruption);
  EXPECT_NE(missing.error().message().find("'y'"), std::string::npos);
}

TEST_F(SchemaReadProjection, VoidColumnsReadAsNull) {
  std::string path = write_parquet("void.parquet", "SELECT 1::BIGINT AS id");
  StructType schema{{field("id", PrimitiveKind::Long), field("nothing", PrimitiveKind::Void)}};
  QueryResult result = project(schema, ColumnMappingMode::None, path);
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_EQ(result.rows[0][2], std::nullopt);
}

// DuckDB pushes a filter on the projected column into the parquet scan.
TEST_F(SchemaReadProjection, FiltersReachTheParquetScan) {
  std::string path =
      write_parquet("big.parquet", "SELECT i::BIGINT AS id, i::VARCHAR AS s FROM range(10000) r(i)");
  StructType schema{{field("id", PrimitiveKind::Long), field("s", PrimitiveKind::String)}};
  std::string id = *read_expression(schema.fields[0], ColumnMappingMode::None, "t");
  std::string s = *read_expression(schema.fields[1], ColumnMappingMode::None, "t");
  QueryResult plan = duck_.ok(
      fmt::format("EXPLAIN SELECT s FROM (SELECT {} AS id, {} AS s FROM read_parquet({}) AS t) WHERE id = 42",
                  id, s, quote_literal(path)));
  ASSERT_EQ(plan.rows.size(), 1u);
  std::string text = plan.rows[0][1].value_or("");
  EXPECT_NE(text.find("Filters"), std::string::npos) << text;
  EXPECT_NE(text.find("id=42"), std::string::npos) << text;
}

// Real tables: column mapping with physical names, and variant columns as their parquet struct.
TEST_F(SchemaReadProjection, ConformanceTables) {
  REQUIRE_CONFORMANCE();
  LoggedSchema mapped = latest_schema("table_with_column_mapping");
  StructType mapped_schema = parse_ok(mapped.schema_string);
  std::string name = *read_expression(*find_field(mapped_schema, "Super Name"), ColumnMappingMode::Name, "t");
  QueryResult names = duck_.ok(fmt::format(
      "SELECT count(*), count(\"Super Name\"), min(typeof(\"Super Name\")) FROM (SELECT {} AS \"Super Name\" "
      "FROM read_parquet({}, hive_partitioning=false) AS t)",
      name, quote_literal(kConformance + "/table_with_column_mapping/**/*.parquet")));
  ASSERT_EQ(names.rows.size(), 1u);
  EXPECT_NE(names.rows[0][0], "0");
  EXPECT_EQ(names.rows[0][0], names.rows[0][1]);
  EXPECT_EQ(names.rows[0][2], "VARCHAR");

  StructType variants = parse_ok(latest_schema("spark-variant-checkpoint").schema_string);
  std::string projections;
  for (const StructField& field : variants.fields) {
    projections +=
        fmt::format("{}{} AS {}", projections.empty() ? "" : ", ",
                    *read_expression(field, ColumnMappingMode::None, "t"), quote_ident(field.name));
  }
  QueryResult rows =
      duck_.ok(fmt::format("SELECT count(*), count(v), min(typeof(v)) FROM (SELECT {} FROM "
                           "read_parquet({}) AS t)",
                           projections, quote_literal(kConformance + "/spark-variant-checkpoint/*.parquet")));
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_NE(rows.rows[0][0], "0");
  EXPECT_EQ(rows.rows[0][2], R"(STRUCT("value" BLOB, metadata BLOB))");
}

}  // namespace
}  // namespace silt::delta
