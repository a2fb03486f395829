// Per-commit change classification. See commit_changes.h.
#include "delta/cdf/commit_changes.h"

#include <algorithm>
#include <cctype>

#include "delta/log/action_parser.h"

namespace silt::delta {
namespace {

class ChangeSink final : public ActionSink {
 public:
  explicit ChangeSink(CommitChanges& out) : out_(out) {}
  Status on_add(AddFile& a) override {
    if (a.data_change) out_.added.push_back(std::move(a));
    return ok_status();
  }
  Status on_remove(RemoveFile& r) override {
    if (r.data_change) out_.removed.push_back(std::move(r));
    return ok_status();
  }
  Status on_cdc(AddCdcFile& c) override {
    out_.cdc.push_back(std::move(c));
    return ok_status();
  }
  Status on_metadata(Metadata& m) override {
    out_.metadata = std::move(m);
    return ok_status();
  }
  Status on_commit_info(CommitInfo& c) override {
    out_.commit_info = std::move(c);
    return ok_status();
  }

 private:
  CommitChanges& out_;
};

}  // namespace

bool change_data_feed_enabled(const Metadata& metadata) {
  auto it = metadata.configuration.find(kEnableChangeDataFeed);
  if (it == metadata.configuration.end()) return false;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true";
}

Result<CommitChanges> parse_commit_changes(const std::string& text, std::string_view source,
                                           int64_t version) {
  CommitChanges out;
  out.version = version;
  ChangeSink sink(out);
  ActionParser parser;
  parser.set_keep_stats(false);
  SILT_TRY(parser.parse_lines(text, source, sink));
  if (!out.cdc.empty()) {
    out.added.clear();
    out.removed.clear();
  }
  return out;
}

AddFile removed_file(const RemoveFile& remove) {
  AddFile f;
  f.path = remove.path;
  f.partition_values = remove.partition_values;
  f.size = remove.size.value_or(0);
  f.deletion_vector = remove.deletion_vector;
  return f;
}

}  // namespace silt::delta
