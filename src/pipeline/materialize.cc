// One asset, one commit. See materialize.h.
#include "pipeline/materialize.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "delta/stats/file_stats.h"
#include "ops/write.h"
#include "pipeline/command_asset.h"
#include "pipeline/merge_write.h"
#include "sources/source.h"
#include "util/json_text.h"
#include "util/sql_text.h"

namespace silt::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCheckFailed = "blocking check failed: ";
constexpr const char* kCancelled = "cancelled before its commit";

// The SELECT reading one table of a source; for databases the rows are first copied into a
// temp table of the asset's Session. `watermark`/`after` keep only newer rows.
Result<std::string> source_select(Session& session, const SourceDef& source, const std::string& table,
                                  const std::string& watermark, const std::optional<std::string>& after,
                                  int& temp_counter, const MaterializeOptions& options) {
  if (source.kind == "files") {
    std::string dir = source.settings.at("path"), format = source.settings.at("format");
    std::string base = dir + "/" + table;
    std::string glob = fs::is_directory(base) ? base + "/*." + format : base + "." + format;
    if (!fs::is_directory(base) && !fs::exists(glob))
      return Error(ErrorKind::NotFound,
                   "source " + source.name + " has no table " + table + " (no " + glob + ")");
    SILT_ASSIGN_OR_RETURN(std::string sql, ops::file_source_sql(glob));
    if (!watermark.empty() && after)
      sql += " WHERE " + quote_ident(watermark) + " > " + quote_literal(*after);
    return sql;
  }
  sources::SourceConfig config{source.name, source.kind, source.settings};
  std::string temp = "silt_source_" + std::to_string(temp_counter++);
  std::string query = sources::table_query(config, table, watermark, after ? *after : std::string());
  sources::CopyOptions copy;
  copy.progress = options.on_rows;
  auto copied = sources::copy_query(config, query, session.connection(), temp, copy);
  if (!copied.ok()) return copied.error();
  return "SELECT * FROM " + temp;
}

// Column names and types of a SELECT.
Result<std::vector<std::pair<std::string, std::string>>> columns_of(Session& session,
                                                                    const std::string& select) {
  SILT_ASSIGN_OR_RETURN(std::string sql, session.expand_sql("DESCRIBE " + select));
  SILT_ASSIGN_OR_RETURN(auto rows, session.connection().query_text(sql));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows) out.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return out;
}

// Makes `name` (one identifier, or schema.table for a source) readable in the asset's SQL as a
// view over `select`, with the PII policies that apply to its columns. Records which policies
// were used.
Status define_input(Session& session, const Asset& asset, const std::string& name, const std::string& select,
                    std::set<std::string>& policies_used) {
  std::string body = select;
  if (!asset.pii.empty()) {
    SILT_ASSIGN_OR_RETURN(auto columns, columns_of(session, select));
    std::vector<pii::ColumnPolicy> applicable;
    for (const auto& policy : asset.pii)
      for (const auto& [col, type] : columns)
        if (col == policy.column) applicable.push_back(policy);
    if (!applicable.empty()) {
      SILT_ASSIGN_OR_RETURN(std::string list, pii::anonymized_select_list(applicable, columns));
      body = "SELECT " + list + " FROM (" + select + ")";
      for (const auto& p : applicable) policies_used.insert(p.column);
    }
  }
  std::string view = name;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    SILT_TRY(session.connection().execute("CREATE SCHEMA IF NOT EXISTS " + quote_ident(name.substr(0, dot))));
    view = quote_ident(name.substr(0, dot)) + "." + quote_ident(name.substr(dot + 1));
  } else {
    view = quote_ident(name);
  }
  SILT_ASSIGN_OR_RETURN(auto created, session.run("CREATE VIEW " + view + " AS " + body));
  (void)created;
  return ok_status();
}

// The highest watermark already in the asset's table (at `version`), as DuckDB prints it.
Result<std::optional<std::string>> current_watermark(Session& session, const Asset& asset, int64_t version) {
  SILT_ASSIGN_OR_RETURN(
      std::string sql,
      session.expand_sql("SELECT max(" + quote_ident(asset.watermark) + ")::VARCHAR FROM delta_scan(" +
                         quote_literal(asset.table_path) + ", version => " + std::to_string(version) + ")"));
  SILT_ASSIGN_OR_RETURN(auto value, session.connection().scalar(sql));
  return value;
}

