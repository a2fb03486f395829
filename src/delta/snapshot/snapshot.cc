// Log replay. Files are keyed by their canonical path (relative to the table root, URL-decoded)
// so that the same file written as "a%20b", "a b" or an absolute file:// URI reconciles as one.
// The index maps a 64-bit hash of the key to the file's slot; a hash match is confirmed by
// comparing keys, so colliding paths simply probe on. No key strings are stored: replay
// allocates only what the snapshot keeps.
#include "delta/snapshot/snapshot.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "delta/log/action_parser.h"
#include "delta/log/checkpoint_reader.h"
#include "delta/model/table_features.h"
#include "util/path.h"
#include "util/sql_text.h"

namespace silt::delta {
namespace {

// Open-addressing map from a 64-bit key hash to a slot, linear probing in one flat array:
// replay does one lookup per action, and chained buckets cost a cache miss per node.
class HashSlotMap {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  // Calls `match(slot)` for each slot stored under `hash` until it returns true.
  template <class Match>
  std::optional<uint32_t> find(uint64_t hash, Match&& match) const {
    if (entries_.empty()) return std::nullopt;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kEmpty) return std::nullopt;
      if (e.hash == hash && match(e.slot)) return e.slot;
    }
  }
  void insert(uint64_t hash, uint32_t slot) {
    if ((size_ + 1) * 2 > entries_.size()) grow();
    size_t i = hash & mask_;
    while (entries_[i].slot != kEmpty) i = (i + 1) & mask_;
    entries_[i] = {hash, slot};
    size_++;
  }
  // Removes the entry holding `slot` under `hash` (backward-shift deletion keeps probes short).
  void erase(uint64_t hash, uint32_t slot) {
    if (entries_.empty()) return;
    size_t i = hash & mask_;
    while (entries_[i].slot != slot) {
      if (entries_[i].slot == kEmpty) return;
      i = (i + 1) & mask_;
    }
    for (size_t j = (i + 1) & mask_; entries_[j].slot != kEmpty; j = (j + 1) & mask_) {
      size_t home = entries_[j].hash & mask_;
      // Move j back into the hole at i if its home is not in (i, j].
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        entries_[i] = entries_[j];
        i = j;
      }
    }
    entries_[i].slot = kEmpty;
    size_--;
  }

 private:
  struct Entry {
    uint64_t hash = 0;
    uint32_t slot = kEmpty;
  };
  void grow() {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(old.empty() ? 1024 : old.size() * 2, Entry{});
    mask_ = entries_.size() - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.slot != kEmpty) insert(e.hash, e.slot);
    }
  }
  std::vector<Entry> entries_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace

class Replay final : public ActionSink {
 public:
  explicit Replay(Snapshot& snap) : snap_(snap), root_prefix_(snap.table_root_ + "/") {}

  // Commit boundary: commitInfo is kept only for the snapshot's own version.
  Replay(Snapshot& snap, bool with_stats) : Replay(snap) { with_stats_ = with_stats; }
  void begin_checkpoint() { in_checkpoint_ = true; }
  // Room for about `n` more adds, so that the file vector never moves 300k entries to grow.
  // Reserved but untouched memory costs nothing.
  void reserve(size_t n) {
    files_.reserve(files_.size() + n);
    dead_.reserve(files_.size() + n);
  }
  void begin_commit(bool is_last) {
    in_checkpoint_ = false;
    is_last_commit_ = is_last;
  }

