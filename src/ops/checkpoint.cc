// Checkpoint and log cleanup orchestration. See checkpoint.h.
#include "ops/checkpoint.h"

#include <charconv>

#include "delta/checkpoint/log_cleanup.h"
#include "util/time.h"

namespace silt::ops {

bool checkpoint_due(const delta::Metadata& metadata, int64_t version) {
  int64_t interval = 10;
  if (auto it = metadata.configuration.find("delta.checkpointInterval"); it != metadata.configuration.end()) {
    int64_t v;
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec == std::errc() && v > 0) interval = v;
  }
  return version > 0 && version % interval == 0;
}

Result<CheckpointReport> checkpoint_table(Session& session, const std::string& table_path,
                                          std::optional<int64_t> version) {
  SILT_ASSIGN_OR_RETURN(auto listing, session.list_log(table_path));
  SILT_ASSIGN_OR_RETURN(auto snap,
                        delta::Snapshot::load(listing, session.storage(), session.connection(), version));
  CheckpointReport report;
  SILT_ASSIGN_OR_RETURN(report.summary,
                        delta::write_checkpoint(snap, session.storage(), session.connection()));
  const auto& config = snap.metadata().configuration;
  auto cleanup = config.find("delta.enableExpiredLogCleanup");
  if (cleanup != config.end() && cleanup->second == "false") return report;
  SILT_ASSIGN_OR_RETURN(int64_t retention, delta::table_duration_ms(snap.metadata(), delta::kLogRetentionKey,
                                                                    delta::kDefaultLogRetentionMs));
  SILT_ASSIGN_OR_RETURN(auto fresh, session.list_log(table_path));  // now holding the new checkpoint
  SILT_ASSIGN_OR_RETURN(report.log_files_deleted,
                        delta::cleanup_expired_logs(fresh, session.storage(), now_ms(), retention));
  return report;
}

}  // namespace silt::ops
