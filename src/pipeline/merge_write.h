// Upserts by key (asset mode "merge"). MERGE itself is built in ops/merge.h on another branch;
// this one function is where it will be wired. Until then every call is refused.
#pragma once

#include <string>
#include <vector>

#include "ops/write.h"

namespace silt::pipeline {

// Upserts the rows of `source_sql` into the table at `path` by `keys` (inserting them all when
// there is no table yet). Today: Unsupported, naming the table.
Result<ops::WriteResult> merge_rows(Session& session, const std::string& path, const std::string& source_sql,
                                    const std::vector<std::string>& keys, const ops::WriteOptions& options);

}  // namespace silt::pipeline
