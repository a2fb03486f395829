// Commit path. See transaction.h.
#include "delta/txn/transaction.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "delta/log/action_parser.h"
#include "delta/log/action_writer.h"
#include "util/json_text.h"
#include "util/path.h"
#include "util/time.h"
#include "util/uuid.h"

namespace silt::delta {
namespace {

bool is_blind_append(const PendingCommit& p) {
  return !p.read.whole_table && !p.read.predicate && p.read.files.empty() && p.removed_files.empty();
}

// A commit whose file actions all have dataChange = false (OPTIMIZE) rearranges data without
// changing it; Delta records it at SnapshotIsolation.
bool rearranges_only(const std::vector<Action>& actions) {
  bool any_file = false;
  for (const Action& a : actions) {
    if (const auto* add = std::get_if<AddFile>(&a)) {
      if (add->data_change) return false;
      any_file = true;
    } else if (const auto* r = std::get_if<RemoveFile>(&a)) {
      if (r->data_change) return false;
      any_file = true;
    }
  }
  return any_file;
}

}  // namespace

std::string commit_file_path(const std::string& log_dir, int64_t version) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld.json", static_cast<long long>(version));
  return join_path(log_dir, name);
}

Transaction::Transaction(std::string table_root, int64_t read_version, StructType schema,
                         ColumnMappingMode mode)
    : table_root_(std::move(table_root)),
      read_version_(read_version),
      schema_(std::move(schema)),
      mode_(mode) {}

void Transaction::add_action(Action action) {
  if (const auto* r = std::get_if<RemoveFile>(&action)) {
    auto path = canonical_data_path(table_root_, r->path);
    pending_.removed_files.insert(path.ok() ? *path : r->path);
  }
  if (const auto* t = std::get_if<Txn>(&action)) pending_.app_id = t->app_id;
  if (std::holds_alternative<Metadata>(action) || std::holds_alternative<Protocol>(action)) {
    pending_.changes_metadata = true;
  }
  actions_.push_back(std::move(action));
}

void Transaction::set_operation(std::string operation, std::string parameters_json,
                                std::string metrics_json) {
  operation_ = std::move(operation);
  parameters_json_ = std::move(parameters_json);
  metrics_json_ = std::move(metrics_json);
}

std::string Transaction::commit_text_for() const {
  std::string info = "{\"timestamp\":" + std::to_string(now_ms()) +
                     ",\"operation\":" + json_quote(operation_) +
                     ",\"operationParameters\":" + parameters_json_;
  if (read_version_ >= 0) info += ",\"readVersion\":" + std::to_string(read_version_);
  info += ",\"isolationLevel\":";
  info += rearranges_only(actions_) ? "\"SnapshotIsolation\"" : "\"WriteSerializable\"";
  info += ",\"isBlindAppend\":";
  info += is_blind_append(pending_) ? "true" : "false";
  info += ",\"operationMetrics\":" + metrics_json_ +
          ",\"engineInfo\":\"silt/" SILT_VERSION "\",\"txnId\":\"" + random_uuid() + "\"}";
  std::vector<Action> all;
  all.reserve(actions_.size() + 1);
  CommitInfo ci;
  ci.raw_json = std::move(info);
  all.emplace_back(std::move(ci));
  all.insert(all.end(), actions_.begin(), actions_.end());
  return commit_text(all);
}

Result<std::vector<Action>> Transaction::read_commit(const Storage& storage, int64_t version) const {
  std::string path = commit_file_path(join_path(table_root_, "_delta_log"), version);
  SILT_ASSIGN_OR_RETURN(std::string text, storage.read(path));
  ActionParser parser;
  ActionCollector collector;
  SILT_TRY(parser.parse_lines(text, path, collector));
  return std::move(collector.actions);
}

Result<CommitResult> Transaction::commit(Storage& storage, const CommitOptions& options) {
  if (committed_) return Error(ErrorKind::Internal, "transaction already committed");
  std::string log_dir = join_path(table_root_, "_delta_log");
  std::mt19937_64 rng(std::random_device{}());
  int64_t version = read_version_ + 1;
  for (int attempt = 1; attempt <= options.max_attempts; attempt++) {
    Status st = storage.put_if_absent(commit_file_path(log_dir, version), commit_text_for());
    if (st.ok()) {
      committed_ = true;
      return CommitResult{version, attempt};
    }
    if (st.error().kind() != ErrorKind::Conflict) return st.error();
    if (read_version_ < 0) {
      return Error(ErrorKind::Conflict,
                   "another writer created the table at " + table_root_ + " concurrently");
    }
    // Someone else owns `version`: it must not invalidate what we read or wrote.
    SILT_ASSIGN_OR_RETURN(auto winner, read_commit(storage, version));
    SILT_TRY(check_conflicts(pending_, winner, version, table_root_, schema_, mode_));
    version++;
    int64_t cap = std::min<int64_t>(options.max_backoff_ms, 1 + attempt);
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, cap * 1000)(rng)));
  }
  return Error(ErrorKind::Conflict, "gave up committing to " + table_root_ + " after " +
                                        std::to_string(options.max_attempts) + " attempts");
}

}  // namespace silt::delta
