// HMAC-SHA256 (RFC 2104) under one key, with the padded-key SHA-256 states computed once so each
// message costs only its own blocks plus one outer block. An HmacSha256 is immutable after
// construction: any number of threads may call digest()/hex() on one instance at once.
#pragma once

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <string_view>

namespace silt::pii {

class HmacSha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  static constexpr size_t kHexChars = 2 * kDigestBytes;
  using Digest = std::array<uint8_t, kDigestBytes>;

  // Any key length (longer than a block is hashed first, as RFC 2104 says). The key bytes are
  // not kept: only the two padded-key hash states are.
  explicit HmacSha256(std::string_view key);

  Digest digest(std::string_view message) const;
  // Lowercase hex of digest(message) into out[0, kHexChars).
  void hex(std::string_view message, char* out) const;

 private:
  SHA256_CTX inner_;  // SHA-256 state after absorbing key ^ ipad
  SHA256_CTX outer_;  // SHA-256 state after absorbing key ^ opad
};

}  // namespace silt::pii
