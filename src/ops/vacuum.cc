// VACUUM. See vacuum.h. Paths are compared in one canonical form: relative to the table root and
// URL-decoded, which is both what Storage::list yields and what resolve_log_path makes of the log's
// (possibly escaped or absolute) paths.
#include "ops/vacuum.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <unordered_set>

#include "delta/checkpoint/checkpoint_writer.h"
#include "delta/checkpoint/log_cleanup.h"
#include "delta/dv/deletion_vector.h"
#include "util/path.h"
#include "util/time.h"

namespace silt::ops {
namespace {

std::string hours_text(int64_t ms) {
  double hours = double(ms) / double(delta::kMsPerHour);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", hours);
  return buf;
}

Result<int64_t> retention_ms(const delta::Metadata& metadata, const VacuumOptions& options) {
  SILT_ASSIGN_OR_RETURN(int64_t table_ms, delta::table_duration_ms(metadata, delta::kDeletedFileRetentionKey,
                                                                   delta::kDefaultDeletedFileRetentionMs));
  if (!options.retain_hours) return table_ms;
  double hours = *options.retain_hours;
  if (!std::isfinite(hours) || hours < 0 || hours > 1e9) {
    return Error(ErrorKind::InvalidArgument, "vacuum retention must be a non-negative number of hours");
  }
  auto ms = int64_t(std::llround(hours * double(delta::kMsPerHour)));
  if (ms < table_ms && !options.force) {
    return Error(ErrorKind::InvalidArgument,
                 "refusing to vacuum with a retention of " + hours_text(ms) + " hours, below the table's " +
                     std::string(delta::kDeletedFileRetentionKey) + " of " + hours_text(table_ms) +
                     " hours: files that concurrent readers and writers still use could be deleted (force to "
                     "override)");
  }
  return ms;
}

// Files the table still needs, as canonical relative paths.
class ReferencedFiles {
 public:
  explicit ReferencedFiles(std::string root) : root_(std::move(root)), prefix_(root_ + "/") {}

  Status add(const std::string& logged_path, const std::optional<delta::DeletionVectorDescriptor>& dv) {
    SILT_TRY(insert(resolve_log_path(root_, logged_path)));
    if (!dv || dv->storage_type == 'i') return ok_status();
    return insert(delta::deletion_vector_file_path(*dv, root_));
  }
  bool contains(const std::string& relative) const { return paths_.count(relative) > 0; }

 private:
  Status insert(const Result<std::string>& local) {
    if (!local.ok()) {
      // A file on another file system (e.g. s3://) is not under this root: nothing to protect here.
      if (local.error().kind() == ErrorKind::Unsupported) return ok_status();
      return local.error().with_context("vacuum cannot tell which file the log references");
    }
    if (local->starts_with(prefix_)) paths_.insert(local->substr(prefix_.size()));
    return ok_status();
  }
  std::string root_;
  std::string prefix_;
  std::unordered_set<std::string> paths_;
};

Result<ReferencedFiles> referenced_files(const delta::Snapshot& snapshot, int64_t cutoff_ms) {
  ReferencedFiles refs(snapshot.table_root());
  for (const delta::AddFile& f : snapshot.files()) SILT_TRY(refs.add(f.path, f.deletion_vector));
  for (const delta::RemoveFile& r : snapshot.tombstones()) {
    if (r.deletion_timestamp.value_or(0) > cutoff_ms) SILT_TRY(refs.add(r.path, r.deletion_vector));
  }
  return refs;
}

// Delta's rule for names VACUUM leaves alone (DeltaTableUtils.isHiddenDirectory), applied to
// directories and files alike.
bool is_hidden(std::string_view name, const std::vector<std::string>& partition_columns) {
  if (!name.starts_with('.') && !name.starts_with('_')) return false;
  if (name.starts_with("_delta_index") || name.starts_with("_change_data")) return false;
  return std::none_of(partition_columns.begin(), partition_columns.end(),
                      [&](const std::string& c) { return name.starts_with(c + "="); });
}

// Calls `visit(relative path, entry)` for every file under root/dir that is not hidden.
Status walk(const Storage& storage, const std::string& root, const std::string& dir,
            const std::vector<std::string>& partition_columns,
            const std::function<void(const std::string&, const FileEntry&)>& visit) {
  SILT_ASSIGN_OR_RETURN(std::vector<FileEntry> entries,
                        storage.list(dir.empty() ? root : join_path(root, dir)));
  for (const FileEntry& e : entries) {
    if (e.name == "_delta_log" || is_hidden(e.name, partition_columns)) continue;
    std::string rel = dir.empty() ? e.name : dir + "/" + e.name;
    if (e.is_dir)
      SILT_TRY(walk(storage, root, rel, partition_columns, visit));
    else
      visit(rel, e);
  }
  return ok_status();
}

Status delete_files(Storage& storage, const std::string& root, const VacuumReport& report) {
  size_t deleted = 0;
  for (const std::string& rel : report.files) {
    Status st = storage.remove(join_path(root, rel));
    if (!st.ok() && st.error().kind() != ErrorKind::NotFound) {
      return st.error().with_context("vacuum stopped after deleting " + std::to_string(deleted) + " file(s)");
    }
    deleted++;
  }
  return ok_status();
}

}  // namespace

Result<VacuumReport> vacuum(Session& session, const std::string& table_path, const VacuumOptions& options) {
  SILT_ASSIGN_OR_RETURN(delta::Snapshot snapshot, session.snapshot(table_path, {}, {.with_stats = false}));
  SILT_TRY(delta::check_maintainable(snapshot.protocol()));
  SILT_ASSIGN_OR_RETURN(int64_t keep_ms, retention_ms(snapshot.metadata(), options));
  int64_t cutoff_ms = (options.now_ms ? options.now_ms : now_ms()) - keep_ms;
  SILT_ASSIGN_OR_RETURN(ReferencedFiles refs, referenced_files(snapshot, cutoff_ms));
  Storage* storage = &session.storage();
  VacuumReport report;
  report.dry_run = options.dry_run;
  const std::string& root = snapshot.table_root();
  SILT_TRY(walk(*storage, root, "", snapshot.metadata().partition_columns,
                [&](const std::string& rel, const FileEntry& e) {
                  if (refs.contains(rel) || e.modified_ms >= cutoff_ms) return;
                  report.files.push_back(rel);
                  report.bytes += e.size;
                }));
  std::sort(report.files.begin(), report.files.end());
  if (!options.dry_run) SILT_TRY(delete_files(*storage, root, report));
  return report;
}

}  // namespace silt::ops
