// Validates serialized Delta partition values and renders them as typed DuckDB literals. Values are
// re-emitted in a canonical form (e.g. timestamps with an explicit +HH:MM offset) rather than passed through.
// Pure functions; thread-safe.
#include "delta/schema/partition_value.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace silt::delta {
namespace {

Error bad_value(std::string_view value, const DataType& type) {
  return Error(ErrorKind::Corruption,
               fmt::format("partition value '{}' is not a valid {}", value, delta_type_name(type)));
}

std::string cast(std::string_view expression, const DataType& type) {
  return fmt::format("CAST({} AS {})", expression, duckdb_type(type));
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Reads exactly `count` digits at `pos` as a number in [low, high], advancing `pos`.
bool read_number(std::string_view s, size_t& pos, size_t count, int low, int high, int& out) {
  if (pos + count > s.size() || !all_digits(s.substr(pos, count))) return false;
  std::from_chars(s.data() + pos, s.data() + pos + count, out);
  pos += count;
  return out >= low && out <= high;
}

bool read_char(std::string_view s, size_t& pos, char expected) {
  if (pos >= s.size() || s[pos] != expected) return false;
  ++pos;
  return true;
}

// ---- integers, floating point, decimals ----

Result<std::string> integer_sql(std::string_view text, const DataType& type, int64_t low, int64_t high) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return bad_value(text, type);
  }
  return cast(std::to_string(value), type);
}

template <class Float>
Result<std::string> floating_sql(std::string_view text, const DataType& type) {
  // Java writes NaN and infinities by these names; from_chars would also take "inf" or "nan(...)".
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") return cast(quote_literal(text), type);
  Float value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return bad_value(text, type);
  }
  return cast(quote_literal(text), type);
}

// A decimal number as sign, significant digits and a power of ten: value = digits * 10^exponent.
struct DecimalText {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
};

// Accepts [+-]digits[.digits][(e|E)[+-]digits], as Java's BigDecimal.toString may write.
std::optional<DecimalText> split_decimal(std::string_view text) {
  DecimalText out;
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) out.negative = text[pos++] == '-';
  size_t fraction_digits = 0;
  bool in_fraction = false;
  for (; pos < text.size() && text[pos] != 'e' && text[pos] != 'E'; ++pos) {
    if (text[pos] == '.' && !in_fraction) {
      in_fraction = true;
    } else if (std::isdigit(static_cast<unsigned char>(text[pos]))) {
      out.digits += text[pos];
      fraction_digits += in_fraction;
    } else {
      return std::nullopt;
    }
  }
  if (out.digits.empty()) return std::nullopt;
  if (pos < text.size()) {
    std::string_view exponent = text.substr(pos + 1);
    if (!exponent.empty() && exponent[0] == '+') exponent.remove_prefix(1);
    auto [end, ec] = std::from_chars(exponent.data(), exponent.data() + exponent.size(), out.exponent);
    if (exponent.empty() || ec != std::errc() || end != exponent.data() + exponent.size())
      return std::nullopt;
    if (out.exponent > 1'000'000 || out.exponent < -1'000'000) return std::nullopt;
  }
  out.exponent -= static_cast<int64_t>(fraction_digits);
  return out;
}

// Rounds digits * 10^shift half away from zero (as DuckDB and Java's HALF_UP do) to an integer's
// digits, without leading zeros ("0" for zero).
std::string scale_digits(std::string digits, int64_t shift) {
  if (shift < 0 && static_cast<size_t>(-shift) > digits.size()) return "0";  // first dropped digit is a 0
  if (shift >= 0) {
    digits.append(static_cast<size_t>(shift), '0');
  } else {
    size_t keep = digits.size() - static_cast<size_t>(-shift);
    bool round_up = digits[keep] >= '5';
    digits.resize(keep);
    for (size_t i = digits.size(); round_up && i-- > 0;) {
      round_up = digits[i] == '9';
      digits[i] = round_up ? '0' : static_cast<char>(digits[i] + 1);
    }
    if (round_up) digits = std::string("1").append(digits);
  }
  size_t first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}

