// A Transaction collects the actions of one commit and publishes them as the next version
// with put-if-absent, so two writers can never both own a version. On losing the race it
// reads each winning commit, asks the ConflictChecker whether its own commit is still valid,
// and if so retries at the next version (bounded attempts, jittered backoff). Data files must
// be written before commit() is called. One Transaction per thread; it is single-use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delta/model/actions.h"
#include "delta/txn/conflict_checker.h"
#include "util/storage.h"

namespace silt::delta {

struct CommitOptions {
  int max_attempts = 10000;     // each attempt moves at least one version forward
  int64_t max_backoff_ms = 50;  // jitter between attempts, so racing writers spread out
};

struct CommitResult {
  int64_t version = -1;
  int attempts = 0;
};

class Transaction {
 public:
  // `read_version` is the snapshot version the transaction read (-1 for a new table).
  Transaction(std::string table_root, int64_t read_version, StructType schema, ColumnMappingMode mode);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void add_action(Action action);
  PendingCommit& pending() { return pending_; }
  // commitInfo fields: operation ("WRITE", "CREATE TABLE", ...), and JSON objects for its
  // parameters and metrics (string values, as Spark writes them).
  void set_operation(std::string operation, std::string parameters_json, std::string metrics_json);

  // Publishes the commit. Conflict (naming the winning version) when a concurrent commit
  // invalidates it; the table is then unchanged by this transaction.
  Result<CommitResult> commit(Storage& storage, const CommitOptions& options = {});

 private:
  std::string commit_text_for() const;
  Result<std::vector<Action>> read_commit(const Storage& storage, int64_t version) const;

  std::string table_root_;
  int64_t read_version_;
  StructType schema_;
  ColumnMappingMode mode_;
  std::vector<Action> actions_;
  PendingCommit pending_;
  std::string operation_ = "WRITE";
  std::string parameters_json_ = "{}";
  std::string metrics_json_ = "{}";
  bool committed_ = false;
};

// Path of the commit file for `version` under `log_dir`.
std::string commit_file_path(const std::string& log_dir, int64_t version);

}  // namespace silt::delta
