// CHANGES: a table's change data feed over a range of versions as one ordered SELECT, for
// `silt changes`. The feed itself is planned by scan/change_scan (Session::changes); this adds
// the order users see. Stateless.
#pragma once

#include <string>
#include <string_view>

#include "scan/session.h"

namespace silt::ops {

// SQL (already expanded: run it on session.connection() or through Session::run) whose rows are
// the feed of `range` (columns as in scan::ChangePlan), sorted by _commit_version, then
// _change_type, then the row's values, so that equal feeds print identically.
// Errors are those of Session::changes.
Result<std::string> changes_sql(Session& session, std::string_view path, const scan::ChangeRange& range);

}  // namespace silt::ops