  Status on_add(AddFile& a) override {
    if (!with_stats_) a.stats.clear();
    if (in_checkpoint_) {
      // A checkpoint is already reconciled: its adds are unique and need no index. Commits
      // after it are matched against them once, in finish().
      files_.push_back(std::move(a));
      dead_.push_back(false);
      checkpoint_files_ = files_.size();
      return ok_status();
    }
    SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(a.path, scratch_));
    uint32_t slot = uint32_t(files_.size());
    std::optional<uint32_t> old = find(key);
    if (old) {
      dead_[*old] = true;
      erase(key, *old);
    }
    insert(key, slot);  // before the move: key may view a.path
    files_.push_back(std::move(a));
    dead_.push_back(false);
    return ok_status();
  }

  Status on_remove(RemoveFile& r) override {
    if (!in_checkpoint_) {
      SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(r.path, scratch_));
      std::optional<uint32_t> slot = find(key);
      if (slot && same_dv(files_[*slot].deletion_vector, r.deletion_vector)) {
        dead_[*slot] = true;
        erase(key, *slot);
      }
      commit_removes_++;
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
    SILT_TRY(retire_checkpoint_files());
    // Tombstones later re-added are not tombstones (the add/remove key sets are disjoint).
    // Only adds from commits can re-add: checkpoint adds predate every tombstone.
    std::string scratch;
    std::erase_if(snap_.tombstones_, [&](const RemoveFile& r) {
      auto key = canonical(r.path, scratch);
      if (!key.ok()) return false;
      auto slot = find(*key);
      return slot && same_dv(files_[*slot].deletion_vector, r.deletion_vector);
    });
    size_t out = 0;
    for (size_t i = 0; i < files_.size(); i++) {
      if (dead_[i]) continue;
      if (out != i) files_[out] = std::move(files_[i]);
      out++;
    }
    files_.resize(out);
    snap_.files_ = std::move(files_);
    return ok_status();
  }

 private:
  // Marks checkpoint files that commits after the checkpoint replaced (any add of the same
  // path) or removed (a remove of the same path and DV).
  Status retire_checkpoint_files() {
    if (checkpoint_files_ == 0 || (checkpoint_files_ == files_.size() && commit_removes_ == 0))
      return ok_status();
    std::string scratch;
    std::unordered_set<std::string> added, removed;  // canonical path; path + '\n' + DV id
    for (size_t i = checkpoint_files_; i < files_.size(); i++) {
      SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(files_[i].path, scratch));
      added.emplace(key);
    }
    const auto& tomb = snap_.tombstones_;
    for (size_t i = tomb.size() - commit_removes_; i < tomb.size(); i++) {
      SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(tomb[i].path, scratch));
      removed.insert(std::string(key) + "\n" + dv_id(tomb[i].deletion_vector));
    }
    for (size_t i = 0; i < checkpoint_files_; i++) {
      SILT_ASSIGN_OR_RETURN(std::string_view key, canonical(files_[i].path, scratch));
      std::string k(key);
      if (added.count(k) || removed.count(k + "\n" + dv_id(files_[i].deletion_vector))) dead_[i] = true;
    }
    return ok_status();
  }

  static std::string dv_id(const std::optional<DeletionVectorDescriptor>& dv) {
    return dv ? dv->unique_id() : std::string();
  }

  static bool same_dv(const std::optional<DeletionVectorDescriptor>& a,
                      const std::optional<DeletionVectorDescriptor>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->storage_type == b->storage_type && a->path_or_inline_dv == b->path_or_inline_dv &&
                  a->offset == b->offset);
  }

  // The canonical key of a logged path: a view of `raw` when it is already canonical,
  // otherwise a view of `scratch`.
  Result<std::string_view> canonical(const std::string& raw, std::string& scratch) const {
    bool plain = raw.find_first_of("%:") == std::string::npos && (raw.empty() || raw[0] != '/');
    if (plain) return std::string_view(raw);
    SILT_ASSIGN_OR_RETURN(scratch, resolve_log_path(snap_.table_root_, raw));
    if (std::string_view(scratch).starts_with(root_prefix_)) scratch.erase(0, root_prefix_.size());
    return std::string_view(scratch);
  }

  std::string key_of(uint32_t slot) const {
    std::string scratch;
    auto key = canonical(files_[slot].path, scratch);
    return key.ok() ? std::string(*key) : files_[slot].path;
  }

  bool key_matches(uint32_t slot, std::string_view key) const {
    const std::string& path = files_[slot].path;
    return path == key || key_of(slot) == key;
  }

  static uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }

  std::optional<uint32_t> find(std::string_view key) const {
    return index_.find(hash_of(key), [&](uint32_t slot) { return key_matches(slot, key); });
  }

  void insert(std::string_view key, uint32_t slot) { index_.insert(hash_of(key), slot); }

  // REQUIRES: find(key) == slot.
  void erase(std::string_view key, uint32_t slot) { index_.erase(hash_of(key), slot); }

  Snapshot& snap_;
  std::string root_prefix_;
  std::vector<AddFile> files_;  // every add seen, in log order; dead_ marks replaced/removed ones
  std::vector<bool> dead_;
  HashSlotMap index_;
  std::string scratch_;
  bool have_metadata_ = false;
  bool have_protocol_ = false;
  bool is_last_commit_ = false;
  bool in_checkpoint_ = false;
  bool with_stats_ = true;
  size_t checkpoint_files_ = 0;  // files_[0, checkpoint_files_) came from the checkpoint
  size_t commit_removes_ = 0;    // the last commit_removes_ tombstones came from commits
};

namespace {

// Runs fn(i) for i in [0, n) on up to `threads` threads, this one included.
template <class Fn>
void parallel_for(size_t n, unsigned threads, Fn&& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads && t < n; t++) workers.emplace_back(work);
  work();
  for (auto& w : workers) w.join();
}

