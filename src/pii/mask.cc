// Suffix-keeping mask over UTF-8 code points. See mask.h.
#include "pii/mask.h"

namespace silt::pii {
namespace {
bool starts_code_point(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }
}  // namespace

void mask_keeping_suffix(std::string_view text, int64_t keep, std::string& out) {
  out.clear();
  int64_t code_points = 0;
  for (char c : text) code_points += starts_code_point(c);
  if (keep < 0 || code_points <= keep) keep = 0;
  // Byte offset where the kept suffix starts: walk back over `keep` code point starts.
  size_t suffix = text.size();
  for (int64_t seen = 0; seen < keep;) {
    suffix--;
    seen += starts_code_point(text[suffix]);
  }
  out.append(static_cast<size_t>(code_points - keep), '*');
  out.append(text.substr(suffix));
}

}  // namespace silt::pii
