// The row-change engine: touched rows + new rows -> the actions of one commit, in deletion-vector
// or copy-on-write mode, and the commit itself. The touched positions are fixed once in a temp
// table, so DV bits, copied rows and new rows always agree, even for non-deterministic input.
#include "ops/row_changes.h"

#include <map>
#include <span>

#include "delta/dv/deletion_vector.h"
#include "delta/model/table_features.h"
#include "delta/stats/file_stats.h"
#include "delta/txn/transaction.h"
#include "ops/change_data.h"
#include "ops/checkpoint.h"
#include "ops/data_writer.h"
#include "scan/file_skipping.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/sql_text.h"
#include "util/time.h"
#include "util/uuid.h"

namespace silt::ops {
namespace {

using delta::AddFile;
using delta::DeletionVector;
using delta::DeletionVectorDescriptor;

constexpr const char* kNewRowsTable = "__silt_new_rows";  // new rows, fixed once in CDF tables

bool config_true(const delta::Metadata& m, const std::string& key) {
  auto it = m.configuration.find(key);
  return it != m.configuration.end() && it->second == "true";
}

Status check_changeable(const delta::Snapshot& snap, const std::string& operation) {
  const delta::Metadata& m = snap.metadata();
  SILT_TRY(delta::check_writable(snap.protocol(), m));
  if (config_true(m, "delta.appendOnly")) {
    return Error(ErrorKind::InvalidArgument,
                 operation + " is not allowed: the table is append-only (delta.appendOnly = true)");
  }
  if (m.schema_string.empty()) return Error(ErrorKind::InvalidArgument, "the table has no schema yet");
  return ok_status();
}

// Retires a live file (with its deletion vector, which names the logical file) and counts it.
void remove_file(const AddFile& f, RowChanges& c) {
  c.removes.push_back(delta::remove_for(f, now_ms()));
  c.counts.files_removed++;
  c.counts.bytes_removed += f.size;
  if (f.deletion_vector) c.counts.dvs_removed++;
}

DataWriteOptions data_options(const ChangeTarget& t, const RowChangeOptions& options) {
  DataWriteOptions d;
  d.partition_columns = t.snap.metadata().partition_columns;
  d.mapping = t.mapping;
  d.target_file_size = options.target_file_size;
  const auto& config = t.snap.metadata().configuration;
  if (auto it = config.find("delta.dataSkippingNumIndexedCols"); it != config.end())
    d.num_indexed_cols = std::atoi(it->second.c_str());
  return d;
}

// The table's columns of `new_rows_sql`, without kChangeType.
std::string without_change_type(const std::string& new_rows_sql) {
  return "SELECT * EXCLUDE (" + std::string(kChangeType) + ") FROM (" + new_rows_sql + ")";
}

// Writes the rows of `select_sql` as new data files; returns how many rows were written.
Result<int64_t> write_rows(Session& session, const ChangeTarget& t, const RowChangeOptions& options,
                           const std::string& select_sql, RowChanges& c) {
  SILT_ASSIGN_OR_RETURN(auto written, write_data_files(session.connection(), t.root, select_sql, t.schema,
                                                       data_options(t, options)));
  int64_t rows = 0;
  for (AddFile& f : written) {
    auto stats = delta::parse_file_stats(f.stats, std::span<const delta::ColumnPath>{});
    if (stats.ok()) rows += stats->num_records.value_or(0);
    c.counts.files_added++;
    c.counts.bytes_added += f.size;
    c.adds.push_back(std::move(f));
  }
  c.counts.rows_written += rows;
  return rows;
}

std::set<std::string> logged_paths(const TouchedRows& touched) {
  std::set<std::string> out;
  for (const auto& f : touched.files()) out.insert(f.file->path);
  return out;
}

// Copy-on-write: every touched file is replaced by its untouched rows plus the new rows.
Status rewrite_files(Session& session, const ChangeTarget& t, const TouchedRows& m,
                     const std::string& new_rows_sql, int64_t new_rows, const RowChangeOptions& options,
                     RowChanges& c) {
  std::string select;
  if (!m.files().empty()) {
    SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, logged_paths(m)));
    select = "SELECT t.* EXCLUDE (" + std::string(scan::kFileColumn) + ", " + scan::kRowColumn + ")" +
             join_touched(scan_sql, "ANTI JOIN");
  }
  if (!new_rows_sql.empty())
    select += (select.empty() ? "" : " UNION ALL BY NAME ") + without_change_type(new_rows_sql);
  if (select.empty()) return ok_status();
  SILT_ASSIGN_OR_RETURN(int64_t written, write_rows(session, t, options, select, c));
  c.counts.rows_copied = written - new_rows;
  for (const auto& f : m.files()) remove_file(*f.file, c);
  return ok_status();
}

