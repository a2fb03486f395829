// Pipeline projects: silt.toml and asset header parsing, with errors that name file and line.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/temp_table.h"
#include "pipeline/project.h"
#include "pipeline/run_history.h"

namespace silt::pipeline {
namespace {

using silt::testing::TempTable;

ProjectConfig config() {
  ProjectConfig c;
  c.dir = "/p";
  c.lake = "/p/lake";
  return c;
}

Result<Asset> parse(const std::string& text, const std::string& file = "assets/silver/orders.sql") {
  return parse_asset(file, text, "silver", config());
}

void expect_error(const std::string& text, const std::string& expected) {
  auto a = parse(text);
  ASSERT_FALSE(a.ok()) << "parsed: " << text;
  EXPECT_NE(a.error().message().find(expected), std::string::npos) << a.error().message();
}

TEST(PipelineAssetHeader, ReadsEverySetting) {
  auto a = parse(
      "-- Orders, cleaned.\n"
      "-- layer: gold\n"
      "-- mode: replace-where\n"
      "-- where: day >= DATE '2026-01-01'\n"
      "-- partition_by: day, region\n"
      "-- schema: merge\n"
      "-- retries: 3\n"
      "-- check: not_null(id); unique(id, day)\n"
      "-- check: warn row_count(min=1, max=1e9)\n"
      "\n"
      "SELECT id, day, region\n"
      "FROM raw_orders -- trailing comment stays in the SQL\n"
      "WHERE id > 0;\n");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->name, "orders");
  EXPECT_EQ(a->layer, "gold");
  EXPECT_EQ(a->mode, AssetMode::ReplaceWhere);
  EXPECT_EQ(a->where, "day >= DATE '2026-01-01'");
  EXPECT_EQ(a->partition_by, (std::vector<std::string>{"day", "region"}));
  EXPECT_EQ(a->schema_mode, ops::SchemaMode::Merge);
  EXPECT_EQ(a->retries, 3);
  ASSERT_EQ(a->checks.size(), 3u);
  EXPECT_EQ(a->checks[1].text, "unique(id, day)");
  EXPECT_FALSE(a->checks[2].blocking);
  EXPECT_EQ(a->checks[2].max, 1000000000);
  EXPECT_EQ(a->sql,
            "SELECT id, day, region\nFROM raw_orders -- trailing comment stays in the SQL\nWHERE id > 0");
  EXPECT_EQ(a->table_path, "/p/lake/gold/orders");
}

TEST(PipelineAssetHeader, DefaultsAreOverwriteInTheFolderLayer) {
  auto a = parse("SELECT 1 AS x\n");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->mode, AssetMode::Overwrite);
  EXPECT_EQ(a->layer, "silver");
  EXPECT_EQ(a->table_path, "/p/lake/silver/orders");
  auto elsewhere = parse("-- table: marts/orders_v2\nSELECT 1 AS x\n");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error().message();
  EXPECT_EQ(elsewhere->table_path, "/p/lake/marts/orders_v2");
  expect_error("-- table: ../outside\nSELECT 1", ":1: table must be a folder inside the lake");
}

TEST(PipelineAssetHeader, IngestAssetNeedsNoBody) {
  auto a = parse("-- source: clinic.billing\n-- watermark: updated_at\n-- mode: merge\n-- keys: id\n");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->source, "clinic.billing");
  EXPECT_EQ(a->watermark, "updated_at");
  EXPECT_EQ(a->keys, (std::vector<std::string>{"id"}));
  EXPECT_EQ(a->sql, "");
  // A watermark alone means append: overwriting with only the new rows would lose the rest.
  auto appends = parse("-- source: clinic.billing\n-- watermark: updated_at\n");
  ASSERT_TRUE(appends.ok()) << appends.error().message();
  EXPECT_EQ(appends->mode, AssetMode::Append);
  EXPECT_FALSE(appends->schema_mode.has_value());
}

