// Placeholder until anonymization lands: every call fails, so no PII can pass unprotected.
#include "pii/anonymize.h"

namespace silt::pii {
namespace {
Error not_yet() { return Error(ErrorKind::Unsupported, "PII anonymization is not available yet"); }
}  // namespace

Result<ColumnPolicy> parse_policy(std::string_view, std::string_view) { return not_yet(); }
Result<std::string> key_from_env(std::string_view) { return not_yet(); }
Status register_functions(db::Connection&, const std::string&) { return not_yet(); }
Result<std::string> anonymized_select_list(const std::vector<ColumnPolicy>&,
                                           const std::vector<std::pair<std::string, std::string>>&) {
  return not_yet();
}

}  // namespace silt::pii
