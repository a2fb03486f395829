// Upserts by key for pipeline assets; see merge_write.h.
#include "pipeline/merge_write.h"

#include "delta/schema/schema.h"
#include "ops/merge.h"
#include "util/sql_text.h"

namespace silt::pipeline {
namespace {

// True when the source has a column the table has not.
Result<bool> source_adds_columns(Session& session, const delta::Snapshot& snap,
                                 const std::string& source_sql) {
  SILT_ASSIGN_OR_RETURN(auto schema, delta::parse_schema(snap.metadata().schema_string));
  SILT_ASSIGN_OR_RETURN(auto rows, session.connection().query_text("DESCRIBE " + source_sql));
  for (const auto& row : rows)
    if (!delta::find_field(schema, row[0].value_or(""))) return true;
  return false;
}

}  // namespace

Result<ops::WriteResult> merge_rows(Session& session, const std::string& path, const std::string& source_sql,
                                    const std::vector<std::string>& keys, const ops::WriteOptions& options) {
  if (keys.empty()) return Error(ErrorKind::InvalidArgument, "mode merge into " + path + " needs keys");
  auto listing = session.list_log(path);
  if (!listing.ok()) {
    if (listing.error().kind() != ErrorKind::NotFound) return listing.error();
    return ops::write_table(session, path, source_sql, options);  // first load: nothing to match
  }
  SILT_ASSIGN_OR_RETURN(auto snap, session.snapshot(path));
  if (options.app_id) {
    auto it = snap.app_transactions().find(*options.app_id);
    if (it != snap.app_transactions().end() && it->second.version >= *options.app_version) {
      ops::WriteResult done;
      done.skipped = true;
      done.version = snap.version();
      return done;
    }
  }
  if (options.schema_mode == ops::SchemaMode::Merge) {
    SILT_ASSIGN_OR_RETURN(bool adds, source_adds_columns(session, snap, source_sql));
    if (adds) {
      ops::WriteOptions evolve = options;
      evolve.app_id.reset();
      evolve.app_version.reset();
      evolve.mode = ops::WriteMode::Append;
      auto evolved =
          ops::write_table(session, path, "SELECT * FROM (" + source_sql + ") WHERE false", evolve);
      if (!evolved.ok()) return evolved.error();
    }
  }
  ops::MergeOptions m;
  m.source_sql = source_sql;
  for (const std::string& k : keys)
    m.on += (m.on.empty() ? "" : " AND ") + std::string("t.") + quote_ident(k) + " = s." + quote_ident(k);
  ops::MergeClause update;
  update.kind = ops::MergeClause::Kind::MatchedUpdate;
  update.all = true;
  ops::MergeClause insert;
  insert.kind = ops::MergeClause::Kind::NotMatchedInsert;
  insert.all = true;
  m.clauses = {update, insert};
  m.target_file_size = options.target_file_size;
  m.app_id = options.app_id;
  m.app_version = options.app_version;
  SILT_ASSIGN_OR_RETURN(ops::MergeResult r, ops::merge_into(session, path, m));
  ops::WriteResult w;
  w.version = r.version;
  w.skipped = r.skipped;
  w.rows_added = r.rows_inserted + r.rows_updated;
  w.files_added = r.files_added;
  w.files_removed = r.files_removed;
  w.bytes_added = r.bytes_added;
  w.bytes_removed = r.bytes_removed;
  w.attempts = r.attempts;
  w.checkpointed = r.checkpointed;
  w.checkpoint_warning = r.checkpoint_warning;
  return w;
}

}  // namespace silt::pipeline
