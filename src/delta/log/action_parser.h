// Parses Delta actions from JSON (commit files, v2 JSON checkpoints, and checkpoint rows that
// DuckDB turned into JSON) into the typed actions of delta/model and hands each to a sink.
// The hot path of every snapshot: one reusable simdjson parser per ActionParser, no DOM.
// An ActionParser is used by one thread at a time.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "delta/model/actions.h"
#include "util/result.h"

namespace silt::delta {

// Receives parsed actions. Handlers may move from their argument. Unknown action types are
// ignored (the protocol asks readers to ignore what they don't know).
class ActionSink {
 public:
  virtual ~ActionSink() = default;
  virtual Status on_add(AddFile&) { return ok_status(); }
  virtual Status on_remove(RemoveFile&) { return ok_status(); }
  virtual Status on_cdc(AddCdcFile&) { return ok_status(); }
  virtual Status on_metadata(Metadata&) { return ok_status(); }
  virtual Status on_protocol(Protocol&) { return ok_status(); }
  virtual Status on_txn(Txn&) { return ok_status(); }
  virtual Status on_domain_metadata(DomainMetadata&) { return ok_status(); }
  virtual Status on_commit_info(CommitInfo&) { return ok_status(); }
  virtual Status on_sidecar(Sidecar&) { return ok_status(); }
  virtual Status on_checkpoint_metadata(CheckpointMetadata&) { return ok_status(); }
};

// Keeps every action, in order, for callers that look at a whole commit (conflict checks,
// parsing ahead of replay).
class ActionCollector final : public ActionSink {
 public:
  std::vector<Action> actions;
  Status on_add(AddFile& a) override { return push(a); }
  Status on_remove(RemoveFile& r) override { return push(r); }
  Status on_cdc(AddCdcFile& c) override { return push(c); }
  Status on_metadata(Metadata& m) override { return push(m); }
  Status on_protocol(Protocol& p) override { return push(p); }
  Status on_txn(Txn& t) override { return push(t); }
  Status on_domain_metadata(DomainMetadata& d) override { return push(d); }
  Status on_commit_info(CommitInfo& c) override { return push(c); }
  // Hands every action to `sink` in order, moving them out.
  Status replay_into(ActionSink& sink);

 private:
  template <class T>
  Status push(T& x) {
    actions.emplace_back(std::move(x));
    return ok_status();
  }
};

class ActionParser {
 public:
  // When false, add.stats is skipped unread (callers that never look at stats).
  void set_keep_stats(bool keep) { keep_stats_ = keep; }
  bool keep_stats() const { return keep_stats_; }

  // Parses newline-delimited actions. REQUIRES: `buf` has kReadPadding bytes of spare
  // capacity past its size (Storage::read guarantees it). `source` names the file in errors.
  Status parse_lines(const std::string& buf, std::string_view source, ActionSink& sink);
  // The same for the lines in [begin, end) of `buf`. REQUIRES: begin is 0 or just past a '\n';
  // end is buf.size() or just past a '\n'.
  Status parse_lines(const std::string& buf, size_t begin, size_t end, std::string_view source,
                     ActionSink& sink);
  // Parses one action object of a known type ("add", "remove", ...), given as JSON text
  // without padding (it is copied into an internal padded buffer).
  Status parse_one(std::string_view type, std::string_view json, std::string_view source, ActionSink& sink);
  // Parses the JSON of one nested add field ("partitionValues", "deletionVector" or "tags")
  // into `add`; for checkpoint rows whose scalar fields are read as columns.
  Status parse_add_field(std::string_view field, std::string_view json, AddFile& add);

 private:
  Status dispatch(std::string_view type, simdjson::ondemand::value value, ActionSink& sink);
  // Iterates `json` (copied into scratch_ with padding) and hands its root value to fn.
  template <class Fn>
  Status with_value(std::string_view json, Fn&& fn);
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::parser nested_parser_;  // commitInfo is walked twice: raw text, then fields
  std::string scratch_;
  bool keep_stats_ = true;
  AddFile add_;  // reused across actions to avoid reallocating its strings
};

}  // namespace silt::delta
