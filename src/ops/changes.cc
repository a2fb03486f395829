// Ordered change feed. See changes.h.
#include "ops/changes.h"

namespace silt::ops {

Result<std::string> changes_sql(Session& session, std::string_view path, const scan::ChangeRange& range) {
  SILT_ASSIGN_OR_RETURN(auto plan, session.changes(path, range));
  // `c` as a value is the whole row as a struct: a total order over any column types.
  return "SELECT c.* FROM " + plan.sql + " AS c ORDER BY c._commit_version, c._change_type, c";
}

}  // namespace silt::ops
