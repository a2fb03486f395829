// Masking that keeps a suffix of a UTF-8 string: the last `keep` code points stay, each earlier
// code point becomes one '*'. Pure function, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace silt::pii {

// Writes the masked form of `text` (valid UTF-8) into `out` (replacing its contents). A value of
// no more than `keep` code points is masked entirely: a mask that hides nothing would pass short
// values through in clear. keep < 0 counts as 0.
void mask_keeping_suffix(std::string_view text, int64_t keep, std::string& out);

}  // namespace silt::pii
