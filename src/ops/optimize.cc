// OPTIMIZE. See optimize.h. Order of work: read the table, group its live files by partition,
// keep the partitions the --where selects (evaluated by DuckDB over their typed partition
// values), pick the files to rewrite, write their rows (through the DV-aware scan, so deleted
// rows disappear) as new files, check the row counts, and commit removes + adds with
// dataChange = false.
#include "ops/optimize.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <span>

#include "delta/model/table_features.h"
#include "delta/schema/partition_value.h"
#include "delta/stats/file_stats.h"
#include "delta/txn/transaction.h"
#include "ops/checkpoint.h"
#include "ops/data_writer.h"
#include "ops/zorder.h"
#include "util/byte_size.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/time.h"

namespace silt::ops {
namespace {

using delta::AddFile;
using Clock = std::chrono::steady_clock;

// The table as read at one version.
struct Table {
  std::string root;
  delta::Snapshot snap;
  delta::StructType schema;
  delta::ColumnMappingMode mapping = delta::ColumnMappingMode::None;
};

Result<Table> open_table(Session& session, std::string_view path) {
  Table t;
  SILT_ASSIGN_OR_RETURN(t.root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(t.snap, session.snapshot(t.root));
  const delta::Metadata& m = t.snap.metadata();
  SILT_TRY(delta::check_writable(t.snap.protocol(), m));
  if (m.schema_string.empty()) return Error(ErrorKind::InvalidArgument, "the table has no schema yet");
  SILT_ASSIGN_OR_RETURN(t.schema, delta::parse_schema(m.schema_string));
  SILT_ASSIGN_OR_RETURN(t.mapping, delta::column_mapping_mode(m.configuration));
  return t;
}

std::optional<std::string> config_value(const Table& t, const std::string& key) {
  const auto& config = t.snap.metadata().configuration;
  auto it = config.find(key);
  return it == config.end() ? std::nullopt : std::optional<std::string>(it->second);
}

bool is_partition_column(const Table& t, const std::string& name) {
  for (const auto& p : t.snap.metadata().partition_columns) {
    if (delta::find_field(t.schema, p) == delta::find_field(t.schema, name)) return true;
  }
  return false;
}

// --- options ---------------------------------------------------------------------------------

struct Sizes {
  int64_t target = kDefaultOptimizeTargetSize;
  int64_t min = 0;
};

Result<Sizes> resolve_sizes(const Table& t, const OptimizeOptions& o) {
  Sizes s;
  if (o.target_file_size) {
    s.target = *o.target_file_size;
  } else if (auto v = config_value(t, "delta.targetFileSize")) {
    auto parsed = parse_byte_size(*v);
    if (!parsed.ok()) return parsed.error().with_context("table property delta.targetFileSize");
    s.target = *parsed;
  }
  s.min = o.min_file_size.value_or(s.target / 4 * 3);
  if (s.target <= 0 || s.min <= 0)
    return Error(ErrorKind::InvalidArgument, "target and minimum file sizes must be positive");
  if (!(o.max_deleted_rows_ratio >= 0 && o.max_deleted_rows_ratio <= 1)) {
    return Error(ErrorKind::InvalidArgument, "the maximum deleted-rows ratio must be between 0 and 1");
  }
  return s;
}

// Leaves (top-level columns and nested struct fields) in schema order that get stats, by the
// table's delta.dataSkippingNumIndexedCols (32 by default, -1 all); partition columns are not
// leaves of the data files.
int indexed_cols(const Table& t) {
  auto v = config_value(t, "delta.dataSkippingNumIndexedCols");
  return v ? std::atoi(v->c_str()) : 32;
}

int leaf_count(const delta::DataType& type) {
  if (const auto* s = type.struct_type()) {
    int n = 0;
    for (const auto& f : s->fields) n += leaf_count(f.type);
    return n;
  }
  return 1;
}

// Z-order columns: top-level data columns whose files carry min/max stats.
Result<std::vector<std::string>> zorder_columns(const Table& t, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    const delta::StructField* f = delta::find_field(t.schema, name);
    if (!f)
      return Error(ErrorKind::InvalidArgument, "z-order column " + name + ": the table has no such column");
    if (is_partition_column(t, name)) {
      return Error(ErrorKind::InvalidArgument,
                   "z-order column " + name + " is a partition column (z-order data columns only)");
    }
    int leaf = 0;
    for (const auto& g : t.schema.fields) {
      if (&g == f) break;
      if (!is_partition_column(t, g.name)) leaf += leaf_count(g.type);
    }
    int limit = indexed_cols(t);
    bool has_min_max = f->type.primitive() && !f->type.is(delta::PrimitiveKind::Binary);
    if (!has_min_max || (limit >= 0 && leaf >= limit)) {
      return Error(ErrorKind::InvalidArgument, "z-order column " + name +
                                                   " has no min/max stats (nested, binary, or beyond "
                                                   "delta.dataSkippingNumIndexedCols)");
    }
    if (std::find(out.begin(), out.end(), f->name) == out.end()) out.push_back(f->name);
  }
  if (out.size() > kMaxZOrderColumns) {
    return Error(ErrorKind::InvalidArgument,
                 "at most " + std::to_string(kMaxZOrderColumns) + " z-order columns");
  }
  return out;
}

// --- partitions ------------------------------------------------------------------------------

// The live files of one partition, and its values as typed SQL literals (partition column order).
struct Partition {
  std::vector<std::string> literals;
  std::vector<const AddFile*> files;
};

std::optional<std::string> partition_value(const AddFile& f, const std::string& physical) {
  for (const auto& [k, v] : f.partition_values)
    if (k == physical) return v;
  return std::nullopt;
}

Result<std::vector<Partition>> group_by_partition(const Table& t) {
  std::vector<const delta::StructField*> fields;
  std::vector<std::string> physical;
  for (const auto& name : t.snap.metadata().partition_columns) {
    const delta::StructField* f = delta::find_field(t.schema, name);
    if (!f) return Error(ErrorKind::Corruption, "partition column " + name + " is not in the table schema");
    SILT_ASSIGN_OR_RETURN(std::string phys, delta::physical_name(*f, t.mapping));
    fields.push_back(f);
    physical.push_back(std::move(phys));
  }
  std::map<std::vector<std::optional<std::string>>, Partition> by_values;
  for (const AddFile& file : t.snap.files()) {
    std::vector<std::optional<std::string>> values;
    for (const auto& p : physical) values.push_back(partition_value(file, p));
    Partition& part = by_values[values];
    if (part.files.empty()) {
      for (size_t i = 0; i < fields.size(); i++) {
        auto literal = delta::partition_value_sql(values[i], fields[i]->type);
        if (!literal.ok()) return literal.error().with_context("partition column " + fields[i]->name);
        part.literals.push_back(std::move(*literal));
      }
    }
    part.files.push_back(&file);
  }
  std::vector<Partition> out;
  for (auto& [values, part] : by_values) out.push_back(std::move(part));
  return out;
}

// A one-row relation of partition column values (typed NULLs when `literals` is empty).
std::string partition_row(const Table& t, const std::vector<std::string>& literals, size_t index) {
  std::string cols = std::to_string(index) + " AS __silt_partition";
  const auto& names = t.snap.metadata().partition_columns;
  for (size_t i = 0; i < names.size(); i++) {
    const delta::StructField* f = delta::find_field(t.schema, names[i]);
    std::string value = literals.empty() ? "CAST(NULL AS " + delta::duckdb_type(f->type) + ")" : literals[i];
    cols += ", " + value + " AS " + quote_ident(f->name);
  }
  return "SELECT " + cols;
}

// Binds the --where over the partition columns alone; a data column in it is named.
Status check_where(db::Connection& conn, const Table& t, const std::string& where) {
  auto bound = conn.execute("SELECT * FROM (" + partition_row(t, {}, 0) + ") WHERE (" + where + ") LIMIT 0");
  if (bound.ok()) return ok_status();
  std::string message = bound.error().message();
  for (const auto& f : t.schema.fields) {
    if (is_partition_column(t, f.name)) continue;
    if (message.find("\"" + f.name + "\"") != std::string::npos) {
      return Error(ErrorKind::InvalidArgument,
                   "--where may only reference partition columns, but " + f.name + " is a data column");
    }
  }
  if (auto at = message.find(" LINE "); at != std::string::npos) message.resize(at);
  return Error(ErrorKind::InvalidArgument, "--where " + where + ": " + message);
}

// The partitions the --where selects, evaluated by DuckDB over their typed values.
Result<std::vector<Partition>> select_partitions(db::Connection& conn, const Table& t,
                                                 std::vector<Partition> parts, const std::string& where) {
  if (where.empty() || parts.empty()) return parts;
  std::string rows;
  for (size_t i = 0; i < parts.size(); i++)
    rows += (i ? " UNION ALL " : "") + partition_row(t, parts[i].literals, i);
  SILT_ASSIGN_OR_RETURN(auto selected, conn.query_text("SELECT __silt_partition FROM (" + rows + ") WHERE (" +
                                                       where + ") ORDER BY 1"));
  std::vector<Partition> out;
  for (const auto& row : selected) out.push_back(std::move(parts[std::stoul(row[0].value_or("0"))]));
  return out;
}

// --- what to rewrite -------------------------------------------------------------------------

std::optional<int64_t> num_records(const AddFile& f) {
  auto stats = delta::parse_file_stats(f.stats, std::span<const delta::ColumnPath>{});
  return stats.ok() ? stats->num_records : std::nullopt;
}

bool too_many_deleted(const AddFile& f, double max_ratio) {
  if (!f.deletion_vector) return false;
  auto records = num_records(f);
  if (!records || *records <= 0) return true;
  return double(f.deletion_vector->cardinality) > max_ratio * double(*records);
}

// The files of a partition that bin-packing rewrites (empty: leave the partition alone).
std::vector<const AddFile*> compaction_candidates(const Partition& p, const Sizes& sizes, double max_ratio) {
  std::vector<const AddFile*> out;
  for (const AddFile* f : p.files) {
    if (f->size < sizes.min || too_many_deleted(*f, max_ratio)) out.push_back(f);
  }
  if (out.size() == 1 && !out[0]->deletion_vector) out.clear();
  return out;
}

// --- rewriting -------------------------------------------------------------------------------

// Rows still live in `files`, when every file says how many it holds.
std::optional<int64_t> live_rows(const std::vector<const AddFile*>& files) {
  int64_t n = 0;
  for (const AddFile* f : files) {
    auto records = num_records(*f);
    if (!records) return std::nullopt;
    n += *records - (f->deletion_vector ? f->deletion_vector->cardinality : 0);
  }
  return n;
}

constexpr int64_t kMinRowGroup = 2048;  // DuckDB's vector size

// Files are cut between row groups only: row groups of about a quarter of the rows a target-sized
// file holds (estimated from the input's bytes per row) land each file within 25% above the
// target, where DuckDB's default groups of 122,880 rows would overshoot small targets by far.
int64_t row_group_rows(const std::vector<const AddFile*>& files, int64_t target) {
  int64_t records = 0, bytes = 0;
  for (const AddFile* f : files) {
    records += num_records(*f).value_or(0);
    bytes += f->size;
  }
  constexpr int64_t kDefaultRowGroup = 122880;
  if (records == 0 || bytes == 0) return 0;
  double rows_per_file = double(target) * double(records) / double(bytes);
  int64_t rows = int64_t(rows_per_file / 4);
  return rows >= kDefaultRowGroup ? 0 : std::max(rows, kMinRowGroup);
}

// Top-level data columns that none of `files` has statistics for, such as PII columns written
// with no_stats_columns: a rewrite must not start recording their values in the log.
Result<std::set<std::string>> columns_without_stats(const Table& t,
                                                    const std::vector<const AddFile*>& files) {
  std::set<std::string> with_stats;  // physical top-level names
  for (const AddFile* f : files) {
    auto stats = delta::parse_file_stats(f->stats);
    if (!stats.ok()) return stats.error().with_context("stats of " + f->path);
    for (const auto& c : stats->columns)
      if (!c.path.empty()) with_stats.insert(c.path[0]);
  }
  std::set<std::string> out;
  for (const auto& field : t.schema.fields) {
    if (is_partition_column(t, field.name)) continue;
    SILT_ASSIGN_OR_RETURN(std::string physical, delta::physical_name(field, t.mapping));
    if (!with_stats.count(physical)) out.insert(field.name);
  }
  return out;
}

Result<DataWriteOptions> write_options(const Table& t, int64_t target,
                                       const std::vector<const AddFile*>& files) {
  DataWriteOptions d;
  d.partition_columns = t.snap.metadata().partition_columns;
  d.mapping = t.mapping;
  d.target_file_size = target;
  d.row_group_rows = row_group_rows(files, target);
  d.num_indexed_cols = indexed_cols(t);
  SILT_ASSIGN_OR_RETURN(d.no_stats_columns, columns_without_stats(t, files));
  return d;
}

// Z-order clusters by stats; a partition whose files have none for a z-order column (written
// without them, e.g. as PII) gains nothing and would not get them either.
Status check_zorder_stats(const Table& t, const std::vector<Partition>& parts,
                          const std::vector<std::string>& zorder) {
  for (const Partition& p : parts) {
    SILT_ASSIGN_OR_RETURN(auto without, columns_without_stats(t, p.files));
    for (const auto& c : zorder) {
      if (without.count(c)) {
        return Error(ErrorKind::InvalidArgument, "z-order column " + c + " has no stats in the files of " +
                                                     (p.files.empty() ? t.root : p.files[0]->path));
      }
    }
  }
  return ok_status();
}

// Sets a DuckDB setting for its lifetime, then puts the old value back. status() says whether
// the setting took.
class ScopedSetting {
 public:
  ScopedSetting(db::Connection& conn, std::string name, const std::string& value)
      : conn_(conn), name_(std::move(name)) {
    auto old = conn.scalar("SELECT current_setting(" + quote_literal(name_) + ")::VARCHAR");
    if (!old.ok()) {
      status_ = old.error();
      return;
    }
    old_ = old->value_or(value);
    status_ = conn.execute("SET " + name_ + " = " + value);
    set_ = status_.ok();
  }
  ScopedSetting(const ScopedSetting&) = delete;
  ScopedSetting& operator=(const ScopedSetting&) = delete;
  ~ScopedSetting() {
    if (set_) ignore_result(conn_.execute("SET " + name_ + " = " + quote_literal(old_)));
  }
  const Status& status() const { return status_; }

