// DELETE and UPDATE. Order of work: read the table, keep the files the WHERE may match, record
// the matched rows as (file, row index) in a temp table, then either grow the files' deletion
// vectors (writing updated rows as new files) or rewrite the files, and commit removes + adds.
// The matched positions are fixed once, so DV bits, updated rows and copied rows always agree,
// even for a non-deterministic WHERE.
#include "ops/dml.h"

#include <chrono>
#include <map>
#include <set>
#include <span>

#include "delta/dv/deletion_vector.h"
#include "delta/model/table_features.h"
#include "delta/stats/file_stats.h"
#include "delta/txn/transaction.h"
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
using Clock = std::chrono::steady_clock;

// Columns of the temp table of matched rows.
constexpr const char* kMatchFile = "__silt_match_file";
constexpr const char* kMatchRow = "__silt_match_row";
constexpr const char* kMatchTable = "__silt_dml_matches";

enum class Operation { Delete, Update };

std::string operation_name(Operation op) { return op == Operation::Delete ? "DELETE" : "UPDATE"; }

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// DuckDB errors quote the failing statement after " LINE n:"; ours is generated, so only the
// reason is kept, after what the user wrote.
Error user_sql_error(const Error& e, const std::string& context) {
  std::string m = e.message();
  if (auto at = m.find(" LINE "); at != std::string::npos) m.resize(at);
  if (m.starts_with("serialized SQL: ")) m.erase(0, 16);
  m = trim(m);
  return Error(e.kind(), context + ": " + m);
}

// --- SET clause ------------------------------------------------------------------------------

