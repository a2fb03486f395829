// Reads checkpoints (classic, multi-part, v2 JSON or parquet, with sidecars) and feeds their
// actions to an ActionSink. Parquet is read through DuckDB: each action column is turned into
// JSON by DuckDB and parsed by the same ActionParser as commits, so both paths agree.
// Uses the given connection; one thread at a time.
#pragma once

#include "delta/log/action_parser.h"
#include "delta/log/log_listing.h"
#include "duckdb/engine.h"
#include "util/storage.h"

namespace silt::delta {

Status read_checkpoint(const Checkpoint& checkpoint, const std::string& log_dir, const Storage& storage,
                       db::Connection& conn, ActionParser& parser, ActionSink& sink);

}  // namespace silt::delta
