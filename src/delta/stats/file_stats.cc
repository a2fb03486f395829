// simdjson on-demand parsing of per-file statistics. Sections the caller did not ask for are never
// materialized: on-demand skips a value that is not read, so asking for one column of a wide table
// costs little more than scanning the bytes.
#include "delta/stats/file_stats.h"

#include <algorithm>

namespace silt::delta {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::number_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

enum class Section { Min, Max, NullCount };

Error corrupt(std::string_view what) { return Error(ErrorKind::Corruption, "stats: " + std::string(what)); }

std::string dotted(const std::vector<std::string_view>& path) {
  std::string out;
  for (std::string_view part : path) {
    if (!out.empty()) out += '.';
    out += part;
  }
  return out;
}

// A number token as int64 when it is one, else as double (uint64 beyond int64, fractions,
// exponents, and integers too big for 64 bits, which on-demand reports as an error for int64).
std::optional<StatValue> read_number(value& v) {
  number_type type;
  if (!v.get_number_type().get(type) && type == number_type::signed_integer) {
    int64_t i;
    if (!v.get_int64().get(i)) return StatValue(i);
  }
  double d;
  if (!v.get_double().get(d)) return StatValue(d);
  std::string_view raw = v.raw_json_token();  // a big integer: parse its text ourselves
  std::string text(raw.substr(0, raw.find_first_of(" \t\r\n,}]")));
  char* end = nullptr;
  d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return StatValue(d);
}

// Walks one of minValues / maxValues / nullCount, mirroring the (physical) schema, and fills
// one ColumnStats per leaf it keeps (a later duplicate key overrides an earlier one).
class SectionWalker {
 public:
  SectionWalker(const std::span<const ColumnPath>* wanted, std::vector<ColumnStats>& out)
      : wanted_(wanted), out_(out) {}

  Status walk_section(object obj, Section section) {
    cursor_ = 0;
    return walk(obj, section);
  }

 private:
  Status walk(object obj, Section section) {
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return corrupt("malformed JSON");
      path_.push_back(key);
      Status st = wanted_prefix() ? walk_value(field.value(), section) : ok_status();
      path_.pop_back();
      SILT_TRY(st);
    }
    return ok_status();
  }

  Status walk_value(simdjson::simdjson_result<value> result, Section section) {
    value v;
    json_type type;
    if (result.get(v) || v.type().get(type)) return corrupt("malformed JSON");
    switch (type) {
      case json_type::object: {
        object sub;
        if (v.get_object().get(sub)) return corrupt("malformed JSON");
        return walk(sub, section);
      }
      case json_type::null:
      case json_type::array:  // no statistic for arrays; the protocol defines none
        return ok_status();
      default:
        return wanted_exact() ? leaf(v, type, section) : ok_status();
    }
  }

  Status leaf(value& v, json_type type, Section section) {
    if (section == Section::NullCount) return null_count_leaf(v, type);
    std::optional<StatValue> stat;
    if (type == json_type::number) {
      stat = read_number(v);
    } else if (type == json_type::string) {
      std::string_view s;
      if (!v.get_string().get(s)) stat = std::string(s);
    } else if (type == json_type::boolean) {
      bool b;
      if (!v.get_bool().get(b)) stat = b;
    }
    if (!stat) return corrupt("bad value for " + dotted(path_));
    ColumnStats& entry = add_entry();
    (section == Section::Min ? entry.min : entry.max) = std::move(*stat);
    return ok_status();
  }

  Status null_count_leaf(value& v, json_type type) {
    int64_t count;
    if (type != json_type::number || v.get_int64().get(count)) {
      return corrupt("nullCount of " + dotted(path_) + " is not an integer");
    }
    add_entry().null_count = count;
    return ok_status();
  }

  // The entry of the current leaf, created on first sight. Sections list leaves in the same
  // (schema) order, so the entry after the previous one is almost always the one wanted.
  ColumnStats& add_entry() {
    auto same = [&](const ColumnStats& c) { return std::ranges::equal(c.path, path_); };
    auto it = std::find_if(out_.begin() + std::min(cursor_, out_.size()), out_.end(), same);
    if (it == out_.end()) it = std::find_if(out_.begin(), out_.end(), same);
    if (it == out_.end()) {
      it = out_.emplace(out_.end());
      it->path.assign(path_.begin(), path_.end());
    }
    cursor_ = size_t(it - out_.begin()) + 1;
    return *it;
  }