TEST(PipelineAssetHeader, ErrorsNameFileAndLine) {
  expect_error("-- layer: silver\n-- colour: blue\nSELECT 1",
               "assets/silver/orders.sql:2: unknown header key 'colour'");
  expect_error("-- mode: upsert\nSELECT 1", "assets/silver/orders.sql:1: mode must be");
  expect_error("--\n--\n-- check: not_null(id); bogus(id)\nSELECT 1",
               "assets/silver/orders.sql:3: bad check 'bogus(id)'");
  expect_error("-- check: not_null(a + b)\nSELECT 1", ":1: bad check 'not_null(a + b)': not a column name");
  expect_error("-- retries: many\nSELECT 1", ":1: retries must be");
  expect_error("-- mode: merge\nSELECT 1", "mode merge needs keys");
  expect_error("-- mode: replace-where\nSELECT 1", "needs where");
  expect_error("-- layer: silver\n", "no SELECT");
  expect_error("-- watermark: x\nSELECT 1", "watermark: needs source:");
  expect_error("-- source: billing\n", "source_name.table");
  expect_error("-- source: a.b\n-- watermark: t\n-- mode: overwrite\n",
               "watermark: needs mode append or merge");
  auto reserved = parse("SELECT 1", "assets/silver/self.sql");
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.error().message().find("reserved"), std::string::npos);
  auto bad_name = parse("SELECT 1", "assets/silver/my-orders.sql");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message().find("assets/silver/my-orders.sql:1"), std::string::npos);
}

// A header ends at the first line of SQL: "-- key: value" after it is part of the SQL.
TEST(PipelineAssetHeader, HeaderEndsAtTheFirstSqlLine) {
  auto a = parse("SELECT 1 AS x\n-- colour: blue\n");
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->sql, "SELECT 1 AS x\n-- colour: blue");
}

TEST(PipelineCommandAsset, ReadsCommandInputsAndSettings) {
  auto a = parse_command_asset("assets/gold/score.toml",
                               "command = [\"python3\", \"score.py\"]\ninputs = [\"Orders\", \"customers\"]\n"
                               "mode = \"append\"\npartition_by = [\"day\"]\nretries = 2\n"
                               "checks = [\"not_null(id)\", \"unique(id)\"]\n",
                               "gold", config());
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->name, "score");
  EXPECT_EQ(a->command, (std::vector<std::string>{"python3", "score.py"}));
  EXPECT_EQ(a->inputs, (std::vector<std::string>{"orders", "customers"}));
  EXPECT_EQ(a->mode, AssetMode::Append);
  EXPECT_EQ(a->partition_by, (std::vector<std::string>{"day"}));
  EXPECT_EQ(a->retries, 2);
  EXPECT_EQ(a->checks.size(), 2u);
  EXPECT_EQ(a->table_path, "/p/lake/gold/score");
  auto no_command = parse_command_asset("assets/gold/x.toml", "inputs = [\"a\"]\n", "gold", config());
  ASSERT_FALSE(no_command.ok());
  EXPECT_NE(no_command.error().message().find("assets/gold/x.toml:1: command = "), std::string::npos);
  auto bad_check = parse_command_asset("assets/gold/x.toml",
                                       "command = [\"true\"]\n\nchecks = [\"nope(a)\"]\n", "gold", config());
  ASSERT_FALSE(bad_check.ok());
  EXPECT_NE(bad_check.error().message().find("assets/gold/x.toml:3: bad check 'nope(a)'"), std::string::npos)
      << bad_check.error().message();
}

TEST(PipelinePiiHeader, ParsesPolicies) {
  auto a = parse("-- pii: patient_name = hash, phone = mask(4), birth_date = generalize(year)\nSELECT 1");
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_EQ(a->pii.size(), 3u);
  EXPECT_EQ(a->pii[0].column, "patient_name");
  EXPECT_EQ(a->pii[1].method, pii::Method::Mask);
  EXPECT_EQ(a->pii[2].argument, "year");
}

