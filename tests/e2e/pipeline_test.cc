// `silt pipeline` as a user runs it: a file-source bronze -> silver -> gold project run end to
// end by the real binary, checked against plain DuckDB SQL over the same CSV files; failure
// isolation, idempotent re-runs, --resume, the run history. PipelinePii* and PipelineSqlite*
// tests need src/pii and src/sources, which land separately.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../support/cli_runner.h"
#include "../support/query_rows.h"
#include "../support/temp_table.h"
#include "scan/session.h"
#include "util/sql_text.h"

namespace silt {
namespace {

namespace fs = std::filesystem;
using Exec = silt::testing::Run;
using silt::testing::run_silt;
using silt::testing::TempTable;
using V = std::vector<std::string>;

const char* const kToml = R"(lake = "lake"
[defaults]
threads = 2
retries = 2
retry_backoff_ms = 1
[sources.raw]
kind = "files"
path = "data"
format = "csv"
)";

const char* const kCustomers = "customer_id,name,country\n1,Ann,NL\n2,Bob,DE\n3,Cem,NL\n4,Dan,FR\n";
const char* const kOrders1 =
    "order_id,customer_id,amount,status\n10,1,12.5,paid\n11,2,40.0,paid\n12,1,7.25,open\n13,3,100.0,paid\n";
const char* const kOrders2 = "order_id,customer_id,amount,status\n14,4,3.5,paid\n15,2,60.0,paid\n";

const char* const kEnriched =
    "-- check: accepted_values(status, 'open', 'paid')\n"
    "SELECT o.order_id, o.amount, o.status, c.country\nFROM orders o JOIN customers c USING (customer_id)\n";

class PipelineRun : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::move(Session::open().value());
    write("silt.toml", kToml);
    write("data/customers.csv", kCustomers);
    write("data/orders/part-1.csv", kOrders1);
    write("assets/bronze/customers.sql", "-- source: raw.customers\n-- check: unique(customer_id)\n");
    write("assets/bronze/orders.sql",
          "-- Orders arrive in files; each run appends the new ones.\n-- source: raw.orders\n"
          "-- watermark: order_id\n-- mode: append\n-- check: not_null(order_id)\nSELECT * FROM source\n");
    write("assets/silver/enriched.sql", kEnriched);
    write("assets/silver/customer_count.sql",
          "SELECT country, count(*) AS customers FROM customers GROUP BY ALL\n");
    write("assets/gold/revenue.sql",
          "-- check: row_count(min=1)\n"
          "SELECT country, sum(amount) AS revenue, count(*) AS orders FROM enriched WHERE status = 'paid' "
          "GROUP BY country\n");
  }

  void write(const std::string& rel, const std::string& text) { dir_.write(rel, text); }
  std::string root() const { return dir_.root(); }
  std::string table(const std::string& layer, const std::string& name) const {
    return root() + "/lake/" + layer + "/" + name;
  }

  Exec pipeline(V args, const std::string& env = "") {
    args.insert(args.begin(), "pipeline");
    args.insert(args.begin() + 2, {"--project", root()});
    return run_silt(args, "", env);
  }
  static std::string run_id(const Exec& r) {
    auto nl = r.out.find('\n');
    return r.out.starts_with("run ") ? r.out.substr(4, nl - 4) : "";
  }

  // Rows of a query that may use delta_scan, as "a|b" lines.
  V rows(const std::string& sql) {
    auto expanded = session_->expand_sql(sql);
    if (!expanded.ok()) return {"error: " + expanded.error().message()};
    return silt::testing::text_rows(*session_, *expanded);
  }
  // The newest commit in a table's log, counted from the file names.
  int64_t version(const std::string& path) const {
    int64_t v = -1;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(path + "/_delta_log", ec)) {
      std::string name = e.path().filename().string();
      if (name.size() == 25 && name.ends_with(".json"))
        v = std::max<int64_t>(v, std::stoll(name.substr(0, 20)));
    }
    return v;
  }
  // One run's history rows for an asset: status|rows_written|version|input_versions|error|attempts.
  V history(const std::string& run, const std::string& asset) {
    return rows(
        "SELECT status, rows_written, version, input_versions, coalesce(error, ''), attempts FROM "
        "delta_scan(" +
        quote_literal(root() + "/lake/_silt/runs") + ") WHERE run_id = " + quote_literal(run) +
        " AND asset = " + quote_literal(asset) + " ORDER BY ended_at");
  }
  // Gold computed independently from the CSV files.
  V expected_revenue() {
    return rows("SELECT c.country, sum(o.amount), count(*) FROM read_csv(" +
                quote_literal(root() + "/data/orders/*.csv") + ") o JOIN read_csv(" +
                quote_literal(root() + "/data/customers.csv") +
                ") c USING (customer_id) WHERE o.status = 'paid' GROUP BY 1 ORDER BY 1");
  }
  V revenue(int64_t v) {
    return rows("SELECT country, revenue, orders FROM delta_scan(" + quote_literal(table("gold", "revenue")) +
                ", version => " + std::to_string(v) + ") ORDER BY 1");
  }

  TempTable dir_;
  std::unique_ptr<Session> session_;
};