  // True when some wanted path starts with the current path (or nothing was asked for).
  bool wanted_prefix() const {
    return matches([](size_t want, size_t have) { return want >= have; });
  }
  bool wanted_exact() const {
    return matches([](size_t want, size_t have) { return want == have; });
  }

  template <class SizeOk>
  bool matches(SizeOk size_ok) const {
    if (wanted_ == nullptr) return true;
    for (const ColumnPath& want : *wanted_) {
      if (size_ok(want.size(), path_.size()) && std::equal(path_.begin(), path_.end(), want.begin())) {
        return true;
      }
    }
    return false;
  }

  const std::span<const ColumnPath>* wanted_;
  std::vector<ColumnStats>& out_;
  std::vector<std::string_view> path_;  // keys live in the parser's string buffer
  size_t cursor_ = 0;                   // where add_entry() looks first
};

void sort_by_path(std::vector<ColumnStats>& columns) {
  std::sort(columns.begin(), columns.end(),
            [](const ColumnStats& a, const ColumnStats& b) { return a.path < b.path; });
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

Status read_top_level(std::string_view key, value v, FileStats& stats, SectionWalker& walker) {
  json_type type;
  if (v.type().get(type)) return corrupt("malformed JSON");
  if (type == json_type::null) return ok_status();
  if (key == "numRecords") {
    int64_t n;
    if (type != json_type::number || v.get_int64().get(n)) return corrupt("numRecords is not an integer");
    stats.num_records = n;
  } else if (key == "tightBounds") {
    bool b;
    if (v.get_bool().get(b)) return corrupt("tightBounds is not a boolean");
    stats.tight_bounds = b;
  } else {
    Section section = key == "minValues"   ? Section::Min
                      : key == "maxValues" ? Section::Max
                                           : Section::NullCount;
    object obj;
    if (v.get_object().get(obj)) return corrupt(std::string(key) + " is not an object");
    return walker.walk_section(obj, section);
  }
  return ok_status();
}

bool is_known_key(std::string_view key) {
  return key == "numRecords" || key == "tightBounds" || key == "minValues" || key == "maxValues" ||
         key == "nullCount";
}

}  // namespace

const ColumnStats* FileStats::find(const ColumnPath& path) const {
  auto it = std::lower_bound(columns.begin(), columns.end(), path,
                             [](const ColumnStats& c, const ColumnPath& p) { return c.path < p; });
  return it != columns.end() && it->path == path ? &*it : nullptr;
}

Result<FileStats> FileStatsParser::parse(std::string_view stats_json) {
  return parse_impl(stats_json, nullptr);
}

Result<FileStats> FileStatsParser::parse(std::string_view stats_json, std::span<const ColumnPath> wanted) {
  return parse_impl(stats_json, &wanted);
}

Result<FileStats> FileStatsParser::parse_impl(std::string_view stats_json,
                                              const std::span<const ColumnPath>* wanted) {
  FileStats stats;
  if (is_blank(stats_json)) return stats;
  scratch_.assign(stats_json);
  scratch_.reserve(stats_json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view view(scratch_.data(), stats_json.size(), scratch_.capacity());
  simdjson::ondemand::document doc;
  object obj;
  if (parser_.iterate(view).get(doc) || doc.get_object().get(obj)) return corrupt("not a JSON object");
  SectionWalker walker(wanted, stats.columns);
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return corrupt("malformed JSON");
    if (!is_known_key(key)) continue;  // unknown statistics are ignored, as the protocol asks
    SILT_TRY(read_top_level(key, field.value(), stats, walker));
  }
  // current_location() reports OUT_OF_BOUNDS once the whole input has been consumed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return corrupt("trailing characters after the JSON object");
  sort_by_path(stats.columns);
  return stats;
}

Result<FileStats> parse_file_stats(std::string_view stats_json) {
  thread_local FileStatsParser parser;
  return parser.parse(stats_json);
}

Result<FileStats> parse_file_stats(std::string_view stats_json, std::span<const ColumnPath> wanted) {
  thread_local FileStatsParser parser;
  return parser.parse(stats_json, wanted);
}

}  // namespace silt::delta
