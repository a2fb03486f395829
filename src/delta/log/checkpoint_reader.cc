// Checkpoint reading. See checkpoint_reader.h.
#include "delta/log/checkpoint_reader.h"

#include <array>
#include <map>
#include <set>

#include "delta/schema/schema.h"
#include "util/path.h"
#include "util/sql_text.h"

namespace silt::delta {
namespace {

constexpr std::array<std::string_view, 8> kActionColumns{
    "add", "remove", "metaData", "protocol", "txn", "domainMetadata", "sidecar", "checkpointMetadata"};

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Top-level field names of a DuckDB STRUCT type string: STRUCT(a INT, "b c" MAP(...), ...).
std::set<std::string> struct_fields(std::string_view type) {
  std::set<std::string> out;
  if (!type.starts_with("STRUCT(") || !type.ends_with(")")) return out;
  std::string_view body = type.substr(7, type.size() - 8);
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= body.size(); i++) {
    char c = i < body.size() ? body[i] : ',';
    if (c == '"') {
      i = body.find('"', i + 1);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c != ',' || depth != 0) continue;
    std::string_view item = body.substr(start, i - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (!item.empty() && item.front() == '"') {
      out.insert(std::string(item.substr(1, item.find('"', 1) - 1)));
    } else {
      out.insert(std::string(item.substr(0, item.find(' '))));
    }
    start = i + 1;
  }
  return out;
}

// Adds are most of a checkpoint: their scalar fields are read as columns straight from
// DuckDB's vectors, and only the nested ones (partition values, DV, tags) go through JSON.
Status read_add_rows(const std::string& list, const std::set<std::string>& fields,
                     const std::optional<std::vector<std::string>>& partition_keys, const std::string& source,
                     db::Connection& conn, ActionParser& parser, ActionSink& sink) {
  auto has = [&](const char* f) { return fields.count(f) > 0; };
  if (!has("path")) return Error(ErrorKind::Corruption, source + ": add column without path");
  auto col = [&](const char* f, const char* type) {
    return has(f) ? "CAST(add." + quote_ident(f) + " AS " + type + ")" : std::string("NULL::") + type;
  };
  auto json = [&](const char* f) {
    return has(f) ? "to_json(add." + quote_ident(f) + ")" : std::string("NULL");
  };
  std::string stats = !parser.keep_stats() ? "NULL"
                      : has("stats")       ? col("stats", "VARCHAR")
                                           : json("stats_parsed");
  // With the partition columns known, each value is a map lookup in DuckDB: no JSON per row.
  bool keyed = partition_keys.has_value() && has("partitionValues");
  std::string parts = keyed ? "NULL" : json("partitionValues");
  std::string sql = "SELECT " + col("path", "VARCHAR") + ", " + col("size", "BIGINT") + ", " +
                    col("modificationTime", "BIGINT") + ", " + col("dataChange", "BOOLEAN") + ", " + stats +
                    ", " + parts + ", " + json("deletionVector") + ", " + json("tags") + ", " +
                    col("baseRowId", "BIGINT") + ", " + col("defaultRowCommitVersion", "BIGINT") + ", " +
                    col("clusteringProvider", "VARCHAR");
  if (keyed) {
    for (const std::string& key : *partition_keys)
      sql += ", CAST(add.partitionValues[" + quote_literal(key) + "] AS VARCHAR)";
  }
  sql += " FROM read_parquet(" + list + ") WHERE add IS NOT NULL";
  auto result = conn.query(sql);
  if (!result.ok()) return result.error().with_context("reading " + source);
  AddFile add;
  while (auto chunk = result->next_chunk()) {
    for (idx_t r = 0; r < chunk->size(); r++) {
      if (chunk->is_null(0, r)) return Error(ErrorKind::Corruption, source + ": add action without path");
      add = AddFile{};
      add.path.assign(chunk->str(0, r));
      if (!chunk->is_null(1, r)) add.size = chunk->i64(1, r);
      if (!chunk->is_null(2, r)) add.modification_time = chunk->i64(2, r);
      if (!chunk->is_null(3, r)) add.data_change = chunk->boolean(3, r);
      if (!chunk->is_null(4, r)) add.stats.assign(chunk->str(4, r));
      static constexpr const char* kNested[] = {"partitionValues", "deletionVector", "tags"};
      for (idx_t c = 5; c < 8; c++) {
        if (chunk->is_null(c, r)) continue;
        Status st = parser.parse_add_field(kNested[c - 5], chunk->str(c, r), add);
        if (!st.ok()) return st.error().with_context(source);
      }
      if (!chunk->is_null(8, r)) add.base_row_id = chunk->i64(8, r);
      if (!chunk->is_null(9, r)) add.default_row_commit_version = chunk->i64(9, r);
      if (!chunk->is_null(10, r)) add.clustering_provider = std::string(chunk->str(10, r));
      if (keyed) {
        for (idx_t k = 0; k < partition_keys->size(); k++) {
          idx_t c = 11 + k;
          add.partition_values.emplace_back(
              (*partition_keys)[k],
              chunk->is_null(c, r) ? std::nullopt : std::optional<std::string>(chunk->str(c, r)));
        }
      }
      SILT_TRY(sink.on_add(add));
    }
  }
  return ok_status();
}

// Forwards everything, remembering the partition keys (physical names) of the metadata seen.
class MetadataTap final : public ActionSink {
 public:
  explicit MetadataTap(ActionSink& inner) : inner_(inner) {}
  std::optional<std::vector<std::string>> partition_keys;
  std::vector<Sidecar> sidecars;
  Status on_add(AddFile& a) override { return inner_.on_add(a); }
  Status on_remove(RemoveFile& r) override { return inner_.on_remove(r); }
  Status on_protocol(Protocol& p) override { return inner_.on_protocol(p); }
  Status on_txn(Txn& t) override { return inner_.on_txn(t); }
  Status on_domain_metadata(DomainMetadata& d) override { return inner_.on_domain_metadata(d); }
  Status on_checkpoint_metadata(CheckpointMetadata& c) override { return inner_.on_checkpoint_metadata(c); }
  Status on_sidecar(Sidecar& s) override {
    sidecars.push_back(s);
    return ok_status();
  }
  Status on_metadata(Metadata& m) override {
    partition_keys = physical_partition_keys(m);
    return inner_.on_metadata(m);
  }