 private:
  db::Connection& conn_;
  std::string name_, old_;
  Status status_ = ok_status();
  bool set_ = false;
};

// Compaction: the rows as one stream cut at the target. DuckDB rotates files per writer thread,
// so a parallel COPY of many inputs leaves several files far below the target, which the next
// run would pack again: the stream is written by one thread.
Result<std::vector<AddFile>> compact_rows(Session& session, const Table& t, const std::string& scan_sql,
                                          const std::vector<const AddFile*>& files, const Sizes& sizes) {
  ScopedSetting one_thread(session.connection(), "threads", "1");
  SILT_TRY(one_thread.status());
  SILT_ASSIGN_OR_RETURN(auto options, write_options(t, sizes.target, files));
  return write_data_files(session.connection(), t.root, "SELECT * FROM " + scan_sql + " AS t", t.schema,
                          options);
}

constexpr const char* kZOrderTable = "__silt_zorder_rows";

// Z-order: the keyed rows are kept sorted in a temp table (dropped when this goes away), then
// cut into 2^m cells -- key ranges sharing their top m bits, each a box in the columns' rank
// space -- with m chosen so that a cell holds between one and two targets' worth of input bytes.
// Each cell is written on its own, so no file straddles a cell boundary: a file that did would
// cover a wide range of some column and be read by most queries.
class ZOrderCells {
 public:
  explicit ZOrderCells(db::Connection& conn) : conn_(conn) {}
  ZOrderCells(const ZOrderCells&) = delete;
  ZOrderCells& operator=(const ZOrderCells&) = delete;
  ~ZOrderCells() { ignore_result(conn_.execute(std::string("DROP TABLE IF EXISTS ") + kZOrderTable)); }

