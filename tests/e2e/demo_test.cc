// The README's demo as tests: examples/clinic run end to end by the real binary on its generated
// SQLite source (both runs, time travel), checked against gold computed in plain DuckDB SQL from
// the source rows; the PII guarantee (planted values searched in every file and output the runs
// produce); and the same project on PostgreSQL and Firebird with only the source block changed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "../support/cli_runner.h"
#include "../support/query_rows.h"
#include "../support/source_servers.h"
#include "../support/temp_table.h"
#include "scan/session.h"
#include "util/sql_text.h"

namespace silt {
namespace {

namespace fs = std::filesystem;
using Exec = silt::testing::Run;
using silt::testing::run_silt;
using silt::testing::shell_quote;
using silt::testing::TempTable;
using V = std::vector<std::string>;

const std::string kExample = SILT_SOURCE_DIR "/examples/clinic";
const std::string kKey = "SILT_PII_KEY=demo-test-key";
const std::string kSqliteBlock = "[sources.clinic]\nkind = \"sqlite\"\npath = \"data/clinic.db\"\n";
const std::vector<std::string> kGold = {"care_minutes_by_facility_day", "revenue_by_region_month",
                                        "patients_by_facility_age_band"};

// Gold as the demo defines it, written again here over CSV exports of the source tables
// (`dir`/<table>.csv): the expected rows of each gold table, in the table's column order.
std::map<std::string, std::string> expected_gold_sql(const std::string& dir) {
  auto csv = [&](const std::string& t) { return "read_csv(" + quote_literal(dir + "/" + t + ".csv") + ")"; };
  std::string visits =
      "WITH visits AS (SELECT b.facility_id, f.name AS facility_name, f.region, b.patient_id, b.visit_date, "
      "b.care_minutes, CAST(b.amount AS DECIMAL(10, 2)) AS amount, b.status, "
      "year(b.visit_date) - year(p.birth_date) AS age FROM " +
      csv("billing") + " b, " + csv("facilities") + " f, " + csv("patients") +
      " p WHERE b.facility_id = f.facility_id AND b.patient_id = p.patient_id), "
      "banded AS (SELECT *, CASE WHEN age >= 65 THEN '65+' WHEN age >= 40 THEN '40-64' WHEN age >= 18 "
      "THEN '18-39' ELSE '0-17' END AS age_band FROM visits) ";
  return {
      {"care_minutes_by_facility_day", visits +
                                           "SELECT facility_id, facility_name, visit_date, count(*), "
                                           "sum(care_minutes) FROM banded GROUP BY 1, 2, 3 ORDER BY ALL"},
      {"revenue_by_region_month", visits +
                                      "SELECT region, CAST(date_trunc('month', visit_date) AS DATE) AS m, "
                                      "count(*), sum(amount), sum(CASE WHEN status = 'paid' THEN amount END) "
                                      "FROM banded GROUP BY 1, 2 ORDER BY ALL"},
      {"patients_by_facility_age_band",
       visits + "SELECT facility_id, facility_name, age_band, count(DISTINCT "
                "patient_id), count(*) FROM banded GROUP BY 1, 2, 3 ORDER BY ALL"},
  };
}

// A copy of examples/clinic (its silt.toml and assets) in a temp dir, with the generated source.
class ClinicProject {
 public:
  ClinicProject() {
    fs::copy(kExample + "/silt.toml", root() + "/silt.toml");
    fs::copy(kExample + "/assets", root() + "/assets", fs::copy_options::recursive);
    fs::create_directories(root() + "/data");
    session_ = std::move(Session::open().value());
  }
  const std::string& root() const { return dir_.root(); }
  std::string db() const { return root() + "/data/clinic.db"; }
  std::string table(const std::string& layer, const std::string& name) const {
    return root() + "/lake/" + layer + "/" + name;
  }
  void write(const std::string& rel, const std::string& text) const { dir_.write(rel, text); }