 private:
  // nullopt when they can't be worked out (then the reader falls back to JSON per row).
  static std::optional<std::vector<std::string>> physical_partition_keys(const Metadata& m) {
    auto mode = column_mapping_mode(m.configuration);
    if (!mode.ok()) return std::nullopt;
    if (*mode == ColumnMappingMode::None) return m.partition_columns;
    auto schema = parse_schema(m.schema_string);
    if (!schema.ok()) return std::nullopt;
    std::vector<std::string> keys;
    for (const std::string& c : m.partition_columns) {
      const StructField* f = find_field(*schema, c);
      auto phys = f ? physical_name(*f, *mode) : Result<std::string>(Error(ErrorKind::NotFound, c));
      if (!phys.ok()) return std::nullopt;
      keys.push_back(*phys);
    }
    return keys;
  }
  ActionSink& inner_;
};

Status read_parquet_actions(const std::vector<std::string>& files, db::Connection& conn, ActionParser& parser,
                            MetadataTap& sink) {
  std::string list = string_list_literal(files);
  std::string source = "checkpoint " + base_name(files[0]);
  auto described = conn.query_text("DESCRIBE SELECT * FROM read_parquet(" + list + ")");
  if (!described.ok()) return described.error().with_context("reading " + source);
  std::map<std::string, std::string> present;  // column -> DuckDB type
  for (auto& row : *described) {
    if (row.size() > 1 && row[0] && row[1]) present[*row[0]] = *row[1];
  }
  std::vector<std::string_view> cols;
  std::string select;
  for (std::string_view c : kActionColumns) {
    if (c == "add" || !present.count(std::string(c))) continue;
    select += (cols.empty() ? "" : ", ") + std::string("to_json(") + quote_ident(c) + ")";
    cols.push_back(c);
  }
  if (cols.empty() && !present.count("add")) {
    return Error(ErrorKind::Corruption, source + " has no action columns");
  }
  // Protocol and metadata first: sinks may need them before the files.
  if (!cols.empty()) {
    std::string where = present.count("add") ? " WHERE add IS NULL" : "";
    auto result = conn.query("SELECT " + select + " FROM read_parquet(" + list + ")" + where);
    if (!result.ok()) return result.error().with_context("reading " + source);
    while (auto chunk = result->next_chunk()) {
      for (idx_t row = 0; row < chunk->size(); row++) {
        for (idx_t c = 0; c < cols.size(); c++) {
          if (chunk->is_null(c, row)) continue;
          SILT_TRY(parser.parse_one(cols[c], chunk->str(c, row), source, sink));
        }
      }
    }
  }
  if (!present.count("add")) return ok_status();
  return read_add_rows(list, struct_fields(present["add"]), sink.partition_keys, source, conn, parser, sink);
}

}  // namespace

Status read_checkpoint(const Checkpoint& checkpoint, const std::string& log_dir, const Storage& storage,
                       db::Connection& conn, ActionParser& parser, ActionSink& sink) {
  MetadataTap tap(sink);
  if (checkpoint.kind != CheckpointKind::V2) return read_parquet_actions(checkpoint.parts, conn, parser, tap);
  const std::string& file = checkpoint.parts[0];
  if (file.ends_with(".json")) {
    SILT_ASSIGN_OR_RETURN(std::string text, storage.read(file));
    SILT_TRY(parser.parse_lines(text, "checkpoint " + base_name(file), tap));
  } else {
    SILT_TRY(read_parquet_actions({file}, conn, parser, tap));
  }
  if (tap.sidecars.empty()) return ok_status();
  std::vector<std::string> sidecar_files;
  std::string sidecar_dir = join_path(log_dir, "_sidecars");
  for (const Sidecar& s : tap.sidecars) {
    SILT_ASSIGN_OR_RETURN(std::string path, resolve_log_path(sidecar_dir, s.path));
    auto st = storage.stat(path);
    if (!st.ok()) return Error(ErrorKind::Corruption, "checkpoint sidecar is missing: " + path);
    sidecar_files.push_back(std::move(path));
  }
  tap.sidecars.clear();
  return read_parquet_actions(sidecar_files, conn, parser, tap);
}

}  // namespace silt::delta
