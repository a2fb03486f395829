// Upserts by key: waiting for ops/merge.h. See merge_write.h.
#include "pipeline/merge_write.h"

namespace silt::pipeline {

Result<ops::WriteResult> merge_rows(Session& session, const std::string& path, const std::string& source_sql,
                                    const std::vector<std::string>& keys, const ops::WriteOptions& options) {
  return Error(ErrorKind::Unsupported, "mode merge into " + path + ": MERGE is not available yet");
}

}  // namespace silt::pipeline