// Offsets of the characters of `text` outside strings, quoted identifiers and brackets. A
// doubled quote inside a string closes and reopens it, which skips it correctly.
std::vector<size_t> top_level_offsets(std::string_view text) {
  std::vector<size_t> out;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(' || c == '[' || c == '{') {
      depth++;
    } else if (c == ')' || c == ']' || c == '}') {
      depth--;
    } else if (depth == 0) {
      out.push_back(i);
    }
  }
  return out;
}

std::vector<std::string_view> split_top_level(std::string_view text, char separator) {
  std::vector<std::string_view> items;
  size_t start = 0;
  for (size_t i : top_level_offsets(text)) {
    if (text[i] != separator) continue;
    items.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  items.push_back(text.substr(start));
  return items;
}

// The first top-level '=' that is an assignment, not part of a comparison operator.
size_t assignment_sign(std::string_view item) {
  for (size_t i : top_level_offsets(item)) {
    if (item[i] != '=') continue;
    char before = i > 0 ? item[i - 1] : ' ', after = i + 1 < item.size() ? item[i + 1] : ' ';
    if (std::string_view("<>!=:").find(before) == std::string_view::npos && after != '=' && after != '>')
      return i;
  }
  return std::string_view::npos;
}

std::string unquote_identifier(std::string name) {
  if (name.size() < 2 || name.front() != '"' || name.back() != '"') return name;
  std::string out;
  for (size_t i = 1; i + 1 < name.size(); i++) {
    out += name[i];
    if (name[i] == '"') i++;  // "" stands for one quote
  }
  return out;
}

// Table column name -> SQL expression, after checking every column exists once.
using ColumnValues = std::map<std::string, std::string>;

Result<ColumnValues> bind_assignments(const delta::StructType& schema, const std::vector<Assignment>& set) {
  if (set.empty()) return Error(ErrorKind::InvalidArgument, "UPDATE needs at least one SET assignment");
  ColumnValues out;
  for (const Assignment& a : set) {
    const delta::StructField* f = delta::find_field(schema, a.column);
    if (!f) return Error(ErrorKind::InvalidArgument, "SET " + a.column + ": the table has no such column");
    if (!out.emplace(f->name, a.expression).second)
      return Error(ErrorKind::InvalidArgument, "SET " + a.column + ": column assigned more than once");
  }
  return out;
}

// SELECT list of the table's columns from relation `t`, with `values` applied where `matched`
// (an SQL condition) holds; an empty `matched` applies them to every row.
std::string updated_columns(const delta::StructType& schema, const ColumnValues& values,
                            const std::string& matched) {
  std::string cols;
  for (const delta::StructField& f : schema.fields) {
    std::string expr = "t." + quote_ident(f.name);
    if (auto it = values.find(f.name); it != values.end()) {
      std::string value = "CAST((" + it->second + ") AS " + delta::duckdb_type(f.type) + ")";
      expr = matched.empty() ? value : "CASE WHEN " + matched + " THEN " + value + " ELSE " + expr + " END";
    }
    cols += (cols.empty() ? "" : ", ") + expr + " AS " + quote_ident(f.name);
  }
  return cols;
}

std::string set_text(const ColumnValues& values) {
  std::string out;
  for (const auto& [column, expr] : values) out += (out.empty() ? "" : ", ") + column + " = " + expr;
  return out;
}

// Binds each SET expression against the table, so that a bad one fails before any work, named.
Status check_assignments(db::Connection& conn, const std::string& scan_sql, const delta::StructType& schema,
                         const ColumnValues& values) {
  for (const auto& [column, expr] : values) {
    ColumnValues one{{column, expr}};
    auto bound =
        conn.execute("SELECT " + updated_columns(schema, one, "") + " FROM " + scan_sql + " AS t LIMIT 0");
    if (!bound.ok()) return user_sql_error(bound.error(), "SET " + column + " = " + expr);
  }
  return ok_status();
}

// --- the table -------------------------------------------------------------------------------

// The table a statement changes, as read at one version.
struct Target {
  std::string root;
  delta::Snapshot snap;
  delta::StructType schema;
  delta::ColumnMappingMode mapping = delta::ColumnMappingMode::None;
  bool dv_mode = false;  // deletionVectors feature in the protocol and enabled in the metadata
};

bool config_true(const delta::Metadata& m, const std::string& key) {
  auto it = m.configuration.find(key);
  return it != m.configuration.end() && it->second == "true";
}

Status check_changeable(const delta::Snapshot& snap, Operation op) {
  const delta::Metadata& m = snap.metadata();
  SILT_TRY(delta::check_writable(snap.protocol(), m));
  if (config_true(m, "delta.appendOnly")) {
    return Error(ErrorKind::InvalidArgument,
                 operation_name(op) + " is not allowed: the table is append-only (delta.appendOnly = true)");
  }
  // The protocol asks DELETE and UPDATE on such tables to write cdc files, which silt cannot yet.
  if (config_true(m, "delta.enableChangeDataFeed")) {
    return Error(
        ErrorKind::Unsupported,
        operation_name(op) + " on a table with delta.enableChangeDataFeed = true is not supported yet");
  }
  if (m.schema_string.empty()) return Error(ErrorKind::InvalidArgument, "the table has no schema yet");
  return ok_status();
}

Result<Target> open_target(Session& session, std::string_view path, Operation op) {
  Target t;
  SILT_ASSIGN_OR_RETURN(t.root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(t.snap, session.snapshot(t.root));
  SILT_TRY(check_changeable(t.snap, op));
  const delta::Metadata& m = t.snap.metadata();
  SILT_ASSIGN_OR_RETURN(t.schema, delta::parse_schema(m.schema_string));
  SILT_ASSIGN_OR_RETURN(t.mapping, delta::column_mapping_mode(m.configuration));
  t.dv_mode = delta::protocol_has_feature(t.snap.protocol(), delta::TableFeature::DeletionVectors) &&
              config_true(m, "delta.enableDeletionVectors");
  return t;
}

TimeTravel version_of(const Target& t) {
  TimeTravel at;
  at.version = t.snap.version();
  return at;
}

// --- which files, which rows -----------------------------------------------------------------

// The files a WHERE may match, and what the commit declares it read.
struct Selection {
  std::string where;  // the WHERE with delta_scan calls expanded; "" for none
  std::vector<const AddFile*> candidates;
  delta::ReadSet read;
};

Result<Selection> select_files(Session& session, const Target& t, const std::string& where) {
  Selection sel;
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

// A scan of some of the table's files at the target version, with row positions.
Result<std::string> scan_with_positions(Session& session, const Target& t, std::set<std::string> paths) {
  scan::ScanOptions options;
  options.only_paths = std::move(paths);
  options.with_row_positions = true;
  SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, version_of(t), options));
  return plan.sql;
}

// A file with matched rows.
struct Touched {
  const AddFile* file;
  std::string read_path;  // as the scan names it (kFileColumn)
  int64_t rows = 0;       // matched rows
};

// The matched rows: their (file, row) pairs live in kMatchTable, dropped when this goes away.
class Matches {
 public:
  explicit Matches(db::Connection& conn) : conn_(conn) {}
  Matches(const Matches&) = delete;
  Matches& operator=(const Matches&) = delete;
  ~Matches() { ignore_result(conn_.execute(std::string("DROP TABLE IF EXISTS ") + kMatchTable)); }

  std::vector<Touched> files;
  int64_t rows = 0;

 private:
  db::Connection& conn_;
};

Status count_matches(db::Connection& conn, const Target& t, const std::vector<const AddFile*>& candidates,
                     Matches& m) {
  std::map<std::string, const AddFile*> by_read_path;
  for (const AddFile* f : candidates) {
    SILT_ASSIGN_OR_RETURN(std::string p, resolve_log_path(t.snap.table_root(), f->path));
    by_read_path.emplace(std::move(p), f);
  }
  SILT_ASSIGN_OR_RETURN(auto rows, conn.query_text(std::string("SELECT ") + kMatchFile + ", count(*) FROM " +
                                                   kMatchTable + " GROUP BY ALL ORDER BY 1"));
  for (const auto& row : rows) {
    auto it = by_read_path.find(row[0].value_or(""));
    if (it == by_read_path.end())
      return Error(ErrorKind::Internal, "matched rows of an unknown file " + row[0].value_or("NULL"));
    int64_t n = std::stoll(row[1].value_or("0"));
    m.files.push_back({it->second, it->first, n});
    m.rows += n;
  }
  return ok_status();
}

// Records the rows of the candidate files where the WHERE is true.
Status find_matches(Session& session, const Target& t, const Selection& sel, const std::string& scan_sql,
                    const std::string& user_where, Matches& m) {
  std::string sql = std::string("CREATE OR REPLACE TEMP TABLE ") + kMatchTable + " AS SELECT " +
                    scan::kFileColumn + " AS " + kMatchFile + ", " + scan::kRowColumn + " AS " + kMatchRow +
                    " FROM " + scan_sql + " AS t" + (sel.where.empty() ? "" : " WHERE (" + sel.where + ")");
  if (auto st = session.connection().execute(sql); !st.ok())
    return user_sql_error(st.error(), "WHERE " + user_where);
  return count_matches(session.connection(), t, sel.candidates, m);
}

// FROM clause joining a positions scan `t` with the matched rows `m`.
std::string join_matches(const std::string& scan_sql, const char* join) {
  return " FROM " + scan_sql + " AS t " + join + " " + kMatchTable + " AS m ON m." + kMatchFile + " = t." +
         scan::kFileColumn + " AND m." + kMatchRow + " = t." + scan::kRowColumn;
}

// --- changes ---------------------------------------------------------------------------------

// The actions of the commit, with the result counts filled in along the way.
struct Changes {
  std::vector<AddFile> adds;
  std::vector<delta::RemoveFile> removes;
  DmlResult result;
};

// Retires a live file (with its deletion vector, which names the logical file) and counts it.
void remove_file(const AddFile& f, Changes& c) {
  c.removes.push_back(delta::remove_for(f, now_ms()));
  c.result.files_removed++;
  c.result.bytes_removed += f.size;
  if (f.deletion_vector) c.result.dvs_removed++;
}

DataWriteOptions data_options(const Target& t, const DmlOptions& options) {
  DataWriteOptions d;
  d.partition_columns = t.snap.metadata().partition_columns;
  d.mapping = t.mapping;
  d.target_file_size = options.target_file_size;
  const auto& config = t.snap.metadata().configuration;
  if (auto it = config.find("delta.dataSkippingNumIndexedCols"); it != config.end())
    d.num_indexed_cols = std::atoi(it->second.c_str());
  return d;
}

// Writes the rows of `select_sql` as new data files; returns how many rows were written. Bad
// values (a failed cast, a NULL in a non-nullable column) come from the SET, if there is one.
Result<int64_t> write_rows(Session& session, const Target& t, const DmlOptions& options,
                           const std::string& select_sql, const ColumnValues* values, Changes& c) {
  auto written =
      write_data_files(session.connection(), t.root, select_sql, t.schema, data_options(t, options));
  if (!written.ok()) {
    bool bad_value = values && written.error().kind() == ErrorKind::InvalidArgument;
    return bad_value ? user_sql_error(written.error(), "SET " + set_text(*values)) : written.error();
  }
  int64_t rows = 0;
  for (AddFile& f : *written) {
    auto stats = delta::parse_file_stats(f.stats, std::span<const delta::ColumnPath>{});
    if (stats.ok()) rows += stats->num_records.value_or(0);
    c.result.files_added++;
    c.result.bytes_added += f.size;
    c.adds.push_back(std::move(f));
  }
  return rows;
}

std::set<std::string> logged_paths(const std::vector<Touched>& files) {
  std::set<std::string> out;
  for (const Touched& f : files) out.insert(f.file->path);
  return out;
}

// Copy-on-write: every touched file is replaced by its unmatched rows plus, for UPDATE, its
// matched rows with the SET applied.
Status rewrite_files(Session& session, const Target& t, const Matches& m, const ColumnValues* values,
                     const DmlOptions& options, Changes& c) {
  SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, logged_paths(m.files)));
  std::string matched = std::string("m.") + kMatchRow + " IS NOT NULL";
  std::string select = "SELECT " + updated_columns(t.schema, values ? *values : ColumnValues{}, matched) +
                       join_matches(scan_sql, "LEFT JOIN") + (values ? "" : " WHERE NOT (" + matched + ")");
  SILT_ASSIGN_OR_RETURN(int64_t written, write_rows(session, t, options, select, values, c));
  c.result.rows_copied = written - (values ? m.rows : 0);
  for (const Touched& f : m.files) remove_file(*f.file, c);
  return ok_status();
}