// Deletion-vector mode: the new rows go into new files.
Status write_new_rows(Session& session, const ChangeTarget& t, const std::string& new_rows_sql,
                      int64_t new_rows, const RowChangeOptions& options, RowChanges& c) {
  if (new_rows_sql.empty()) return ok_status();
  SILT_ASSIGN_OR_RETURN(int64_t written,
                        write_rows(session, t, options, without_change_type(new_rows_sql), c));
  if (written != new_rows) {
    return Error(ErrorKind::Internal, "wrote " + std::to_string(written) + " new row(s) for " +
                                          std::to_string(new_rows) + " expected");
  }
  return ok_status();
}

// --- deletion vectors ------------------------------------------------------------------------

// Rows in the data file: numRecords, which a file with a DV must carry, else counted.
Result<int64_t> records_in(db::Connection& conn, const TouchedRows::File& f) {
  auto stats = delta::parse_file_stats(f.file->stats, std::span<const delta::ColumnPath>{});
  if (stats.ok() && stats->num_records) return *stats->num_records;
  SILT_ASSIGN_OR_RETURN(auto n,
                        conn.scalar("SELECT count(*) FROM read_parquet(" + quote_literal(f.read_path) + ")"));
  return std::stoll(n.value_or("0"));
}

// Offset of the value of a top-level key of a JSON object, npos if absent.
size_t top_level_value(const std::string& json, std::string_view key) {
  int depth = 0;
  for (size_t i = 0; i < json.size(); i++) {
    char c = json[i];
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') depth--;
    if (c != '"') continue;
    size_t end = i + 1;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    bool is_key = depth == 1 && std::string_view(json).substr(i + 1, end - i - 1) == key;
    i = end;
    size_t colon = json.find_first_not_of(" \t\r\n", end + 1);
    if (is_key && colon != std::string::npos && json[colon] == ':')
      return json.find_first_not_of(" \t\r\n", colon + 1);
  }
  return std::string::npos;
}

// Stats of a file that now has a deletion vector: numRecords still counts every row of the data
// file, and min/max may be wider than the rows left, so tightBounds is false (PROTOCOL.md
// "Per-file Statistics"). Without numRecords in the old stats, only the two are kept.
std::string stats_with_dv(std::string json, int64_t records) {
  if (top_level_value(json, "numRecords") == std::string::npos)
    return "{\"numRecords\":" + std::to_string(records) + ",\"tightBounds\":false}";
  size_t tight = top_level_value(json, "tightBounds");
  if (tight == std::string::npos) {
    json.insert(json.rfind('}'), ",\"tightBounds\":false");
  } else if (json.compare(tight, 4, "true") == 0) {
    json.replace(tight, 4, "false");
  }
  return json;
}

// The 16 bytes of a textual UUID.
std::string uuid_bytes(const std::string& uuid) {
  std::string out;
  for (size_t i = 0; i + 1 < uuid.size(); i++) {
    if (uuid[i] == '-') continue;
    out.push_back(char(std::stoi(uuid.substr(i, 2), nullptr, 16)));
    i++;
  }
  return out;
}

// A file's grown deletion vector, before it is stored.
struct GrownDv {
  const TouchedRows::File* file;
  std::string bitmap;  // DeletionVector::encode()
  int64_t cardinality;
  int64_t records;
};

// Descriptors for the grown DVs: small ones inline, the rest in one new DV file in the table root
// (PROTOCOL.md "Deletion Vector File Storage Format", storage type 'u' without a prefix).
Result<std::vector<DeletionVectorDescriptor>> store_dvs(Storage& storage, const std::string& root,
                                                        const std::vector<GrownDv>& grown,
                                                        int64_t max_inline_bytes) {
  std::vector<DeletionVectorDescriptor> out(grown.size());
  std::vector<std::string> in_file;
  std::vector<size_t> file_index;
  for (size_t i = 0; i < grown.size(); i++) {
    const GrownDv& g = grown[i];
    out[i] = {'i', "", std::nullopt, int32_t(g.bitmap.size()), g.cardinality};
    if (int64_t(g.bitmap.size()) <= max_inline_bytes) {
      out[i].path_or_inline_dv = delta::z85_encode(g.bitmap);
    } else {
      in_file.push_back(g.bitmap);
      file_index.push_back(i);
    }
  }
  if (in_file.empty()) return out;
  SILT_ASSIGN_OR_RETURN(auto encoded, delta::encode_dv_file(in_file));
  std::string uuid = random_uuid();
  SILT_TRY(storage.put_if_absent(join_path(root, "deletion_vector_" + uuid + ".bin"), encoded.bytes));
  std::string id = delta::z85_encode(uuid_bytes(uuid));
  for (size_t k = 0; k < file_index.size(); k++) {
    DeletionVectorDescriptor& d = out[file_index[k]];
    d.storage_type = 'u';
    d.path_or_inline_dv = id;
    d.offset = encoded.offsets[k];
  }
  return out;
}