// Parses the commits on up to `threads` threads, then replays them in version order. Large
// commit files are cut at line boundaries into chunks parsed independently, so one bulk
// commit keeps every core busy too. Parsing dominates replay, so this is where cores pay off.
Status replay_commits_parallel(const std::vector<CommitFile>& commits, const Storage& storage,
                               bool keep_stats, unsigned threads, Replay& replay) {
  constexpr size_t kChunkBytes = 2u << 20;
  std::vector<Result<std::string>> texts(commits.size(), Error(ErrorKind::Internal, "not read"));
  parallel_for(commits.size(), threads, [&](size_t i) { texts[i] = storage.read(commits[i].path); });
  struct Chunk {
    size_t commit, begin, end;
  };
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < commits.size(); i++) {
    if (!texts[i].ok()) return texts[i].error();
    const std::string& text = *texts[i];
    for (size_t begin = 0; begin < text.size() || begin == 0;) {
      size_t end = begin + kChunkBytes >= text.size() ? text.size() : text.find('\n', begin + kChunkBytes);
      end = end == std::string::npos ? text.size() : std::min(end + 1, text.size());
      chunks.push_back({i, begin, end});
      if (end >= text.size()) break;
      begin = end;
    }
  }
  // Workers parse chunks in order of an atomic counter; this thread replays chunks in order as
  // they complete, and parses the next unclaimed chunk itself whenever it would wait.
  std::vector<ActionCollector> buffers(chunks.size());
  std::vector<Status> results(chunks.size());
  std::vector<char> done(chunks.size(), 0);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  auto parse_one = [&](ActionParser& parser) {
    size_t c = next++;
    if (c >= chunks.size()) return false;
    const Chunk& k = chunks[c];
    buffers[c].actions.reserve((k.end - k.begin) / 200);  // an action line is rarely shorter
    results[c] = parser.parse_lines(*texts[k.commit], k.begin, k.end, commits[k.commit].path, buffers[c]);
    {
      std::lock_guard<std::mutex> lock(mu);
      done[c] = 1;
    }
    cv.notify_all();
    return true;
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads && t < chunks.size(); t++) {
    workers.emplace_back([&] {
      ActionParser parser;
      parser.set_keep_stats(keep_stats);
      while (parse_one(parser)) {
      }
    });
  }
  ActionParser parser;
  parser.set_keep_stats(keep_stats);
  Status status;
  for (size_t c = 0; c < chunks.size() && status.ok(); c++) {
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (done[c]) break;
      }
      if (!parse_one(parser)) {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done[c] != 0; });
        break;
      }
    }
    status = results[c];
    if (!status.ok()) break;
    if (c == 0 || chunks[c].commit != chunks[c - 1].commit) {
      replay.begin_commit(chunks[c].commit + 1 == commits.size());
    }
    status = buffers[c].replay_into(replay);
  }
  next = chunks.size();  // on error, stop handing out work
  for (auto& w : workers) w.join();
  return status;
}

// Rows in a checkpoint's parquet files (from their footers): a bound on its adds.
size_t checkpoint_row_bound(const Checkpoint& cp, db::Connection& conn) {
  if (cp.kind == CheckpointKind::V2) return 0;  // adds live in sidecars
  auto rows =
      conn.scalar("SELECT sum(num_rows) FROM parquet_file_metadata(" + string_list_literal(cp.parts) + ")");
  if (!rows.ok() || !*rows) return 0;
  return size_t(std::strtoull((*rows)->c_str(), nullptr, 10));
}

}  // namespace

Result<Snapshot> Snapshot::load(const LogListing& listing, const Storage& storage, db::Connection& conn,
                                std::optional<int64_t> version, const SnapshotOptions& options) {
  SILT_ASSIGN_OR_RETURN(LogSegment segment, LogSegment::make(listing, version));
  Snapshot snap;
  snap.version_ = segment.version;
  snap.table_root_ = listing.table_root;
  snap.checkpoint_ = segment.checkpoint;
  Replay replay(snap, options.with_stats);
  ActionParser parser;
  parser.set_keep_stats(options.with_stats);
  if (segment.checkpoint) {
    replay.begin_checkpoint();
    replay.reserve(checkpoint_row_bound(*segment.checkpoint, conn));
    SILT_TRY(read_checkpoint(*segment.checkpoint, listing.log_dir, storage, conn, parser, replay));
  }
  // An add line is rarely under 100 bytes: this bounds the adds the commits can hold.
  size_t commit_bytes = 0;
  for (const CommitFile& c : segment.commits) commit_bytes += size_t(c.size);
  replay.reserve(commit_bytes / 100);
  unsigned threads = std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()), 8);
  if (threads > 1 && segment.commits.size() > 1 && commit_bytes > (1u << 20)) {
    SILT_TRY(replay_commits_parallel(segment.commits, storage, options.with_stats, threads, replay));
  } else {
    for (size_t i = 0; i < segment.commits.size(); i++) {
      const CommitFile& commit = segment.commits[i];
      replay.begin_commit(i + 1 == segment.commits.size());
      SILT_ASSIGN_OR_RETURN(std::string text, storage.read(commit.path));
      SILT_TRY(parser.parse_lines(text, commit.path, replay));
    }
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
