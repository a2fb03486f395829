// Sizes as users write them on the command line and in table properties: "128MB", "1GB",
// "512KB", "1048576". Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/result.h"

namespace silt {

// Bytes of `text`: a whole number, optionally followed (after optional spaces) by a unit B, KB,
// MB, GB or TB (case-insensitive; K/M/G/T and KiB/MiB/GiB/TiB also accepted), counted in powers
// of 1024 as Spark does. InvalidArgument naming the text for anything else, for zero, and for a
// value beyond 2^62 bytes.
Result<int64_t> parse_byte_size(std::string_view text);

}  // namespace silt
