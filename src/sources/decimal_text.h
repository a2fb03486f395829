// Decimal text into DuckDB's DECIMAL representation (the scaled integer), read the way DuckDB's
// own VARCHAR -> DECIMAL cast reads it, so a reader can fill DECIMAL columns without that cast.
// Only the plain forms sources print are read here; the rest is left to DuckDB's cast, so every
// text ends up with exactly DuckDB's value or error. Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace silt::sources {

enum class DecimalText {
  Read,        // `unscaled` holds the value
  OutOfRange,  // DuckDB's cast fails: too many integer digits, or rounding reaches 10^width
  NotPlain,    // another form (blanks, '+', exponent, '_', NaN, ...): ask DuckDB's cast
};

// Reads `text` of the form -?D*[.D*] with at least one digit D as DECIMAL(width, scale)
// (REQUIRES: 1 <= width <= 38, 0 <= scale <= width) into `unscaled`, the value times 10^scale.
// As DuckDB's cast does: leading zeros do not count as digits; fraction digits beyond the scale
// round half away from zero on the first dropped digit; more than width - scale integer digits,
// or a rounded value of 10^width or more, is OutOfRange.
DecimalText read_plain_decimal(std::string_view text, int width, int scale, __int128& unscaled);

// A double as DECIMAL(width, scale) through its shortest round-trip text (std::to_chars), without
// printing it: the result of read_plain_decimal(to_chars(v)) whenever that text is certainly
// plain and has at most `scale` fraction digits (e.g. 61.51 at scale 2), computed by checking
// that round(v * 10^scale) / 10^scale gives v back. NotPlain where this cannot be decided so
// cheaply (more fraction digits, exponent forms, magnitudes past 2^51, NaN): the caller then
// prints the text and reads that.
DecimalText read_double_as_decimal(double v, int width, int scale, __int128& unscaled);

}  // namespace silt::sources