Result<std::string> decimal_sql(std::string_view text, const DataType& type) {
  const PrimitiveType& decimal = *type.primitive();
  std::optional<DecimalText> parts = split_decimal(text);
  if (!parts) return bad_value(text, type);
  std::string unscaled = scale_digits(parts->digits, parts->exponent + decimal.scale);
  if (unscaled.size() > static_cast<size_t>(decimal.precision)) return bad_value(text, type);
  bool negative = parts->negative && unscaled != "0";
  size_t scale = static_cast<size_t>(decimal.scale);
  if (unscaled.size() <= scale) unscaled = std::string(scale + 1 - unscaled.size(), '0').append(unscaled);
  std::string_view digits = unscaled;
  std::string canonical =
      fmt::format("{}{}{}{}", negative ? "-" : "", digits.substr(0, digits.size() - scale),
                  scale > 0 ? "." : "", digits.substr(digits.size() - scale));
  return cast(quote_literal(canonical), type);
}

// ---- dates and timestamps ----

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// YYYY-MM-DD with a real calendar day.
bool read_date(std::string_view s, size_t& pos) {
  int year = 0, month = 0, day = 0;
  if (!read_number(s, pos, 4, 0, 9999, year) || !read_char(s, pos, '-') ||
      !read_number(s, pos, 2, 1, 12, month) || !read_char(s, pos, '-')) {
    return false;
  }
  return read_number(s, pos, 2, 1, days_in_month(year, month), day);
}

// HH:MM:SS with an optional fraction of 1 to 9 digits.
bool read_time(std::string_view s, size_t& pos) {
  int hour = 0, minute = 0, second = 0;
  if (!read_number(s, pos, 2, 0, 23, hour) || !read_char(s, pos, ':') ||
      !read_number(s, pos, 2, 0, 59, minute) || !read_char(s, pos, ':') ||
      !read_number(s, pos, 2, 0, 59, second)) {
    return false;
  }
  if (pos == s.size() || s[pos] != '.') return true;
  size_t start = ++pos;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  return pos - start >= 1 && pos - start <= 9;
}

// Z, +HH, +HHMM or +HH:MM (or -) at `pos` to the end, as a canonical "+HH:MM"; "" when at the end.
std::optional<std::string> read_zone(std::string_view s, size_t pos) {
  if (pos == s.size()) return std::string();
  if (s.substr(pos) == "Z") return std::string("+00:00");
  char sign = s[pos++];
  int hours = 0, minutes = 0;
  if ((sign != '+' && sign != '-') || !read_number(s, pos, 2, 0, 18, hours)) return std::nullopt;
  if (pos < s.size()) {
    read_char(s, pos, ':');
    if (!read_number(s, pos, 2, 0, 59, minutes) || pos != s.size()) return std::nullopt;
  }
  return fmt::format("{}{:02}:{:02}", sign, hours, minutes);
}

// A date (midnight: partitions written before a date -> timestamp_ntz widening) or a timestamp with
// ' ' or 'T' between date and time and an optional zone. Returns "YYYY-MM-DD HH:MM:SS[.f]" and the zone.
std::optional<std::pair<std::string, std::string>> split_timestamp(std::string_view text) {
  size_t pos = 0;
  if (!read_date(text, pos)) return std::nullopt;
  if (pos == text.size()) return std::pair{std::string(text) + " 00:00:00", std::string()};
  if (text[pos] != ' ' && text[pos] != 'T') return std::nullopt;
  size_t time_start = ++pos;
  if (!read_time(text, pos)) return std::nullopt;
  std::optional<std::string> zone = read_zone(text, pos);
  if (!zone) return std::nullopt;
  std::string local = fmt::format("{} {}", text.substr(0, 10), text.substr(time_start, pos - time_start));
  return std::pair{std::move(local), std::move(*zone)};
}

