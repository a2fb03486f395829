// `silt query` and the interactive shell: run SQL with delta_scan(...) and print the last
// statement's result as an aligned table, or export it exactly through DuckDB's COPY.
#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "ops/merge_sql.h"
#include "util/sql_text.h"

namespace silt::cli {
namespace {

bool is_numeric(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
      return true;
    default:
      return false;
  }
}

Status print_result(db::QueryResult& result, const std::vector<bool>& right_align) {
  TextTable t;
  for (idx_t c = 0; c < result.column_count(); c++) {
    t.header.push_back(result.column_name(c));
    t.right_align.push_back(c < right_align.size() ? right_align[c] : is_numeric(result.column_type(c)));
  }
  SILT_ASSIGN_OR_RETURN(t.rows, result.rows_as_text());
  print_table(std::cout, t);
  return ok_status();
}

// A row-returning statement is printed through DuckDB's own VARCHAR casts, which render every
// type (lists, structs, maps) as DuckDB does; its original column types decide alignment.
Status print_query(Session& session, const std::string& expanded) {
  SILT_ASSIGN_OR_RETURN(auto described,
                        session.connection().query_text("DESCRIBE SELECT * FROM (" + expanded + ")"));
  std::vector<bool> numeric;
  for (auto& row : described) {
    std::string type = row.size() > 1 && row[1] ? *row[1] : "";
    numeric.push_back(type.find('[') == std::string::npos &&
                      (type.starts_with("DECIMAL") || type == "TINYINT" || type == "SMALLINT" ||
                       type == "INTEGER" || type == "BIGINT" || type == "HUGEINT" || type == "UTINYINT" ||
                       type == "USMALLINT" || type == "UINTEGER" || type == "UBIGINT" || type == "UHUGEINT" ||
                       type == "FLOAT" || type == "DOUBLE"));
  }
  SILT_ASSIGN_OR_RETURN(auto result,
                        session.connection().query("SELECT COLUMNS(*)::VARCHAR FROM (" + expanded + ")"));
  return print_result(result, numeric);
}

const char* copy_options(Format f) {
  switch (f) {
    case Format::Csv:
      return "(FORMAT csv, HEADER)";
    case Format::Json:
      return "(FORMAT json)";
    case Format::Parquet:
      return "(FORMAT parquet)";
    case Format::Table:
      break;
  }
  return "";
}

// Whether a statement yields rows (and so can be wrapped in a COPY).
bool returns_rows(const std::string& stmt) {
  size_t i = 0;
  while (i < stmt.size() && (std::isspace(static_cast<unsigned char>(stmt[i])) || stmt[i] == '(')) i++;
  std::string word;
  while (i < stmt.size() && std::isalpha(static_cast<unsigned char>(stmt[i])))
    word.push_back(char(std::tolower(stmt[i++])));
  for (const char* k :
       {"select", "with", "from", "values", "table", "describe", "show", "summarize", "pivot", "unpivot"}) {
    if (word == k) return true;
  }
  return false;
}

// COPY writes files; for stdout it goes to a temp file that is then streamed out, because
// DuckDB opening /dev/stdout itself would truncate a redirected output file.
Status export_result(Session& session, const std::string& expanded, const QueryArgs& args) {
  if (args.format == Format::Parquet && args.output.empty()) {
    return Error(ErrorKind::InvalidArgument, "--format parquet needs --output PATH");
  }
  std::string target = args.output;
  if (target.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    target = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/silt-query-XXXXXX";
    int fd = mkstemp(target.data());
    if (fd < 0) return Error(ErrorKind::Io, "cannot create a temporary file in " + target);
    close(fd);
  }
  Status st = session.connection().execute("COPY (SELECT * FROM (" + expanded + ")) TO " +
                                           quote_literal(target) + " " + copy_options(args.format));
  if (args.output.empty()) {
    if (st.ok()) {
      std::ifstream in(target, std::ios::binary);
      std::cout << in.rdbuf();
      std::cout.flush();
    }
    std::remove(target.c_str());
  }
  return st;
}

}  // namespace

Status run_query(Session& session, const QueryArgs& args) {
  auto statements = scan::split_statements(args.sql);
  if (statements.empty()) return Error(ErrorKind::InvalidArgument, "no SQL statement given");
  for (size_t i = 0; i < statements.size(); i++) {
    // MERGE INTO delta_table(...) is silt's; DuckDB's own MERGE handles its tables.
    SILT_ASSIGN_OR_RETURN(auto merge, ops::parse_merge_statement(statements[i]));
    if (merge) {
      SILT_ASSIGN_OR_RETURN(auto r, ops::merge_into(session, merge->path, merge->options));
      print_merge_report(merge->path, r);
      continue;
    }
    SILT_ASSIGN_OR_RETURN(std::string sql, session.expand_sql(statements[i]));
    if (args.verbose) {
      for (const auto& s : session.last_scans()) {
        std::cerr << "delta_scan " << s.table << " version " << s.version << ": " << s.files_scanned << " of "
                  << s.files_total << " files\n";
      }
    }
    bool last = i + 1 == statements.size();
    if (last && returns_rows(statements[i])) {
      return args.format == Format::Table ? print_query(session, sql) : export_result(session, sql, args);
    }
    SILT_ASSIGN_OR_RETURN(auto result, session.connection().query(sql));
    if (last && args.format == Format::Table && result.column_count() > 0) SILT_TRY(print_result(result, {}));
  }
  return ok_status();
}

Status run_shell(Session& session) {
  bool tty = isatty(STDIN_FILENO);
  if (tty)
    std::cout << "silt " SILT_VERSION
                 " shell: SQL with delta_scan('path'); end statements with ';', .quit to leave\n";
  std::string buffer;
  while (true) {
    const char* prompt = tty ? (buffer.empty() ? "silt> " : "  ... ") : "";
    char* line = readline(prompt);
    if (!line) break;
    std::string text(line);
    std::free(line);
    if (buffer.empty() && (text == ".quit" || text == ".exit" || text == "\\q")) break;
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    if (tty) add_history(text.c_str());
    buffer += text + "\n";
    std::string trimmed = buffer.substr(0, buffer.find_last_not_of(" \t\n") + 1);
    if (trimmed.empty() || trimmed.back() != ';') continue;
    QueryArgs args;
    args.sql = buffer;
    buffer.clear();
    Status st = run_query(session, args);
    if (!st.ok()) std::cerr << "error: " << st.error().message() << "\n";
  }
  if (!buffer.empty()) {
    QueryArgs args;
    args.sql = buffer;
    Status st = run_query(session, args);
    if (!st.ok()) {
      std::cerr << "error: " << st.error().message() << "\n";
      return Error(ErrorKind::InvalidArgument, "the last statement failed");
    }
  }
  return ok_status();
}

}  // namespace silt::cli
