// The per-kind readers behind copy_query, each in its own file. Same contract as copy_query,
// except that errors carry no "source NAME" prefix: copy_query adds it.
#pragma once

#include <cstdint>
#include <string_view>

#include "duckdb/engine.h"
#include "sources/source.h"
#include "util/result.h"

namespace silt::sources {

Result<int64_t> copy_sqlite(const SourceConfig& source, std::string_view query, db::Connection& conn,
                            std::string_view target, const CopyOptions& options);
Result<int64_t> copy_postgres(const SourceConfig& source, std::string_view query, db::Connection& conn,
                              std::string_view target, const CopyOptions& options);
Result<int64_t> copy_firebird(const SourceConfig& source, std::string_view query, db::Connection& conn,
                              std::string_view target, const CopyOptions& options);

}  // namespace silt::sources