class PipelineConfig : public ::testing::Test {
 protected:
  Result<ProjectConfig> load(const std::string& toml) {
    std::ofstream(dir_.root() + "/silt.toml") << toml;
    return load_config(dir_.root());
  }
  TempTable dir_;
};

TEST_F(PipelineConfig, ReadsSourcesDefaultsAndSchedules) {
  auto c = load(R"(lake = "warehouse"
[defaults]
retries = 2
retry_backoff_ms = 10
threads = 3
memory_mb = 900
[pii]
key_env = "MY_KEY"
[sources.raw]
kind = "files"
path = "data"
[sources.clinic]
kind = "postgres"
host = "db"
port = 5432
password_env = "CLINIC_PW"
[schedules.nightly]
cron = "0 2 * * *"
select = ["layer:gold", "orders+"]
)");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->lake, dir_.root() + "/warehouse");
  EXPECT_EQ(c->retries, 2);
  EXPECT_EQ(c->retry_backoff_ms, 10);
  EXPECT_EQ(c->threads, 3);
  EXPECT_EQ(c->memory_mb, 900);
  EXPECT_EQ(c->pii_key_env, "MY_KEY");
  EXPECT_EQ(c->sources["raw"].settings["path"], dir_.root() + "/data");
  EXPECT_EQ(c->sources["raw"].settings["format"], "csv");
  EXPECT_EQ(c->sources["clinic"].settings["port"], "5432");
  ASSERT_EQ(c->schedules.size(), 1u);
  EXPECT_EQ(c->schedules[0].select, (std::vector<std::string>{"layer:gold", "orders+"}));
}

TEST_F(PipelineConfig, RefusesLiteralPasswords) {
  auto c = load("[sources.clinic]\nkind = \"postgres\"\nhost = \"db\"\npassword = \"hunter2\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("silt.toml:4: sources.clinic.password"), std::string::npos)
      << c.error().message();
  EXPECT_EQ(c.error().message().find("hunter2"), std::string::npos);
}

TEST_F(PipelineConfig, ErrorsNameTheLine) {
  auto unknown = load("lake = \"l\"\n\ncolour = \"blue\"\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("silt.toml:3: unknown key colour"), std::string::npos);
  auto kind = load("[sources.x]\nkind = \"oracle\"\n");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message().find("sources.x.kind"), std::string::npos);
  auto cron = load("[schedules.n]\ncron = \"0 2 * *\"\n");
  ASSERT_FALSE(cron.ok());
  EXPECT_NE(cron.error().message().find("silt.toml:2: schedules.n.cron: cron \"0 2 * *\": expected 5 fields"),
            std::string::npos)
      << cron.error().message();
  auto range = load("[schedules.n]\ncron = \"0 25 * * *\"\n");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message().find("silt.toml:2: schedules.n.cron: cron \"0 25 * * *\": hour field"),
            std::string::npos)
      << range.error().message();
  auto main = load("[sources.main]\nkind = \"files\"\npath = \"d\"\n");
  ASSERT_FALSE(main.ok());
  EXPECT_NE(main.error().message().find("silt.toml:1: sources.main: the name is reserved"), std::string::npos)
      << main.error().message();
  auto syntax = load("lake = \n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message().find("silt.toml:1:"), std::string::npos);
}

}  // namespace
}  // namespace silt::pipeline

namespace silt::pipeline {
namespace {

TEST(PipelineRunId, IsTheStartTimeAndMapsToAnIncreasingNumber) {
  auto n = run_number("20260101-000000-001");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 20260101000000001);
  EXPECT_LT(*n, *run_number("20260101-000000-002"));
  EXPECT_LT(*run_number("20251231-235959-999"), *n);
  std::string fresh = new_run_id();
  EXPECT_TRUE(run_number(fresh).ok()) << fresh;
  for (const char* bad : {"", "latest", "20260101-000000", "20260101x000000-001", "2026010-1000000-001",
                          "20260101-000000-0011"})
    EXPECT_FALSE(run_number(bad).ok()) << bad;
}

}  // namespace
}  // namespace silt::pipeline
