// silt_pii_hash and silt_pii_mask as vectorized DuckDB scalar functions (register_functions in
// anonymize.h). Neither can fail on any input, so no value can surface in a DuckDB error; the key
// state is built once and shared read-only by DuckDB's worker threads.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "duckdb/scalar_function.h"
#include "pii/anonymize.h"
#include "pii/hmac_sha256.h"
#include "pii/mask.h"

namespace silt::pii {
namespace {

constexpr const char* kHashName = "silt_pii_hash";
constexpr const char* kMaskName = "silt_pii_mask";
// Hashed on every registration attempt to tell whether the function already on the database
// uses the same key. Its hash never leaves this file.
constexpr const char* kProbe = "silt_pii_hash key check";

// silt_pii_hash(VARCHAR or BLOB) -> VARCHAR, lowercase hex. NULL -> NULL.
void hash_chunk(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  const auto& hmac = *static_cast<const HmacSha256*>(db::scalar_function_state(info));
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
  const auto* values = static_cast<const duckdb_string_t*>(duckdb_vector_get_data(in));
  uint64_t* validity = duckdb_vector_get_validity(in);
  char hex[HmacSha256::kHexChars];
  for (idx_t row = 0; row < rows; row++) {
    if (validity && !duckdb_validity_row_is_valid(validity, row)) {
      db::set_null(output, row);
      continue;
    }
    hmac.hex(db::string_view_of(values[row]), hex);
    duckdb_vector_assign_string_element_len(output, row, hex, sizeof hex);
  }
}

// silt_pii_mask(VARCHAR, INTEGER keep) -> VARCHAR. NULL in either argument -> NULL.
void mask_chunk(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector text = duckdb_data_chunk_get_vector(input, 0);
  duckdb_vector keep = duckdb_data_chunk_get_vector(input, 1);
  const auto* values = static_cast<const duckdb_string_t*>(duckdb_vector_get_data(text));
  const auto* keeps = static_cast<const int32_t*>(duckdb_vector_get_data(keep));
  uint64_t* text_valid = duckdb_vector_get_validity(text);
  uint64_t* keep_valid = duckdb_vector_get_validity(keep);
  std::string masked;
  for (idx_t row = 0; row < rows; row++) {
    if ((text_valid && !duckdb_validity_row_is_valid(text_valid, row)) ||
        (keep_valid && !duckdb_validity_row_is_valid(keep_valid, row))) {
      db::set_null(output, row);
      continue;
    }
    mask_keeping_suffix(db::string_view_of(values[row]), keeps[row], masked);
    duckdb_vector_assign_string_element_len(output, row, masked.data(), masked.size());
  }
}

// What `call` (a call of the function `name`) returns, or nullopt when no function of that name
// is registered. Calling is far cheaper than listing duckdb_functions(), which builds every
// function's description (a third of a small PII asset's run).
Result<std::optional<std::string>> call_if_registered(db::Connection& conn, const char* name,
                                                      const std::string& call) {
  auto value = conn.scalar("SELECT " + call);
  if (value.ok()) return std::optional<std::string>(value->value_or(""));
  if (value.error().message().find("Catalog Error") != std::string::npos &&
      value.error().message().find(name) != std::string::npos)
    return std::optional<std::string>();
  return value.error();
}

// Registers silt_pii_hash under `key` unless it exists; if it does, its key must be `key`, as
// told by the hash it gives for kProbe.
Status ensure_hash(db::Connection& conn, const std::string& key) {
  auto hmac = std::make_shared<const HmacSha256>(key);
  char expected[HmacSha256::kHexChars];
  hmac->hex(kProbe, expected);
  // Two rounds: another connection may register between our check and our registration.
  for (int round = 0; round < 2; round++) {
    SILT_ASSIGN_OR_RETURN(auto probe,
                          call_if_registered(conn, kHashName, std::string(kHashName) + "('" + kProbe + "')"));
    if (probe) {
      if (*probe == std::string_view(expected, sizeof expected)) return ok_status();
      return Error(ErrorKind::InvalidArgument,
                   "silt_pii_hash is already registered on this database with a different key");
    }
    if (db::register_scalar_function(
            conn, kHashName,
            {{{DUCKDB_TYPE_VARCHAR}, DUCKDB_TYPE_VARCHAR}, {{DUCKDB_TYPE_BLOB}, DUCKDB_TYPE_VARCHAR}},
            hash_chunk, hmac)
            .ok())
      return ok_status();
  }
  return Error(ErrorKind::Internal, "cannot register silt_pii_hash");
}

Status ensure_mask(db::Connection& conn) {
  for (int round = 0; round < 2; round++) {
    SILT_ASSIGN_OR_RETURN(auto probe,
                          call_if_registered(conn, kMaskName, std::string(kMaskName) + "('x', 1)"));
    if (probe) return ok_status();
    if (db::register_scalar_function(conn, kMaskName,
                                     {{{DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_INTEGER}, DUCKDB_TYPE_VARCHAR}},
                                     mask_chunk, nullptr)
            .ok())
      return ok_status();
  }
  return Error(ErrorKind::Internal, "cannot register silt_pii_mask");
}

}  // namespace

Status register_functions(db::Connection& conn, const std::string& key) {
  if (key.empty()) return Error(ErrorKind::InvalidArgument, "the PII key is empty");
  SILT_TRY(ensure_hash(conn, key));
  return ensure_mask(conn);
}

}  // namespace silt::pii