  // Runs a shell command line; its exit code.
  static int sh(const std::string& cmd) { return std::system(cmd.c_str()); }
  // Runs a SQL file of examples/clinic/source, or SQL text, against the source database.
  int source_file(const std::string& name) const { return apply_source_file(db(), name); }
  static int apply_source_file(const std::string& db, const std::string& name) {
    return sh("sqlite3 " + shell_quote(db) + " < " + shell_quote(kExample + "/source/" + name) +
              " >/dev/null");
  }
  int source_sql(const std::string& sql) const {
    return sh("sqlite3 " + shell_quote(db()) + " " + shell_quote(sql));
  }
  // Runs `select` on the SQLite database `db` with sqlite3 options `mode` ("-header -csv"),
  // appending what it prints to `path`; the exit code.
  static int sqlite_export(const std::string& db, const std::string& mode, const std::string& select,
                           const std::string& path) {
    return sh("sqlite3 " + mode + " " + shell_quote(db) + " " + shell_quote(select) + " >> " +
              shell_quote(path));
  }
  // Exports the three source tables to `dir`/<table>.csv (with a header).
  void export_csv(const std::string& dir) const {
    fs::create_directories(dir);
    for (std::string t : {"patients", "facilities", "billing"})
      ASSERT_EQ(sqlite_export(db(), "-header -csv", "SELECT * FROM " + t, dir + "/" + t + ".csv"), 0);
  }

  Exec pipeline(V args) const {
    args.insert(args.begin(), "pipeline");
    args.insert(args.begin() + 2, {"--project", root()});
    return run_silt(args, "", kKey);
  }
  static std::string run_id(const Exec& r) {
    return r.out.starts_with("run ") ? r.out.substr(4, r.out.find('\n') - 4) : "";
  }
  // Rows of a query that may use delta_scan, as "a|b" lines.
  V rows(const std::string& sql) {
    auto expanded = session_->expand_sql(sql);
    if (!expanded.ok()) return {"error: " + expanded.error().message()};
    return silt::testing::text_rows(*session_, *expanded);
  }
  // A gold table at `version` (-1: the latest), every column, sorted.
  V gold(const std::string& name, int64_t version = -1) {
    std::string at = version < 0 ? "" : ", version => " + std::to_string(version);
    return rows("SELECT * FROM delta_scan(" + quote_literal(table("gold", name)) + at + ") ORDER BY ALL");
  }
  std::map<std::string, V> expected_gold(const std::string& csv_dir) {
    std::map<std::string, V> out;
    for (const auto& [name, sql] : expected_gold_sql(csv_dir)) out[name] = rows(sql);
    return out;
  }
  // One run's history row for an asset: status|rows_written|version.
  V history(const std::string& run, const std::string& asset) {
    return rows("SELECT status, rows_written, version FROM delta_scan(" +
                quote_literal(root() + "/lake/_silt/runs") + ") WHERE run_id = " + quote_literal(run) +
                " AND asset = " + quote_literal(asset));
  }
  Session& session() { return *session_; }