  Result<std::vector<AddFile>> write(const Table& t, const std::string& scan_sql,
                                     const std::vector<const AddFile*>& files,
                                     const std::vector<std::string>& zorder, const Sizes& sizes) {
    SILT_TRY(register_zorder_key_function(conn_));
    SILT_ASSIGN_OR_RETURN(std::string keyed, zorder_keyed(scan_sql, zorder));
    SILT_TRY(conn_.execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kZOrderTable + " AS " + keyed +
                           " ORDER BY " + kZOrderKey));
    int64_t bytes = 0, rows = 0;
    for (const AddFile* f : files) {
      bytes += f->size;
      rows += num_records(*f).value_or(0);
    }
    // Cells of at least a minimal row group, whatever the target: a tiny target must not turn
    // into one COPY per row.
    int key_bits = zorder_key_bits(zorder.size()), m = 0;
    while (m < key_bits && (bytes >> (m + 1)) >= sizes.target && (rows >> (m + 1)) >= kMinRowGroup) m++;
    int shift = key_bits - m;
    SILT_ASSIGN_OR_RETURN(auto cells,
                          conn_.query_text("SELECT DISTINCT " + std::string(kZOrderKey) + " >> " +
                                           std::to_string(shift) + " FROM " + kZOrderTable + " ORDER BY 1"));
    std::vector<AddFile> adds;
    SILT_ASSIGN_OR_RETURN(DataWriteOptions options, write_options(t, 2 * sizes.target, files));
    for (const auto& cell : cells) {
      int64_t c = std::stoll(cell[0].value_or("0"));
      std::string lo = std::to_string(c << shift), hi = std::to_string(((c + 1) << shift) - 1);
      std::string select = std::string("SELECT * EXCLUDE (") + kZOrderKey + ") FROM " + kZOrderTable +
                           " WHERE " + kZOrderKey + " BETWEEN " + lo + " AND " + hi + " ORDER BY " +
                           kZOrderKey;
      SILT_ASSIGN_OR_RETURN(auto written, write_data_files(conn_, t.root, select, t.schema, options));
      for (AddFile& a : written) adds.push_back(std::move(a));
    }
    return adds;
  }