// Deletion-vector UPDATE: the matched rows, with the SET applied, go into new files.
Status write_updated_rows(Session& session, const Target& t, const Matches& m, const ColumnValues& values,
                          const DmlOptions& options, Changes& c) {
  SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, logged_paths(m.files)));
  std::string select =
      "SELECT " + updated_columns(t.schema, values, "") + join_matches(scan_sql, "SEMI JOIN");
  SILT_ASSIGN_OR_RETURN(int64_t written, write_rows(session, t, options, select, &values, c));
  if (written != m.rows) {
    return Error(ErrorKind::Internal, "wrote " + std::to_string(written) + " updated row(s) for " +
                                          std::to_string(m.rows) + " matched");
  }
  return ok_status();
}

// --- deletion vectors ------------------------------------------------------------------------

// Rows in the data file: numRecords, which a file with a DV must carry, else counted.
Result<int64_t> records_in(db::Connection& conn, const Touched& f) {
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
  const Touched* file;
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
Result<std::map<std::string, DeletionVector>> grown_dvs(Session& session, const Target& t, const Matches& m) {
  std::map<std::string, DeletionVector> dvs;
  for (const Touched& f : m.files) {
    DeletionVector dv;
    if (const auto& old = f.file->deletion_vector) {
      auto loaded = DeletionVector::load(*old, t.snap.table_root(), session.storage());
      if (!loaded.ok()) return loaded.error().with_context("deletion vector of " + f.file->path);
      dv = std::move(*loaded);
    }
    dvs.emplace(f.read_path, std::move(dv));
  }
  SILT_ASSIGN_OR_RETURN(auto result, session.connection().query(std::string("SELECT ") + kMatchFile + ", " +
                                                                kMatchRow + " FROM " + kMatchTable));
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
Status mark_deleted(Session& session, const Target& t, const Matches& m, const DmlOptions& options,
                    Changes& c) {
  SILT_ASSIGN_OR_RETURN(auto dvs, grown_dvs(session, t, m));
  std::vector<GrownDv> grown;
  for (const Touched& f : m.files) {
    const DeletionVector& dv = dvs.at(f.read_path);
    SILT_ASSIGN_OR_RETURN(int64_t records, records_in(session.connection(), f));
    if (int64_t(dv.cardinality()) >= records) {
      remove_file(*f.file, c);
      continue;
    }
    (f.file->deletion_vector ? c.result.dvs_updated : c.result.dvs_added)++;
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

// DELETE without WHERE: every file goes, none is read beyond counting its rows.
Status remove_everything(Session& session, const Target& t, Changes& c) {
  SILT_ASSIGN_OR_RETURN(auto plan, session.scan(t.root, version_of(t)));
  SILT_ASSIGN_OR_RETURN(auto n, session.connection().scalar("SELECT count(*) FROM " + plan.sql + " AS t"));
  c.result.rows_deleted = std::stoll(n.value_or("0"));
  for (const AddFile& f : t.snap.files()) remove_file(f, c);
  return ok_status();
}

// --- commit ----------------------------------------------------------------------------------

struct Timings {
  Clock::time_point start = Clock::now();
  int64_t scan_ms = 0;
  int64_t rewrite_ms = 0;
};

std::string metrics_json(const DmlResult& r, Operation op, const Timings& time) {
  const std::pair<const char*, int64_t> metrics[] = {
      {op == Operation::Delete ? "numDeletedRows" : "numUpdatedRows",
       op == Operation::Delete ? r.rows_deleted : r.rows_updated},
      {"numCopiedRows", r.rows_copied},
      {"numAddedFiles", r.files_added},
      {"numRemovedFiles", r.files_removed},
      {"numAddedBytes", r.bytes_added},
      {"numRemovedBytes", r.bytes_removed},
      {"numDeletionVectorsAdded", r.dvs_added},
      {"numDeletionVectorsRemoved", r.dvs_removed},
      {"numDeletionVectorsUpdated", r.dvs_updated},
      {"numAddedChangeFiles", 0},
      {"scanTimeMs", time.scan_ms},
      {"rewriteTimeMs", time.rewrite_ms},
      {"executionTimeMs", ms_since(time.start)},
  };
  std::string out;
  for (const auto& [name, value] : metrics)
    out += (out.empty() ? "{" : ",") + json_quote(name) + ":\"" + std::to_string(value) + "\"";
  return out + "}";
}

Result<DmlResult> commit(Session& session, const Target& t, const Selection& sel, Changes& c, Operation op,
                         const std::string& user_where, const Timings& time) {
  delta::Transaction txn(t.root, t.snap.version(), t.schema, t.mapping);
  for (auto& r : c.removes) txn.add_action(std::move(r));
  for (auto& a : c.adds) txn.add_action(std::move(a));
  txn.pending().read = sel.read;
  std::string params = user_where.empty() ? "{}" : "{\"predicate\":" + json_quote(user_where) + "}";
  txn.set_operation(operation_name(op), params, metrics_json(c.result, op, time));
  SILT_ASSIGN_OR_RETURN(auto committed, txn.commit(session.storage()));
  DmlResult r = c.result;
  r.committed = true;
  r.version = committed.version;
  r.attempts = committed.attempts;
  if (checkpoint_due(t.snap.metadata(), r.version)) {
    auto cp = checkpoint_table(session, t.root, r.version);
    r.checkpointed = cp.ok();
    if (!cp.ok()) r.checkpoint_warning = cp.error().message();
  }
  return r;
}

// Finds the matched rows and turns them into changes, by the table's mode.
Status plan_changes(Session& session, const Target& t, const Selection& sel, const ColumnValues* values,
                    const DmlOptions& options, Changes& c, Timings& time) {
  std::set<std::string> candidates;
  for (const AddFile* f : sel.candidates) candidates.insert(f->path);
  SILT_ASSIGN_OR_RETURN(std::string scan_sql, scan_with_positions(session, t, std::move(candidates)));
  if (values) SILT_TRY(check_assignments(session.connection(), scan_sql, t.schema, *values));
  Matches m(session.connection());
  SILT_TRY(find_matches(session, t, sel, scan_sql, options.where, m));
  (values ? c.result.rows_updated : c.result.rows_deleted) = m.rows;
  time.scan_ms = ms_since(time.start);
  if (m.rows == 0) return ok_status();
  Clock::time_point rewrite_start = Clock::now();
  if (!t.dv_mode) {
    SILT_TRY(rewrite_files(session, t, m, values, options, c));
  } else {
    if (values) SILT_TRY(write_updated_rows(session, t, m, *values, options, c));
    SILT_TRY(mark_deleted(session, t, m, options, c));
  }
  time.rewrite_ms = ms_since(rewrite_start);
  return ok_status();
}

Result<DmlResult> run_dml(Session& session, std::string_view path, Operation op,
                          const std::vector<Assignment>* set, const DmlOptions& options) {
  Timings time;
  SILT_ASSIGN_OR_RETURN(Target t, open_target(session, path, op));
  std::optional<ColumnValues> values;
  if (set) {
    SILT_ASSIGN_OR_RETURN(values, bind_assignments(t.schema, *set));
  }
  SILT_ASSIGN_OR_RETURN(Selection sel, select_files(session, t, options.where));
  Changes c;
  c.result.version = t.snap.version();
  c.result.deletion_vectors = t.dv_mode;
  c.result.files_scanned = int64_t(sel.candidates.size());
  if (op == Operation::Delete && sel.where.empty()) {
    SILT_TRY(remove_everything(session, t, c));
  } else {
    SILT_TRY(plan_changes(session, t, sel, values ? &*values : nullptr, options, c, time));
  }
  if (c.adds.empty() && c.removes.empty()) return c.result;  // nothing matched
  return commit(session, t, sel, c, op, options.where, time);
}

}  // namespace

Result<std::vector<Assignment>> parse_assignments(std::string_view set_clause) {
  std::vector<Assignment> out;
  for (std::string_view item : split_top_level(set_clause, ',')) {
    size_t eq = assignment_sign(item);
    if (eq == std::string_view::npos) {
      return Error(ErrorKind::InvalidArgument,
                   "SET item '" + trim(item) + "' is not of the form column = expression");
    }
    Assignment a{unquote_identifier(trim(item.substr(0, eq))), trim(item.substr(eq + 1))};
    if (a.column.empty() || a.expression.empty()) {
      return Error(ErrorKind::InvalidArgument,
                   "SET item '" + trim(item) + "' is not of the form column = expression");
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<DmlResult> delete_rows(Session& session, std::string_view path, const DmlOptions& options) {
  return run_dml(session, path, Operation::Delete, nullptr, options);
}

Result<DmlResult> update_rows(Session& session, std::string_view path, const std::vector<Assignment>& set,
                              const DmlOptions& options) {
  return run_dml(session, path, Operation::Update, &set, options);
}

}  // namespace silt::ops