 private:
  TempTable dir_;
  std::unique_ptr<Session> session_;
};

TEST(ClinicDemo, TwoRunsIncrementalSchemaEvolutionAndTimeTravel) {
  ClinicProject p;
  ASSERT_EQ(p.source_file("generate.sql"), 0) << "needs the sqlite3 command-line tool";
  p.export_csv(p.root() + "/csv1");
  Exec first = p.pipeline({"run"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_EQ(p.rows("SELECT string_agg(asset || ':' || status || ':' || version, ' ' ORDER BY asset) FROM "
                   "delta_scan(" +
                   quote_literal(p.root() + "/lake/_silt/runs") + ")"),
            (V{"billing:success:0 care_minutes_by_facility_day:success:0 facilities:success:0 "
               "patients:success:0 patients_by_facility_age_band:success:0 revenue_by_region_month:success:0 "
               "visits:success:0"}));
  EXPECT_EQ(p.history(ClinicProject::run_id(first), "billing"), (V{"success|250000|0"}));
  EXPECT_EQ(p.history(ClinicProject::run_id(first), "patients"), (V{"success|3000|0"}));
  EXPECT_EQ(p.history(ClinicProject::run_id(first), "facilities"), (V{"success|40|0"}));
  // Bronze patients as the PII policies say: birth year, postcode area, names hashed.
  EXPECT_EQ(p.rows("SELECT count(*) FROM delta_scan(" + quote_literal(p.table("bronze", "patients")) +
                   ") b JOIN read_csv(" + quote_literal(p.root() + "/csv1/patients.csv") +
                   ") s USING (patient_id) WHERE b.birth_date = make_date(year(s.birth_date), 1, 1) "
                   "AND b.postcode = left(s.postcode, 2) AND b.full_name <> s.full_name"),
            (V{"3000"}));
  auto gold1 = p.expected_gold(p.root() + "/csv1");
  for (const auto& name : kGold) {
    ASSERT_GT(gold1[name].size(), 10u) << name << ": " << ::testing::PrintToString(gold1[name]);
    EXPECT_EQ(p.gold(name), gold1[name]) << name;
  }
  EXPECT_EQ(gold1["revenue_by_region_month"].size(), 48u);  // 4 regions x 12 months of 2025

  // The next day: 5,000 new rows and a new column. Bronze appends exactly those, with the column.
  ASSERT_EQ(p.source_file("change.sql"), 0);
  p.export_csv(p.root() + "/csv2");
  Exec second = p.pipeline({"run"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  std::string run2 = ClinicProject::run_id(second);
  EXPECT_EQ(p.history(run2, "billing"), (V{"success|5000|1"}));
  EXPECT_EQ(p.history(run2, "visits"), (V{"success|255000|1"}));
  std::string billing = quote_literal(p.table("bronze", "billing"));
  EXPECT_EQ(p.rows("SELECT column_type FROM (DESCRIBE SELECT * FROM delta_scan(" + billing +
                   ")) WHERE column_name = 'referral_code'"),
            (V{"VARCHAR"}));
  EXPECT_EQ(p.rows("SELECT referral_code IS NULL, count(*), min(billing_id), max(billing_id), "
                   "count(DISTINCT billing_id) FROM delta_scan(" +
                   billing + ") GROUP BY 1 ORDER BY 1"),
            (V{"false|5000|250001|255000|5000", "true|250000|1|250000|250000"}));
  EXPECT_EQ(p.rows("SELECT count(*) FROM delta_scan(" + billing + ") b JOIN read_csv(" +
                   quote_literal(p.root() + "/csv2/billing.csv") +
                   ") s USING (billing_id) WHERE b.referral_code = s.referral_code"),
            (V{"5000"}));
  auto gold2 = p.expected_gold(p.root() + "/csv2");
  for (const auto& name : kGold) {
    EXPECT_EQ(p.gold(name), gold2[name]) << name;
    EXPECT_EQ(p.gold(name, 0), gold1[name]) << name << " as of version 0";
  }
  EXPECT_EQ(gold2["revenue_by_region_month"].size(), 52u);  // and January 2026
  EXPECT_NE(gold2["care_minutes_by_facility_day"], gold1["care_minutes_by_facility_day"]);
}

// Every place a planted value could reach, searched: the bytes of every file under the lake, the rows and
// footer statistics of every parquet file (pages are compressed, so bytes alone prove nothing), and the
// output of every run.
class PiiSearch {
 public:
  PiiSearch(Session& session, V needles) : session_(session), needles_(std::move(needles)) {}

  // The needles found in `path` ("" when none): in its bytes and, for parquet, in every value
  // of every row (cast to text) and in the footer's min/max statistics.
  std::string found_in_file(const std::string& path) {
    std::string hits = found_in_text(silt::testing::read_file_text(path));
    if (!path.ends_with(".parquet")) return hits;
    std::string f = quote_literal(path), list;
    for (const auto& n : needles_) list += (list.empty() ? "(" : ", (") + quote_literal(n) + ")";
    for (const auto& n : silt::testing::text_rows(
             session_.connection(), "WITH needles(v) AS (VALUES " + list +
                                        "), texts AS (SELECT CAST(t AS VARCHAR) AS s FROM read_parquet(" + f +
                                        ") t UNION ALL SELECT concat_ws('|', stats_min, stats_max, "
                                        "stats_min_value, stats_max_value) "
                                        "FROM parquet_metadata(" +
                                        f + ")) SELECT DISTINCT v FROM needles, texts WHERE contains(s, v)"))
      hits += " [" + n + " in parquet]";
    return hits;
  }
  std::string found_in_text(const std::string& text) const {
    std::string hits;
    for (const auto& n : needles_)
      if (text.find(n) != std::string::npos) hits += " [" + n + "]";
    return hits;
  }

 private:
  Session& session_;
  V needles_;
};

TEST(ClinicDemo, PlantedPiiNeverReachesAFileLogOrMessageUnprotected) {
  ClinicProject p;
  ASSERT_EQ(p.source_file("generate.sql"), 0) << "needs the sqlite3 command-line tool";
  // Values no generated row has (generated postcodes start at 1000, phones with +31).
  ASSERT_EQ(p.source_sql("UPDATE patients SET full_name = 'Quentin Zyxwaldt', birth_date = '1931-07-19', "
                         "postcode = '0042 QZ', phone = '+44 20 7946 0018' WHERE patient_id = 7; "
                         "UPDATE patients SET full_name = 'Ottoline Brackwater', birth_date = '1929-02-11', "
                         "postcode = '0077 XK', phone = '+1 555 0142 9876' WHERE patient_id = 8;"),
            0);
  const V needles = {"Quentin Zyxwaldt", "Zyxwaldt",  "1931-07-19",          "0042 QZ",
                     "+44 20 7946 0018", "7946 0018", "Ottoline Brackwater", "Brackwater",
                     "1929-02-11",       "0077 XK",   "+1 555 0142 9876",    "0142 9876"};
  PiiSearch search(p.session(), needles);
  std::string outputs;
  auto run = [&](V args) {
    Exec r = p.pipeline(std::move(args));
    outputs += r.out + r.err;
    return r;
  };

  // The search finds the values where they are: in the source, and in the rows of a parquet file.
  p.export_csv(p.root() + "/plain");
  EXPECT_NE(search.found_in_file(p.root() + "/plain/patients.csv"), "");
  std::string control = p.root() + "/plain/control.parquet";
  ASSERT_TRUE(p.session()
                  .connection()
                  .execute("COPY (SELECT 'Brackwater' || range AS x FROM range(5000)) TO " +
                           quote_literal(control) + " (COMPRESSION zstd)")
                  .ok());
  EXPECT_NE(search.found_in_file(control).find("[Brackwater in parquet]"), std::string::npos);
  fs::remove_all(p.root() + "/plain");

  ASSERT_EQ(run({"run"}).code, 0) << outputs;
  ASSERT_EQ(p.source_file("change.sql"), 0);
  ASSERT_EQ(run({"run"}).code, 0) << outputs;
  // An asset failing on purpose after reading the PII (DuckDB would quote the value it could not
  // cast), and a source value that does not fit its column (the reader names it).
  p.write("assets/bronze/patients_cast.sql",
          "-- source: clinic.patients\n-- pii: full_name = hash, birth_date = generalize(year), postcode = "
          "generalize(prefix:2), phone = mask(4)\nSELECT patient_id, CAST(full_name AS INTEGER) AS n FROM "
          "source\n");
  Exec cast = run({"run", "--select", "patients_cast"});
  EXPECT_EQ(cast.code, 1) << cast.out;
  EXPECT_NE(cast.out.find("Conversion Error (details withheld"), std::string::npos) << cast.out;
  ASSERT_EQ(
      p.source_sql("UPDATE patients SET birth_date = 'Quentin Zyxwaldt 1931-07-19' WHERE patient_id = 7;"),
      0);
  Exec misfit = run({"run", "--select", "patients"});
  EXPECT_EQ(misfit.code, 1) << misfit.out;
  EXPECT_NE(misfit.out.find("column birth_date, row 7: a value (withheld"), std::string::npos) << misfit.out;
  // The run history and status as the commands print them.
  for (V args : {V{"runs", "--limit", "100", "--format", "json"}, V{"status"}}) {
    Exec r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
  }

  EXPECT_EQ(search.found_in_text(outputs), "") << outputs;
  size_t files = 0, parquet = 0;
  for (const auto& e : fs::recursive_directory_iterator(p.root() + "/lake")) {
    if (!e.is_regular_file()) continue;
    files++;
    parquet += e.path().extension() == ".parquet";
    EXPECT_EQ(search.found_in_file(e.path().string()), "") << e.path();
  }
  EXPECT_GT(parquet, 20u);  // 7 tables x 2 runs, and the run history
  EXPECT_GT(files, parquet);
  // No file statistics for the PII columns in the Delta log; other columns have them.
  for (const auto& e : fs::directory_iterator(p.table("bronze", "patients") + "/_delta_log")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"add\"") == std::string::npos) continue;
      EXPECT_NE(line.find("patient_id"), std::string::npos) << line;
      for (const char* col : {"full_name", "birth_date", "postcode", "phone"})
        EXPECT_EQ(line.find(col), std::string::npos) << col << " in " << line;
    }
  }
}

// Loads source rows from the SQLite database `db` into a server, using `dir` for files: the
// three tables created anew, or with `change` only the billing rows of change.sql and its new column.
using Loader = std::function<void(const std::string& db, const std::string& dir, bool change)>;
const char* const kNewBilling = "billing_id > 250000";

// The same project on a server source: the first 20,000 billing rows of the generated data
// loaded by `load`, run with `block` in place of the SQLite block; then change.sql's rows and
// column. Gold must equal the SQLite project's over the same rows after each run.
void expect_same_gold_as_sqlite(const std::string& block, const Loader& load) {
  ClinicProject lite, server;
  for (ClinicProject* p : {&lite, &server}) {
    ASSERT_EQ(p->source_file("generate.sql"), 0) << "needs the sqlite3 command-line tool";
    ASSERT_EQ(p->source_sql("DELETE FROM billing WHERE billing_id > 20000;"), 0);
  }
  std::string staging = server.root() + "/staging.db";  // out of the project's reach
  fs::rename(server.db(), staging);
  load(staging, server.root() + "/load-1", false);
  std::string toml = silt::testing::read_file_text(server.root() + "/silt.toml");
  size_t at = toml.find(kSqliteBlock);
  ASSERT_NE(at, std::string::npos) << toml;
  server.write("silt.toml", toml.replace(at, kSqliteBlock.size(), block));

  for (int round = 0; round < 2; round++) {
    if (round == 1) {
      ASSERT_EQ(lite.source_file("change.sql"), 0);
      ASSERT_EQ(ClinicProject::apply_source_file(staging, "change.sql"), 0);
      load(staging, server.root() + "/load-2", true);
    }
    Exec lite_run = lite.pipeline({"run"}), server_run = server.pipeline({"run"});
    ASSERT_EQ(lite_run.code, 0) << lite_run.out << lite_run.err;
    ASSERT_EQ(server_run.code, 0) << server_run.out << server_run.err;
    EXPECT_EQ(server.history(ClinicProject::run_id(server_run), "billing"),
              (V{round == 0 ? "success|20000|0" : "success|5000|1"}));
    for (const auto& name : kGold) {
      V want = lite.gold(name);
      ASSERT_GT(want.size(), 10u) << name;
      EXPECT_EQ(server.gold(name), want) << name << " after run " << round + 1;
    }
  }
  EXPECT_EQ(server.rows("SELECT count(referral_code), count(*) FROM delta_scan(" +
                        quote_literal(server.table("bronze", "billing")) + ")"),
            (V{"5000|25000"}));
}

std::string server_block(const silt::sources::SourceConfig& c) {
  std::string block = "[sources.clinic]\nkind = \"" + c.kind + "\"\n";
  for (const char* key : {"host", "port", "database", "user", "password_file"})
    block += std::string(key) + " = \"" + c.settings.at(key) + "\"\n";
  return block;
}

const char* const kTables = R"(
CREATE TABLE %Q%patients%Q% (%Q%patient_id%Q% BIGINT, %Q%full_name%Q% VARCHAR(100)%U%, %Q%birth_date%Q% DATE,
  %Q%postcode%Q% VARCHAR(10), %Q%phone%Q% VARCHAR(20), %Q%updated_at%Q% TIMESTAMP);
CREATE TABLE %Q%facilities%Q% (%Q%facility_id%Q% BIGINT, %Q%name%Q% VARCHAR(40), %Q%region%Q% VARCHAR(10));
CREATE TABLE %Q%billing%Q% (%Q%billing_id%Q% BIGINT, %Q%patient_id%Q% BIGINT, %Q%facility_id%Q% BIGINT,
  %Q%visit_date%Q% DATE, %Q%care_minutes%Q% BIGINT, %Q%amount%Q% NUMERIC(10, 2), %Q%status%Q% VARCHAR(10),
  %Q%updated_at%Q% TIMESTAMP);
)";

// The source tables' DDL, with identifiers quoted by `q` and `utf8` after the name column's type.
std::string clinic_ddl(const std::string& q, const std::string& utf8) {
  std::string sql = kTables;
  for (auto [from, to] : {std::pair<std::string, std::string>{"%Q%", q}, {"%U%", utf8}})
    for (size_t at; (at = sql.find(from)) != std::string::npos;) sql.replace(at, from.size(), to);
  return sql;
}

// The SELECT (in SQLite) of each table's rows to load.
std::map<std::string, std::string> rows_to_load(bool change, const std::string& billing_columns = "*") {
  if (change)
    return {{"billing", "SELECT " + billing_columns + ", referral_code FROM billing WHERE " + kNewBilling}};
  return {{"patients", "SELECT * FROM patients"},
          {"facilities", "SELECT * FROM facilities"},
          {"billing", "SELECT " + billing_columns + " FROM billing"}};
}

TEST(ClinicDemo, PostgresSourceGivesTheSameGold) {
  REQUIRE_SERVER(pg, "PG", "postgres");
  expect_same_gold_as_sqlite(server_block(pg), [&](const std::string& db, const std::string& dir,
                                                   bool change) {
    fs::create_directories(dir);
    std::string sql = change ? "ALTER TABLE billing ADD COLUMN referral_code text;\n"
                             : "DROP TABLE IF EXISTS patients, facilities, billing;\n" + clinic_ddl("", "");
    const std::string billing_columns =
        "billing_id, patient_id, facility_id, visit_date, care_minutes, amount, status, updated_at";
    for (const auto& [t, select] : rows_to_load(change, billing_columns)) {
      ASSERT_EQ(ClinicProject::sqlite_export(db, "-header -csv", select, dir + "/" + t + ".csv"), 0);
      sql += "\\copy " + t + " FROM " + quote_literal(dir + "/" + t + ".csv") + " CSV HEADER\n";
    }
    ASSERT_EQ(silt::testing::run_psql(pg, sql), 0);
  });
}

TEST(ClinicDemo, FirebirdSourceGivesTheSameGold) {
  REQUIRE_SERVER(fb, "FB", "firebird");
  expect_same_gold_as_sqlite(
      server_block(fb), [&](const std::string& db, const std::string& dir, bool change) {
        fs::create_directories(dir);
        // Quoted lower-case names, as the assets spell them; rows as INSERTs written by sqlite3.
        std::string sql;
        if (change) {
          sql = "ALTER TABLE \"billing\" ADD \"referral_code\" VARCHAR(10);\nCOMMIT;\n";
        } else {
          sql = "SET TERM ^ ;\nEXECUTE BLOCK AS BEGIN\n";
          for (const char* t : {"patients", "facilities", "billing"})
            sql += std::string("IF (EXISTS(SELECT 1 FROM RDB$RELATIONS WHERE RDB$RELATION_NAME = '") + t +
                   "')) THEN EXECUTE STATEMENT 'DROP TABLE \"" + t + "\"';\n";
          sql += "END^\nSET TERM ; ^\nCOMMIT;\n" + clinic_ddl("\"", " CHARACTER SET UTF8") + "COMMIT;\n";
        }
        // Firebird refuses numeric literals of more digits than it keeps: amounts go as text.
        const std::string billing_columns =
            "billing_id, patient_id, facility_id, visit_date, care_minutes, printf('%.2f', amount), status, "
            "updated_at";
        for (const auto& [t, select] : rows_to_load(change, billing_columns)) {
          std::string inserts = dir + "/" + t + ".sql";
          ASSERT_EQ(ClinicProject::sqlite_export(db, "-cmd '.mode insert x'", select, inserts), 0);
          std::string text = silt::testing::read_file_text(inserts);
          const std::string from = "INSERT INTO x VALUES", to = "INSERT INTO \"" + t + "\" VALUES";
          for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
            text.replace(at, from.size(), to);
          sql += text + "\n";
        }
        ASSERT_EQ(silt::testing::run_isql(fb, sql + "COMMIT;\n"), 0);
      });
}

}  // namespace
}  // namespace silt