 private:
  db::Connection& conn_;
};

// Writes the live rows of `files` (one partition) as new files with dataChange = false.
Result<std::vector<AddFile>> rewrite(Session& session, const Table& t,
                                     const std::vector<const AddFile*>& files,
                                     const std::vector<std::string>& zorder, const Sizes& sizes) {
  scan::ScanOptions scan_options;
  scan_options.only_paths.emplace();
  for (const AddFile* f : files) scan_options.only_paths->insert(f->path);
  TimeTravel at;
  at.version = t.snap.version();
  SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, at, scan_options));
  std::vector<AddFile> adds;
  if (zorder.empty()) {
    SILT_ASSIGN_OR_RETURN(adds, compact_rows(session, t, plan.sql, files, sizes));
  } else {
    ZOrderCells cells(session.connection());
    SILT_ASSIGN_OR_RETURN(adds, cells.write(t, plan.sql, files, zorder, sizes));
  }
  int64_t written = 0;
  for (AddFile& a : adds) {
    a.data_change = false;
    written += num_records(a).value_or(0);
  }
  if (auto expected = live_rows(files); expected && *expected != written) {
    return Error(ErrorKind::Internal, "optimize wrote " + std::to_string(written) + " row(s) for " +
                                          std::to_string(*expected) + " live; nothing committed");
  }
  return adds;
}

