// The write operation. Order of work: read the table (if any), reconcile schemas, check the
// data against --replace-where, write data files, then commit adds + removes (+ metadata and
// protocol when they change) in one transaction.
#include "ops/write.h"

#include <algorithm>
#include <cctype>

#include "delta/cdf/commit_changes.h"
#include "delta/model/table_features.h"
#include "delta/txn/conflict_checker.h"
#include "delta/txn/transaction.h"
#include "ops/checkpoint.h"
#include "ops/data_writer.h"
#include "scan/file_skipping.h"
#include "util/fault_injection.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/time.h"
#include "util/uuid.h"

namespace silt::ops {
namespace {

using delta::DataType;
using delta::StructField;
using delta::StructType;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool same_type(const DataType& a, const DataType& b) {
  return delta::duckdb_type(a) == delta::duckdb_type(b);
}

bool has_timestamp_ntz(const DataType& t) {
  if (t.is(delta::PrimitiveKind::TimestampNtz)) return true;
  if (const auto* s = t.struct_type()) {
    return std::any_of(s->fields.begin(), s->fields.end(),
                       [](const StructField& f) { return has_timestamp_ntz(f.type); });
  }
  if (const auto* a = t.array_type()) return has_timestamp_ntz(*a->element_type);
  if (const auto* m = t.map_type())
    return has_timestamp_ntz(*m->key_type) || has_timestamp_ntz(*m->value_type);
  return false;
}

// Features implied by legacy protocol versions, listed explicitly once a table moves to
// reader 3 / writer 7 (PROTOCOL.md "Table Features for New and Existing Tables").
void add_feature(delta::Protocol& p, const std::string& name, bool reader) {
  if (p.min_writer_version < 7) {
    std::vector<std::string> writer;
    int w = p.min_writer_version;
    if (w >= 2) writer.insert(writer.end(), {"appendOnly", "invariants"});
    if (w >= 3) writer.push_back("checkConstraints");
    if (w >= 4) writer.insert(writer.end(), {"changeDataFeed", "generatedColumns"});
    if (w >= 5) writer.push_back("columnMapping");
    if (w >= 6) writer.push_back("identityColumns");
    p.min_writer_version = 7;
    p.writer_features = writer;
  }
  if (reader && p.min_reader_version < 3) {
    std::vector<std::string> readers;
    if (p.min_reader_version >= 2) readers.push_back("columnMapping");
    p.min_reader_version = 3;
    p.reader_features = readers;
  }
  auto push = [&](std::optional<std::vector<std::string>>& list) {
    if (!list) list.emplace();
    if (std::find(list->begin(), list->end(), name) == list->end()) list->push_back(name);
  };
  push(p.writer_features);
  if (reader && p.min_reader_version >= 3) push(p.reader_features);
}

// The lowest protocol a schema needs.
delta::Protocol protocol_for(const StructType& schema, delta::Protocol p) {
  for (const auto& f : schema.fields) {
    if (has_timestamp_ntz(f.type)) add_feature(p, "timestampNtz", true);
  }
  return p;
}

// Records a widening in the field's metadata (PROTOCOL.md "Type Change Metadata").
void record_type_change(StructField& f, const DataType& from, const DataType& to) {
  std::string change = "{\"fromType\":" + json_quote(delta::delta_type_name(from)) +
                       ",\"toType\":" + json_quote(delta::delta_type_name(to)) + "}";
  std::string& meta = f.metadata_json;
  auto key = meta.find("\"delta.typeChanges\":[");
  if (key != std::string::npos) {
    meta.insert(meta.find(']', key), "," + change);
  } else if (meta == "{}" || meta.empty()) {
    meta = "{\"delta.typeChanges\":[" + change + "]}";
  } else {
    meta.insert(meta.rfind('}'), ",\"delta.typeChanges\":[" + change + "]");
  }
}

struct SchemaPlan {
  StructType schema;     // the table schema after this write
  bool changed = false;  // metadata must be committed
  bool widened = false;  // type widening used: the typeWidening feature is needed
};

// Strict: the data's columns must be the table's (missing nullable columns are filled with
// nulls, lossless widening casts are applied). Merge: new columns are added and wider types
// widen the table. Overwrite: the data's schema replaces the table's.
Result<SchemaPlan> reconcile(const StructType& table, const StructType& data, SchemaMode mode) {
  SchemaPlan plan{table, false, false};
  if (mode == SchemaMode::Overwrite) {
    plan.schema = data;
    plan.changed = !(delta::to_schema_json(data) == delta::to_schema_json(table));
    return plan;
  }
  std::vector<std::string> extra, mismatched, missing;
  for (const StructField& d : data.fields) {
    auto it = std::find_if(plan.schema.fields.begin(), plan.schema.fields.end(),
                           [&](const StructField& t) { return lower_ascii(t.name) == lower_ascii(d.name); });
    if (it == plan.schema.fields.end()) {
      if (mode == SchemaMode::Merge) {
        StructField added = d;
        added.nullable = true;
        plan.schema.fields.push_back(std::move(added));
        plan.changed = true;
      } else {
        extra.push_back(d.name);
      }
      continue;
    }
    if (same_type(it->type, d.type) || delta::is_supported_widening(d.type, it->type)) continue;
    if (mode == SchemaMode::Merge && delta::is_supported_widening(it->type, d.type)) {
      record_type_change(*it, it->type, d.type);
      it->type = d.type;
      plan.changed = plan.widened = true;
      continue;
    }
    mismatched.push_back(it->name + " (table " + delta::delta_type_name(it->type) + ", data " +
                         delta::delta_type_name(d.type) + ")");
  }
  for (const StructField& t : table.fields) {
    bool present = std::any_of(data.fields.begin(), data.fields.end(), [&](const StructField& d) {
      return lower_ascii(t.name) == lower_ascii(d.name);
    });
    if (!present && !t.nullable) missing.push_back(t.name);
  }
  if (extra.empty() && mismatched.empty() && missing.empty()) return plan;
  std::string msg = "schema mismatch:";
  if (!extra.empty())
    msg += " column(s) not in the table: " + join(extra) + " (add them with --schema-mode merge);";
  if (!mismatched.empty()) msg += " incompatible type(s): " + join(mismatched) + ";";
  if (!missing.empty()) msg += " non-nullable column(s) missing from the data: " + join(missing) + ";";
  msg.pop_back();
  return Error(ErrorKind::InvalidArgument, msg);
}

// SELECT over the source with the table's columns, in the table's order and types.
std::string aligned_select(const std::string& source_sql, const StructType& table, const StructType& data) {
  std::string cols;
  for (const StructField& t : table.fields) {
    auto it = std::find_if(data.fields.begin(), data.fields.end(),
                           [&](const StructField& d) { return lower_ascii(t.name) == lower_ascii(d.name); });
    std::string expr = it == data.fields.end() ? "NULL" : "src." + quote_ident(it->name);
    cols += (cols.empty() ? "" : ", ") +
            ("CAST(" + expr + " AS " + delta::duckdb_type(t.type) + ") AS " + quote_ident(t.name));
  }
  return "SELECT " + cols + " FROM " + subquery(source_sql) + " AS src";
}

Result<std::optional<delta::Snapshot>> existing_table(Session& session, std::string_view path) {
  auto listing = session.list_log(path);
  if (!listing.ok()) {
    if (listing.error().kind() == ErrorKind::NotFound) return std::optional<delta::Snapshot>();
    return listing.error();
  }
  SILT_ASSIGN_OR_RETURN(
      auto snap, delta::Snapshot::load(*listing, session.storage(), session.connection(), std::nullopt));
  return std::optional<delta::Snapshot>(std::move(snap));
}

Status check_partition_columns(const std::vector<std::string>& cols, const StructType& schema) {
  for (const auto& c : cols) {
    const StructField* f = delta::find_field(schema, c);
    if (!f)
      return Error(ErrorKind::InvalidArgument, "partition column " + c + " is not a column of the data");
    if (!f->type.primitive())
      return Error(ErrorKind::InvalidArgument, "partition column " + c + " must be of a primitive type");
  }
  return ok_status();
}

std::string json_string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); i++) out += (i ? "," : "") + json_quote(items[i]);
  return out + "]";
}

