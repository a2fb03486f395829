// `silt changes`: a table's change data feed between two versions or times, printed as
// `silt query` prints a result. Argument checks only; the work is in ops/changes.
#include "cli/commands.h"
#include "ops/changes.h"
#include "util/time.h"

namespace silt::cli {
namespace {

struct ChangesArgs {
  std::string path;
  std::optional<int64_t> from_version, to_version;
  std::optional<std::string> from_timestamp, to_timestamp;
  Format format = Format::Table;
};

Status set_timestamp(const std::optional<std::string>& text, std::optional<int64_t>& out) {
  if (!text) return ok_status();
  SILT_ASSIGN_OR_RETURN(int64_t ms, parse_timestamp_ms(*text));
  out = ms;
  return ok_status();
}

Status run_changes(Session& session, const ChangesArgs& args) {
  if (args.from_version.has_value() == args.from_timestamp.has_value()) {
    return Error(ErrorKind::InvalidArgument,
                 "changes needs exactly one of --from-version and --from-timestamp");
  }
  scan::ChangeRange range;
  range.from_version = args.from_version;
  range.to_version = args.to_version;
  SILT_TRY(set_timestamp(args.from_timestamp, range.from_timestamp_ms));
  SILT_TRY(set_timestamp(args.to_timestamp, range.to_timestamp_ms));
  SILT_ASSIGN_OR_RETURN(std::string sql, ops::changes_sql(session, args.path, range));
  QueryArgs query;
  query.sql = std::move(sql);
  query.format = args.format;
  return run_query(session, query);
}

}  // namespace

void register_changes_command(CLI::App& app, CommandTable& commands) {
  auto args = std::make_shared<ChangesArgs>();
  auto* sub = app.add_subcommand(
      "changes", "the change data feed (delta.enableChangeDataFeed) between two versions or times");
  sub->add_option("path", args->path, "table path")->required();
  auto* from_v = sub->add_option("--from-version", args->from_version, "first version (inclusive)");
  sub->add_option("--from-timestamp", args->from_timestamp, "first commit at or after this time (UTC)")
      ->excludes(from_v);
  auto* to_v = sub->add_option("--to-version", args->to_version, "last version (inclusive; default latest)");
  sub->add_option("--to-timestamp", args->to_timestamp, "last commit at or before this time (UTC)")
      ->excludes(to_v);
  sub->add_option("--format", args->format, "table | csv | json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{
              {"table", Format::Table}, {"csv", Format::Csv}, {"json", Format::Json}},
          CLI::ignore_case));
  commands.add(sub, [args](Session& session) { return run_changes(session, *args); });
}

}  // namespace silt::cli
