// Upserts by key (asset mode "merge"), through ops/merge.h: one MERGE commit that updates the
// rows whose keys exist and inserts the others.
#pragma once

#include <string>
#include <vector>

#include "ops/write.h"

namespace silt::pipeline {

// Upserts the rows of `source_sql` into the table at `path` by `keys`: WHEN MATCHED UPDATE SET *,
// WHEN NOT MATCHED INSERT *. With no table yet, the rows are written as a new table. With
// schema mode merge, source columns the table lacks are first added by a metadata-only commit
// (so such a run makes two commits). options.app_id/app_version make it idempotent; rows in the
// result count inserted plus updated rows. Errors from MERGE as ops::merge_into gives them (e.g.
// several source rows with one key).
Result<ops::WriteResult> merge_rows(Session& session, const std::string& path, const std::string& source_sql,
                                    const std::vector<std::string>& keys, const ops::WriteOptions& options);

}  // namespace silt::pipeline
