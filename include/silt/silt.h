// silt's public C++ API: open Delta tables, take snapshots at a version or a timestamp, list
// their files with stats, and scan them with DuckDB SQL. Everything returns Result<T>; nothing
// throws. A Session is used by one thread at a time; open one per thread.
//
//   auto session = silt::Session::open().value();
//   auto snap = session->snapshot("/data/events", {.version = 3});   // delta::Snapshot
//   for (const auto& f : snap->files()) { f.path; f.size; f.stats; f.partition_values; }
//   auto plan = session->scan("/data/events", {}, {.filter_sql = "day = DATE '2024-01-01'"});
//   auto rows = session->connection().query("SELECT count(*) FROM " + plan->sql);
//   auto same = session->run("SELECT count(*) FROM delta_scan('/data/events', version => 3)");
#pragma once

#include "delta/model/actions.h"      // AddFile, Metadata, Protocol, ...: the log's actions
#include "delta/schema/schema.h"      // parse_schema(): the table's typed schema
#include "delta/snapshot/snapshot.h"  // Snapshot: one reconciled table version
#include "delta/stats/file_stats.h"   // parse_file_stats(): per-file min/max/null counts
#include "ops/history.h"              // table_history(): versions with their commitInfo
#include "scan/session.h"             // Session, TimeTravel, scans and SQL with delta_scan
#include "util/result.h"              // Result<T>, Status, Error, ErrorKind
