// Run history in a Delta table. See run_history.h.
#include "pipeline/run_history.h"

#include <charconv>
#include <chrono>
#include <ctime>
#include <thread>

#include "ops/write.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::pipeline {
namespace {

const char* const kColumns =
    "run_id, asset, started_at, ended_at, status, rows_written, version, input_versions, checks, error, "
    "attempts, partition";

std::string row_sql(const AssetRun& r) {
  return "(" + quote_literal(r.run_id) + ", " + quote_literal(r.asset) + ", epoch_ms(" +
         std::to_string(r.started_ms) + "::BIGINT), epoch_ms(" + std::to_string(r.ended_ms) + "::BIGINT), " +
         quote_literal(r.status) + ", " + std::to_string(r.rows) + "::BIGINT, " + std::to_string(r.version) +
         "::BIGINT, " + quote_literal(r.input_versions) + ", " + quote_literal(r.checks) + ", " +
         (r.error.empty() ? "NULL::VARCHAR" : quote_literal(r.error)) + ", " + std::to_string(r.attempts) +
         "::INTEGER, " + (r.partition.empty() ? "NULL::VARCHAR" : quote_literal(r.partition)) + ")";
}

int64_t to_i64(const std::optional<std::string>& s) {
  int64_t v = 0;
  if (s) std::from_chars(s->data(), s->data() + s->size(), v);
  return v;
}

Result<std::vector<AssetRun>> query_runs(Session& session, const std::string& lake, const std::string& tail) {
  std::string path = runs_table_path(lake);
  SILT_ASSIGN_OR_RETURN(auto version, latest_table_version(session, path));
  if (!version) return std::vector<AssetRun>{};
  SILT_ASSIGN_OR_RETURN(std::string sql,
                        session.expand_sql("SELECT run_id, asset, epoch_ms(started_at), epoch_ms(ended_at), "
                                           "status, rows_written, version, input_versions, checks, error, "
                                           "attempts, partition FROM delta_scan(" +
                                           quote_literal(path) + ") " + tail));
  SILT_ASSIGN_OR_RETURN(auto rows, session.connection().query_text(sql));
  std::vector<AssetRun> out;
  for (const auto& row : rows) {
    AssetRun r;
    r.run_id = row[0].value_or("");
    r.asset = row[1].value_or("");
    r.started_ms = to_i64(row[2]);
    r.ended_ms = to_i64(row[3]);
    r.status = row[4].value_or("");
    r.rows = to_i64(row[5]);
    r.version = to_i64(row[6]);
    r.input_versions = row[7].value_or("{}");
    r.checks = row[8].value_or("[]");
    r.error = row[9].value_or("");
    r.attempts = static_cast<int>(to_i64(row[10]));
    r.partition = row[11].value_or("");
    out.push_back(std::move(r));
  }
  return out;
}

std::string run_filter(const std::optional<std::string>& run_id) {
  return run_id ? "WHERE run_id = " + quote_literal(*run_id) + " " : "";
}

}  // namespace

std::string runs_table_path(const std::string& lake) { return join_path(lake, "_silt/runs"); }

Result<std::optional<int64_t>> latest_table_version(Session& session, const std::string& path) {
  auto listing = session.list_log(path);
  if (!listing.ok()) {
    if (listing.error().kind() == ErrorKind::NotFound) return std::optional<int64_t>();
    return listing.error();
  }
  return std::optional<int64_t>(listing->latest_version());
}

Status record_runs(Session& session, const std::string& lake, const std::vector<AssetRun>& runs) {
  if (runs.empty()) return ok_status();
  std::string values;
  for (const auto& r : runs) values += (values.empty() ? "" : ", ") + row_sql(r);
  ops::WriteOptions options;
  options.mode = ops::WriteMode::Append;
  auto written = ops::write_table(session, runs_table_path(lake),
                                  "SELECT * FROM (VALUES " + values + ") AS t(" + kColumns + ")", options);
  if (!written.ok()) return written.error().with_context("recording the run");
  return ok_status();
}

Result<std::vector<AssetRun>> load_runs(Session& session, const std::string& lake,
                                        const std::optional<std::string>& run_id,
                                        std::optional<int64_t> limit) {
  return query_runs(session, lake,
                    run_filter(run_id) + "ORDER BY ended_at DESC, asset" +
                        (limit ? " LIMIT " + std::to_string(*limit) : std::string()));
}

Result<std::vector<AssetRun>> latest_per_asset(Session& session, const std::string& lake,
                                               const std::optional<std::string>& run_id) {
  return query_runs(
      session, lake,
      run_filter(run_id) +
          "QUALIFY row_number() OVER (PARTITION BY asset ORDER BY ended_at DESC, started_at DESC) = 1 "
          "ORDER BY asset");
}

std::string new_run_id() {
  int64_t ms = now_ms();
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d%02d%02d-%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string new_run_id_after(const std::string& previous) {
  std::string id = new_run_id();
  while (id <= previous) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    id = new_run_id();
  }
  return id;
}

Result<int64_t> run_number(const std::string& run_id) {
  std::string digits;
  for (size_t i = 0; i < run_id.size(); i++) {
    char c = run_id[i];
    bool dash = i == 8 || i == 15;
    if (dash ? c != '-' : !std::isdigit(static_cast<unsigned char>(c)))
      digits.clear(), i = run_id.size();
    else if (!dash)
      digits += c;
  }
  if (run_id.size() != 19 || digits.size() != 17)
    return Error(ErrorKind::InvalidArgument, "bad run id " + run_id + " (expected YYYYMMDD-HHMMSS-mmm)");
  return std::stoll(digits);
}

}  // namespace silt::pipeline
