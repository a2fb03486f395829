// Placeholder until the source readers land: every call reports that the source kind is not
// available yet, so nothing can mistake it for an empty source.
#include "sources/source.h"

namespace silt::sources {

Status validate(const SourceConfig& source) {
  return Error(ErrorKind::Unsupported,
               "source " + source.name + ": kind " + source.kind + " is not available yet");
}

Result<int64_t> copy_query(const SourceConfig& source, std::string_view, db::Connection&, std::string_view,
                           const CopyOptions&) {
  return Error(ErrorKind::Unsupported,
               "source " + source.name + ": kind " + source.kind + " is not available yet");
}

std::string table_query(const SourceConfig&, std::string_view table, std::string_view, std::string_view) {
  return "SELECT * FROM \"" + std::string(table) + "\"";
}

}  // namespace silt::sources