// --- commit ----------------------------------------------------------------------------------

std::string parameters_json(const OptimizeOptions& o, const std::vector<std::string>& zorder) {
  std::string predicate = o.where.empty() ? "[]" : "[" + json_quote(o.where) + "]";
  std::string columns;
  for (const auto& c : zorder) {
    if (!columns.empty()) columns += ",";
    columns += json_quote(c);
  }
  return "{\"predicate\":" + json_quote(predicate) + ",\"zOrderBy\":" + json_quote("[" + columns + "]") +
         ",\"clusterBy\":\"[]\",\"auto\":false}";
}

int64_t percentile(const std::vector<int64_t>& sorted, int pct) {
  return sorted.empty() ? 0 : sorted[(sorted.size() - 1) * size_t(pct) / 100];
}

std::string metrics_json(const OptimizeResult& r, int64_t elapsed_ms) {
  const std::pair<const char*, int64_t> metrics[] = {
      {"numRemovedFiles", r.files_removed},
      {"numRemovedBytes", r.bytes_removed},
      {"numAddedFiles", r.files_added},
      {"numAddedBytes", r.bytes_added},
      {"numDeletionVectorsRemoved", r.dvs_removed},
      {"minFileSize", percentile(r.added_sizes, 0)},
      {"p25FileSize", percentile(r.added_sizes, 25)},
      {"p50FileSize", percentile(r.added_sizes, 50)},
      {"p75FileSize", percentile(r.added_sizes, 75)},
      {"maxFileSize", percentile(r.added_sizes, 100)},
      {"totalConsideredFiles", r.files_considered},
      {"totalFilesSkipped", r.files_skipped},
      {"numPartitionsOptimized", r.partitions_optimized},
      {"executionTimeMs", elapsed_ms},
  };
  std::string out = "{";
  for (const auto& [name, value] : metrics) {
    if (out.size() > 1) out += ",";
    out += json_quote(name) + ":" + json_quote(std::to_string(value));
  }
  return out + "}";
}

}  // namespace