// Everything one write commits, gathered before the transaction is built.
struct WritePlan {
  std::optional<delta::Snapshot> table;
  StructType schema;
  std::vector<std::string> partition_columns;
  delta::ColumnMappingMode mapping = delta::ColumnMappingMode::None;
  std::optional<delta::Metadata> new_metadata;
  std::optional<delta::Protocol> new_protocol;
  std::vector<delta::AddFile> adds;
  std::vector<delta::RemoveFile> removes;
  delta::ReadSet read;
};

// Rows of the new data (`rows_sql`, a subquery over the files just written) that fall outside
// --replace-where: an error, nothing committed.
Status check_replace_where(Session& session, const std::string& rows_sql, const std::string& predicate) {
  SILT_ASSIGN_OR_RETURN(
      auto n, session.connection().scalar("SELECT count(*) FROM " + rows_sql +
                                          " AS src WHERE NOT coalesce((" + predicate + "), false)"));
  if (n && *n != "0") {
    return Error(ErrorKind::InvalidArgument,
                 *n + " row(s) of the new data do not match --replace-where " + predicate);
  }
  return ok_status();
}

// Files the overwrite replaces; rows of partly matching files that survive --replace-where
// are rewritten into new files.
Status plan_removes(Session& session, const WriteOptions& options, const std::string& root, WritePlan& plan,
                    DataWriteOptions& data_options) {
  const delta::Snapshot& snap = *plan.table;
  int64_t now = now_ms();
  if (options.replace_where.empty()) {
    plan.read.whole_table = true;
    for (const auto& f : snap.files()) plan.removes.push_back(delta::remove_for(f, now));
    return ok_status();
  }
  SILT_ASSIGN_OR_RETURN(auto predicate,
                        scan::predicate_from_filter_sql(session.connection(), options.replace_where));
  delta::Predicate p = predicate.value_or(delta::Predicate{});
  SILT_ASSIGN_OR_RETURN(auto current_schema, delta::parse_schema(snap.metadata().schema_string));
  SILT_ASSIGN_OR_RETURN(auto candidates, scan::files_to_scan(snap, current_schema, plan.mapping, p));
  plan.read.predicate = p;
  std::set<std::string> paths;
  for (const auto* f : candidates) {
    SILT_ASSIGN_OR_RETURN(std::string canonical, delta::canonical_data_path(root, f->path));
    plan.read.files.insert(canonical);
    plan.removes.push_back(delta::remove_for(*f, now));
    paths.insert(f->path);
  }
  if (paths.empty()) return ok_status();
  // Keep the rows of the candidate files that the predicate does not replace.
  scan::ScanOptions keep;
  keep.only_paths = paths;
  SILT_ASSIGN_OR_RETURN(auto scan, session.scan(root, {.version = snap.version()}, keep));
  std::string survivors =
      "SELECT * FROM " + scan.sql + " AS t WHERE NOT coalesce((" + options.replace_where + "), false)";
  SILT_ASSIGN_OR_RETURN(
      auto rewritten,
      write_data_files(session.connection(), root, aligned_select(survivors, plan.schema, current_schema),
                       plan.schema, data_options));
  plan.adds.insert(plan.adds.end(), rewritten.begin(), rewritten.end());
  return ok_status();
}

}  // namespace

