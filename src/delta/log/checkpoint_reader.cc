// Checkpoint reading. See checkpoint_reader.h.
#include "delta/log/checkpoint_reader.h"

#include <array>
#include <set>

#include "util/path.h"
#include "util/sql_text.h"

namespace silt::delta {
namespace {

constexpr std::array<std::string_view, 8> kActionColumns{
    "add", "remove", "metaData", "protocol", "txn", "domainMetadata", "sidecar", "checkpointMetadata"};

// Collects sidecar references while forwarding everything else.
class SidecarCollector final : public ActionSink {
 public:
  explicit SidecarCollector(ActionSink& inner) : inner_(inner) {}
  std::vector<Sidecar> sidecars;
  Status on_add(AddFile& a) override { return inner_.on_add(a); }
  Status on_remove(RemoveFile& r) override { return inner_.on_remove(r); }
  Status on_metadata(Metadata& m) override { return inner_.on_metadata(m); }
  Status on_protocol(Protocol& p) override { return inner_.on_protocol(p); }
  Status on_txn(Txn& t) override { return inner_.on_txn(t); }
  Status on_domain_metadata(DomainMetadata& d) override { return inner_.on_domain_metadata(d); }
  Status on_checkpoint_metadata(CheckpointMetadata& c) override { return inner_.on_checkpoint_metadata(c); }
  Status on_sidecar(Sidecar& s) override {
    sidecars.push_back(s);
    return ok_status();
  }

 private:
  ActionSink& inner_;
};

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

Status read_parquet_actions(const std::vector<std::string>& files, db::Connection& conn, ActionParser& parser,
                            ActionSink& sink) {
  std::string list = string_list_literal(files);
  auto described = conn.query("DESCRIBE SELECT * FROM read_parquet(" + list + ")");
  if (!described.ok()) return described.error().with_context("reading checkpoint " + base_name(files[0]));
  std::set<std::string> present;
  for (auto& row : described->rows_as_text()) {
    if (!row.empty() && row[0]) present.insert(*row[0]);
  }
  std::vector<std::string_view> cols;
  std::string select;
  for (std::string_view c : kActionColumns) {
    if (!present.count(std::string(c))) continue;
    select += (cols.empty() ? "" : ", ") + std::string("to_json(") + quote_ident(c) + ")";
    cols.push_back(c);
  }
  if (cols.empty()) return Error(ErrorKind::Corruption, "checkpoint has no action columns: " + base_name(files[0]));
  auto result = conn.query("SELECT " + select + " FROM read_parquet(" + list + ")");
  if (!result.ok()) return result.error().with_context("reading checkpoint " + base_name(files[0]));
  std::string source = "checkpoint " + base_name(files[0]);
  while (auto chunk = result->next_chunk()) {
    for (idx_t row = 0; row < chunk->size(); row++) {
      for (idx_t c = 0; c < cols.size(); c++) {
        if (chunk->is_null(c, row)) continue;
        SILT_TRY(parser.parse_one(cols[c], chunk->str(c, row), source, sink));
      }
    }
  }
  return ok_status();
}

}  // namespace

Status read_checkpoint(const Checkpoint& checkpoint, const std::string& log_dir, const Storage& storage,
                       db::Connection& conn, ActionParser& parser, ActionSink& sink) {
  if (checkpoint.kind != CheckpointKind::V2) return read_parquet_actions(checkpoint.parts, conn, parser, sink);
  SidecarCollector collector(sink);
  const std::string& file = checkpoint.parts[0];
  if (file.ends_with(".json")) {
    SILT_ASSIGN_OR_RETURN(std::string text, storage.read(file));
    SILT_TRY(parser.parse_lines(text, "checkpoint " + base_name(file), collector));
  } else {
    SILT_TRY(read_parquet_actions({file}, conn, parser, collector));
  }
  if (collector.sidecars.empty()) return ok_status();
  std::vector<std::string> sidecar_files;
  std::string sidecar_dir = join_path(log_dir, "_sidecars");
  for (const Sidecar& s : collector.sidecars) {
    SILT_ASSIGN_OR_RETURN(std::string path, resolve_log_path(sidecar_dir, s.path));
    auto st = storage.stat(path);
    if (!st.ok()) return Error(ErrorKind::Corruption, "checkpoint sidecar is missing: " + path);
    sidecar_files.push_back(std::move(path));
  }
  return read_parquet_actions(sidecar_files, conn, parser, sink);
}

}  // namespace silt::delta
