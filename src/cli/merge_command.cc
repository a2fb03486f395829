// `silt merge` (and the report of `MERGE INTO delta_table(...)` in `silt query`): MERGE INTO a table from a
// query or another table. Parses the WHEN clauses (kept in command-line order, which is the order they apply
// in) and prints the one-line report; the work is in ops/merge.h.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "ops/merge.h"
#include "util/sql_text.h"

namespace silt::cli {
namespace {

using Kind = ops::MergeClause::Kind;

struct MergeArgs {
  std::string path;
  std::string source;
  std::string source_table;
  std::string on;
  int64_t max_inline_dv_bytes = 64;
  // One vector per clause option; parse_order() tells how their occurrences interleave.
  struct ClauseOption {
    const char* name;
    Kind kind;
    bool all;
    bool optional_value;  // deletes and * clauses take only an optional "AND <condition>"
    const char* help;
    std::vector<std::string> values;
    CLI::Option* option = nullptr;
  };
  std::vector<ClauseOption> clauses = {
      {"--when-matched-update",
       Kind::MatchedUpdate,
       false,
       false,
       "\"[AND <cond> THEN] col = expr, ...\"",
       {},
       nullptr},
      {"--when-matched-update-all",
       Kind::MatchedUpdate,
       true,
       true,
       "[\"AND <cond>\"]: UPDATE SET *",
       {},
       nullptr},
      {"--when-matched-delete", Kind::MatchedDelete, false, true, "[\"AND <cond>\"]", {}, nullptr},
      {"--when-not-matched-insert",
       Kind::NotMatchedInsert,
       false,
       false,
       "\"[AND <cond> THEN] (cols) VALUES (exprs)\"",
       {},
       nullptr},
      {"--when-not-matched-insert-all",
       Kind::NotMatchedInsert,
       true,
       true,
       "[\"AND <cond>\"]: INSERT *",
       {},
       nullptr},
      {"--when-not-matched-by-source-update",
       Kind::NotMatchedBySourceUpdate,
       false,
       false,
       "\"[AND <cond> THEN] col = expr, ...\" (t only)",
       {},
       nullptr},
      {"--when-not-matched-by-source-delete",
       Kind::NotMatchedBySourceDelete,
       false,
       true,
       "[\"AND <cond>\"] (t only)",
       {},
       nullptr},
  };
};

Result<ops::MergeOptions> options_for(CLI::App& sub, MergeArgs& args) {
  ops::MergeOptions options;
  if (args.source.empty() == args.source_table.empty())
    return Error(ErrorKind::InvalidArgument, "merge needs exactly one of --source and --source-table");
  options.source_sql = args.source.empty()
                           ? "SELECT * FROM delta_scan(" + quote_literal(args.source_table) + ")"
                           : args.source;
  options.on = args.on;
  options.max_inline_dv_bytes = args.max_inline_dv_bytes;
  std::map<const CLI::Option*, size_t> seen;
  for (const CLI::Option* opt : sub.parse_order()) {
    for (auto& c : args.clauses) {
      if (c.option != opt) continue;
      size_t k = seen[opt]++;
      SILT_ASSIGN_OR_RETURN(auto clause, ops::parse_merge_clause(c.kind, c.all, c.values.at(k)));
      options.clauses.push_back(std::move(clause));
    }
  }
  return options;
}

}  // namespace

void print_merge_report(const std::string& path, const ops::MergeResult& r) {
  if (!r.committed) {
    std::cout << "no rows changed: nothing committed (" << path << " stays at version " << r.version << ")\n";
    return;
  }
  std::cout << "committed version " << r.version << " of " << path << ": " << r.rows_inserted
            << " row(s) inserted, " << r.rows_updated << " updated, " << r.rows_deleted << " deleted";
  print_file_changes(std::cout, r.dvs_added + r.dvs_updated, r.files_removed, r.files_added, r.rows_copied);
  finish_commit_report(std::cout, r.attempts, r.checkpointed, r.checkpoint_warning);
}

void register_merge_command(CLI::App& app, CommandTable& commands) {
  auto args = std::make_shared<MergeArgs>();
  auto* sub = app.add_subcommand(
      "merge",
      "MERGE INTO a table (alias t) from a query or table (alias s); WHEN clauses apply in the order given, "
      "the first whose condition holds wins");
  sub->add_option("path", args->path, "target table path")->required();
  sub->add_option("--source", args->source, "SELECT giving the source rows (may use delta_scan)");
  sub->add_option("--source-table", args->source_table, "a Delta table as the source");
  sub->add_option("--on", args->on, "match condition, e.g. \"t.id = s.id\"")->required();
  sub->add_option("--max-inline-dv-bytes", args->max_inline_dv_bytes, "larger deletion vectors go to a file");
  for (auto& c : args->clauses) {
    c.option =
        sub->add_option(c.name, c.values, c.help)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (c.optional_value) c.option->expected(0, 1)->allow_extra_args(false);
  }
  commands.add(sub, [sub, args](Session& session) -> Status {
    SILT_ASSIGN_OR_RETURN(auto options, options_for(*sub, *args));
    SILT_ASSIGN_OR_RETURN(auto r, ops::merge_into(session, args->path, options));
    print_merge_report(args->path, r);
    return ok_status();
  });
}

}  // namespace silt::cli