// Defines every input of the asset as a view; returns the versions pinned for its upstream assets.
Result<std::map<std::string, int64_t>> define_inputs(Session& session, const Project& project,
                                                     const Asset& asset, const MaterializeOptions& options,
                                                     std::optional<int64_t> own_version, AssetRun& run) {
  std::map<std::string, int64_t> pinned;
  std::set<std::string> policies_used;
  std::string versions = "{";
  for (const auto& up : asset.upstream) {
    const Asset& upstream = *project.find(up);
    SILT_ASSIGN_OR_RETURN(auto v, latest_table_version(session, upstream.table_path));
    if (!v) return Error(ErrorKind::NotFound, "upstream asset " + up + " has no table yet (run it first)");
    versions += (versions.size() > 1 ? "," : "") + json_quote(up) + ":" + std::to_string(*v);
    pinned[up] = *v;
    std::string select = "SELECT * FROM delta_scan(" + quote_literal(upstream.table_path) + ", version => " +
                         std::to_string(*v) + ")";
    SILT_TRY(define_input(session, asset, up, select, policies_used));
  }
  run.input_versions = versions + "}";
  int temp_counter = 0;
  for (const auto& ref : asset.source_tables) {
    auto dot = ref.find('.');
    const SourceDef& source = project.config.sources.at(ref.substr(0, dot));
    std::optional<std::string> after;
    bool ingest = ref == asset.source && !asset.watermark.empty();
    if (ingest && own_version && !options.full_refresh) {
      SILT_ASSIGN_OR_RETURN(after, current_watermark(session, asset, *own_version));
    }
    SILT_ASSIGN_OR_RETURN(std::string select,
                          source_select(session, source, ref.substr(dot + 1), ingest ? asset.watermark : "",
                                        after, temp_counter, options));
    if (ref == asset.source) SILT_TRY(define_input(session, asset, "source", select, policies_used));
    SILT_TRY(define_input(session, asset, ref, select, policies_used));
  }
  for (const auto& policy : asset.pii)
    if (!policies_used.contains(policy.column))
      return Error(ErrorKind::InvalidArgument, "pii: column " + policy.column + " is in none of the inputs");
  return pinned;
}

