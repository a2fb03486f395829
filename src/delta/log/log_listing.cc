// Classifies _delta_log file names and picks the checkpoint + commits for a version.
#include "delta/log/log_listing.h"

#include <algorithm>
#include <cctype>

#include "util/path.h"

namespace silt::delta {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t parse_version(std::string_view digits) {
  int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

struct PartSet {
  int64_t total = 0;
  std::map<int64_t, std::string> parts;
};

}  // namespace

Result<LogListing> LogListing::list(const Storage& storage, const std::string& table_root) {
  LogListing out;
  out.table_root = table_root;
  out.log_dir = join_path(table_root, "_delta_log");
  auto entries = storage.list(out.log_dir);
  if (!entries.ok()) {
    if (entries.error().kind() == ErrorKind::NotFound) {
      auto root = storage.stat(table_root);
      if (!root.ok()) return Error(ErrorKind::NotFound, "no such table path: " + table_root);
      return Error(ErrorKind::NotFound, "not a Delta table (no _delta_log): " + table_root);
    }
    return entries.error();
  }
  // (version, total parts) -> parts seen, for multi-part checkpoints.
  std::map<std::pair<int64_t, int64_t>, PartSet> multipart;
  for (const FileEntry& e : *entries) {
    std::string_view name = e.name;
    if (name.size() < 21 || !all_digits(name.substr(0, 20)) || name[20] != '.') continue;
    int64_t version = parse_version(name.substr(0, 20));
    std::string_view rest = name.substr(21);
    std::string full = join_path(out.log_dir, name);
    if (rest == "json") {
      out.commits.push_back({version, std::move(full), e.size, e.modified_ms});
    } else if (rest == "checkpoint.parquet") {
      out.checkpoints.push_back({version, CheckpointKind::Classic, {std::move(full)}});
    } else if (rest.substr(0, 11) == "checkpoint.") {
      std::string_view tail = rest.substr(11);
      // multi-part: PPPPPPPPPP.TTTTTTTTTT.parquet; v2: <uuid>.json or <uuid>.parquet
      if (tail.size() == 29 && all_digits(tail.substr(0, 10)) && tail[10] == '.' &&
          all_digits(tail.substr(11, 10)) && tail.substr(21) == ".parquet") {
        int64_t part = parse_version(tail.substr(0, 10));
        int64_t total = parse_version(tail.substr(11, 10));
        auto& set = multipart[{version, total}];
        set.total = total;
        set.parts[part] = std::move(full);
      } else if (tail.size() > 5 && (tail.ends_with(".json") || tail.ends_with(".parquet"))) {
        out.checkpoints.push_back({version, CheckpointKind::V2, {std::move(full)}});
      }
    }
  }
  for (auto& [key, set] : multipart) {
    bool complete = set.total > 0 && int64_t(set.parts.size()) == set.total &&
                    set.parts.begin()->first == 1 && set.parts.rbegin()->first == set.total;
    if (!complete) continue;  // a partly written checkpoint is ignored, as the protocol allows
    Checkpoint cp{key.first, CheckpointKind::MultiPart, {}};
    for (auto& [_, p] : set.parts) cp.parts.push_back(std::move(p));
    out.checkpoints.push_back(std::move(cp));
  }
  std::sort(out.commits.begin(), out.commits.end(),
            [](const CommitFile& a, const CommitFile& b) { return a.version < b.version; });
  std::stable_sort(out.checkpoints.begin(), out.checkpoints.end(),
                   [](const Checkpoint& a, const Checkpoint& b) { return a.version < b.version; });
  if (out.commits.empty() && out.checkpoints.empty()) {
    return Error(ErrorKind::NotFound, "not a Delta table (empty _delta_log): " + table_root);
  }
  return out;
}

int64_t LogListing::latest_version() const {
  int64_t v = -1;
  if (!commits.empty()) v = commits.back().version;
  if (!checkpoints.empty()) v = std::max(v, checkpoints.back().version);
  return v;
}

int64_t LogListing::earliest_reconstructable_version() const {
  int64_t earliest = latest_version();
  if (!commits.empty() && commits.front().version == 0) earliest = 0;
  for (const Checkpoint& cp : checkpoints) earliest = std::min(earliest, cp.version);
  return earliest;
}

Result<LogSegment> LogSegment::make(const LogListing& listing, std::optional<int64_t> version) {
  int64_t latest = listing.latest_version();
  int64_t target = version.value_or(latest);
  int64_t earliest = listing.earliest_reconstructable_version();
  if (target > latest) {
    return Error(ErrorKind::InvalidArgument, "version " + std::to_string(target) +
                                                 " does not exist: the latest version is " +
                                                 std::to_string(latest));
  }
  if (target < earliest) {
    return Error(ErrorKind::InvalidArgument,
                 "version " + std::to_string(target) +
                     " cannot be reconstructed: the earliest available version is " +
                     std::to_string(earliest));
  }
  LogSegment seg;
  seg.version = target;
  // Prefer the newest checkpoint at or below the target; of several at one version, the first
  // listed kind wins (all are complete and equivalent by the protocol).
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->version <= target) {
      seg.checkpoint = *it;
      break;
    }
  }
  int64_t next = seg.checkpoint ? seg.checkpoint->version + 1 : 0;
  auto it = std::lower_bound(listing.commits.begin(), listing.commits.end(), next,
                             [](const CommitFile& c, int64_t v) { return c.version < v; });
  for (; it != listing.commits.end() && it->version <= target; ++it) {
    if (it->version != next) {
      return Error(ErrorKind::Corruption,
                   "the Delta log is missing version " + std::to_string(next) + " in " + listing.log_dir);
    }
    seg.commits.push_back(*it);
    next++;
  }
  if (next != target + 1) {
    return Error(ErrorKind::Corruption,
                 "the Delta log is missing version " + std::to_string(next) + " in " + listing.log_dir);
  }
  return seg;
}

}  // namespace silt::delta