Result<std::string> file_source_sql(const std::string& file) {
  std::string lowered = lower_ascii(file);
  auto ends = [&](const char* suffix) { return lowered.ends_with(suffix); };
  if (ends(".parquet")) return "SELECT * FROM read_parquet(" + quote_literal(file) + ")";
  if (ends(".csv") || ends(".tsv") || ends(".csv.gz"))
    return "SELECT * FROM read_csv(" + quote_literal(file) + ")";
  if (ends(".json") || ends(".ndjson") || ends(".jsonl") || ends(".json.gz")) {
    return "SELECT * FROM read_json(" + quote_literal(file) + ")";
  }
  return Error(ErrorKind::InvalidArgument,
               "cannot tell the format of " + file + " (expected .parquet, .csv or .json)");
}

static Result<WriteResult> write_impl(Session& session, std::string_view path, const std::string& source,
                                      const WriteOptions& options, const char* create_operation) {
  if (!options.replace_where.empty() && options.mode != WriteMode::Overwrite) {
    return Error(ErrorKind::InvalidArgument, "--replace-where needs --mode overwrite");
  }
  if (options.schema_mode == SchemaMode::Overwrite && options.mode != WriteMode::Overwrite) {
    return Error(ErrorKind::InvalidArgument, "--schema-mode overwrite needs --mode overwrite");
  }
  if (options.app_id.has_value() != options.app_version.has_value()) {
    return Error(ErrorKind::InvalidArgument, "--app-id and --app-version go together");
  }
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(std::string source_sql, session.expand_sql(source));
  WritePlan plan;
  SILT_ASSIGN_OR_RETURN(plan.table, existing_table(session, root));
  WriteResult result;
  if (plan.table && options.app_id) {
    const auto& txns = plan.table->app_transactions();
    auto it = txns.find(*options.app_id);
    if (it != txns.end() && it->second.version >= *options.app_version) {
      result.skipped = true;
      result.version = plan.table->version();
      return result;
    }
  }
  SILT_ASSIGN_OR_RETURN(StructType data_schema, schema_of_query(session.connection(), source_sql));
  delta::Protocol base_protocol;
  if (plan.table) {
    SILT_TRY(delta::check_writable(plan.table->protocol(), plan.table->metadata()));
    const auto& m = plan.table->metadata();
    if (options.mode == WriteMode::Overwrite || !plan.table->files().empty()) {
      auto append_only = m.configuration.find("delta.appendOnly");
      if (options.mode == WriteMode::Overwrite && append_only != m.configuration.end() &&
          append_only->second == "true") {
        return Error(ErrorKind::InvalidArgument, "the table is append-only (delta.appendOnly = true)");
      }
    }
    SILT_ASSIGN_OR_RETURN(plan.mapping, delta::column_mapping_mode(m.configuration));
    StructType table_schema;
    if (!m.schema_string.empty()) {
      SILT_ASSIGN_OR_RETURN(table_schema, delta::parse_schema(m.schema_string));
    }
    plan.partition_columns = m.partition_columns;
    bool replace_schema = options.schema_mode == SchemaMode::Overwrite;
    if (!options.partition_by.empty() && !replace_schema &&
        lower_ascii(join(options.partition_by)) != lower_ascii(join(m.partition_columns))) {
      return Error(ErrorKind::InvalidArgument, "the table is partitioned by [" + join(m.partition_columns) +
                                                   "], not [" + join(options.partition_by) + "]");
    }
    if (replace_schema && plan.mapping != delta::ColumnMappingMode::None) {
      return Error(ErrorKind::Unsupported,
                   "--schema-mode overwrite on a column-mapped table is not supported yet");
    }
    if (replace_schema) plan.partition_columns = options.partition_by;
    SILT_ASSIGN_OR_RETURN(SchemaPlan sp, reconcile(table_schema, data_schema, options.schema_mode));
    if (sp.changed && plan.mapping != delta::ColumnMappingMode::None) {
      return Error(ErrorKind::Unsupported, "schema evolution on a column-mapped table is not supported yet");
    }
    plan.schema = std::move(sp.schema);
    base_protocol = plan.table->protocol();
    if (sp.changed || replace_schema) {
      delta::Metadata meta = m;
      meta.schema_string = delta::to_schema_json(plan.schema);
      meta.partition_columns = plan.partition_columns;
      if (sp.widened) meta.configuration["delta.enableTypeWidening"] = "true";
      plan.new_metadata = std::move(meta);
    }
    delta::Protocol needed = protocol_for(plan.schema, base_protocol);
    if (sp.widened) add_feature(needed, "typeWidening", true);
    if (needed.min_reader_version != base_protocol.min_reader_version ||
        needed.min_writer_version != base_protocol.min_writer_version ||
        needed.reader_features != base_protocol.reader_features ||
        needed.writer_features != base_protocol.writer_features) {
      plan.new_protocol = needed;
    }
  } else {
    plan.schema = data_schema;
    plan.partition_columns = options.partition_by;
    delta::Metadata meta;
    meta.id = random_uuid();
    meta.schema_string = delta::to_schema_json(plan.schema);
    meta.partition_columns = plan.partition_columns;
    meta.configuration = options.properties;
    // Deletion vectors are on unless the user says otherwise: row-level changes then mark rows
    // instead of rewriting files. They need the reader+writer feature (PROTOCOL.md "Deletion
    // Vectors"), so such tables are protocol (3, 7).
    meta.configuration.try_emplace("delta.enableDeletionVectors", "true");
    bool dvs = meta.configuration["delta.enableDeletionVectors"] == "true";
    meta.created_time = now_ms();
    plan.new_metadata = std::move(meta);
    plan.new_protocol = protocol_for(plan.schema, base_protocol);
    if (dvs) add_feature(*plan.new_protocol, "deletionVectors", true);
    // The change data feed needs writer version 4, or the writer feature at version 7
    // (PROTOCOL.md "Writer Requirements for Change Data Feed"). Appends need no cdc files.
    if (delta::change_data_feed_enabled(*plan.new_metadata)) {
      delta::Protocol& p = *plan.new_protocol;
      if (p.min_writer_version < 7)
        p.min_writer_version = std::max(p.min_writer_version, 4);
      else
        add_feature(p, "changeDataFeed", false);
    }
  }
  SILT_TRY(check_partition_columns(plan.partition_columns, plan.schema));

  DataWriteOptions data_options;
  data_options.partition_columns = plan.partition_columns;
  data_options.mapping = plan.mapping;
  data_options.target_file_size = options.target_file_size;
  data_options.compression = options.compression;
  data_options.no_stats_columns = options.no_stats_columns;
  const auto& config =
      plan.new_metadata ? plan.new_metadata->configuration : plan.table->metadata().configuration;
  if (auto it = config.find("delta.dataSkippingNumIndexedCols"); it != config.end()) {
    data_options.num_indexed_cols = std::atoi(it->second.c_str());
  }
  crash_point("before_data");
  // Files this call wrote are not published until the commit: when the write gives up they are
  // deleted (nobody can read them) rather than left for vacuum.
  auto discard = [&](const std::vector<delta::AddFile>& files) {
    for (const auto& f : files)
      if (auto local = delta::canonical_data_path(root, f.path); local.ok())
        ignore_result(session.storage().remove(root + "/" + *local));
  };
  if (plan.table && options.mode == WriteMode::Overwrite) {
    SILT_TRY(plan_removes(session, options, root, plan, data_options));
  }
  auto written =
      write_data_files(session.connection(), root, aligned_select(source_sql, plan.schema, data_schema),
                       plan.schema, data_options);
  if (!written.ok()) {
    discard(plan.adds);  // rows kept from files --replace-where rewrites
    return written.error();
  }
  for (const auto& f : *written) {
    auto stats = delta::parse_file_stats(f.stats);
    if (stats.ok() && stats->num_records) result.rows_added += *stats->num_records;
    result.bytes_added += f.size;
  }
  // The new rows are checked as written, so the source runs once.
  if (!options.replace_where.empty() || options.before_commit) {
    const delta::Metadata& meta = plan.new_metadata ? *plan.new_metadata : plan.table->metadata();
    auto scan = session.scan_files(root, meta, *written);
    Status verdict = scan.ok() ? ok_status() : Status(scan.error());
    if (verdict.ok() && !options.replace_where.empty())
      verdict = check_replace_where(session, scan->sql, options.replace_where);
    if (verdict.ok() && options.before_commit)
      verdict = options.before_commit({scan->sql, result.rows_added, *written, &meta});
    if (!verdict.ok()) {
      discard(plan.adds);
      discard(*written);
      return verdict.error();
    }
  }
  if (options.skip_empty_append && plan.table && options.mode == WriteMode::Append &&
      result.rows_added == 0) {
    result.version = plan.table->version();
    return result;
  }
  plan.adds.insert(plan.adds.end(), written->begin(), written->end());
  crash_point("before_commit");

  delta::Transaction txn(root, plan.table ? plan.table->version() : -1, plan.schema, plan.mapping);
  if (plan.new_protocol) txn.add_action(*plan.new_protocol);
  if (plan.new_metadata) txn.add_action(*plan.new_metadata);
  if (options.app_id) txn.add_action(delta::Txn{*options.app_id, *options.app_version, now_ms()});
  for (auto& r : plan.removes) {
    result.bytes_removed += r.size.value_or(0);
    txn.add_action(std::move(r));
  }
  result.files_removed = int64_t(plan.removes.size());
  result.files_added = int64_t(plan.adds.size());
  for (auto& a : plan.adds) txn.add_action(std::move(a));
  txn.pending().read = plan.read;
  std::string params = "{\"mode\":" + json_quote(options.mode == WriteMode::Append ? "Append" : "Overwrite") +
                       ",\"partitionBy\":" + json_quote(json_string_list(plan.partition_columns));
  if (!options.replace_where.empty()) params += ",\"predicate\":" + json_quote(options.replace_where);
  params += "}";
  std::string metrics = "{\"numFiles\":\"" + std::to_string(result.files_added) + "\",\"numOutputRows\":\"" +
                        std::to_string(result.rows_added) + "\",\"numOutputBytes\":\"" +
                        std::to_string(result.bytes_added) + "\",\"numRemovedFiles\":\"" +
                        std::to_string(result.files_removed) + "\",\"numRemovedBytes\":\"" +
                        std::to_string(result.bytes_removed) + "\"}";
  txn.set_operation(plan.table ? "WRITE" : create_operation, params, metrics);
  if (plan.table) txn.pending().changes_metadata = plan.new_metadata.has_value();
  auto committed = txn.commit(session.storage());
  if (!committed.ok()) {
    if (committed.error().kind() == ErrorKind::Conflict && options.app_id) {
      // The winner may be our own earlier attempt at this app version: report it as a replay.
      auto again = existing_table(session, root);
      if (again.ok() && *again) {
        auto it = (*again)->app_transactions().find(*options.app_id);
        if (it != (*again)->app_transactions().end() && it->second.version >= *options.app_version) {
          result = WriteResult{};
          result.skipped = true;
          result.version = (*again)->version();
          return result;
        }
      }
    }
    return committed.error();
  }
  result.version = committed->version;
  result.attempts = committed->attempts;
  const delta::Metadata& meta = plan.new_metadata ? *plan.new_metadata : plan.table->metadata();
  if (checkpoint_due(meta, result.version)) {
    auto cp = checkpoint_table(session, root, result.version);
    result.checkpointed = cp.ok();
    if (!cp.ok()) result.checkpoint_warning = cp.error().message();
  }
  return result;
}

Result<WriteResult> write_table(Session& session, std::string_view path, const std::string& source,
                                const WriteOptions& options) {
  return write_impl(session, path, source, options, "CREATE TABLE AS SELECT");
}

Result<WriteResult> create_table(Session& session, std::string_view path, const std::string& columns_sql,
                                 const WriteOptions& options) {
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(auto existing, existing_table(session, root));
  if (existing) return Error(ErrorKind::Conflict, "a Delta table already exists at " + root);
  std::string view = "__silt_create_" + std::to_string(now_ms());
  SILT_TRY(session.connection().execute("CREATE TEMP TABLE " + view + " (" + columns_sql + ")"));
  auto result = write_impl(session, root, "SELECT * FROM " + view, options, "CREATE TABLE");
  ignore_result(session.connection().execute("DROP TABLE IF EXISTS " + view));
  return result;
}

}  // namespace silt::ops
