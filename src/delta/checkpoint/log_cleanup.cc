// Log retention. See log_cleanup.h.
#include "delta/checkpoint/log_cleanup.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "delta/snapshot/commit_timestamps.h"
#include "util/path.h"

namespace silt::delta {
namespace {

struct IntervalUnit {
  std::string_view name;  // singular
  int64_t micros;
};

constexpr std::array<IntervalUnit, 7> kUnits{{{"microsecond", 1},
                                              {"millisecond", 1'000},
                                              {"second", 1'000'000},
                                              {"minute", 60'000'000},
                                              {"hour", 3'600'000'000},
                                              {"day", 86'400'000'000},
                                              {"week", 604'800'000'000}}};

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

Result<int64_t> unit_micros(std::string_view word, std::string_view text) {
  std::string_view singular = word.ends_with('s') ? word.substr(0, word.size() - 1) : word;
  for (const IntervalUnit& u : kUnits) {
    if (u.name == singular) return u.micros;
  }
  if (singular == "month" || singular == "year") {
    return Error(
        ErrorKind::InvalidArgument,
        "interval '" + std::string(text) + "': months and years have no fixed length; use days or weeks");
  }
  return Error(ErrorKind::InvalidArgument,
               "interval '" + std::string(text) + "': unknown unit '" + std::string(word) + "'");
}

struct LogFileName {
  int64_t version = 0;
  bool compaction = false;  // <version>.<end>.compacted.json: `version` is its start
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The version of a log file cleanup may delete; nullopt for every other name (_last_checkpoint,
// temp files, directories such as _sidecars).
std::optional<LogFileName> cleanable_log_file(std::string_view name) {
  if (name.size() < 22 || !all_digits(name.substr(0, 20)) || name[20] != '.') return std::nullopt;
  LogFileName f;
  std::from_chars(name.data(), name.data() + 20, f.version);
  std::string_view rest = name.substr(21);
  if (rest == "json" || rest == "crc" || rest.starts_with("checkpoint.")) return f;
  f.compaction = rest.size() > 20 && all_digits(rest.substr(0, 20)) && rest.substr(20) == ".compacted.json";
  return f.compaction ? std::optional(f) : std::nullopt;
}

int64_t floor_to_utc_midnight(int64_t ms) {
  int64_t rem = ms % kMsPerDay;
  return ms - (rem < 0 ? rem + kMsPerDay : rem);
}

// Version of the cutoff checkpoint (see cleanup_expired_logs), if there is one.
std::optional<int64_t> cutoff_checkpoint_version(const LogListing& listing, int64_t cutoff_ms) {
  std::vector<int64_t> times = monotonic_mtimes(listing);
  std::optional<int64_t> cutoff_commit;
  for (size_t i = 0; i < times.size() && times[i] <= cutoff_ms; i++) {
    cutoff_commit = listing.commits[i].version;
  }
  if (!cutoff_commit) return std::nullopt;
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->version <= *cutoff_commit) return it->version;
  }
  return std::nullopt;
}

}  // namespace

Result<int64_t> parse_interval_ms(std::string_view text) {
  std::vector<std::string> words = lower_words(text);
  size_t i = !words.empty() && words[0] == "interval" ? 1 : 0;
  if (i == words.size() || (words.size() - i) % 2 != 0) {
    return Error(
        ErrorKind::InvalidArgument,
        "interval '" + std::string(text) + "': expected '<number> <unit>' pairs, e.g. 'interval 7 days'");
  }
  int64_t total = 0;
  for (; i < words.size(); i += 2) {
    const std::string& amount = words[i];
    int64_t n = 0;
    auto [end, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), n);
    if (ec != std::errc() || end != amount.data() + amount.size() || n < 0) {
      return Error(ErrorKind::InvalidArgument,
                   "interval '" + std::string(text) + "': '" + amount + "' is not a non-negative integer");
    }
    SILT_ASSIGN_OR_RETURN(int64_t micros, unit_micros(words[i + 1], text));
    int64_t part = 0;
    if (__builtin_mul_overflow(n, micros, &part) || __builtin_add_overflow(total, part, &total)) {
      return Error(ErrorKind::InvalidArgument, "interval '" + std::string(text) + "' is too long");
    }
  }
  return total / 1000;
}

Result<int64_t> table_duration_ms(const Metadata& metadata, std::string_view key, int64_t default_ms) {
  auto it = metadata.configuration.find(std::string(key));
  if (it == metadata.configuration.end()) return default_ms;
  auto ms = parse_interval_ms(it->second);
  if (!ms.ok()) return ms.error().with_context("table property " + std::string(key));
  return ms;
}

Result<size_t> cleanup_expired_logs(const LogListing& listing, Storage& storage, int64_t now_ms,
                                    int64_t retention_ms) {
  if (retention_ms < 0) {
    return Error(ErrorKind::InvalidArgument,
                 "log retention must not be negative: " + std::to_string(retention_ms));
  }
  std::optional<int64_t> keep_from =
      cutoff_checkpoint_version(listing, floor_to_utc_midnight(now_ms - retention_ms));
  if (!keep_from) return size_t{0};
  SILT_ASSIGN_OR_RETURN(std::vector<FileEntry> entries, storage.list(listing.log_dir));
  std::vector<std::pair<int64_t, std::string>> expired;  // (version, name): deleted oldest first
  for (const FileEntry& e : entries) {
    std::optional<LogFileName> f = e.is_dir ? std::nullopt : cleanable_log_file(e.name);
    if (f && (f->compaction ? f->version <= *keep_from : f->version < *keep_from)) {
      expired.emplace_back(f->version, e.name);
    }
  }
  std::sort(expired.begin(), expired.end());
  size_t deleted = 0;
  for (const auto& [version, name] : expired) {
    Status st = storage.remove(join_path(listing.log_dir, name));
    if (st.ok()) {
      deleted++;
    } else if (st.error().kind() != ErrorKind::NotFound) {  // NotFound: another cleaner was first
      return st.error().with_context("log cleanup");
    }
  }
  return deleted;
}

}  // namespace silt::delta
