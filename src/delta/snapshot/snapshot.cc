// Log replay. Files are keyed by their canonical path (relative to the table root, URL-decoded)
// so that the same file written as "a%20b", "a b" or an absolute file:// URI reconciles as one.
// Live entries live in a deque (stable addresses) and the index keys are views into them, so
// replay allocates once per action at most.
#include "delta/snapshot/snapshot.h"

#include <deque>
#include <string_view>
#include <unordered_map>

#include "delta/log/action_parser.h"
#include "delta/log/checkpoint_reader.h"
#include "delta/model/table_features.h"
#include "util/path.h"

namespace silt::delta {

class Replay final : public ActionSink {
 public:
  explicit Replay(Snapshot& snap) : snap_(snap), root_prefix_(snap.table_root_ + "/") {}

  // Commit boundary: commitInfo is kept only for the snapshot's own version.
  void begin_commit(bool is_last) {
    is_last_commit_ = is_last;
  }

  Status on_add(AddFile& a) override {
    SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(a.path));
    LiveFile& entry = live_.emplace_back();
    entry.add = std::move(a);
    entry.dv_id = entry.add.deletion_vector ? entry.add.deletion_vector->unique_id() : std::string();
    if (key.data() == scratch_.data()) key = keys_.emplace_back(scratch_);
    else key = entry.add.path;
    auto [it, inserted] = index_.try_emplace(key, &entry);
    if (!inserted) {
      it->second->dead = true;
      // Re-key to the new entry's storage: the old entry's string must not back the key.
      index_.erase(it);
      index_.emplace(key, &entry);
    }
    return ok_status();
  }

  Status on_remove(RemoveFile& r) override {
    SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(r.path));
    auto it = index_.find(key);
    std::string dv_id = r.deletion_vector ? r.deletion_vector->unique_id() : std::string();
    if (it != index_.end() && it->second->dv_id == dv_id) {
      it->second->dead = true;
      index_.erase(it);
    }
    snap_.tombstones_.push_back(std::move(r));
    return ok_status();
  }

  Status on_metadata(Metadata& m) override {
    snap_.metadata_ = std::move(m);
    have_metadata_ = true;
    return ok_status();
  }

  Status on_protocol(Protocol& p) override {
    snap_.protocol_ = std::move(p);
    have_protocol_ = true;
    return ok_status();
  }

  Status on_txn(Txn& t) override {
    snap_.txns_[t.app_id] = std::move(t);
    return ok_status();
  }

  Status on_domain_metadata(DomainMetadata& d) override {
    if (d.removed) {
      snap_.domains_.erase(d.domain);
    } else {
      snap_.domains_[d.domain] = std::move(d);
    }
    return ok_status();
  }

  Status on_commit_info(CommitInfo& c) override {
    if (is_last_commit_) snap_.commit_info_ = std::move(c);
    return ok_status();
  }

  Status finish() {
    if (!have_protocol_) return Error(ErrorKind::Corruption, "no protocol action found in the Delta log");
    if (!have_metadata_) return Error(ErrorKind::Corruption, "no metaData action found in the Delta log");
    SILT_TRY(check_readable(snap_.protocol_));
    snap_.files_.reserve(index_.size());
    for (LiveFile& f : live_) {
      if (!f.dead) snap_.files_.push_back(std::move(f.add));
    }
    // Tombstones later re-added are not tombstones (the add/remove key sets are disjoint).
    std::erase_if(snap_.tombstones_, [&](const RemoveFile& r) {
      auto key = canonical(r.path);
      if (!key.ok()) return false;
      auto it = index_.find(*key);
      return it != index_.end() &&
             it->second->dv_id == (r.deletion_vector ? r.deletion_vector->unique_id() : std::string());
    });
    return ok_status();
  }

 private:
  struct LiveFile {
    AddFile add;
    std::string dv_id;
    bool dead = false;
  };

  // The canonical key of a logged path: a view of `raw` when it is already canonical,
  // otherwise a view of scratch_.
  Result<std::string_view> canonical(const std::string& raw) {
    bool plain = raw.find_first_of("%:") == std::string::npos && (raw.empty() || raw[0] != '/');
    if (plain) return std::string_view(raw);
    SILT_ASSIGN_OR_RETURN(scratch_, resolve_log_path(snap_.table_root_, raw));
    std::string_view s = scratch_;
    if (s.starts_with(root_prefix_)) s.remove_prefix(root_prefix_.size());
    scratch_.erase(0, scratch_.size() - s.size());
    return std::string_view(scratch_);
  }

  Snapshot& snap_;
  std::string root_prefix_;
  std::deque<LiveFile> live_;
  std::deque<std::string> keys_;  // canonical keys that differ from the logged path
  std::unordered_map<std::string_view, LiveFile*> index_;
  std::string scratch_;
  bool have_metadata_ = false;
  bool have_protocol_ = false;
  bool is_last_commit_ = false;
};

Result<Snapshot> Snapshot::load(const LogListing& listing, const Storage& storage, db::Connection& conn,
                                std::optional<int64_t> version) {
  SILT_ASSIGN_OR_RETURN(LogSegment segment, LogSegment::make(listing, version));
  Snapshot snap;
  snap.version_ = segment.version;
  snap.table_root_ = listing.table_root;
  snap.checkpoint_ = segment.checkpoint;
  Replay replay(snap);
  ActionParser parser;
  if (segment.checkpoint) {
    SILT_TRY(read_checkpoint(*segment.checkpoint, listing.log_dir, storage, conn, parser, replay));
  }
  for (size_t i = 0; i < segment.commits.size(); i++) {
    const CommitFile& commit = segment.commits[i];
    replay.begin_commit(i + 1 == segment.commits.size());
    SILT_ASSIGN_OR_RETURN(std::string text, storage.read(commit.path));
    SILT_TRY(parser.parse_lines(text, commit.path, replay));
  }
  SILT_TRY(replay.finish());
  return snap;
}

int64_t Snapshot::total_size() const {
  int64_t total = 0;
  for (const AddFile& f : files_) total += f.size;
  return total;
}

}  // namespace silt::delta