Result<OptimizeResult> optimize_table(Session& session, std::string_view path,
                                      const OptimizeOptions& options) {
  auto start = Clock::now();
  SILT_ASSIGN_OR_RETURN(Table t, open_table(session, path));
  SILT_ASSIGN_OR_RETURN(Sizes sizes, resolve_sizes(t, options));
  SILT_ASSIGN_OR_RETURN(auto zorder, zorder_columns(t, options.zorder_by));
  if (!options.where.empty()) SILT_TRY(check_where(session.connection(), t, options.where));
  SILT_ASSIGN_OR_RETURN(auto all, group_by_partition(t));
  SILT_ASSIGN_OR_RETURN(auto parts,
                        select_partitions(session.connection(), t, std::move(all), options.where));

  if (!zorder.empty()) SILT_TRY(check_zorder_stats(t, parts, zorder));

  OptimizeResult result;
  result.read_version = result.version = t.snap.version();
  delta::Transaction txn(t.root, t.snap.version(), t.schema, t.mapping);
  int64_t ts = now_ms();
  for (const Partition& p : parts) {
    result.files_considered += int64_t(p.files.size());
    auto files = zorder.empty() ? compaction_candidates(p, sizes, options.max_deleted_rows_ratio) : p.files;
    if (files.empty()) continue;
    SILT_ASSIGN_OR_RETURN(auto adds, rewrite(session, t, files, zorder, sizes));
    result.partitions_optimized++;
    for (const AddFile* f : files) {
      delta::RemoveFile r = delta::remove_for(*f, ts);
      r.data_change = false;
      txn.add_action(std::move(r));
      SILT_ASSIGN_OR_RETURN(std::string canonical, delta::canonical_data_path(t.root, f->path));
      txn.pending().read.files.insert(std::move(canonical));
      result.files_removed++;
      result.bytes_removed += f->size;
      if (f->deletion_vector) result.dvs_removed++;
    }
    for (AddFile& a : adds) {
      result.files_added++;
      result.bytes_added += a.size;
      result.added_sizes.push_back(a.size);
      txn.add_action(std::move(a));
    }
  }
  result.files_skipped = result.files_considered - result.files_removed;
  if (result.files_removed == 0) return result;
  std::sort(result.added_sizes.begin(), result.added_sizes.end());
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  txn.set_operation("OPTIMIZE", parameters_json(options, zorder), metrics_json(result, elapsed));
  SILT_ASSIGN_OR_RETURN(auto committed, txn.commit(session.storage()));
  result.version = committed.version;
  result.committed = true;
  if (checkpoint_due(t.snap.metadata(), result.version)) {
    auto cp = checkpoint_table(session, t.root, result.version);
    result.checkpointed = cp.ok();
    if (!cp.ok()) result.checkpoint_warning = cp.error().message();
  }
  return result;
}

}  // namespace silt::ops
