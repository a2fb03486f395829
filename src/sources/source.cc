// copy_query: checks the settings, runs the reader for the source's kind, and on failure drops
// the half-filled target so nothing mistakes it for the source's rows.
#include "sources/source.h"

#include "sources/readers.h"
#include "util/sql_text.h"

namespace silt::sources {

Result<int64_t> copy_query(const SourceConfig& source, std::string_view query, db::Connection& conn,
                           std::string_view target, const CopyOptions& options) {
  SILT_TRY(validate(source));
  if (options.batch_rows < 1)
    return Error(ErrorKind::InvalidArgument, "source " + source.name + ": batch_rows must be at least 1");
  Result<int64_t> rows = source.kind == "sqlite"     ? copy_sqlite(source, query, conn, target, options)
                         : source.kind == "postgres" ? copy_postgres(source, query, conn, target, options)
                                                     : copy_firebird(source, query, conn, target, options);
  if (rows.ok()) return rows;
  ignore_result(conn.execute("DROP TABLE IF EXISTS temp.main." + quote_ident(target)));
  return rows.error().with_context("source " + source.name);
}

}  // namespace silt::sources