// A folder for one command asset's files, removed with everything in it.
class WorkDir {
 public:
  static Result<WorkDir> make(const std::string& asset) {
    std::string tmpl = (fs::temp_directory_path() / ("silt-" + asset + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) return Error(ErrorKind::Io, "cannot create a temp folder for " + asset);
    return WorkDir(tmpl);
  }
  WorkDir(WorkDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  WorkDir(const WorkDir&) = delete;
  ~WorkDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit WorkDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Exports the pinned inputs to parquet, runs the command and returns the SELECT over its output.
Result<std::string> command_select(Session& session, const Project& project, const Asset& asset,
                                   const std::map<std::string, int64_t>& pinned, const WorkDir& work) {
  std::vector<CommandInput> inputs;
  fs::create_directories(work.path() + "/inputs");
  for (const auto& [name, version] : pinned) {
    CommandInput in{name, project.find(name)->table_path, version,
                    work.path() + "/inputs/" + name + ".parquet"};
    SILT_TRY(session.connection().execute("COPY (SELECT * FROM " + quote_ident(name) + ") TO " +
                                          quote_literal(in.parquet) + " (FORMAT parquet)"));
    inputs.push_back(std::move(in));
  }
  SILT_ASSIGN_OR_RETURN(std::string glob,
                        run_command(project.config.dir, asset.command, inputs, work.path()));
  return "SELECT * FROM read_parquet(" + quote_literal(glob) + ")";
}

// What the stats of freshly written files say of their rows: the count, and per top-level
// column the NULLs and integer bounds, where every file has them.
KnownFacts facts_of(std::span<const delta::AddFile> files) {
  KnownFacts known;
  known.rows = 0;
  std::map<std::string, std::pair<KnownFacts::Column, size_t>> seen;  // and in how many files
  for (const auto& f : files) {
    auto stats = delta::parse_file_stats(f.stats);
    if (!stats.ok() || !stats->num_records) return {};
    *known.rows += *stats->num_records;
    for (const auto& c : stats->columns) {
      if (c.path.size() != 1) continue;
      auto& [facts, n] = seen[lower_ascii(c.path[0])];
      bool first = n++ == 0;
      auto merge = [&](std::optional<int64_t>& into, const std::optional<delta::StatValue>& v, bool lower) {
        const int64_t* i = v ? std::get_if<int64_t>(&*v) : nullptr;
        if (!i || (!first && !into)) {
          into.reset();
        } else {
          into = first ? *i : lower ? std::min(*into, *i) : std::max(*into, *i);
        }
      };
      merge(facts.min, c.min, true);
      merge(facts.max, c.max, false);
      if (!c.null_count || (!first && !facts.null_count)) {
        facts.null_count.reset();
      } else {
        facts.null_count = (first ? 0 : *facts.null_count) + *c.null_count;
      }
    }
  }
  for (auto& [name, entry] : seen)
    if (entry.second == files.size()) known.columns[name] = entry.first;
  return known;
}

// Runs the checks over `self`, records them, and fails on a failed blocking check.
Status check_rows(Session& session, const Asset& asset, AssetRun& run, const KnownFacts& known = {}) {
  SILT_ASSIGN_OR_RETURN(auto results, run_checks(session.connection(), asset.checks, known));
  run.checks = checks_json(results);
  for (const auto& r : results)
    if (r.blocking && !r.passed)
      return Error(ErrorKind::InvalidArgument,
                   kCheckFailed + r.check + " (value " + std::to_string(r.value) + ")");
  return ok_status();
}

ops::WriteOptions write_options(const Asset& asset, const MaterializeOptions& options) {
  ops::WriteOptions w;
  // A partitioned asset commits once per run and day.
  w.app_id = "silt-pipeline/" + asset.name + (asset.partitioned.empty() ? "" : "/" + options.partition);
  w.app_version = options.app_version;
  w.partition_by = asset.partition_by;
  bool overwrite = asset.mode == AssetMode::Overwrite || options.full_refresh;
  w.mode =
      overwrite || asset.mode == AssetMode::ReplaceWhere ? ops::WriteMode::Overwrite : ops::WriteMode::Append;
  if (asset.mode == AssetMode::ReplaceWhere && !options.full_refresh) w.replace_where = asset.where;
  if (!asset.partitioned.empty()) {
    w.mode = ops::WriteMode::Overwrite;
    w.replace_where = quote_ident(asset.partitioned) + " = DATE " + quote_literal(options.partition);
    overwrite = false;
  }
  // A full rebuild may change the columns unless the asset asks for strictness.
  w.schema_mode =
      asset.schema_mode.value_or(overwrite ? ops::SchemaMode::Overwrite : ops::SchemaMode::Strict);
  return w;
}

// Writes the asset's rows (`select`) and commits them once checked. The rows are written
// straight to uncommitted data files and the checks read those files, so nothing is staged
// twice; a failed check or a cancellation deletes the files. Upserts into an existing table
// go through MERGE, which needs its source materialized: those rows are staged in `self` first.
Status write(Session& session, const Asset& asset, const MaterializeOptions& options,
             std::optional<int64_t> own_version, const std::string& select, AssetRun& run) {
  ops::WriteOptions w = write_options(asset, options);
  // PII columns the SELECT keeps never get min/max stats (which would copy values into the log).
  SILT_ASSIGN_OR_RETURN(auto columns, columns_of(session, select));
  for (const auto& p : asset.pii)
    for (const auto& [col, type] : columns)
      if (col == p.column) w.no_stats_columns.insert(col);
  auto cancelled = [&]() -> Status {
    if (options.cancel && options.cancel->load()) return Error(ErrorKind::Internal, kCancelled);
    return ok_status();
  };
  Result<ops::WriteResult> written = Error(ErrorKind::Internal, "not written");
  if (asset.mode == AssetMode::Merge && !options.full_refresh && own_version) {
    SILT_ASSIGN_OR_RETURN(auto staged, session.run("CREATE TEMP TABLE self AS " + select));
    (void)staged;
    SILT_ASSIGN_OR_RETURN(auto count, session.connection().scalar("SELECT count(*) FROM self"));
    run.rows = count ? std::stoll(*count) : 0;
    SILT_TRY(check_rows(session, asset, run));
    SILT_TRY(cancelled());
    if (run.rows == 0) {
      run.version = *own_version;
      return ok_status();
    }
    written = merge_rows(session, asset.table_path, "SELECT * FROM self", asset.keys, w);
  } else {
    w.skip_empty_append = true;  // an incremental append with no new rows commits nothing
    w.before_commit = [&](const ops::PendingRows& rows) -> Status {
      SILT_TRY(session.connection().execute("CREATE OR REPLACE TEMP VIEW self AS SELECT * FROM " + rows.sql));
      run.rows = rows.count;
      // File stats are keyed by physical names: under column mapping they are not the columns'.
      auto mode = delta::column_mapping_mode(rows.metadata->configuration);
      bool mapped = !mode.ok() || *mode != delta::ColumnMappingMode::None;
      SILT_TRY(check_rows(session, asset, run, mapped ? KnownFacts{} : facts_of(rows.files)));
      return cancelled();
    };
    written = ops::write_table(session, asset.table_path, select, w);
  }
  if (!written.ok()) return written.error();
  run.version = written->version;
  if (written->skipped) run.rows = 0;  // this run had already committed it
  return ok_status();
}

// Defines the inputs, then writes the asset's rows, checked.
Status define_and_write(Session& session, const Project& project, const Asset& asset,
                        const MaterializeOptions& options, std::optional<int64_t> own_version,
                        AssetRun& run) {
  SILT_ASSIGN_OR_RETURN(auto pinned, define_inputs(session, project, asset, options, own_version, run));
  if (asset.command.empty())
    return write(session, asset, options, own_version, asset.sql.empty() ? "SELECT * FROM source" : asset.sql,
                 run);
  SILT_ASSIGN_OR_RETURN(auto work, WorkDir::make(asset.name));
  SILT_ASSIGN_OR_RETURN(std::string select, command_select(session, project, asset, pinned, work));
  return write(session, asset, options, own_version, select, run);  // before `work` and its files go
}

// Where `needle` starts in `text`, ignoring ASCII case (source column names may differ in case
// from a policy's, as DuckDB identifiers do), or npos.
size_t find_ignoring_case(const std::string& text, const std::string& needle) {
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it == text.end() ? std::string::npos : size_t(it - text.begin());
}

// DuckDB errors can quote the values that failed ("Conversion Error: Could not convert string
// 'Jane' ..."): for assets with PII only their category ("Conversion Error") is kept. The source
// readers name the column, row and value that does not fit its type ("column birth_date, row 7:
// TEXT value '...' does not fit DATE"): for a PII column the value is withheld. silt's other
// errors name columns and settings, never values, and pass unchanged.
Error redact(const Asset& asset, const Error& error) {
  if (asset.pii.empty()) return error;
  const std::string& m = error.message();
  for (const auto& policy : asset.pii) {
    const std::string tag = "column " + policy.column + ", row ";
    size_t at = find_ignoring_case(m, tag);
    size_t colon = at == std::string::npos ? at : m.find(": ", at + tag.size());
    if (colon == std::string::npos) continue;
    size_t fit = m.rfind(" does not fit ");
    std::string type = fit == std::string::npos || fit < colon ? std::string() : m.substr(fit);
    return Error(error.kind(),
                 m.substr(0, colon) + ": a value (withheld: the asset has PII policies)" + type);
  }
  size_t category = m.find(" Error: ");
  if (category == std::string::npos) return error;
  return Error(error.kind(), m.substr(0, category) + " Error (details withheld: the asset has PII policies)");
}

Status materialize_in(Session& session, const Project& project, const Asset& asset,
                      const MaterializeOptions& options, AssetRun& run) {
  if (!asset.partitioned.empty() && options.partition.empty())
    return Error(ErrorKind::InvalidArgument,
                 "is partitioned by " + asset.partitioned + ": run it with --partition DAY or backfill it");
  if (!options.partition.empty())
    SILT_TRY(session.connection().execute("SET VARIABLE partition = CAST(" +
                                          quote_literal(options.partition) + " AS DATE)"));
  if (!asset.pii.empty()) {
    SILT_ASSIGN_OR_RETURN(std::string key, pii::key_from_env(project.config.pii_key_env));
    SILT_TRY(pii::register_functions(session.connection(), key));
  }
  SILT_ASSIGN_OR_RETURN(auto own_version, latest_table_version(session, asset.table_path));
  if (own_version) run.version = *own_version;
  auto st = define_and_write(session, project, asset, options, own_version, run);
  if (!st.ok()) return redact(asset, st.error());
  return ok_status();
}

}  // namespace

bool is_check_failure(const Error& error) { return error.message().find(kCheckFailed) != std::string::npos; }

bool is_cancellation(const Error& error) { return error.message() == kCancelled; }

Status materialize(const Project& project, const Asset& asset, const MaterializeOptions& options,
                   AssetRun& run) {
  auto session = options.database ? Session::open_on(options.database) : Session::open();
  if (!session.ok()) return session.error();
  db::Connection& conn = (*session)->connection();
  // The views naming the asset's inputs (`orders`, `clinic.billing`, ...) go into a catalog of
  // this asset's own, so that assets sharing the database never see each other's.
  static std::atomic<int64_t> catalogs{0};
  std::string catalog = quote_ident("silt_asset_" + std::to_string(catalogs++));
  SILT_TRY(conn.execute("ATTACH ':memory:' AS " + catalog));
  auto st = conn.execute("USE " + catalog);
  if (st.ok()) st = materialize_in(**session, project, asset, options, run);
  ignore_result(conn.execute("USE memory"));
  ignore_result(conn.execute("DETACH " + catalog));
  return st;
}

}  // namespace silt::pipeline