// Each touched file's deletion vector (its old one, if any) with the matched rows added.
Result<std::map<std::string, DeletionVector>> grown_dvs(Session& session, const ChangeTarget& t,
                                                        const TouchedRows& m) {
  std::map<std::string, DeletionVector> dvs;
  for (const TouchedRows::File& f : m.files()) {
    DeletionVector dv;
    if (const auto& old = f.file->deletion_vector) {
      auto loaded = DeletionVector::load(*old, t.snap.table_root(), session.storage());
      if (!loaded.ok()) return loaded.error().with_context("deletion vector of " + f.file->path);
      dv = std::move(*loaded);
    }
    dvs.emplace(f.read_path, std::move(dv));
  }
  SILT_ASSIGN_OR_RETURN(auto result, session.connection().query(std::string("SELECT ") + kTouchedFile + ", " +
                                                                kTouchedRow + " FROM " + kTouchedTable));
  DeletionVector* dv = nullptr;
  std::string current;
  while (auto chunk = result.next_chunk()) {
    for (idx_t i = 0; i < chunk->size(); i++) {
      if (!dv || chunk->str(0, i) != current) {
        current = chunk->str(0, i);
        auto it = dvs.find(current);
        if (it == dvs.end()) return Error(ErrorKind::Internal, "matched rows of an unknown file " + current);
        dv = &it->second;
      }
      dv->add(uint64_t(chunk->i64(1, i)));
    }
  }
  return dvs;
}

// Deletion-vector mode: each touched file is re-added with its grown DV (remove with the old DV,
// add with the new one), or removed when no row is left.
Status mark_touched(Session& session, const ChangeTarget& t, const TouchedRows& m,
                    const RowChangeOptions& options, RowChanges& c) {
  SILT_ASSIGN_OR_RETURN(auto dvs, grown_dvs(session, t, m));
  std::vector<GrownDv> grown;
  for (const auto& f : m.files()) {
    const DeletionVector& dv = dvs.at(f.read_path);
    SILT_ASSIGN_OR_RETURN(int64_t records, records_in(session.connection(), f));
    if (int64_t(dv.cardinality()) >= records) {
      remove_file(*f.file, c);
      continue;
    }
    (f.file->deletion_vector ? c.counts.dvs_updated : c.counts.dvs_added)++;
    grown.push_back({&f, dv.encode(), int64_t(dv.cardinality()), records});
  }
  SILT_ASSIGN_OR_RETURN(auto descriptors,
                        store_dvs(session.storage(), t.root, grown, options.max_inline_dv_bytes));
  for (size_t i = 0; i < grown.size(); i++) {
    const AddFile& old = *grown[i].file->file;
    c.removes.push_back(delta::remove_for(old, now_ms()));
    AddFile add = old;
    add.deletion_vector = descriptors[i];
    add.stats = stats_with_dv(old.stats, grown[i].records);
    add.data_change = true;
    c.adds.push_back(std::move(add));
  }
  return ok_status();
}

// The commit's change data files: the rows of `changes_sql` (table columns + kChangeType).
Status write_cdc(Session& session, const ChangeTarget& t, const RowChangeOptions& options,
                 const std::string& changes_sql, RowChanges& c) {
  if (changes_sql.empty()) return ok_status();
  SILT_ASSIGN_OR_RETURN(c.cdc, write_change_data_files(session.connection(), t.root, changes_sql, t.schema,
                                                       data_options(t, options)));
  c.counts.change_files_added = int64_t(c.cdc.size());
  return ok_status();
}