TEST_F(PipelineRun, EndToEndThenIncremental) {
  Exec first = pipeline({"run"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  std::string run1 = run_id(first);
  ASSERT_FALSE(run1.empty()) << first.out;
  for (const auto& [layer, name] :
       std::vector<std::pair<std::string, std::string>>{{"bronze", "customers"},
                                                        {"bronze", "orders"},
                                                        {"silver", "enriched"},
                                                        {"silver", "customer_count"},
                                                        {"gold", "revenue"}})
    EXPECT_EQ(version(table(layer, name)), 0) << name;
  V gold1 = expected_revenue();
  ASSERT_EQ(gold1.size(), 2u);  // DE and NL have paid orders so far
  EXPECT_EQ(revenue(0), gold1);
  EXPECT_EQ(history(run1, "orders"), (V{"success|4|0|{}||1"}));
  EXPECT_EQ(history(run1, "enriched"), (V{R"(success|4|0|{"customers":0,"orders":0}||1)"}));
  EXPECT_EQ(history(run1, "revenue"), (V{R"(success|2|0|{"enriched":0}||1)"}));
  EXPECT_EQ(rows("SELECT country, customers FROM delta_scan(" +
                 quote_literal(table("silver", "customer_count")) + ") ORDER BY 1"),
            (V{"DE|1", "FR|1", "NL|2"}));

  // New source rows: bronze orders appends only those; everything downstream moves on.
  write("data/orders/part-2.csv", kOrders2);
  Exec second = pipeline({"run"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  std::string run2 = run_id(second);
  EXPECT_EQ(history(run2, "orders"), (V{"success|2|1|{}||1"}));
  EXPECT_EQ(rows("SELECT count(*), count(DISTINCT order_id) FROM delta_scan(" +
                 quote_literal(table("bronze", "orders")) + ")"),
            (V{"6|6"}));
  EXPECT_EQ(history(run2, "revenue"), (V{R"(success|3|1|{"enriched":1}||1)"}));
  V gold2 = expected_revenue();
  EXPECT_EQ(gold2.size(), 3u);
  EXPECT_EQ(revenue(1), gold2);
  EXPECT_EQ(revenue(0), gold1);  // the earlier version is still there, traceable to enriched v0

  // Nothing new: the append asset commits nothing (no empty versions).
  Exec third = pipeline({"run", "--select", "orders"});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_EQ(version(table("bronze", "orders")), 1);
  EXPECT_EQ(history(run_id(third), "orders"), (V{"success|0|1|{}||1"}));

  // --full-refresh ignores the watermark and rebuilds: all six source rows, once each.
  Exec full = pipeline({"run", "--select", "orders", "--full-refresh"});
  ASSERT_EQ(full.code, 0) << full.err;
  EXPECT_EQ(history(run_id(full), "orders"), (V{"success|6|2|{}||1"}));
  EXPECT_EQ(rows("SELECT count(*), count(DISTINCT order_id) FROM delta_scan(" +
                 quote_literal(table("bronze", "orders")) + ")"),
            (V{"6|6"}));

  // An overwrite asset may change its columns: the new version has the new shape.
  write("assets/gold/revenue.sql", "SELECT country, sum(amount) AS revenue FROM enriched GROUP BY country");
  ASSERT_EQ(pipeline({"run", "--select", "revenue"}).code, 0);
  EXPECT_EQ(rows("SELECT count(*) FROM (DESCRIBE SELECT * FROM delta_scan(" +
                 quote_literal(table("gold", "revenue")) + "))"),
            (V{"2"}));

  // runs and status list what happened.
  Exec runs = pipeline({"runs", "--format", "json", "--limit", "100"});
  ASSERT_EQ(runs.code, 0) << runs.err;
  EXPECT_NE(runs.out.find("\"run_id\":\"" + run2 + "\",\"asset\":\"revenue\""), std::string::npos)
      << runs.out;
  Exec status = pipeline({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find(" revenue "), std::string::npos);
  EXPECT_NE(status.out.find("success"), std::string::npos);
}

TEST_F(PipelineRun, PlanPrintsLevels) {
  Exec plan = pipeline({"plan"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("level 0:\n  bronze.customers <- raw.customers\n  bronze.orders <- raw.orders\n"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("level 2:\n  gold.revenue <- enriched\n"), std::string::npos) << plan.out;
  Exec partial = pipeline({"plan", "--select", "+enriched"});
  EXPECT_NE(partial.out.find("(3 assets in 2 levels)"), std::string::npos) << partial.out;
  write("assets/gold/revenue.sql", "SELECT * FROM enriched JOIN fx USING (country)");
  Exec missing = pipeline({"plan"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("assets/gold/revenue.sql: reads fx, which is no asset or source"),
            std::string::npos)
      << missing.err;
}

TEST_F(PipelineRun, FailedAssetSkipsDownstreamOnly) {
  ASSERT_EQ(pipeline({"run"}).code, 0);
  // Bad SQL in one silver asset: it fails (after its retries), gold below it is skipped, the
  // sibling and bronze still run, and the failed table stays at its version.
  write("assets/silver/enriched.sql",
        "SELECT o.no_such_column FROM orders o JOIN customers c USING (customer_id)");
  Exec bad = pipeline({"run"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("1 failed, 1 skipped"), std::string::npos) << bad.err;
  std::string run = run_id(bad);
  V failed = history(run, "enriched");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(failed[0].starts_with("failed|0|0|")) << failed[0];
  EXPECT_NE(failed[0].find("no_such_column"), std::string::npos) << failed[0];
  EXPECT_TRUE(failed[0].ends_with("|3")) << failed[0];  // retries = 2
  EXPECT_EQ(history(run, "revenue"), (V{"skipped|0|-1|{}|upstream asset enriched failed|0"}));
  EXPECT_EQ(history(run, "customer_count"), (V{R"(success|3|1|{"customers":1}||1)"}));
  EXPECT_EQ(version(table("silver", "enriched")), 0);
  EXPECT_EQ(version(table("gold", "revenue")), 0);
  EXPECT_EQ(version(table("silver", "customer_count")), 1);

  // A failed blocking check: the rows, written to files the check reads, are never committed
  // and their files are deleted; the check is recorded.
  auto data_files = [&] {
    std::set<std::string> out;
    for (auto& e : std::filesystem::recursive_directory_iterator(table("silver", "enriched")))
      if (e.path().extension() == ".parquet") out.insert(e.path().string());
    return out;
  };
  std::set<std::string> files_before = data_files();
  write("assets/silver/enriched.sql", std::string("-- check: row_count(min=1000)\n") + kEnriched);
  Exec check = pipeline({"run", "--select", "enriched+"});
  EXPECT_EQ(check.code, 1);
  V checked =
      rows("SELECT error, attempts, checks FROM delta_scan(" + quote_literal(root() + "/lake/_silt/runs") +
           ") WHERE run_id = " + quote_literal(run_id(check)) + " AND asset = 'enriched'");
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_NE(checked[0].find("blocking check failed: row_count(min=1000) (value 4)|1|"), std::string::npos)
      << checked[0];
  EXPECT_NE(checked[0].find(R"j({"check":"row_count(min=1000)","passed":false,"blocking":true,"value":4})j"),
            std::string::npos)
      << checked[0];
  EXPECT_EQ(version(table("silver", "enriched")), 0);
  EXPECT_EQ(data_files(), files_before);
  EXPECT_EQ(revenue(0), expected_revenue());
}

// A command asset: silt exports its input at the pinned version, runs the program (no shell of
// its own: the argument list is exec'd), and commits the parquet it wrote.
TEST_F(PipelineRun, CommandAssetCommitsWhatTheProgramWrites) {
  write(
      "assets/gold/copied.toml",
      "command = [\"sh\", \"-c\", \"cp \\\"$SILT_INPUT_ENRICHED\\\" \\\"$SILT_OUTPUT_DIR/out.parquet\\\" && "
      "echo $SILT_VERSION_ENRICHED $SILT_TABLE_ENRICHED > seen.txt\"]\n"
      "inputs = [\"enriched\"]\nchecks = [\"not_null(order_id)\", \"row_count(min=1)\"]\n");
  Exec run = pipeline({"run"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(history(run_id(run), "copied"), (V{R"(success|4|0|{"enriched":0}||1)"}));
  EXPECT_EQ(
      rows("SELECT * FROM delta_scan(" + quote_literal(table("gold", "copied")) + ") ORDER BY order_id"),
      rows("SELECT * FROM delta_scan(" + quote_literal(table("silver", "enriched")) + ") ORDER BY order_id"));
  std::ifstream seen(root() + "/seen.txt");  // the command ran in the project folder
  std::string line;
  std::getline(seen, line);
  EXPECT_EQ(line, "0 " + table("silver", "enriched"));
  Exec plan = pipeline({"plan", "--select", "copied"});
  EXPECT_NE(plan.out.find("gold.copied <- enriched"), std::string::npos) << plan.out;

  write("assets/gold/copied.toml",
        "command = [\"sh\", \"-c\", \"echo first; echo boom >&2; exit 3\"]\n"
        "inputs = [\"enriched\"]\n");
  Exec failed = pipeline({"run", "--select", "copied"});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.out.find("copied: command sh exited with status 3: boom"), std::string::npos)
      << failed.out;
  write("assets/gold/copied.toml", "command = [\"true\"]\ninputs = [\"enriched\"]\n");
  Exec empty = pipeline({"run", "--select", "copied"});
  EXPECT_NE(empty.out.find("copied: command true wrote no .parquet file"), std::string::npos) << empty.out;
  EXPECT_EQ(version(table("gold", "copied")), 0);
  write("assets/gold/copied.toml", "command = [\"true\"]\ninputs = [\"nothing\"]\n");
  Exec missing = pipeline({"plan"});
  EXPECT_NE(missing.err.find("assets/gold/copied.toml: inputs names nothing, which is no asset"),
            std::string::npos)
      << missing.err;
  write("assets/gold/copied.toml", "command = [\"true\"]\n\ncolour = \"blue\"\n");
  Exec unknown = pipeline({"plan"});
  EXPECT_NE(unknown.err.find("assets/gold/copied.toml:3: unknown header key 'colour'"), std::string::npos)
      << unknown.err;
}

// A command writing the customers input to its output, after `pre` (shell) ran.
std::string copy_command(const std::string& pre) {
  return "command = [\"sh\", \"-c\", \"" + pre +
         " cp \\\"$SILT_INPUT_CUSTOMERS\\\" \\\"$SILT_OUTPUT_DIR/out.parquet\\\"\"]\ninputs = "
         "[\"customers\"]\n";
}

// Flaky sources: a failed attempt is retried (retries = 2 in silt.toml) and its success counts.
// defaults.memory_mb is the DuckDB memory of the whole run: one asset running alone gets all of
// it, as its SQL sees in current_setting('memory_limit').
TEST_F(PipelineRun, MemoryBudgetBecomesTheAssetsDuckdbMemoryLimit) {
  std::string toml = kToml;
  toml.replace(toml.find("threads = 2\n"), 12, "threads = 2\nmemory_mb = 300\n");
  write("silt.toml", toml);
  write("assets/gold/limit.sql", "SELECT current_setting('memory_limit') AS m\n");
  Exec run = pipeline({"run", "--select", "limit"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  ASSERT_TRUE(session_->connection().execute("SET memory_limit = '300MB'").ok());
  EXPECT_EQ(rows("SELECT m FROM delta_scan(" + quote_literal(table("gold", "limit")) + ")"),
            rows("SELECT current_setting('memory_limit')"));
}

TEST_F(PipelineRun, RetriesUntilAnAttemptSucceeds) {
  write("assets/silver/flaky.toml", copy_command("if [ ! -f tried ]; then touch tried; exit 1; fi;"));
  Exec run = pipeline({"run", "--select", "+flaky"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(history(run_id(run), "flaky"), (V{R"(success|4|0|{"customers":0}||2)"}));
}

// Independent assets run at the same time (up to --threads): their run intervals overlap.
TEST_F(PipelineRun, SiblingsRunInParallelUpToTheThreadLimit) {
  write("assets/silver/slow_a.toml", copy_command("sleep 0.4;"));
  write("assets/silver/slow_b.toml", copy_command("sleep 0.4;"));
  ASSERT_EQ(pipeline({"run", "--select", "customers"}).code, 0);
  auto overlap = [&](const std::string& run) {
    return rows("SELECT count(*) FROM delta_scan(" + quote_literal(root() + "/lake/_silt/runs") +
                ") a JOIN delta_scan(" + quote_literal(root() + "/lake/_silt/runs") +
                ") b ON a.run_id = b.run_id AND a.asset = 'slow_a' AND b.asset = 'slow_b' WHERE a.run_id = " +
                quote_literal(run) + " AND a.started_at < b.ended_at AND b.started_at < a.ended_at");
  };
  Exec two = pipeline({"run", "--select", "slow_a,slow_b", "--threads", "2"});
  ASSERT_EQ(two.code, 0) << two.out << two.err;
  EXPECT_EQ(overlap(run_id(two)), (V{"1"}));
  Exec one = pipeline({"run", "--select", "slow_a,slow_b", "--threads", "1"});
  ASSERT_EQ(one.code, 0) << one.out << one.err;
  EXPECT_EQ(overlap(run_id(one)), (V{"0"}));
}

// A partitioned asset builds one day per run, replacing only that day's rows; backfill runs
// it for each day of a range, each day its own run and commit.
TEST_F(PipelineRun, BackfillBuildsOneDayPerRun) {
  const std::string sales = root() + "/data/sales.csv";
  write("data/sales.csv",
        "day,customer_id,amount\n2026-01-01,1,10\n2026-01-01,2,5\n2026-01-01,1,1\n2026-01-02,1,7\n"
        "2026-01-03,3,1\n2026-01-03,3,2\n2026-01-04,1,100\n");
  write("assets/bronze/sales.sql", "SELECT * FROM raw.sales\n");
  write("assets/silver/daily.sql",
        "-- partitioned: day\n-- check: row_count(min=1)\n"
        "SELECT day, customer_id, sum(amount) AS amount FROM sales WHERE day = getvariable('partition') "
        "GROUP BY ALL\n");
  ASSERT_EQ(pipeline({"run", "--select", "sales"}).code, 0);
  auto expected = [&] {
    return rows("SELECT day, customer_id, sum(amount) FROM read_csv(" + quote_literal(sales) +
                ") WHERE day <= DATE '2026-01-03' GROUP BY ALL ORDER BY ALL");
  };
  auto daily = [&] {
    return rows("SELECT day, customer_id, amount FROM delta_scan(" + quote_literal(table("silver", "daily")) +
                ") ORDER BY ALL");
  };
  Exec bf = pipeline({"backfill", "--select", "daily", "--from", "2026-01-01", "--to", "2026-01-03"});
  ASSERT_EQ(bf.code, 0) << bf.out << bf.err;
  EXPECT_EQ(version(table("silver", "daily")), 2);
  EXPECT_EQ(daily(), expected());
  EXPECT_EQ(rows("SELECT partition, rows_written, count(*) OVER (PARTITION BY run_id) FROM delta_scan(" +
                 quote_literal(root() + "/lake/_silt/runs") + ") WHERE asset = 'daily' ORDER BY partition"),
            (V{"2026-01-01|2|1", "2026-01-02|1|1", "2026-01-03|1|1"}));

  // Rebuilding one day replaces its rows and leaves the others alone.
  write("data/sales.csv",
        "day,customer_id,amount\n2026-01-01,1,10\n2026-01-01,2,5\n2026-01-01,1,1\n"
        "2026-01-02,1,70\n2026-01-02,4,4\n2026-01-03,3,1\n2026-01-03,3,2\n");
  Exec day2 = pipeline({"run", "--select", "sales+", "--partition", "2026-01-02"});
  ASSERT_EQ(day2.code, 0) << day2.out << day2.err;
  EXPECT_EQ(daily(), expected());
  EXPECT_EQ(version(table("silver", "daily")), 3);

  Exec none = pipeline({"run", "--select", "daily"});
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.out.find("daily: is partitioned by day: run it with --partition DAY or backfill it"),
            std::string::npos)
      << none.out;
  EXPECT_EQ(pipeline({"backfill", "--select", "daily", "--from", "2026-01-03", "--to", "2026-01-01"}).code,
            1);
}

// Mode merge upserts by key: changed rows are updated in place, new ones inserted, rows no longer
// in the source kept; a re-run of the same run id commits nothing.
TEST_F(PipelineRun, MergeModeUpsertsByKey) {
  write("assets/bronze/orders.sql", "-- source: raw.orders\n-- mode: merge\n-- keys: order_id\n");
  ASSERT_EQ(pipeline({"run", "--select", "orders"}).code, 0);
  // Order 11 changes amount and status, 12 disappears from the source, 16 is new.
  write("data/orders/part-1.csv",
        "order_id,customer_id,amount,status\n10,1,12.5,paid\n11,2,45.0,open\n13,3,100.0,paid\n");
  write("data/orders/part-2.csv", "order_id,customer_id,amount,status\n16,4,9.0,paid\n");
  Exec second = pipeline({"run", "--select", "orders"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_EQ(version(table("bronze", "orders")), 1);
  V expected = rows("SELECT order_id, customer_id, amount, status FROM read_csv(" +
                    quote_literal(root() + "/data/orders/*.csv") +
                    ") UNION ALL SELECT 12, 1, 7.25, 'open' ORDER BY order_id");
  V bronze = rows("SELECT order_id, customer_id, amount, status FROM delta_scan(" +
                  quote_literal(table("bronze", "orders")) + ") ORDER BY order_id");
  EXPECT_EQ(bronze, expected);
  EXPECT_EQ(bronze.size(), 5u);
  // 4 rows matched (3 of them updated to equal values, which MERGE counts as updates) + 1 new.
  EXPECT_EQ(history(run_id(second), "orders"), (V{R"(success|4|1|{}||1)"}));
  ASSERT_EQ(pipeline({"run", "--select", "orders", "--run-id", run_id(second)}).code, 0);
  EXPECT_EQ(version(table("bronze", "orders")), 1);
}

// schema: merge on a merge asset: a column new in the source is added to the table, and the
// upsert fills it (the asset's SQL may end in a comment line).
TEST_F(PipelineRun, MergeModeWithSchemaMergeAddsANewSourceColumn) {
  write("assets/bronze/orders.sql",
        "-- source: raw.orders\n-- mode: merge\n-- keys: order_id\n-- schema: merge\n"
        "SELECT * FROM source\n-- every column of the source\n");
  Exec first = pipeline({"run", "--select", "orders"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  write("data/orders/part-1.csv", "order_id,customer_id,amount,status,channel\n11,2,45.0,open,web\n");
  write("data/orders/part-2.csv", "order_id,customer_id,amount,status,channel\n16,4,9.0,paid,phone\n");
  Exec second = pipeline({"run", "--select", "orders"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_EQ(rows("SELECT order_id, channel FROM delta_scan(" + quote_literal(table("bronze", "orders")) +
                 ") WHERE channel IS NOT NULL OR order_id IN (10, 11, 16) ORDER BY order_id"),
            (V{"10|NULL", "11|web", "16|phone"}));
}

TEST_F(PipelineRun, SameRunIdCommitsNothingTwiceAndResumeRerunsOnlyFailures) {
  Exec first = pipeline({"run", "--run-id", "20260101-000000-001"});
  ASSERT_EQ(first.code, 0) << first.err;
  Exec again = pipeline({"run", "--run-id", "20260101-000000-001"});
  ASSERT_EQ(again.code, 0) << again.err;
  // Overwrite assets too: each commit carries the run's app transaction, so none is repeated.
  for (const auto& [layer, name] : std::vector<std::pair<std::string, std::string>>{
           {"bronze", "customers"}, {"bronze", "orders"}, {"silver", "enriched"}, {"gold", "revenue"}})
    EXPECT_EQ(version(table(layer, name)), 0) << name;

  write("assets/silver/enriched.sql", "SELECT nope FROM orders");
  Exec broken = pipeline({"run", "--run-id", "20260101-000000-002"});
  EXPECT_EQ(broken.code, 1);
  write("assets/silver/enriched.sql", kEnriched);
  write("data/orders/part-2.csv", kOrders2);  // not picked up: bronze is not re-run
  Exec resumed = pipeline({"run", "--resume", "20260101-000000-002"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(run_id(resumed), "20260101-000000-002");
  EXPECT_NE(resumed.out.find(" enriched "), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find(" revenue "), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find(" orders "), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find(" customer_count "), std::string::npos) << resumed.out;
  EXPECT_EQ(version(table("bronze", "orders")), 0);
  EXPECT_EQ(version(table("bronze", "customers")), 1);  // run 002 re-ran it before enriched failed
  EXPECT_EQ(version(table("silver", "enriched")), 1);
  EXPECT_EQ(version(table("gold", "revenue")), 1);
  EXPECT_EQ(history("20260101-000000-002", "revenue"),
            (V{"skipped|0|-1|{}|upstream asset enriched failed|0", R"(success|2|1|{"enriched":1}||1)"}));
  // Nothing left to resume: a second resume runs nothing.
  Exec nothing = pipeline({"run", "--resume", "20260101-000000-002"});
  ASSERT_EQ(nothing.code, 0) << nothing.err;
  EXPECT_EQ(version(table("gold", "revenue")), 1);
  EXPECT_EQ(pipeline({"run", "--resume", "20260101-000000-999"}).code, 1);
}

TEST(PipelineInit, WritesAProjectAndRefusesToOverwriteIt) {
  TempTable dir;
  std::string project = dir.root() + "/demo";
  Exec init = run_silt({"pipeline", "init", project});
  ASSERT_EQ(init.code, 0) << init.err;
  for (const char* f : {"silt.toml", "data/patients.csv", "data/visits.csv", "assets/bronze/patients.sql",
                        "assets/silver/visits_by_city.sql", "assets/gold/revenue_by_city_month.sql"})
    EXPECT_TRUE(fs::exists(project + "/" + f)) << f;
  Exec twice = run_silt({"pipeline", "init", project});
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("already has a silt.toml"), std::string::npos);
}

// Lower-case hex HMAC-SHA256, computed here with OpenSSL.
std::string hmac_hex(const std::string& key, const std::string& value) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), out, &len);
  std::string hex;
  for (unsigned i = 0; i < len; i++) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", out[i]);
    hex += b;
  }
  return hex;
}

TEST(PipelinePiiInit, InitThenRunWorks) {
  TempTable dir;
  std::string project = dir.root() + "/demo";
  ASSERT_EQ(run_silt({"pipeline", "init", project}).code, 0);
  Exec run = run_silt({"pipeline", "run", "--project", project}, "", "SILT_PII_KEY=test-key");
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  auto session = std::move(Session::open().value());
  auto rows = [&](const std::string& sql) {
    return silt::testing::text_rows(*session, *session->expand_sql(sql));
  };
  // Gold from the generated CSVs, in plain DuckDB.
  EXPECT_EQ(rows("SELECT city, month, revenue FROM delta_scan(" +
                 quote_literal(project + "/lake/gold/revenue_by_city_month") + ") ORDER BY 1, 2"),
            rows("SELECT p.city, date_trunc('month', v.visited_at)::DATE, sum(v.amount)::DECIMAL(38, 2) FROM "
                 "read_csv(" +
                 quote_literal(project + "/data/visits.csv") + ") v JOIN read_csv(" +
                 quote_literal(project + "/data/patients.csv") +
                 ") p USING (patient_id) WHERE v.status = 'paid' GROUP BY ALL ORDER BY 1, 2"));
  EXPECT_EQ(rows("SELECT name FROM delta_scan(" + quote_literal(project + "/lake/bronze/patients") +
                 ") WHERE patient_id = 1"),
            (V{hmac_hex("test-key", "Ada Lovelace")}));
}

// A project whose asset has PII policies, reading the files through the anonymized view.
class PipelinePii : public PipelineRun {
 protected:
  void SetUp() override {
    PipelineRun::SetUp();
    write("assets/bronze/customers.sql",
          "-- source: raw.customers\n-- pii: name = hash\n-- check: unique(customer_id)\n");
  }
};

TEST_F(PipelinePii, HashesBeforeWritingAndKeepsValuesOutOfStatsAndErrors) {
  Exec run = pipeline({"run", "--select", "customers"}, "SILT_PII_KEY=k1");
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(rows("SELECT name FROM delta_scan(" + quote_literal(table("bronze", "customers")) +
                 ") ORDER BY customer_id"),
            (V{hmac_hex("k1", "Ann"), hmac_hex("k1", "Bob"), hmac_hex("k1", "Cem"), hmac_hex("k1", "Dan")}));
  std::ifstream log(table("bronze", "customers") + "/_delta_log/00000000000000000000.json");
  std::string commit((std::istreambuf_iterator<char>(log)), {});
  // Stats exist for the other columns, never for name.
  size_t min_at = commit.find("minValues");
  ASSERT_NE(min_at, std::string::npos) << commit;
  std::string min_values = commit.substr(min_at, commit.find('}', min_at) - min_at);
  EXPECT_NE(min_values.find("customer_id"), std::string::npos) << min_values;
  EXPECT_EQ(min_values.find("name"), std::string::npos) << min_values;

  // No key: refused, naming the variable.
  Exec no_key = pipeline({"run", "--select", "customers"});
  EXPECT_EQ(no_key.code, 1);
  EXPECT_NE(no_key.out.find("SILT_PII_KEY"), std::string::npos) << no_key.out;

  // DuckDB would quote the failing value ('Ann' is no integer): the error must not.
  write("assets/bronze/customers.sql",
        "-- source: raw.customers\n-- pii: country = hash\n"
        "SELECT customer_id, CAST(name AS INTEGER) AS n FROM source\n");
  Exec bad = pipeline({"run", "--select", "customers"}, "SILT_PII_KEY=k1");
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ((bad.out + bad.err).find("Ann"), std::string::npos) << bad.out << bad.err;
  EXPECT_EQ(rows("SELECT count(*) FROM delta_scan(" + quote_literal(root() + "/lake/_silt/runs") +
                 ") WHERE error LIKE '%Ann%'"),
            (V{"0"}));
}

// A project with a SQLite source: rows newer than the watermark already loaded are appended.
class PipelineSqlite : public PipelineRun {
 protected:
  void exec(const std::string& sql) {
    std::string db_path = root() + "/clinic.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  // A project whose source clinic is a SQLite database made by `sql`.
  void with_source(const std::string& sql) {
    exec(sql);
    write("silt.toml", std::string(kToml) + "[sources.clinic]\nkind = \"sqlite\"\npath = \"clinic.db\"\n");
  }
  // Runs the bronze asset `name`, written with `header` (an ingest without a SELECT).
  Exec run_ingest(const std::string& name, const std::string& header) {
    write("assets/bronze/" + name + ".sql", header);
    return pipeline({"run", "--select", name});
  }
};

TEST_F(PipelineSqlite, IngestsIncrementally) {
  with_source(
      "CREATE TABLE billing (id INTEGER PRIMARY KEY, amount REAL, updated_at TEXT);"
      "INSERT INTO billing VALUES (1, 10.5, '2026-01-01 10:00:00'), (2, 20.0, '2026-01-02 10:00:00');");
  const std::string header = "-- source: clinic.billing\n-- watermark: updated_at\n-- mode: append\n";
  Exec first = run_ingest("billing", header);
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  exec("INSERT INTO billing VALUES (3, 5.0, '2026-01-03 09:00:00');");
  Exec second = run_ingest("billing", header);
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  EXPECT_EQ(history(run_id(second), "billing"), (V{"success|1|1|{}||1"}));
  EXPECT_EQ(rows("SELECT id, amount FROM delta_scan(" + quote_literal(table("bronze", "billing")) +
                 ") ORDER BY id"),
            (V{"1|10.5", "2|20.0", "3|5.0"}));
}

// An ingest without a SELECT of its own: checks count the copied source rows right, and a
// failed one commits nothing.
TEST_F(PipelineSqlite, ChecksTheCopiedRowsAndAFailureCommitsNothing) {
  with_source(
      "CREATE TABLE visits (id INTEGER, minutes INTEGER);"
      "INSERT INTO visits VALUES (1, 10), (2, NULL), (3, 30), (3, 31);");
  Exec ok =
      run_ingest("visits", "-- source: clinic.visits\n-- check: warn not_null(minutes); row_count(min=4)\n");
  ASSERT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_EQ(
      rows("SELECT count(*), sum(minutes) FROM delta_scan(" + quote_literal(table("bronze", "visits")) + ")"),
      (V{"4|71"}));
  V checks = rows("SELECT checks FROM delta_scan(" + quote_literal(root() + "/lake/_silt/runs") +
                  ") WHERE run_id = " + quote_literal(run_id(ok)));
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_NE(checks[0].find(R"j("passed":false,"blocking":false,"value":1)j"), std::string::npos) << checks[0];

  Exec dup = run_ingest("visits", "-- source: clinic.visits\n-- check: unique(id)\n");
  EXPECT_EQ(dup.code, 1);
  V failed = history(run_id(dup), "visits");  // two rows share id 3
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].find("blocking check failed: unique(id) (value 2)"), std::string::npos) << failed[0];
  EXPECT_EQ(version(table("bronze", "visits")), 0);
}

// On a terminal a long ingest shows the rows read so far while it runs, not only at its end.
TEST_F(PipelineSqlite, TerminalShowsRowsReadWhileIngesting) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1) for a terminal";
  with_source(
      "CREATE TABLE big (id INTEGER, v TEXT);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000) "
      "INSERT INTO big SELECT i, 'x' || i FROM n;");
  write("assets/bronze/big.sql", "-- source: clinic.big\n");
  // script(1) runs the command on a pseudo-terminal and copies what it drew to stdout.
  std::string out = root() + "/terminal.txt";
  std::string silt = std::string(SILT_BINARY) + " pipeline run --project " +
                     silt::testing::shell_quote(root()) + " --select big";
  int status =
      std::system(("script -qec " + silt::testing::shell_quote(silt) + " /dev/null >" + out).c_str());
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  std::ifstream f(out, std::ios::binary);
  std::string drawn(std::istreambuf_iterator<char>(f), {});
  EXPECT_NE(drawn.find("big reading: 50000 rows"), std::string::npos) << drawn;
  EXPECT_LT(drawn.find("big reading: 50000 rows"), drawn.find("big success, 120000 rows")) << drawn;
  EXPECT_EQ(version(table("bronze", "big")), 0);
}

}  // namespace
}  // namespace silt
