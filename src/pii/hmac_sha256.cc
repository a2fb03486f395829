// HMAC-SHA256 with precomputed padded-key states. SHA256_CTX is a plain struct, so starting a
// message is a copy, not a key schedule. OpenSSL 3 marks the SHA256_* calls deprecated; they
// remain and are the fastest path here (EVP_MD_CTX_copy_ex allocates per call), see
// bench/README.md.
// The SHA256_* state calls are deprecated in OpenSSL 3 but kept; silence the warning here only.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "pii/hmac_sha256.h"

#include <openssl/crypto.h>

#include <cstring>

namespace silt::pii {
namespace {
constexpr size_t kBlockBytes = 64;

SHA256_CTX padded_key_state(const uint8_t (&key_block)[kBlockBytes], uint8_t pad) {
  uint8_t block[kBlockBytes];
  for (size_t i = 0; i < kBlockBytes; i++) block[i] = key_block[i] ^ pad;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, block, kBlockBytes);
  OPENSSL_cleanse(block, sizeof block);
  return ctx;
}
}  // namespace

HmacSha256::HmacSha256(std::string_view key) {
  uint8_t key_block[kBlockBytes] = {};
  if (key.size() > kBlockBytes) {
    SHA256(reinterpret_cast<const uint8_t*>(key.data()), key.size(), key_block);
  } else {
    std::memcpy(key_block, key.data(), key.size());
  }
  inner_ = padded_key_state(key_block, 0x36);
  outer_ = padded_key_state(key_block, 0x5c);
  OPENSSL_cleanse(key_block, sizeof key_block);
}

HmacSha256::Digest HmacSha256::digest(std::string_view message) const {
  Digest inner_hash;
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, message.data(), message.size());
  SHA256_Final(inner_hash.data(), &ctx);
  Digest out;
  ctx = outer_;
  SHA256_Update(&ctx, inner_hash.data(), inner_hash.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

void HmacSha256::hex(std::string_view message, char* out) const {
  static constexpr char kDigits[] = "0123456789abcdef";
  Digest d = digest(message);
  for (size_t i = 0; i < kDigestBytes; i++) {
    out[2 * i] = kDigits[d[i] >> 4];
    out[2 * i + 1] = kDigits[d[i] & 0xf];
  }
}

}  // namespace silt::pii
