// Typed Delta log actions (PROTOCOL.md "Actions"). Plain value types: parsed from JSON commits
// and checkpoints by delta/log, reconciled by delta/snapshot, written by the commit path.
// Optional protocol fields are std::optional; unknown fields are ignored as the protocol asks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace silt::delta {

// deletionVector field of add/remove (PROTOCOL.md "Deletion Vector Descriptor Schema").
struct DeletionVectorDescriptor {
  char storage_type = 0;          // 'u' relative uuid, 'i' inline, 'p' absolute path
  std::string path_or_inline_dv;  // z85 (for 'u' a random prefix + z85 uuid), or a path
  std::optional<int32_t> offset;  // absent for inline
  int32_t size_in_bytes = 0;
  int64_t cardinality = 0;

  // storageType + pathOrInlineDv (+ "@" + offset): identifies the DV within a table.
  std::string unique_id() const {
    std::string id(1, storage_type);
    id += path_or_inline_dv;
    if (offset) id += "@" + std::to_string(*offset);
    return id;
  }
  bool operator==(const DeletionVectorDescriptor&) const = default;
};

// Partition values in log order: column name (as in metadata.partitionColumns, i.e. the
// physical name under column mapping) -> serialized value, nullopt for null.
using PartitionValues = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct AddFile {
  std::string path;  // as written in the log: relative and URL-encoded, or an absolute URI
  PartitionValues partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::string stats;  // raw stats JSON ("" when absent); parsed lazily by delta/stats
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
  std::map<std::string, std::string> tags;
  std::optional<std::string> clustering_provider;
};

struct RemoveFile {
  std::string path;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  bool extended_file_metadata = false;
  PartitionValues partition_values;
  std::optional<int64_t> size;
};

struct AddCdcFile {
  std::string path;
  PartitionValues partition_values;
  int64_t size = 0;
  bool data_change = false;
};

struct Format {
  std::string provider = "parquet";
  std::map<std::string, std::string> options;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Format format;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
};

struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 2;
  std::optional<std::vector<std::string>> reader_features;  // present iff reader version 3
  std::optional<std::vector<std::string>> writer_features;  // present iff writer version 7
};

struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;
  bool removed = false;
};

// commitInfo is free-form; we keep the raw JSON and the fields silt reads.
struct CommitInfo {
  std::optional<int64_t> timestamp;
  std::optional<int64_t> in_commit_timestamp;
  std::optional<std::string> operation;
  std::string raw_json;
};

struct Sidecar {
  std::string path;  // relative to _delta_log/_sidecars, or absolute URI
  int64_t size_in_bytes = 0;
  int64_t modification_time = 0;
};

struct CheckpointMetadata {
  int64_t version = 0;
};

// The remove action that retires `add` at `deletion_timestamp` (ms), carrying the extended
// file metadata (partition values, size) and the DV that identifies the logical file.
inline RemoveFile remove_for(const AddFile& add, int64_t deletion_timestamp) {
  RemoveFile r;
  r.path = add.path;
  r.deletion_timestamp = deletion_timestamp;
  r.data_change = true;
  r.extended_file_metadata = true;
  r.partition_values = add.partition_values;
  r.size = add.size;
  r.deletion_vector = add.deletion_vector;
  return r;
}

// Any action of a commit, in file order.
using Action =
    std::variant<AddFile, RemoveFile, AddCdcFile, Metadata, Protocol, Txn, DomainMetadata, CommitInfo>;

}  // namespace silt::delta
