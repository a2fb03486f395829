// The `silt` command line: argument parsing with CLI11 and dispatch to the subcommands.
// Every failure ends as one "error: ..." line on stderr and exit code 1 (2 for usage errors).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

namespace {

using silt::cli::Format;

const std::map<std::string, Format> kFormats{
    {"table", Format::Table}, {"csv", Format::Csv}, {"json", Format::Json}, {"parquet", Format::Parquet}};

int report(const silt::Status& st) {
  if (st.ok()) return 0;
  std::cerr << "error: " << st.error().message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"silt: Delta Lake tables and SQL in one native program"};
  app.set_version_flag("--version", "silt " SILT_VERSION);
  app.require_subcommand(0, 1);

  silt::cli::QueryArgs query;
  auto* q = app.add_subcommand("query", "run SQL; delta_scan('path' [, version => N | timestamp => 'T']) reads a table");
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
      ->transform(CLI::CheckedTransformer(std::map<std::string, Format>{{"table", Format::Table}, {"json", Format::Json}},
                                          CLI::ignore_case));
  h->add_option("--limit", history.limit, "newest N versions only");

  silt::cli::DescribeArgs describe;
  auto* d = app.add_subcommand("describe", "schema, partitioning, protocol, features, files and size of a table");
  d->add_option("path", describe.path, "table path")->required();
  d->add_option("--format", describe.format, "table | json")
      ->transform(CLI::CheckedTransformer(std::map<std::string, Format>{{"table", Format::Table}, {"json", Format::Json}},
                                          CLI::ignore_case));
  auto* dv = d->add_option("--version", describe.version, "describe this version");
  d->add_option("--timestamp", describe.timestamp, "describe the version as of this time (UTC)")->excludes(dv);

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
  if (*q) return report(silt::cli::run_query(s, query));
  if (*h) return report(silt::cli::run_history(s, history));
  if (*d) return report(silt::cli::run_describe(s, describe));
  (void)shell;
  return report(silt::cli::run_shell(s));
}