Result<std::string> date_sql(std::string_view text, const DataType& type) {
  size_t pos = 0;
  if (!read_date(text, pos) || pos != text.size()) return bad_value(text, type);
  return cast(quote_literal(text), type);
}

// Values without a zone are UTC (silt's reading of "the time zone of the writer"); the explicit
// offset keeps the literal independent of the session's TimeZone.
Result<std::string> timestamp_sql(std::string_view text, const DataType& type) {
  auto parts = split_timestamp(text);
  if (!parts) return bad_value(text, type);
  std::string zone = parts->second.empty() ? "+00:00" : parts->second;
  return cast(quote_literal(parts->first + zone), type);
}

// A wall-clock time: a trailing Z is tolerated, any other offset has no meaning here.
Result<std::string> timestamp_ntz_sql(std::string_view text, const DataType& type) {
  auto parts = split_timestamp(text);
  if (!parts || (!parts->second.empty() && parts->second != "+00:00")) return bad_value(text, type);
  return cast(quote_literal(parts->first), type);
}

// ---- strings, binary, boolean ----

// DuckDB receives SQL as a C string, so NUL bytes become chr(0) concatenations.
Result<std::string> string_sql(std::string_view text, const DataType& type) {
  if (!simdjson::validate_utf8(text)) return bad_value("<invalid UTF-8>", type);
  std::string expression;
  size_t start = 0;
  for (size_t nul = text.find('\0'); nul != std::string_view::npos; nul = text.find('\0', start)) {
    expression += quote_literal(text.substr(start, nul - start)) + " || chr(0) || ";
    start = nul + 1;
  }
  expression += quote_literal(text.substr(start));
  return cast(expression, type);
}

std::string binary_sql(std::string_view bytes, const DataType& type) {
  std::string escaped;
  escaped.reserve(bytes.size() * 4);
  for (char c : bytes) escaped += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
  return cast(quote_literal(escaped), type);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

Result<std::string> boolean_sql(std::string_view text, const DataType& type) {
  if (iequals(text, "true")) return cast("true", type);
  if (iequals(text, "false")) return cast("false", type);
  return bad_value(text, type);
}

Result<std::string> primitive_sql(std::string_view text, const DataType& type) {
  switch (type.primitive()->kind) {
    case PrimitiveKind::String:
      return string_sql(text, type);
    case PrimitiveKind::Long:
      return integer_sql(text, type, std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max());
    case PrimitiveKind::Integer:
      return integer_sql(text, type, std::numeric_limits<int32_t>::min(),
                         std::numeric_limits<int32_t>::max());
    case PrimitiveKind::Short:
      return integer_sql(text, type, std::numeric_limits<int16_t>::min(),
                         std::numeric_limits<int16_t>::max());
    case PrimitiveKind::Byte:
      return integer_sql(text, type, std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max());
    case PrimitiveKind::Float:
      return floating_sql<float>(text, type);
    case PrimitiveKind::Double:
      return floating_sql<double>(text, type);
    case PrimitiveKind::Decimal:
      return decimal_sql(text, type);
    case PrimitiveKind::Boolean:
      return boolean_sql(text, type);
    case PrimitiveKind::Binary:
      return binary_sql(text, type);
    case PrimitiveKind::Date:
      return date_sql(text, type);
    case PrimitiveKind::Timestamp:
      return timestamp_sql(text, type);
    case PrimitiveKind::TimestampNtz:
      return timestamp_ntz_sql(text, type);
    case PrimitiveKind::Void:
      return cast("NULL", type);
  }
  return bad_value(text, type);
}

}  // namespace

Result<std::string> partition_value_sql(const std::optional<std::string>& serialized, const DataType& type) {
  if (!type.primitive()) {
    return Error(ErrorKind::Unsupported,
                 fmt::format("partition column of type {} is not supported", delta_type_name(type)));
  }
  if (!serialized || serialized->empty()) return cast("NULL", type);
  return primitive_sql(*serialized, type);
}

}  // namespace silt::delta
