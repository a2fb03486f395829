// Data skipping over min/max/nullCount and partition values, and extraction of skipping
// predicates from DuckDB's serialized WHERE clauses. Every "unknown" answers "may match".
// Pure functions over values; no shared state.
#include "delta/stats/skipping.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>

namespace silt::delta {

using skipping_internal::BoundLiteral;
using skipping_internal::Domain;
using skipping_internal::Key;
using skipping_internal::Node;
using skipping_internal::Term;
using Op = ColumnPredicate::Op;

namespace {

// ---------------------------------------------------------------------------------------------
// Text forms of values: dates, timestamps, decimals.

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// Widest UTC offset in use (tz database range is -12:00 .. +14:00; 18h is what java.time allows).
constexpr int64_t kMaxZoneOffsetMicros = 18 * 3'600 * kMicrosPerSecond;

bool read_digits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + count; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "YYYY-MM-DD" -> days since 1970-01-01.
std::optional<int64_t> parse_date_days(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !read_digits(s, 0, 4, y) || !read_digits(s, 5, 2, m) ||
      !read_digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

struct ParsedTimestamp {
  int64_t micros;
  bool has_zone;
};

// Fraction digits after the '.', as microseconds. Digits past the sixth must be zero: a
// nanosecond literal cannot be compared exactly against microsecond values.
std::optional<int64_t> parse_fraction(std::string_view s, size_t& pos) {
  int64_t micros = 0;
  size_t digits = 0;
  for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; pos++, digits++) {
    if (digits < 6) {
      micros = micros * 10 + (s[pos] - '0');
    } else if (s[pos] != '0') {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  for (; digits < 6; digits++) micros *= 10;
  return micros;
}

// "Z", "+HH", "+HHMM", "+HH:MM" (or '-') -> offset in microseconds east of UTC.
std::optional<int64_t> parse_zone(std::string_view z) {
  if (z == "Z" || z == "z") return 0;
  int h, m = 0;
  if (z.size() < 3 || (z[0] != '+' && z[0] != '-') || !read_digits(z, 1, 2, h)) return std::nullopt;
  if (z.size() == 5 && !read_digits(z, 3, 2, m)) return std::nullopt;
  if (z.size() == 6 && (z[3] != ':' || !read_digits(z, 4, 2, m))) return std::nullopt;
  if ((z.size() != 3 && z.size() != 5 && z.size() != 6) || h > 18 || m > 59) return std::nullopt;
  int64_t offset = (h * 60 + m) * 60 * kMicrosPerSecond;
  return z[0] == '-' ? -offset : offset;
}

// "YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,9}]]][zone]" -> microseconds since the epoch in UTC.
std::optional<ParsedTimestamp> parse_timestamp(std::string_view s) {
  std::optional<int64_t> days = parse_date_days(s.substr(0, 10));
  if (!days) return std::nullopt;
  if (s.size() == 10) return ParsedTimestamp{*days * kMicrosPerDay, false};
  int h, m, sec = 0;
  if ((s[10] != 'T' && s[10] != ' ') || !read_digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' ||
      !read_digits(s, 14, 2, m) || h > 23 || m > 59) {
    return std::nullopt;
  }
  size_t pos = 16;
  int64_t fraction = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!read_digits(s, pos + 1, 2, sec) || sec > 59) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      std::optional<int64_t> f = parse_fraction(s, ++pos);
      if (!f) return std::nullopt;
      fraction = *f;
    }
  }
  int64_t offset = 0;
  bool has_zone = pos < s.size();
  if (has_zone) {
    std::optional<int64_t> z = parse_zone(s.substr(pos));
    if (!z) return std::nullopt;
    offset = *z;
  }
  int64_t micros = *days * kMicrosPerDay + ((h * 60 + m) * 60 + sec) * kMicrosPerSecond + fraction;
  return ParsedTimestamp{micros - offset, has_zone};
}

// Canonical decimal text: optional '-', integer digits without leading zeros ("0" if none), and
// a '.' plus fraction digits without trailing zeros when the fraction is not zero.
std::optional<std::string> canonical_decimal(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  auto all_digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.size() + frac.size() == 0 || !all_digits(whole) || !all_digits(frac)) return std::nullopt;
  while (!whole.empty() && whole[0] == '0') whole.remove_prefix(1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  std::string out = negative && (!whole.empty() || !frac.empty()) ? "-" : "";
  out += whole.empty() ? std::string_view("0") : whole;
  if (!frac.empty()) (out += '.') += frac;
  return out;
}

// Compares two canonical decimals exactly.
int compare_canonical(std::string_view a, std::string_view b) {
  bool neg_a = a[0] == '-', neg_b = b[0] == '-';
  if (neg_a != neg_b) return neg_a ? -1 : 1;
  if (neg_a) a.remove_prefix(1), b.remove_prefix(1);
  std::string_view whole_a = a.substr(0, a.find('.')), whole_b = b.substr(0, b.find('.'));
  int magnitude;
  if (whole_a.size() != whole_b.size()) {
    magnitude = whole_a.size() < whole_b.size() ? -1 : 1;
  } else {
    // Same integer width: plain text order is numeric order (canonical fractions carry no zeros).
    int c = a.compare(b);
    magnitude = c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return neg_a ? -magnitude : magnitude;
}

std::optional<double> parse_double(std::string_view s) {
  std::string text(s);  // strtod needs a terminator; it is correctly rounded (glibc)
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return d;
}

std::optional<int64_t> parse_int64(std::string_view s) {
  int64_t v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view s) {
  auto is = [&](std::string_view word) {
    return std::ranges::equal(s, word, [](char a, char b) { return (a | 0x20) == b; });  // ASCII
  };
  if (is("true") || is("t")) return true;
  if (is("false") || is("f")) return false;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Keys: a value in a comparison domain.

template <class T>
const T* as(const StatValue& v) {
  return std::get_if<T>(&v);
}

std::optional<Key> int_domain_key(StatKind kind, const StatValue& v) {
  const std::string* s = as<std::string>(v);
  switch (kind) {
    case StatKind::Int:
      if (const int64_t* i = as<int64_t>(v)) return *i;
      if (s) return parse_int64(*s);  // partition values are text
      return std::nullopt;
    case StatKind::Bool:
      if (const bool* b = as<bool>(v)) return int64_t(*b);
      if (s) return parse_bool(*s);
      return std::nullopt;
    case StatKind::Date:
      return s ? parse_date_days(*s) : std::nullopt;
    case StatKind::Timestamp:
    case StatKind::TimestampNtz: {
      std::optional<ParsedTimestamp> ts = s ? parse_timestamp(*s) : std::nullopt;
      return ts ? std::optional<Key>(ts->micros) : std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// A statistic or partition value of a column of `kind`, as a key of `domain`.
std::optional<Key> value_key(StatKind kind, Domain domain, const StatValue& v) {
  const std::string* s = as<std::string>(v);
  switch (domain) {
    case Domain::Int:
      return int_domain_key(kind, v);
    case Domain::Double:
      if (const int64_t* i = as<int64_t>(v)) return double(*i);
      if (const double* d = as<double>(v)) return *d;
      return s ? parse_double(*s) : std::nullopt;
    case Domain::Decimal:
      if (const int64_t* i = as<int64_t>(v)) return *i;
      if (const double* d = as<double>(v)) return *d;
      return s ? canonical_decimal(*s) : std::nullopt;
    case Domain::Bytes:
      if (s) return *s;
      return std::nullopt;
  }
  return std::nullopt;
}

// Converts a literal for a column of `column` kind, choosing the domain DuckDB would compare in
// (e.g. INTEGER column vs DOUBLE constant compares as DOUBLE). nullopt: no exact model.
std::optional<BoundLiteral> bind_literal(StatKind column, const Literal& lit) {
  auto bound = [](Domain d, std::optional<Key> k) {
    return k ? std::optional<BoundLiteral>(BoundLiteral{d, std::move(*k)}) : std::nullopt;
  };
  bool numeric = lit.kind == StatKind::Int || lit.kind == StatKind::Double || lit.kind == StatKind::Decimal;
  bool text = lit.kind == StatKind::String;
  switch (column) {
    case StatKind::Int:
    case StatKind::Decimal:
      if (lit.kind == StatKind::Double)
        return bound(Domain::Double, value_key(column, Domain::Double, lit.value));
      if (lit.kind == StatKind::Int && column == StatKind::Int)
        return bound(Domain::Int, value_key(column, Domain::Int, lit.value));
      if (numeric) return bound(Domain::Decimal, value_key(StatKind::Decimal, Domain::Decimal, lit.value));
      return std::nullopt;
    case StatKind::Float:
    case StatKind::Double:
      if (numeric) return bound(Domain::Double, value_key(column, Domain::Double, lit.value));
      return std::nullopt;
    case StatKind::String:
      if (text) return bound(Domain::Bytes, value_key(column, Domain::Bytes, lit.value));
      return std::nullopt;
    case StatKind::Bool:
      if (lit.kind == StatKind::Bool) return bound(Domain::Int, int_domain_key(column, lit.value));
      return std::nullopt;
    case StatKind::Date:
      if (text || lit.kind == StatKind::Date) return bound(Domain::Int, int_domain_key(column, lit.value));
      return std::nullopt;
    case StatKind::Timestamp:
    case StatKind::TimestampNtz:
      if (text || lit.kind == StatKind::Date || lit.kind == StatKind::Timestamp) {
        return bound(Domain::Int, int_domain_key(column, lit.value));
      }
      return std::nullopt;
  }
  return std::nullopt;
}

int sign(auto a, auto b) { return a < b ? -1 : b < a ? 1 : 0; }

double to_double(const Key& k) {
  if (const int64_t* i = std::get_if<int64_t>(&k)) return double(*i);
  if (const double* d = std::get_if<double>(&k)) return *d;
  return parse_double(std::get<std::string>(k)).value_or(NAN);
}

std::string to_canonical(const Key& k) {
  if (const int64_t* i = std::get_if<int64_t>(&k)) return std::to_string(*i);
  return std::get<std::string>(k);
}

// Decimals: exact when both sides are exact; otherwise through doubles, where correct rounding
// is monotonic, so a strict order of the doubles is the order of the exact values but a tie
// proves nothing.
std::optional<int> compare_decimal(const Key& a, const Key& b) {
  if (std::holds_alternative<double>(a) || std::holds_alternative<double>(b)) {
    double x = to_double(a), y = to_double(b);
    if (std::isnan(x) || std::isnan(y) || x == y) return std::nullopt;
    return x < y ? -1 : 1;
  }
  return compare_canonical(to_canonical(a), to_canonical(b));
}

// Sign of (a - b), or nullopt when the order is unknown (NaN, mismatched keys, decimal ties).
std::optional<int> compare(Domain domain, const Key& a, const Key& b) {
  if (domain == Domain::Decimal) return compare_decimal(a, b);
  if (a.index() != b.index()) return std::nullopt;
  if (const double* x = std::get_if<double>(&a)) {
    double y = std::get<double>(b);
    if (std::isnan(*x) || std::isnan(y)) return std::nullopt;
    return sign(*x, y);
  }
  if (const int64_t* x = std::get_if<int64_t>(&a)) return sign(*x, std::get<int64_t>(b));
  return sign(std::string_view(std::get<std::string>(a)), std::string_view(std::get<std::string>(b)));
}

// ---------------------------------------------------------------------------------------------
// What one file says about one column, and the value range it implies.

struct ColumnFacts {
  const StatValue* min = nullptr;
  const StatValue* max = nullptr;
  bool exact = false;     // a partition value: min == max == the value itself
  bool all_null = false;  // every (valid) row is null
  bool no_null = false;   // no (valid) row is null
};

ColumnFacts stats_facts(const FileStats& stats, const ColumnPath& column) {
  ColumnFacts f;
  const ColumnStats* c = stats.find(column);
  if (c == nullptr) return f;
  f.min = c->min ? &*c->min : nullptr;
  f.max = c->max ? &*c->max : nullptr;
  // Only nullCount 0 and nullCount == numRecords carry information when bounds are wide, and
  // those two mean the same for tight bounds.
  f.no_null = c->null_count == 0;
  f.all_null = c->null_count && stats.num_records && *c->null_count == *stats.num_records;
  return f;
}

// Finds the column among the partition values; `holder` keeps the value alive for the facts.
std::optional<ColumnFacts> partition_facts(const PartitionValues* partitions, const ColumnPath& column,
                                           StatValue& holder) {
  if (partitions == nullptr || column.size() != 1) return std::nullopt;
  for (const auto& [name, value] : *partitions) {
    if (name != column[0]) continue;
    ColumnFacts f;
    f.exact = true;
    // An empty string is a null partition value for every type (PROTOCOL.md).
    if (!value || value->empty()) {
      f.all_null = true;
      return f;
    }
    f.no_null = true;
    holder = *value;
    f.min = f.max = &holder;
    return f;
  }
  return std::nullopt;
}

// All non-null values v of the column satisfy lo <= v and v <= hi (v < hi when hi_exclusive).
struct Range {
  std::optional<Key> lo, hi;
  bool hi_exclusive = false;
  bool nan_above_hi = false;  // a NaN may exist above hi, and DuckDB orders NaN above everything
};

// Smallest byte string greater than every string that has `s` as a prefix; nullopt if none.
std::optional<std::string> prefix_successor(std::string s) {
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

// Widens a float's bound by about four float ulps, covering both a stat written as the float's
// shortest decimal form (read back as a double) and DuckDB rounding the constant to FLOAT.
double widen_float(double v, int direction) {
  if (!std::isfinite(v)) return v;
  return v + direction * (std::fabs(v) * 0x1p-21 + 0x1p-140);
}

void adjust_stats_range(StatKind kind, Range& r) {
  if (kind == StatKind::String && r.hi) {
    // String stats are cut to a prefix (32 characters in Spark): the min prefix is still <= the
    // real min, but a cut max is BELOW the real max. A cut max is a prefix of the real max
    // (Spark appends a tie-breaker character, giving an upper bound). So in every case all values
    // are < the successor of the max's prefix set: use that as an exclusive bound. This is safe
    // whatever the writer's prefix length, and costs only literals that start with the max.
    std::optional<std::string> next = prefix_successor(std::get<std::string>(*r.hi));
    if (next) {
      r.hi = std::move(*next);
    } else {
      r.hi.reset();
    }
    r.hi_exclusive = true;
  }
  if ((kind == StatKind::Timestamp || kind == StatKind::TimestampNtz) && r.hi) {
    // Spark truncates timestamp stats to milliseconds: the max holds only to the millisecond.
    int64_t& hi = std::get<int64_t>(*r.hi);
    hi = hi > INT64_MAX - 999 ? INT64_MAX : hi + 999;
  }
  // Some writers (parquet-rs statistics) leave NaN out of min/max, DuckDB sorts it above all.
  r.nan_above_hi = kind == StatKind::Float || kind == StatKind::Double;
}

void adjust_partition_range(StatKind kind, const StatValue& value, Range& r) {
  if (kind != StatKind::Timestamp || !r.lo) return;
  // A timestamp partition value without a zone is in the writer's unknown local time zone.
  const std::string* s = as<std::string>(value);
  std::optional<ParsedTimestamp> ts = s ? parse_timestamp(*s) : std::nullopt;
  if (ts && !ts->has_zone) {
    std::get<int64_t>(*r.lo) -= kMaxZoneOffsetMicros;
    std::get<int64_t>(*r.hi) += kMaxZoneOffsetMicros;
  }
}

Range make_range(StatKind kind, Domain domain, const ColumnFacts& f) {
  Range r;
  if (f.min) r.lo = value_key(kind, domain, *f.min);
  if (f.max) r.hi = value_key(kind, domain, *f.max);
  if (kind == StatKind::Float && domain == Domain::Double) {
    if (r.lo) r.lo = widen_float(std::get<double>(*r.lo), -1);
    if (r.hi) r.hi = widen_float(std::get<double>(*r.hi), +1);
  }
  if (f.exact) {
    if (f.min) adjust_partition_range(kind, *f.min, r);
  } else {
    adjust_stats_range(kind, r);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

struct FileView {
  const FileStats* stats;
  const PartitionValues* partitions;  // may be null
};

// May some v in `r` satisfy `v op lit`?
bool literal_may_match(Op op, const Range& r, const BoundLiteral& lit) {
  std::optional<int> lo, hi;  // sign(lo - lit), sign(hi - lit)
  if (r.lo) lo = compare(lit.domain, *r.lo, lit.key);
  if (r.hi) hi = compare(lit.domain, *r.hi, lit.key);
  bool hi_below = hi && (r.hi_exclusive ? *hi <= 0 : *hi < 0);  // every v < lit
  bool hi_at_most = hi && *hi <= 0 && !r.nan_above_hi;          // every v <= lit
  switch (op) {
    case Op::Eq:
    case Op::In:
      return !((lo && *lo > 0) || hi_below);
    case Op::Ne:  // skip only when every value equals the literal
      return !(lo == 0 && hi == 0 && !r.hi_exclusive && !r.nan_above_hi);
    case Op::Lt:
      return !(lo && *lo >= 0);
    case Op::Le:
      return !(lo && *lo > 0);
    case Op::Gt:
      return !hi_at_most;
    case Op::Ge:
      return !(hi_below && !r.nan_above_hi);
    case Op::IsNull:
    case Op::IsNotNull:
      return true;
  }
  return true;
}

bool term_may_match(const Term& t, const FileView& file) {
  if (!t.usable) return true;
  StatValue holder;
  std::optional<ColumnFacts> facts = partition_facts(file.partitions, t.column, holder);
  if (!facts) facts = stats_facts(*file.stats, t.column);
  if (t.op == Op::IsNull) return !facts->no_null;
  if (t.op == Op::IsNotNull) return !facts->all_null;
  if (facts->all_null) return false;  // a comparison with NULL is never true
  for (const BoundLiteral& lit : t.literals) {
    if (literal_may_match(t.op, make_range(t.kind, lit.domain, *facts), lit)) return true;
  }
  return false;
}

bool node_may_match(const Node& node, const FileView& file) {
  for (const Term& t : node.terms) {
    if (!term_may_match(t, file)) return false;
  }
  for (const std::vector<Node>& any : node.any_of) {
    if (std::none_of(any.begin(), any.end(), [&](const Node& n) { return node_may_match(n, file); })) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Binding.

bool arity_ok(Op op, size_t n) {
  if (op == Op::IsNull || op == Op::IsNotNull) return n == 0;
  return op == Op::In ? n >= 1 : n == 1;
}

Term bind_term(const ColumnPredicate& p, const ColumnKinds& kinds) {
  Term t;
  t.column = p.column;
  t.op = p.op;
  if (!arity_ok(p.op, p.values.size())) return t;
  bool null_test = p.op == Op::IsNull || p.op == Op::IsNotNull;
  auto it = kinds.find(p.column);
  if (it == kinds.end()) {
    t.usable = null_test;  // null counts need no order: they work for binary columns too
    return t;
  }
  t.kind = it->second;
  for (const Literal& lit : p.values) {
    std::optional<BoundLiteral> b = bind_literal(t.kind, lit);
    if (!b) return t;  // one unknown IN value could match anything: the whole term is unusable
    t.literals.push_back(std::move(*b));
  }
  t.usable = true;
  return t;
}

Node bind_node(const Predicate& p, const ColumnKinds& kinds, std::vector<ColumnPath>& columns) {
  Node n;
  for (const ColumnPredicate& c : p.conjuncts) {
    n.terms.push_back(bind_term(c, kinds));
    if (n.terms.back().usable && std::find(columns.begin(), columns.end(), c.column) == columns.end()) {
      columns.push_back(c.column);
    }
  }
  for (const std::vector<Predicate>& any : p.disjunctions) {
    std::vector<Node>& bound = n.any_of.emplace_back();
    for (const Predicate& branch : any) bound.push_back(bind_node(branch, kinds, columns));
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Predicate extraction from json_serialize_sql output (DuckDB's parsed, unbound expression tree:
// nodes carry "class" and "type"; constants carry {"type": {"id": ...}, "is_null", "value"}).

using simdjson::dom::element;
using Elem = simdjson::simdjson_result<element>;  // errors propagate through lookups

std::string_view str_field(Elem e, std::string_view key) {
  std::string_view s;
  return e[key].get_string().get(s) ? std::string_view() : s;
}

// DuckDB writes non-finite doubles as bare Infinity / NaN, which is not JSON: make them null
// (their constants are then dropped).
std::string replace_non_finite(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size();) {
    char c = json[i];
    if (in_string) {
      size_t n = c == '\\' && i + 1 < json.size() ? 2 : 1;  // an escape and the character it escapes
      out.append(json.substr(i, n));
      in_string = c != '"';
      i += n;
      continue;
    }
    in_string = c == '"';
    size_t n = 1;
    for (std::string_view bad : {"-Infinity", "Infinity", "NaN"}) {
      if (json.substr(i).starts_with(bad)) n = bad.size();
    }
    if (n > 1)
      out += "null";
    else
      out += c;
    i += n;
  }
  return out;
}

std::optional<ColumnPath> column_ref(Elem e) {
  simdjson::dom::array names;
  if (str_field(e, "class") != "COLUMN_REF" || e["column_names"].get_array().get(names)) return std::nullopt;
  ColumnPath path;
  for (element name : names) {
    std::string_view s;
    if (name.get_string().get(s)) return std::nullopt;
    path.emplace_back(s);
  }
  if (path.empty()) return std::nullopt;
  return path;
}

// An integer constant: a JSON integer, or a DuckDB hugeint {"upper": int64, "lower": uint64}.
std::optional<__int128> read_int128(Elem v) {
  int64_t i;
  uint64_t u;
  if (!v.get_int64().get(i)) return i;
  if (!v.get_uint64().get(u)) return u;
  int64_t upper;
  uint64_t lower;
  if (v["upper"].get_int64().get(upper) || v["lower"].get_uint64().get(lower)) return std::nullopt;
  return static_cast<__int128>((static_cast<unsigned __int128>(static_cast<uint64_t>(upper)) << 64) | lower);
}

// The unscaled integer `v` with `scale` fraction digits, as decimal text.
std::string scaled_text(__int128 v, int64_t scale) {
  bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), char('0' + int(u % 10)));
    u /= 10;
  } while (u != 0);
  if (scale > 0) {
    if (digits.size() <= size_t(scale)) digits.insert(0, size_t(scale) + 1 - digits.size(), '0');
    digits.insert(digits.size() - size_t(scale), 1, '.');
  }
  return (negative ? "-" : "") + digits;
}

Literal integer_literal(__int128 v) {
  if (v >= INT64_MIN && v <= INT64_MAX) return Literal::integer(static_cast<int64_t>(v));
  return Literal::decimal(scaled_text(v, 0));
}

// A constant's value; `is_null` is set for a NULL constant, nullopt alone means unsupported.
std::optional<Literal> value_literal(Elem value, bool& is_null) {
  bool null_flag = false;
  if (!value["is_null"].get_bool().get(null_flag) && null_flag) {
    is_null = true;
    return std::nullopt;
  }
  Elem type = value["type"], v = value["value"];
  std::string_view id = str_field(type, "id");
  static constexpr std::string_view kIntegers[] = {"TINYINT", "SMALLINT", "INTEGER",   "BIGINT",
                                                   "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                                   "UBIGINT", "UHUGEINT"};
  if (std::find(std::begin(kIntegers), std::end(kIntegers), id) != std::end(kIntegers)) {
    std::optional<__int128> i = read_int128(v);
    return i ? std::optional<Literal>(integer_literal(*i)) : std::nullopt;
  }
  if (id == "DECIMAL") {
    int64_t scale;
    std::optional<__int128> unscaled = read_int128(v);
    if (type["type_info"]["scale"].get_int64().get(scale) || !unscaled || scale < 0 || scale > 38)
      return std::nullopt;
    return Literal::decimal(*canonical_decimal(scaled_text(*unscaled, scale)));
  }
  double d;
  if ((id == "DOUBLE" || id == "FLOAT") && !v.get_double().get(d)) return Literal::real(d);
  std::string_view s;
  if (id == "VARCHAR" && !v.get_string().get(s)) return Literal::string(std::string(s));
  bool b;
  if (id == "BOOLEAN" && !v.get_bool().get(b)) return Literal::boolean(b);
  return std::nullopt;
}

std::optional<Literal> cast_to_number(const Literal& in, std::string_view target) {
  const std::string* s = as<std::string>(in.value);
  if (target == "DOUBLE" || target == "FLOAT") {
    std::optional<double> d;
    if (in.kind == StatKind::Int) d = double(std::get<int64_t>(in.value));
    if (in.kind == StatKind::Double) d = std::get<double>(in.value);
    if (in.kind == StatKind::Decimal || in.kind == StatKind::String) d = parse_double(*s);
    if (d && target == "FLOAT") d = double(static_cast<float>(*d));
    return d ? std::optional<Literal>(Literal::real(*d)) : std::nullopt;
  }
  if (in.kind == StatKind::Int) return in;
  std::optional<int64_t> i = in.kind == StatKind::String ? parse_int64(*s) : std::nullopt;
  return i ? std::optional<Literal>(Literal::integer(*i)) : std::nullopt;
}

// CAST(<literal> AS target), for the casts whose result we can state exactly. Text stays text:
// it is parsed when bound to a column kind.
std::optional<Literal> cast_literal(const Literal& in, std::string_view target) {
  bool text_like = in.kind == StatKind::String || in.kind == StatKind::Date || in.kind == StatKind::Timestamp;
  const std::string* s = as<std::string>(in.value);
  if (target == "VARCHAR") return in.kind == StatKind::String ? std::optional<Literal>(in) : std::nullopt;
  if (target == "DATE" && (in.kind == StatKind::String || in.kind == StatKind::Date))
    return Literal::date(*s);
  if ((target == "TIMESTAMP" || target == "TIMESTAMP WITH TIME ZONE") && text_like)
    return Literal::timestamp(*s);
  if (target == "BOOLEAN") {
    if (in.kind == StatKind::Bool) return in;
    std::optional<bool> b = in.kind == StatKind::String ? parse_bool(*s) : std::nullopt;
    return b ? std::optional<Literal>(Literal::boolean(*b)) : std::nullopt;
  }
  static constexpr std::string_view kNumbers[] = {"TINYINT", "SMALLINT", "INTEGER",
                                                  "BIGINT",  "DOUBLE",   "FLOAT"};
  if (std::find(std::begin(kNumbers), std::end(kNumbers), target) != std::end(kNumbers)) {
    return cast_to_number(in, target);
  }
  return std::nullopt;
}

// A CONSTANT node, possibly inside CASTs.
std::optional<Literal> constant(Elem e, bool& is_null) {
  std::string_view cls = str_field(e, "class");
  if (cls == "CONSTANT") return value_literal(e["value"], is_null);
  bool try_cast = true;  // TRY_CAST turns bad text into NULL: not modelled
  if (cls != "CAST" || e["try_cast"].get_bool().get(try_cast) || try_cast) return std::nullopt;
  std::optional<Literal> inner = constant(e["child"], is_null);
  return inner ? cast_literal(*inner, str_field(e["cast_type"], "id")) : std::nullopt;
}

std::optional<Literal> constant(Elem e) {
  bool is_null = false;
  return constant(e, is_null);
}

std::optional<Op> comparison_op(std::string_view type) {
  if (type == "COMPARE_EQUAL") return Op::Eq;
  if (type == "COMPARE_NOTEQUAL") return Op::Ne;
  if (type == "COMPARE_LESSTHAN") return Op::Lt;
  if (type == "COMPARE_LESSTHANOREQUALTO") return Op::Le;
  if (type == "COMPARE_GREATERTHAN") return Op::Gt;
  if (type == "COMPARE_GREATERTHANOREQUALTO") return Op::Ge;
  return std::nullopt;
}

// `constant op column` as `column flip(op) constant`.
Op flip(Op op) {
  switch (op) {
    case Op::Lt:
      return Op::Gt;
    case Op::Le:
      return Op::Ge;
    case Op::Gt:
      return Op::Lt;
    case Op::Ge:
      return Op::Le;
    default:
      return op;
  }
}

void add(Predicate& out, ColumnPath column, Op op, std::vector<Literal> values = {}) {
  out.conjuncts.push_back(ColumnPredicate{std::move(column), op, std::move(values)});
}

void extract_comparison(Elem e, Op op, Predicate& out) {
  std::optional<ColumnPath> column = column_ref(e["left"]);
  std::optional<Literal> value = constant(e["right"]);
  if (!column || !value) {
    column = column_ref(e["right"]);
    value = constant(e["left"]);
    op = flip(op);
  }
  if (column && value) add(out, std::move(*column), op, {std::move(*value)});
}

// IN keeps its list only if every item is a constant (NULL items can never match and are
// dropped); NOT IN is a conjunction of <>, so unknown items can simply be left out.
void extract_in(simdjson::dom::array children, bool negated, Predicate& out) {
  std::optional<ColumnPath> column;
  std::vector<Literal> values;
  for (element child : children) {
    if (!column) {
      column = column_ref(Elem(std::move(child)));
      if (!column) return;
      continue;
    }
    bool is_null = false;
    std::optional<Literal> value = constant(Elem(std::move(child)), is_null);
    if (value) values.push_back(std::move(*value));
    if (!value && !is_null && !negated) return;
  }
  if (!column || values.empty()) return;
  if (!negated) return add(out, std::move(*column), Op::In, std::move(values));
  for (Literal& v : values) add(out, *column, Op::Ne, {std::move(v)});
}

void extract_between(Elem e, Predicate& out) {
  std::optional<ColumnPath> column = column_ref(e["input"]);
  if (!column) return;
  if (std::optional<Literal> lower = constant(e["lower"])) add(out, *column, Op::Ge, {std::move(*lower)});
  if (std::optional<Literal> upper = constant(e["upper"])) add(out, *column, Op::Le, {std::move(*upper)});
}

void extract_null_test(Elem operand, Op op, Predicate& out) {
  if (std::optional<ColumnPath> column = column_ref(operand)) add(out, std::move(*column), op);
}

void extract(Elem e, Predicate& out);

// OR keeps a branch list only when every branch constrains something.
void extract_or(simdjson::dom::array children, Predicate& out) {
  std::vector<Predicate> branches;
  for (element child : children) {
    Predicate& branch = branches.emplace_back();
    extract(Elem(std::move(child)), branch);
    if (branch.empty()) return;
  }
  if (!branches.empty()) out.disjunctions.push_back(std::move(branches));
}

void extract_not(Elem child, Predicate& out) {
  std::string_view type = str_field(child, "type");
  Elem operand = child["children"].at(0);
  if (type == "OPERATOR_IS_NULL") extract_null_test(operand, Op::IsNotNull, out);
  if (type == "OPERATOR_IS_NOT_NULL") extract_null_test(operand, Op::IsNull, out);
}

void extract(Elem e, Predicate& out) {
  std::string_view type = str_field(e, "type");
  simdjson::dom::array children;
  bool has_children = !e["children"].get_array().get(children);
  if (std::optional<Op> op = comparison_op(type)) return extract_comparison(e, *op, out);
  if (type == "COMPARE_BETWEEN") return extract_between(e, out);
  if (!has_children) return;
  Elem first = children.at(0);
  if (first.error()) return;
  if (type == "CONJUNCTION_AND") {
    for (element child : children) extract(Elem(std::move(child)), out);
  } else if (type == "CONJUNCTION_OR") {
    extract_or(children, out);
  } else if (type == "COMPARE_IN" || type == "COMPARE_NOT_IN") {
    extract_in(children, type == "COMPARE_NOT_IN", out);
  } else if (type == "OPERATOR_IS_NULL") {
    extract_null_test(first, Op::IsNull, out);
  } else if (type == "OPERATOR_IS_NOT_NULL") {
    extract_null_test(first, Op::IsNotNull, out);
  } else if (type == "OPERATOR_NOT") {
    extract_not(first, out);
  }
}

Result<element> parse_json(simdjson::dom::parser& parser, std::string_view json, std::string_view what) {
  element root;
  std::string text = replace_non_finite(json);
  if (parser.parse(text).get(root)) {
    return Error(ErrorKind::InvalidArgument, std::string(what) + ": not valid JSON");
  }
  return root;
}

std::optional<Predicate> non_empty(Predicate p) {
  if (p.empty()) return std::nullopt;
  return p;
}

}  // namespace

std::optional<StatKind> stat_kind_for_delta_type(std::string_view t) {
  if (t == "byte" || t == "short" || t == "integer" || t == "long") return StatKind::Int;
  if (t == "float") return StatKind::Float;
  if (t == "double") return StatKind::Double;
  if (t == "decimal" || t.starts_with("decimal(")) return StatKind::Decimal;
  if (t == "string") return StatKind::String;
  if (t == "boolean") return StatKind::Bool;
  if (t == "date") return StatKind::Date;
  if (t == "timestamp") return StatKind::Timestamp;
  if (t == "timestamp_ntz") return StatKind::TimestampNtz;
  return std::nullopt;
}

SkippingFilter::SkippingFilter(const Predicate& predicate, const ColumnKinds& kinds) {
  root_ = bind_node(predicate, kinds, stats_columns_);
}

bool SkippingFilter::may_contain_match(const FileStats& stats) const {
  return node_may_match(root_, FileView{&stats, nullptr});
}

bool SkippingFilter::partition_may_match(const PartitionValues& partitions) const {
  static const FileStats kNoStats;
  return node_may_match(root_, FileView{&kNoStats, &partitions});
}

bool SkippingFilter::may_match(const FileStats& stats, const PartitionValues& partitions) const {
  return node_may_match(root_, FileView{&stats, &partitions});
}

bool may_contain_match(const Predicate& predicate, const FileStats& stats, const ColumnKinds& kinds) {
  return SkippingFilter(predicate, kinds).may_contain_match(stats);
}

bool partition_may_match(const Predicate& predicate, const PartitionValues& partitions,
                         const ColumnKinds& kinds) {
  return SkippingFilter(predicate, kinds).partition_may_match(partitions);
}

Result<std::optional<Predicate>> predicate_from_serialized_where(std::string_view where_clause_json) {
  simdjson::dom::parser parser;
  SILT_ASSIGN_OR_RETURN(element root, parse_json(parser, where_clause_json, "where clause"));
  Predicate p;
  extract(Elem(std::move(root)), p);
  return non_empty(std::move(p));
}

Result<std::optional<Predicate>> predicate_from_serialized_select(std::string_view serialized_sql) {
  simdjson::dom::parser parser;
  SILT_ASSIGN_OR_RETURN(element root, parse_json(parser, serialized_sql, "serialized SQL"));
  bool failed = false;
  if (!root["error"].get_bool().get(failed) && failed) {
    return Error(ErrorKind::InvalidArgument,
                 "serialized SQL: " + std::string(str_field(Elem(element(root)), "error_message")));
  }
  element where;
  if (root["statements"].at(0)["node"]["where_clause"].get(where)) {
    return Error(ErrorKind::InvalidArgument, "serialized SQL: no SELECT statement");
  }
  Predicate p;
  if (!where.is_null()) extract(Elem(std::move(where)), p);
  return non_empty(std::move(p));
}

}  // namespace silt::delta
