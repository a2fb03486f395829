// RESTORE. See restore.h. Live files of the current and the target snapshot are keyed by
// (canonical path, DV unique id), so a file whose DV changed counts as a different file.
#include "ops/restore.h"

#include <algorithm>
#include <map>
#include <set>

#include "delta/dv/deletion_vector.h"
#include "delta/model/table_features.h"
#include "delta/schema/schema.h"
#include "delta/txn/transaction.h"
#include "ops/checkpoint.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/time.h"

namespace silt::ops {
namespace {

using FileKey = std::pair<std::string, std::string>;  // canonical path, DV unique id

Result<std::map<FileKey, const delta::AddFile*>> live_files(const delta::Snapshot& snap) {
  std::map<FileKey, const delta::AddFile*> out;
  for (const auto& f : snap.files()) {
    SILT_ASSIGN_OR_RETURN(std::string canonical, delta::canonical_data_path(snap.table_root(), f.path));
    out.emplace(FileKey{canonical, f.deletion_vector ? f.deletion_vector->unique_id() : ""}, &f);
  }
  return out;
}

bool same_metadata(const delta::Metadata& a, const delta::Metadata& b) {
  return a.id == b.id && a.name == b.name && a.description == b.description &&
         a.schema_string == b.schema_string && a.partition_columns == b.partition_columns &&
         a.configuration == b.configuration && a.format.provider == b.format.provider &&
         a.format.options == b.format.options;
}

std::optional<std::vector<std::string>> feature_union(const std::optional<std::vector<std::string>>& a,
                                                      const std::optional<std::vector<std::string>>& b) {
  if (!a && !b) return std::nullopt;
  std::vector<std::string> out = a.value_or(std::vector<std::string>{});
  for (const auto& f : b.value_or(std::vector<std::string>{})) {
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  return out;
}

bool same_protocol(const delta::Protocol& a, const delta::Protocol& b) {
  auto sorted = [](const std::optional<std::vector<std::string>>& v) {
    auto s = v.value_or(std::vector<std::string>{});
    std::sort(s.begin(), s.end());
    return std::make_pair(v.has_value(), s);
  };
  return a.min_reader_version == b.min_reader_version && a.min_writer_version == b.min_writer_version &&
         sorted(a.reader_features) == sorted(b.reader_features) &&
         sorted(a.writer_features) == sorted(b.writer_features);
}

// The protocol after the restore: what both the current table and the target need, so it is
// never lower than the current one.
delta::Protocol restored_protocol(const delta::Protocol& now, const delta::Protocol& target) {
  delta::Protocol p;
  p.min_reader_version = std::max(now.min_reader_version, target.min_reader_version);
  p.min_writer_version = std::max(now.min_writer_version, target.min_writer_version);
  if (p.min_reader_version >= 3)
    p.reader_features = feature_union(now.reader_features, target.reader_features);
  if (p.min_writer_version >= 7)
    p.writer_features = feature_union(now.writer_features, target.writer_features);
  if (p.reader_features && !p.reader_features->empty() && p.min_writer_version >= 7) {
    // Reader features are writer features too (PROTOCOL.md "Table Features").
    p.writer_features = feature_union(p.writer_features, p.reader_features);
  }
  return p;
}

std::string metric(const char* name, int64_t value) {
  return json_quote(name) + ":" + json_quote(std::to_string(value));
}

}  // namespace

Status check_files_present(Session& session, const std::string& root,
                           const std::vector<const delta::AddFile*>& adds, const std::string& verb) {
  for (const auto* a : adds) {
    SILT_ASSIGN_OR_RETURN(std::string data, resolve_log_path(root, a->path));
    if (!session.storage().stat(data).ok()) {
      return Error(ErrorKind::NotFound, "cannot " + verb + ": data file " + data + " is gone (vacuumed?)");
    }
    if (a->deletion_vector && a->deletion_vector->storage_type != 'i') {
      SILT_ASSIGN_OR_RETURN(std::string dv, delta::deletion_vector_file_path(*a->deletion_vector, root));
      if (!session.storage().stat(dv).ok()) {
        return Error(ErrorKind::NotFound,
                     "cannot " + verb + ": deletion vector file " + dv + " is gone (vacuumed?)");
      }
    }
  }
  return ok_status();
}

Result<RestoreResult> restore_table(Session& session, std::string_view path, const TimeTravel& to) {
  if (!to.version && !to.timestamp_ms) {
    return Error(ErrorKind::InvalidArgument, "restore needs a version or a timestamp");
  }
  SILT_ASSIGN_OR_RETURN(std::string root, normalize_table_root(path));
  SILT_ASSIGN_OR_RETURN(auto listing, session.list_log(root));
  RestoreResult result;
  result.read_version = listing.latest_version();
  if (to.version && (*to.version < 0 || *to.version > result.read_version)) {
    return Error(ErrorKind::InvalidArgument, "cannot restore to version " + std::to_string(*to.version) +
                                                 ": the table has versions 0 to " +
                                                 std::to_string(result.read_version));
  }
  SILT_ASSIGN_OR_RETURN(int64_t target_version, session.resolve_version(listing, to));
  result.restored_version = target_version;
  SILT_ASSIGN_OR_RETURN(
      auto now, delta::Snapshot::load(listing, session.storage(), session.connection(), result.read_version));
  SILT_TRY(delta::check_writable(now.protocol(), now.metadata()));
  if (auto it = now.metadata().configuration.find("delta.appendOnly");
      it != now.metadata().configuration.end() && it->second == "true") {
    return Error(ErrorKind::InvalidArgument,
                 "the table is append-only (delta.appendOnly = true): restore would remove files");
  }
  SILT_ASSIGN_OR_RETURN(
      auto target, delta::Snapshot::load(listing, session.storage(), session.connection(), target_version));
  SILT_ASSIGN_OR_RETURN(auto now_files, live_files(now));
  SILT_ASSIGN_OR_RETURN(auto target_files, live_files(target));

  std::vector<const delta::AddFile*> adds, removes;
  for (const auto& [key, f] : target_files) {
    if (!now_files.count(key)) adds.push_back(f);
    result.files_after++;
    result.bytes_after += f->size;
  }
  for (const auto& [key, f] : now_files) {
    if (!target_files.count(key)) removes.push_back(f);
  }
  bool metadata_differs = !same_metadata(now.metadata(), target.metadata());
  delta::Protocol protocol = restored_protocol(now.protocol(), target.protocol());
  result.protocol_changed = !same_protocol(protocol, now.protocol());
  result.metadata_changed = metadata_differs;
  result.version = result.read_version;
  if (adds.empty() && removes.empty() && !metadata_differs && !result.protocol_changed) return result;
  SILT_TRY(check_files_present(session, root, adds, "restore"));

  delta::StructType schema;
  if (!target.metadata().schema_string.empty()) {
    SILT_ASSIGN_OR_RETURN(schema, delta::parse_schema(target.metadata().schema_string));
  }
  SILT_ASSIGN_OR_RETURN(auto mapping, delta::column_mapping_mode(target.metadata().configuration));
  delta::Transaction txn(root, result.read_version, schema, mapping);
  if (result.protocol_changed) txn.add_action(protocol);
  if (metadata_differs) txn.add_action(target.metadata());
  int64_t ts = now_ms();
  for (const auto* f : removes) {
    result.bytes_removed += f->size;
    txn.add_action(delta::remove_for(*f, ts));
  }
  for (const auto* f : adds) {
    delta::AddFile a = *f;
    a.data_change = true;
    result.bytes_restored += a.size;
    txn.add_action(std::move(a));
  }
  result.files_restored = int64_t(adds.size());
  result.files_removed = int64_t(removes.size());
  txn.pending().read.whole_table = true;
  std::string params = to.version
                           ? "{\"version\":" + json_quote(std::to_string(*to.version)) + "}"
                           : "{\"timestamp\":" + json_quote(format_timestamp_ms(*to.timestamp_ms)) + "}";
  std::string metrics = "{" + metric("numRestoredFiles", result.files_restored) + "," +
                        metric("numRemovedFiles", result.files_removed) + "," +
                        metric("restoredFilesSize", result.bytes_restored) + "," +
                        metric("removedFilesSize", result.bytes_removed) + "," +
                        metric("tableSizeAfterRestore", result.bytes_after) + "," +
                        metric("numOfFilesAfterRestore", result.files_after) + "}";
  txn.set_operation("RESTORE", params, metrics);
  SILT_ASSIGN_OR_RETURN(auto committed, txn.commit(session.storage()));
  result.version = committed.version;
  result.committed = true;
  if (checkpoint_due(target.metadata(), result.version)) {
    auto cp = checkpoint_table(session, root, result.version);
    result.checkpointed = cp.ok();
    if (!cp.ok()) result.checkpoint_warning = cp.error().message();
  }
  return result;
}

}  // namespace silt::ops
