// The `silt` command line: argument parsing with CLI11 and dispatch to the subcommands.
// Every failure ends as one "error: ..." line on stderr and exit code 1 (2 for usage errors).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

namespace {

using silt::cli::Format;

const std::map<std::string, Format> kFormats{
    {"table", Format::Table}, {"csv", Format::Csv}, {"json", Format::Json}, {"parquet", Format::Parquet}};

// Ends the process with the command's outcome. Everything a command writes is durable by the
// time it returns (commits are synced), so the exit skips tearing down snapshots of hundreds
// of thousands of files and the in-memory database, which would only cost time.
[[noreturn]] int report(const silt::Status& st) {
  int code = 0;
  if (!st.ok()) {
    std::cerr << "error: " << st.error().message() << "\n";
    code = 1;
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"silt: Delta Lake tables and SQL in one native program"};
  app.set_version_flag("--version", "silt " SILT_VERSION);
  app.require_subcommand(0, 1);
  silt::cli::CommandTable commands;
  silt::cli::register_recover_command(app, commands);
  silt::cli::register_changes_command(app, commands);
  silt::cli::register_pipeline_command(app, commands);
  silt::cli::register_optimize_command(app, commands);
  silt::cli::register_merge_command(app, commands);

  silt::cli::QueryArgs query;
  auto* q = app.add_subcommand(
      "query", "run SQL; delta_scan('path' [, version => N | timestamp => 'T']) reads a table");
  q->add_option("sql", query.sql, "SQL statements (the last one's result is printed)")->required();
  q->add_option("--format", query.format, "table | csv | json | parquet")
      ->transform(CLI::CheckedTransformer(kFormats, CLI::ignore_case));
  q->add_option("--output,-o", query.output, "write the result to this file instead of stdout");
  q->add_flag("--verbose,-v", query.verbose, "report on stderr how many files each delta_scan reads");

  auto* shell = app.add_subcommand("shell", "interactive SQL shell with delta_scan");

  silt::cli::HistoryArgs history;
  auto* h = app.add_subcommand("history", "list a table's versions with operation, parameters and metrics");
  h->add_option("path", history.path, "table path")->required();
  h->add_option("--format", history.format, "table | json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{{"table", Format::Table}, {"json", Format::Json}}, CLI::ignore_case));
  h->add_option("--limit", history.limit, "newest N versions only");

  silt::cli::DescribeArgs describe;
  auto* d =
      app.add_subcommand("describe", "schema, partitioning, protocol, features, files and size of a table");
  d->add_option("path", describe.path, "table path")->required();
  d->add_option("--format", describe.format, "table | json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{{"table", Format::Table}, {"json", Format::Json}}, CLI::ignore_case));
  auto* dv = d->add_option("--version", describe.version, "describe this version");
  d->add_option("--timestamp", describe.timestamp, "describe the version as of this time (UTC)")
      ->excludes(dv);

  silt::cli::WriteArgs write;
  std::string write_mode = "append", schema_mode = "strict", partition_by;
  std::vector<std::string> no_stats;
  auto* w =
      app.add_subcommand("write", "write query results or a data file to a Delta table (created if missing)");
  w->add_option("path", write.path, "table path")->required();
  auto* w_sql = w->add_option("--sql", write.sql, "SELECT whose rows are written (may use delta_scan)");
  w->add_option("--file", write.file, "a .parquet, .csv or .json file (globs allowed)")->excludes(w_sql);
  w->add_option("--mode", write_mode, "append | overwrite")->check(CLI::IsMember({"append", "overwrite"}));
  w->add_option("--partition-by", partition_by, "comma-separated partition columns (new tables)");
  w->add_option("--schema-mode", schema_mode, "strict | merge | overwrite")
      ->check(CLI::IsMember({"strict", "merge", "overwrite"}));
  w->add_option("--replace-where", write.options.replace_where,
                "with --mode overwrite: replace only matching rows");
  w->add_option("--app-id", write.options.app_id, "idempotent writes: application id");
  w->add_option("--app-version", write.options.app_version,
                "idempotent writes: version within the application");
  w->add_option("--target-file-size", write.options.target_file_size,
                "bytes per data file (default 128 MiB)");
  w->add_option("--compression", write.options.compression, "zstd | snappy")
      ->check(CLI::IsMember({"zstd", "snappy"}));
  w->add_option("--no-stats", no_stats, "columns never recorded in file statistics (PII)")->delimiter(',');
  std::vector<std::string> write_properties;
  w->add_option("--property", write_properties,
                "table property key=value when the write creates the table (repeatable); "
                "delta.enableDeletionVectors defaults to true");

  silt::cli::CreateArgs create;
  std::vector<std::string> properties;
  auto* c = app.add_subcommand("create", "create an empty Delta table");
  c->add_option("path", create.path, "table path")->required();
  c->add_option("--schema", create.columns, "columns, e.g. \"id BIGINT, name VARCHAR, day DATE\"")
      ->required();
  c->add_option("--partition-by", partition_by, "comma-separated partition columns");
  c->add_option("--property", properties,
                "table property key=value (repeatable); delta.enableDeletionVectors defaults to true");

  std::string checkpoint_path;
  auto* cp =
      app.add_subcommand("checkpoint", "write a checkpoint of the latest version and clean up expired logs");
  cp->add_option("path", checkpoint_path, "table path")->required();

  silt::cli::VacuumArgs vacuum;
  auto* v = app.add_subcommand("vacuum", "delete data files no retained version needs");
  v->add_option("path", vacuum.path, "table path")->required();
  v->add_option("--retain-hours", vacuum.options.retain_hours,
                "keep files needed by versions this recent (default: the table's retention, 168 h)");
  v->add_flag("--dry-run", vacuum.options.dry_run, "list what would be deleted, delete nothing");
  v->add_flag("--force", vacuum.options.force, "allow a retention below the table's");

  silt::cli::DeleteArgs del;
  auto* del_cmd = app.add_subcommand("delete", "delete the rows matching a predicate (all rows without one)");
  del_cmd->add_option("path", del.path, "table path")->required();
  del_cmd->add_option("--where", del.where, "SQL predicate over the table's columns");

  silt::cli::UpdateArgs update;
  auto* upd = app.add_subcommand("update", "set column values in the rows matching a predicate");
  upd->add_option("path", update.path, "table path")->required();
  upd->add_option("--set", update.set, "assignments, e.g. \"price = price * 2, note = 'x'\"")->required();
  upd->add_option("--where", update.where, "SQL predicate over the table's columns");

  silt::cli::RestoreArgs restore;
  auto* rs = app.add_subcommand("restore", "commit a new version equal to an earlier one");
  rs->add_option("path", restore.path, "table path")->required();
  auto* rs_v = rs->add_option("--version", restore.version, "restore this version");
  rs->add_option("--timestamp", restore.timestamp, "restore the version as of this time (UTC)")
      ->excludes(rs_v);

  silt::cli::DiffArgs diff;
  auto* df = app.add_subcommand("diff", "rows added, removed (and changed, by key) between two versions");
  df->add_option("path", diff.path, "table path")->required();
  df->add_option("--from", diff.from, "older version")->required();
  df->add_option("--to", diff.to, "newer version")->required();
  df->add_option("--key", diff.key, "key columns: report same-key rows with new values as changed")
      ->delimiter(',');
  df->add_option("--format", diff.format, "table | csv | json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{
              {"table", Format::Table}, {"csv", Format::Csv}, {"json", Format::Json}},
          CLI::ignore_case));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  auto session = silt::Session::open();
  if (!session.ok()) return report(session.error());
  silt::Session& s = **session;
  if (const auto* run = commands.chosen()) return report((*run)(s));
  if (*q) return report(silt::cli::run_query(s, query));
  if (*h) return report(silt::cli::run_history(s, history));
  if (*d) return report(silt::cli::run_describe(s, describe));
  // "key=value" items into table properties.
  auto parse_properties = [](const std::vector<std::string>& items,
                             std::map<std::string, std::string>& out) -> silt::Status {
    for (const auto& p : items) {
      auto eq = p.find('=');
      if (eq == std::string::npos)
        return silt::Error(silt::ErrorKind::InvalidArgument, "--property needs key=value: " + p);
      out[p.substr(0, eq)] = p.substr(eq + 1);
    }
    return silt::ok_status();
  };
  if (*w) {
    if (auto st = parse_properties(write_properties, write.options.properties); !st.ok()) return report(st);
    write.options.mode =
        write_mode == "overwrite" ? silt::ops::WriteMode::Overwrite : silt::ops::WriteMode::Append;
    write.options.schema_mode = schema_mode == "merge"       ? silt::ops::SchemaMode::Merge
                                : schema_mode == "overwrite" ? silt::ops::SchemaMode::Overwrite
                                                             : silt::ops::SchemaMode::Strict;
    write.options.partition_by = silt::cli::split_list(partition_by);
    write.options.no_stats_columns = {no_stats.begin(), no_stats.end()};
    return report(silt::cli::run_write(s, write));
  }
  if (*cp) return report(silt::cli::run_checkpoint(s, checkpoint_path));
  if (*del_cmd) return report(silt::cli::run_delete(s, del));
  if (*upd) return report(silt::cli::run_update(s, update));
  if (*v) return report(silt::cli::run_vacuum(s, vacuum));
  if (*rs) return report(silt::cli::run_restore(s, restore));
  if (*df) return report(silt::cli::run_diff(s, diff));
  if (*c) {
    create.options.partition_by = silt::cli::split_list(partition_by);
    if (auto st = parse_properties(properties, create.options.properties); !st.ok()) return report(st);
    return report(silt::cli::run_create(s, create));
  }
  (void)shell;
  return report(silt::cli::run_shell(s));
}
