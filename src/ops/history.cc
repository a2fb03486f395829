// History: reads commitInfo from each commit file, newest first.
#include "ops/history.h"

#include "delta/log/action_parser.h"
#include "delta/snapshot/commit_timestamps.h"

namespace silt::ops {
namespace {

class CommitInfoSink final : public delta::ActionSink {
 public:
  std::optional<delta::CommitInfo> info;
  Status on_commit_info(delta::CommitInfo& c) override {
    info = std::move(c);
    return ok_status();
  }
};

}  // namespace

Result<std::vector<HistoryEntry>> table_history(Session& session, std::string_view table_path,
                                                std::optional<int64_t> limit) {
  SILT_ASSIGN_OR_RETURN(auto listing, session.list_log(table_path));
  SILT_ASSIGN_OR_RETURN(auto latest, session.snapshot(table_path));
  auto ict = delta::InCommitTimestampConfig::from(latest.metadata());
  std::vector<HistoryEntry> out;
  auto mtimes = delta::monotonic_mtimes(listing);
  delta::ActionParser parser;
  for (auto it = listing.commits.rbegin(); it != listing.commits.rend(); ++it) {
    if (limit && int64_t(out.size()) >= *limit) break;
    SILT_ASSIGN_OR_RETURN(std::string text, session.storage().read(it->path));
    CommitInfoSink sink;
    SILT_TRY(parser.parse_lines(text, it->path, sink));
    HistoryEntry e;
    e.version = it->version;
    e.timestamp_ms = mtimes[size_t(listing.commits.rend() - it) - 1];
    if (ict.enabled && e.version >= ict.enablement_version) {
      if (!sink.info || !sink.info->in_commit_timestamp) {
        return Error(ErrorKind::Corruption,
                     "commit " + std::to_string(e.version) + " lacks its inCommitTimestamp");
      }
      e.timestamp_ms = *sink.info->in_commit_timestamp;
    }
    if (sink.info) {
      e.operation = sink.info->operation.value_or("");
      e.commit_info_json = std::move(sink.info->raw_json);
    } else {
      e.commit_info_json = "{}";
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace silt::ops
