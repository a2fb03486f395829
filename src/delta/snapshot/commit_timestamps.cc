// Timestamp-based time travel. See commit_timestamps.h.
#include "delta/snapshot/commit_timestamps.h"

#include <algorithm>
#include <charconv>

#include "delta/log/action_parser.h"
#include "util/time.h"

namespace silt::delta {
namespace {

class CommitInfoSink final : public ActionSink {
 public:
  std::optional<CommitInfo> info;
  Status on_commit_info(CommitInfo& c) override {
    info = std::move(c);
    return ok_status();
  }
};

Result<int64_t> read_in_commit_timestamp(const Storage& storage, const CommitFile& commit) {
  SILT_ASSIGN_OR_RETURN(std::string text, storage.read(commit.path));
  ActionParser parser;
  CommitInfoSink sink;
  SILT_TRY(parser.parse_lines(text, commit.path, sink));
  if (!sink.info || !sink.info->in_commit_timestamp) {
    return Error(ErrorKind::Corruption, "commit " + std::to_string(commit.version) +
                                            " lacks the inCommitTimestamp the table requires");
  }
  return *sink.info->in_commit_timestamp;
}

const CommitFile* find_commit(const LogListing& listing, int64_t version) {
  auto it = std::lower_bound(listing.commits.begin(), listing.commits.end(), version,
                             [](const CommitFile& c, int64_t v) { return c.version < v; });
  return it != listing.commits.end() && it->version == version ? &*it : nullptr;
}

Error before_first(int64_t ts_ms, int64_t first_ms) {
  return Error(ErrorKind::InvalidArgument, "timestamp " + format_timestamp_ms(ts_ms) +
                                               " is before the earliest available commit (" +
                                               format_timestamp_ms(first_ms) + ")");
}

}  // namespace

std::vector<int64_t> monotonic_mtimes(const LogListing& listing) {
  std::vector<int64_t> out;
  out.reserve(listing.commits.size());
  for (const CommitFile& c : listing.commits) {
    int64_t t = c.modified_ms;
    if (!out.empty() && t <= out.back()) t = out.back() + 1;
    out.push_back(t);
  }
  return out;
}

InCommitTimestampConfig InCommitTimestampConfig::from(const Metadata& m) {
  InCommitTimestampConfig c;
  auto get = [&](const char* key) -> const std::string* {
    auto it = m.configuration.find(key);
    return it == m.configuration.end() ? nullptr : &it->second;
  };
  const std::string* enabled = get("delta.enableInCommitTimestamps");
  c.enabled = enabled && *enabled == "true";
  auto parse = [](const std::string* s) -> std::optional<int64_t> {
    int64_t v;
    if (!s || std::from_chars(s->data(), s->data() + s->size(), v).ec != std::errc()) return std::nullopt;
    return v;
  };
  c.enablement_version = parse(get("delta.inCommitTimestampEnablementVersion")).value_or(0);
  c.enablement_timestamp = parse(get("delta.inCommitTimestampEnablementTimestamp"));
  return c;
}

Result<int64_t> commit_timestamp(const LogListing& listing, const Storage& storage,
                                 const InCommitTimestampConfig& ict, int64_t version) {
  const CommitFile* commit = find_commit(listing, version);
  if (!commit) return Error(ErrorKind::NotFound, "no commit file for version " + std::to_string(version));
  if (ict.enabled && version >= ict.enablement_version) return read_in_commit_timestamp(storage, *commit);
  auto mtimes = monotonic_mtimes(listing);
  return mtimes[size_t(commit - listing.commits.data())];
}

Result<int64_t> version_at_timestamp(const LogListing& listing, const Storage& storage,
                                     const InCommitTimestampConfig& ict, int64_t ts_ms) {
  if (listing.commits.empty()) return Error(ErrorKind::NotFound, "the log holds no commit files");
  // Commits [lo, end) carry in-commit timestamps, which are monotonic: binary search them.
  auto ict_begin = listing.commits.end();
  if (ict.enabled) {
    ict_begin = std::lower_bound(listing.commits.begin(), listing.commits.end(), ict.enablement_version,
                                 [](const CommitFile& c, int64_t v) { return c.version < v; });
  }
  bool search_ict =
      ict_begin != listing.commits.end() && (ict_begin == listing.commits.begin() ||
                                             !ict.enablement_timestamp || ts_ms >= *ict.enablement_timestamp);
  if (search_ict) {
    size_t lo = size_t(ict_begin - listing.commits.begin()), hi = listing.commits.size();
    SILT_ASSIGN_OR_RETURN(int64_t first, read_in_commit_timestamp(storage, listing.commits[lo]));
    if (ts_ms < first) return before_first(ts_ms, first);
    // Invariant: ts(commits[lo]) <= ts_ms; answer in [lo, hi).
    while (hi - lo > 1) {
      size_t mid = lo + (hi - lo) / 2;
      SILT_ASSIGN_OR_RETURN(int64_t t, read_in_commit_timestamp(storage, listing.commits[mid]));
      if (t <= ts_ms)
        lo = mid;
      else
        hi = mid;
    }
    return listing.commits[lo].version;
  }
  auto mtimes = monotonic_mtimes(listing);
  size_t limit = size_t(ict_begin - listing.commits.begin());
  auto end = mtimes.begin() + limit;
  auto it = std::upper_bound(mtimes.begin(), end, ts_ms);
  if (it == mtimes.begin()) return before_first(ts_ms, mtimes.front());
  return listing.commits[size_t(it - mtimes.begin()) - 1].version;
}

}  // namespace silt::delta