// A temp table that lives as long as this object (created only by create_as).
class TempTable {
 public:
  TempTable(db::Connection& conn, const char* name) : conn_(conn), name_(name) {}
  TempTable(const TempTable&) = delete;
  TempTable& operator=(const TempTable&) = delete;
  ~TempTable() {
    if (created_) ignore_result(conn_.execute(std::string("DROP TABLE IF EXISTS ") + name_));
  }
  Status create_as(const std::string& select_sql) {
    created_ = true;
    return conn_.execute(std::string("CREATE OR REPLACE TEMP TABLE ") + name_ + " AS " + select_sql);
  }

 private:
  db::Connection& conn_;
  const char* name_;
  bool created_ = false;
};

}  // namespace

Error user_sql_error(const Error& e, const std::string& context) {
  std::string m = e.message();
  if (auto at = m.find(" LINE "); at != std::string::npos) m.resize(at);
  if (m.starts_with("serialized SQL: ")) m.erase(0, 16);
  m = trim_text(m);
  return Error(e.kind(), context + ": " + m);
}

Result<ChangeTarget> open_change_target(Session& session, std::string_view path,
                                        const std::string& operation) {
  ChangeTarget t;
  SILT_ASSIGN_OR_RETURN(t.root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(t.snap, session.snapshot(t.root));
  SILT_TRY(check_changeable(t.snap, operation));
  const delta::Metadata& m = t.snap.metadata();
  SILT_ASSIGN_OR_RETURN(t.schema, delta::parse_schema(m.schema_string));
  SILT_ASSIGN_OR_RETURN(t.mapping, delta::column_mapping_mode(m.configuration));
  t.cdf = config_true(m, "delta.enableChangeDataFeed");
  t.dv_mode = delta::protocol_has_feature(t.snap.protocol(), delta::TableFeature::DeletionVectors) &&
              config_true(m, "delta.enableDeletionVectors");
  return t;
}

TimeTravel at_version(const ChangeTarget& t) {
  TimeTravel at;
  at.version = t.snap.version();
  return at;
}

Result<std::string> scan_with_positions(Session& session, const ChangeTarget& t,
                                        std::set<std::string> paths) {
  scan::ScanOptions options;
  options.only_paths = std::move(paths);
  options.with_row_positions = true;
  SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, at_version(t), options));
  return plan.sql;
}

Result<FileSelection> select_files(Session& session, const ChangeTarget& t, const std::string& where) {
  FileSelection sel;
  std::optional<delta::Predicate> predicate;
  if (!where.empty()) {
    auto expanded = session.expand_sql(where);
    if (!expanded.ok()) return user_sql_error(expanded.error(), "WHERE " + where);
    sel.where = *expanded;
    auto extracted = scan::predicate_from_filter_sql(session.connection(), sel.where);
    if (!extracted.ok()) return user_sql_error(extracted.error(), "WHERE " + where);
    predicate = std::move(*extracted);
  }
  if (predicate) {
    // A predicate keeps what silt understood of the WHERE, so it matches at least as much.
    SILT_ASSIGN_OR_RETURN(sel.candidates, scan::files_to_scan(t.snap, t.schema, t.mapping, *predicate));
    sel.read.predicate = std::move(predicate);
  } else {
    for (const AddFile& f : t.snap.files()) sel.candidates.push_back(&f);
    sel.read.whole_table = true;
  }
  for (const AddFile* f : sel.candidates) {
    SILT_ASSIGN_OR_RETURN(std::string canonical, delta::canonical_data_path(t.root, f->path));
    sel.read.files.insert(std::move(canonical));
  }
  return sel;
}

TouchedRows::~TouchedRows() {
  ignore_result(conn_.execute(std::string("DROP TABLE IF EXISTS ") + kTouchedTable));
}

Status TouchedRows::record(const ChangeTarget& t, const std::string& select_sql,
                           const std::vector<const AddFile*>& candidates) {
  SILT_TRY(conn_.execute(std::string("CREATE OR REPLACE TEMP TABLE ") + kTouchedTable + " (" + kTouchedFile +
                         ", " + kTouchedRow + ", " + kTouchedKind + ") AS " + select_sql));
  std::map<std::string, const AddFile*> by_read_path;
  for (const AddFile* f : candidates) {
    SILT_ASSIGN_OR_RETURN(std::string p, resolve_log_path(t.snap.table_root(), f->path));
    by_read_path.emplace(std::move(p), f);
  }
  SILT_ASSIGN_OR_RETURN(
      auto rows,
      conn_.query_text(std::string("SELECT ") + kTouchedFile + ", count(*), " + "count(*) FILTER (" +
                       kTouchedKind + " = 'delete') FROM " + kTouchedTable + " GROUP BY ALL ORDER BY 1"));
  files_.clear();
  rows_ = deleted_ = 0;
  for (const auto& row : rows) {
    auto it = by_read_path.find(row[0].value_or(""));
    if (it == by_read_path.end())
      return Error(ErrorKind::Internal, "touched rows of an unknown file " + row[0].value_or("NULL"));
    int64_t n = std::stoll(row[1].value_or("0"));
    files_.push_back({it->second, it->first, n});
    rows_ += n;
    deleted_ += std::stoll(row[2].value_or("0"));
  }
  return ok_status();
}

