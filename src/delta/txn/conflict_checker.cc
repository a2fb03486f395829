// Conflict rules. See conflict_checker.h.
#include "delta/txn/conflict_checker.h"

#include "delta/stats/file_stats.h"
#include "util/path.h"

namespace silt::delta {
namespace {

Error conflict(int64_t version, const std::string& why) {
  return Error(ErrorKind::Conflict, "concurrent commit at version " + std::to_string(version) + " " + why);
}

// Whether a winner add may hold rows our predicate read.
bool add_may_match(const AddFile& add, const Predicate& predicate, const StructType& schema,
                   ColumnMappingMode mode) {
  ColumnKinds kinds;
  Predicate bound;
  // Bind logical top-level columns to physical names; unknown columns make the check conservative.
  for (const auto& c : predicate.conjuncts) {
    const StructField* f = c.column.size() == 1 ? find_field(schema, c.column[0]) : nullptr;
    if (!f) continue;
    auto phys = physical_name(*f, mode);
    if (!phys.ok()) continue;
    ColumnPredicate b = c;
    b.column = {*phys};
    if (auto kind = stat_kind_for_delta_type(delta_type_name(f->type))) kinds[b.column] = *kind;
    bound.conjuncts.push_back(std::move(b));
  }
  if (bound.empty()) return true;
  SkippingFilter filter(bound, kinds);
  FileStats stats;
  if (!add.stats.empty()) {
    auto parsed = parse_file_stats(add.stats, filter.stats_columns());
    if (!parsed.ok()) return true;
    stats = std::move(*parsed);
  }
  return filter.may_match(stats, add.partition_values);
}

}  // namespace

Result<std::string> canonical_data_path(const std::string& table_root, const std::string& logged) {
  SILT_ASSIGN_OR_RETURN(std::string full, resolve_log_path(table_root, logged));
  std::string prefix = table_root + "/";
  if (full.starts_with(prefix)) full.erase(0, prefix.size());
  return full;
}

Status check_conflicts(const PendingCommit& pending, const std::vector<Action>& winner,
                       int64_t winner_version, const std::string& table_root, const StructType& schema,
                       ColumnMappingMode mode) {
  for (const Action& a : winner) {
    if (std::holds_alternative<Protocol>(a)) return conflict(winner_version, "changed the table protocol");
    if (std::holds_alternative<Metadata>(a))
      return conflict(winner_version, "changed the table metadata (schema or properties)");
    if (const auto* t = std::get_if<Txn>(&a); t && pending.app_id && t->app_id == *pending.app_id) {
      return conflict(winner_version, "committed for the same application id '" + t->app_id + "'");
    }
    if (const auto* r = std::get_if<RemoveFile>(&a)) {
      SILT_ASSIGN_OR_RETURN(std::string path, canonical_data_path(table_root, r->path));
      if (pending.removed_files.count(path)) return conflict(winner_version, "also removed " + path);
      if (!r->data_change) continue;
      if (pending.read.whole_table || pending.read.files.count(path)) {
        return conflict(winner_version, "removed " + path + ", which this transaction read");
      }
    }
    if (const auto* add = std::get_if<AddFile>(&a); add && add->data_change) {
      if (pending.read.whole_table)
        return conflict(winner_version, "added data to the table this transaction read");
      if (pending.read.predicate && add_may_match(*add, *pending.read.predicate, schema, mode)) {
        return conflict(winner_version,
                        "added data matching this transaction's predicate (" + add->path + ")");
      }
    }
  }
  return ok_status();
}

}  // namespace silt::delta