Result<std::string> TouchedRows::preimage_sql(Session& session, const ChangeTarget& t) const {
  SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, logged_paths(*this)));
  return "SELECT t.* EXCLUDE (" + std::string(scan::kFileColumn) + ", " + scan::kRowColumn + "), CASE m." +
         kTouchedKind + " WHEN 'delete' THEN 'delete' ELSE 'update_preimage' END AS " + kChangeType +
         join_touched(scan_sql, "JOIN");
}

std::string join_touched(const std::string& scan_sql, const char* join) {
  return " FROM " + scan_sql + " AS t " + join + " " + kTouchedTable + " AS m ON m." + kTouchedFile +
         " = t." + scan::kFileColumn + " AND m." + kTouchedRow + " = t." + scan::kRowColumn;
}

Result<RowChanges> write_row_changes(Session& session, const ChangeTarget& t, const TouchedRows& touched,
                                     const std::string& new_rows_sql, int64_t new_rows,
                                     const RowChangeOptions& options) {
  RowChanges c;
  std::string new_rows_once = new_rows_sql;
  TempTable fixed(session.connection(), kNewRowsTable);
  if (t.cdf && !new_rows_sql.empty()) {
    SILT_TRY(fixed.create_as(new_rows_sql));
    new_rows_once = std::string("SELECT * FROM ") + kNewRowsTable;
  }
  if (!t.dv_mode) {
    SILT_TRY(rewrite_files(session, t, touched, new_rows_once, new_rows, options, c));
  } else {
    SILT_TRY(write_new_rows(session, t, new_rows_once, new_rows, options, c));
    SILT_TRY(mark_touched(session, t, touched, options, c));
  }
  if (t.cdf) {
    std::string changes = new_rows_once;
    if (touched.rows() > 0) {
      SILT_ASSIGN_OR_RETURN(std::string pre, touched.preimage_sql(session, t));
      changes = changes.empty() ? pre : pre + " UNION ALL BY NAME " + changes;
    }
    SILT_TRY(write_cdc(session, t, options, changes, c));
  }
  return c;
}

Result<RowChanges> remove_all_rows(Session& session, const ChangeTarget& t, const RowChangeOptions& options) {
  RowChanges c;
  for (const AddFile& f : t.snap.files()) remove_file(f, c);
  if (t.cdf && !t.snap.files().empty()) {
    SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, at_version(t)));
    SILT_TRY(write_cdc(session, t, options,
                       "SELECT *, 'delete' AS " + std::string(kChangeType) + " FROM " + plan.sql + " AS t",
                       c));
  }
  return c;
}

Result<CommittedChanges> commit_row_changes(Session& session, const ChangeTarget& t, RowChanges changes,
                                            const delta::ReadSet& read, const OperationInfo& op) {
  delta::Transaction txn(t.root, t.snap.version(), t.schema, t.mapping);
  for (auto& r : changes.removes) txn.add_action(std::move(r));
  for (auto& a : changes.adds) txn.add_action(std::move(a));
  for (auto& cdc : changes.cdc) txn.add_action(std::move(cdc));
  if (op.app_txn) txn.add_action(*op.app_txn);
  txn.pending().read = read;
  txn.set_operation(op.name, op.parameters_json, op.metrics_json);
  SILT_ASSIGN_OR_RETURN(auto committed, txn.commit(session.storage()));
  CommittedChanges r;
  r.version = committed.version;
  r.attempts = committed.attempts;
  if (checkpoint_due(t.snap.metadata(), r.version)) {
    auto cp = checkpoint_table(session, t.root, r.version);
    r.checkpointed = cp.ok();
    if (!cp.ok()) r.checkpoint_warning = cp.error().message();
  }
  return r;
}

std::string metrics_object(const std::vector<std::pair<std::string, int64_t>>& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics)
    out += (out.empty() ? "{" : ",") + json_quote(name) + ":\"" + std::to_string(value) + "\"";
  return out.empty() ? "{}" : out + "}";
}

}  // namespace silt::ops
