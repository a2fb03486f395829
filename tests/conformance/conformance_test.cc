// Conformance suite over every shared delta-rs table: each one is either read correctly or refused by
// a reader feature its protocol really lists. Expectations come from the log and the parquet files read
// directly with DuckDB (plus a small independent DV decoder), never from silt's replay code.
// Single-threaded; one Session per test process.
//
// Refused tables (their protocol lists reader features silt does not implement):
//   simple_table_features                    reader version 5, unknown reader feature "blahabl"
//   spark-variant-checkpoint                 variantType-preview
//   spark-variant-stable-feature-checkpoint  variantType
//   spark-shredded-variant-preview-delta     variantType, variantShredding-preview
// Not a table: checkpoints_tombstones holds only a .gitignore (delta-rs builds it at test time), so
// silt must fail to open it. golden/ holds one nested table, golden/data-reader-array-primitives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "../support/shared_tables.h"
#include "scan/session.h"

using silt::testing::in_ci;
using silt::testing::set_mtime;

namespace silt {
namespace {

namespace fs = std::filesystem;

const std::string& kTables = silt::testing::kSharedTables;
// delta-rs ships 51 folders; fewer means a truncated copy, which must not pass silently.
constexpr size_t kMinFolders = 50;
// Tables silt may refuse (by one of the reader features their protocol lists) instead of reading.
const std::set<std::string> kMayRefuse = {"simple_table_features", "spark-variant-checkpoint",
                                          "spark-variant-stable-feature-checkpoint",
                                          "spark-shredded-variant-preview-delta"};

// SILT_CONFORMANCE_VERBOSE=1 prints which checks each table went through.
void note(const std::string& rel, const std::string& what) {
  if (std::getenv("SILT_CONFORMANCE_VERBOSE")) std::fprintf(stderr, "  [%s] %s\n", rel.c_str(), what.c_str());
}

// ---------------------------------------------------------------------------------------------------
// Folder discovery: a top-level folder is a table when it has _delta_log; otherwise each nested folder
// with a _delta_log is one (golden/), and a folder with none stays a case of its own ("not a table").

std::vector<std::string> top_folders() {
  std::vector<std::string> out;
  if (!fs::is_directory(kTables)) return out;
  for (const auto& e : fs::directory_iterator(kTables)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> discover_tables() {
  std::vector<std::string> out;
  for (const std::string& top : top_folders()) {
    fs::path dir = fs::path(kTables) / top;
    if (fs::is_directory(dir / "_delta_log")) {
      out.push_back(top);
      continue;
    }
    std::vector<std::string> nested;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_directory() && fs::is_directory(e.path() / "_delta_log")) {
        nested.push_back(top + "/" + e.path().filename().string());
      }
    }
    std::sort(nested.begin(), nested.end());
    if (nested.empty()) nested.push_back(top);
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

std::string test_name(const std::string& rel) {
  std::string s = rel;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

std::string table_path(const std::string& rel) { return kTables + "/" + rel; }

// ---------------------------------------------------------------------------------------------------
// SQL helpers. Everything runs on the Session's connection: raw DuckDB for expectations, run() for silt.

using Rows = std::vector<std::vector<std::optional<std::string>>>;

Session* session() {
  static std::unique_ptr<Session> s = [] {
    auto r = Session::open();
    return r.ok() ? std::move(r).value() : nullptr;
  }();
  return s.get();
}

std::string lit(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string list_lit(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); i++) out += (i ? ", " : "") + lit(items[i]);
  return out + "]";
}

// Raw DuckDB, bypassing silt's rewriter: the independent side.
Result<Rows> duck(const std::string& sql) {
  auto r = session()->connection().query_text(sql);
  if (!r.ok()) return r.error().with_context(sql.substr(0, 300));
  return r;
}

// Through silt (delta_scan expanded).
Result<Rows> silt_rows(const std::string& sql) {
  auto r = session()->run(sql);
  if (!r.ok()) return r.error();
  return r->rows_as_text();  // exact text, or Unsupported for types that need a cast in the SQL
}

std::string scan_of(const std::string& rel, std::optional<int64_t> version = std::nullopt) {
  std::string s = "delta_scan(" + lit(table_path(rel));
  if (version) s += ", version => " + std::to_string(*version);
  return s + ")";
}

std::string cell(const Rows& rows, size_t r = 0, size_t c = 0) {
  if (r >= rows.size() || c >= rows[r].size() || !rows[r][c]) return "NULL";
  return *rows[r][c];
}

// Declares `var` from a Result<Rows>, failing the test with the error message on error.
#define ASSERT_ROWS(var, call)                                      \
  auto var##_result = (call);                                       \
  ASSERT_TRUE(var##_result.ok()) << var##_result.error().message(); \
  Rows var = std::move(var##_result).value()

// ---------------------------------------------------------------------------------------------------
// Independent log model: listing, replay plan, and replay in plain DuckDB SQL.

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct LogDir {
  std::map<int64_t, std::string> commits;                   // version -> NNN.json
  std::map<int64_t, std::vector<std::string>> checkpoints;  // classic and multi-part parquet
  int64_t latest = -1;                                      // over commits and every checkpoint kind
};

LogDir list_log_dir(const std::string& rel) {
  static const std::regex commit(R"((\d{20})\.json)");
  static const std::regex classic(R"((\d{20})\.checkpoint(\.\d{10}\.\d{10})?\.parquet)");
  static const std::regex v2(R"((\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet))");
  LogDir log;
  fs::path dir = fs::path(table_path(rel)) / "_delta_log";
  if (!fs::is_directory(dir)) return log;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    std::smatch m;
    if (std::regex_match(name, m, commit)) {
      log.commits[std::stoll(m[1])] = e.path().string();
    } else if (std::regex_match(name, m, classic)) {
      log.checkpoints[std::stoll(m[1])].push_back(e.path().string());
    } else if (!std::regex_match(name, m, v2)) {
      continue;
    }
    log.latest = std::max<int64_t>(log.latest, std::stoll(m[1]));
  }
  return log;
}

// Files to replay for `version`: every commit from 0, or the newest classic checkpoint at or below
// it plus the commits after it. nullopt when neither is complete.
struct ReplayPlan {
  std::optional<int64_t> checkpoint_version;
  std::vector<std::string> checkpoint_files;
  std::vector<std::string> commit_files;
};

std::optional<ReplayPlan> plan_replay(const LogDir& log, int64_t version) {
  auto commits_from = [&](int64_t first) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> files;
    for (int64_t v = first; v <= version; v++) {
      auto it = log.commits.find(v);
      if (it == log.commits.end()) return std::nullopt;
      files.push_back(it->second);
    }
    return files;
  };
  if (auto all = commits_from(0)) return ReplayPlan{std::nullopt, {}, *all};
  for (auto it = log.checkpoints.rbegin(); it != log.checkpoints.rend(); ++it) {
    if (it->first > version) continue;
    if (auto rest = commits_from(it->first + 1)) return ReplayPlan{it->first, it->second, *rest};
  }
  return std::nullopt;
}

struct DvDescriptor {
  std::string storage_type, path_or_inline;
  std::optional<int64_t> offset;
  int64_t size = 0, cardinality = 0;
};

struct LiveFile {
  std::string path;  // as in the log
  std::string fs_path;
  std::string partition_values;  // JSON object, keyed by physical column name
  std::optional<int64_t> num_records;
  std::optional<DvDescriptor> dv;
};

struct Field {
  std::string name, physical, type_json;
  bool partition = false;
};

struct TableState {
  int64_t version = -1;
  int min_reader = 0;
  std::vector<std::string> reader_features;
  std::string cm_mode;  // "" or "none" when column mapping is off
  std::vector<std::string> partition_columns;
  std::vector<Field> fields;
  std::vector<LiveFile> files;
  bool files_present = true;
  std::vector<std::string> missing;
};

// Loads the plan's actions into temp table conf_acts(v, add, remove, protocol, metaData) as JSON.
Status load_actions(const ReplayPlan& plan) {
  std::vector<std::string> parts;
  if (plan.checkpoint_version) {
    parts.push_back("SELECT " + std::to_string(*plan.checkpoint_version) +
                    "::BIGINT AS v, to_json(add) AS add, to_json(remove) AS remove, "
                    "to_json(protocol) AS protocol, to_json(metaData) AS metaData FROM read_parquet(" +
                    list_lit(plan.checkpoint_files) + ")");
  }
  if (!plan.commit_files.empty()) {
    parts.push_back(
        "SELECT CAST(regexp_extract(filename, '(\\d{20})\\.json$', 1) AS BIGINT) AS v, add, remove, "
        "protocol, metaData FROM read_json(" +
        list_lit(plan.commit_files) +
        ", format = 'newline_delimited', filename = true, "
        "columns = {add: 'JSON', remove: 'JSON', protocol: 'JSON', metaData: 'JSON'})");
  }
  std::string sql = "CREATE OR REPLACE TEMP TABLE conf_acts AS ";
  for (size_t i = 0; i < parts.size(); i++) sql += (i ? " UNION ALL " : "") + parts[i];
  return session()->connection().execute(sql);
}

// Reconciles conf_acts: the newest action per (path, DV id) wins; live files are the winning adds
// (and, should a path still appear twice, its newest add).
const char* kLiveSql = R"(
WITH ev AS (
  SELECT v, add->>'path' AS path, 1 AS is_add, add AS a,
         coalesce(add->'deletionVector'->>'storageType', '') ||
         coalesce(add->'deletionVector'->>'pathOrInlineDv', '') ||
         coalesce('@' || (add->'deletionVector'->>'offset'), '') AS dv_id
  FROM conf_acts WHERE add->>'path' IS NOT NULL
  UNION ALL
  SELECT v, remove->>'path', 0, NULL,
         coalesce(remove->'deletionVector'->>'storageType', '') ||
         coalesce(remove->'deletionVector'->>'pathOrInlineDv', '') ||
         coalesce('@' || (remove->'deletionVector'->>'offset'), '')
  FROM conf_acts WHERE remove->>'path' IS NOT NULL
), winners AS (
  SELECT * FROM ev QUALIFY row_number() OVER (PARTITION BY path, dv_id ORDER BY v DESC, is_add DESC) = 1
), live AS (
  SELECT * FROM winners WHERE is_add = 1
  QUALIFY row_number() OVER (PARTITION BY path ORDER BY v DESC) = 1
)
SELECT path,
       coalesce(TRY_CAST(json_extract_string(a->>'stats', '$.numRecords') AS BIGINT),
                TRY_CAST(a->'stats_parsed'->>'numRecords' AS BIGINT)),
       a->'deletionVector'->>'storageType', a->'deletionVector'->>'pathOrInlineDv',
       a->'deletionVector'->>'offset', a->'deletionVector'->>'sizeInBytes',
       a->'deletionVector'->>'cardinality', coalesce(a->'partitionValues', '{}')
FROM live ORDER BY path)";

std::optional<int64_t> to_i64(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::stoll(*s);
}

// The table's state at `version`, replayed independently of silt.
Result<TableState> replay(const std::string& rel, int64_t version) {
  LogDir log = list_log_dir(rel);
  auto plan = plan_replay(log, version);
  if (!plan)
    return Error(ErrorKind::NotFound, "no complete log segment for version " + std::to_string(version));
  SILT_TRY(load_actions(*plan));
  TableState st;
  st.version = version;

  SILT_ASSIGN_OR_RETURN(Rows proto, duck("SELECT protocol->>'minReaderVersion', protocol->'readerFeatures' "
                                         "FROM conf_acts WHERE protocol->>'minReaderVersion' IS NOT NULL "
                                         "ORDER BY v DESC LIMIT 1"));
  if (proto.empty()) return Error(ErrorKind::Corruption, "no protocol action");
  st.min_reader = std::stoi(cell(proto));
  if (proto[0][1] && *proto[0][1] != "null") {
    SILT_ASSIGN_OR_RETURN(Rows feats,
                          duck("SELECT unnest(json_extract_string(" + lit(*proto[0][1]) + ", '$[*]'))"));
    for (const auto& r : feats) st.reader_features.push_back(r[0].value_or(""));
  }

  SILT_ASSIGN_OR_RETURN(Rows meta,
                        duck("SELECT metaData->>'schemaString', "
                             "metaData->'configuration'->>'delta.columnMapping.mode', "
                             "to_json(json_extract_string(metaData, '$.partitionColumns[*]')) "
                             "FROM conf_acts WHERE metaData->>'id' IS NOT NULL ORDER BY v DESC LIMIT 1"));
  if (meta.empty()) return Error(ErrorKind::Corruption, "no metaData action");
  st.cm_mode = meta[0][1].value_or("");
  SILT_ASSIGN_OR_RETURN(Rows pcols,
                        duck("SELECT unnest(json_extract_string(" + lit(cell(meta, 0, 2)) + ", '$[*]'))"));
  for (const auto& r : pcols) st.partition_columns.push_back(r[0].value_or(""));
  if (meta[0][0]) {
    SILT_ASSIGN_OR_RETURN(Rows fields,
                          duck("SELECT f->>'name', f->'metadata'->>'delta.columnMapping.physicalName', "
                               "f->'type' FROM (SELECT unnest(json_extract(" +
                               lit(*meta[0][0]) + "::JSON, '$.fields[*]')) AS f)"));
    for (const auto& r : fields) {
      Field f{r[0].value_or(""), r[1].value_or(r[0].value_or("")), r[2].value_or("")};
      // Without column mapping the physical name is the logical one, whatever metadata says.
      if (st.cm_mode.empty() || st.cm_mode == "none") f.physical = f.name;
      f.partition = std::count(st.partition_columns.begin(), st.partition_columns.end(), f.name) > 0;
      st.fields.push_back(f);
    }
  }

  SILT_ASSIGN_OR_RETURN(Rows live, duck(kLiveSql));
  for (const auto& r : live) {
    LiveFile f;
    f.path = r[0].value_or("");
    f.fs_path = table_path(rel) + "/" + url_decode(f.path);
    f.num_records = to_i64(r[1]);
    f.partition_values = r[7].value_or("{}");
    if (r[2])
      f.dv = DvDescriptor{*r[2], r[3].value_or(""), to_i64(r[4]), to_i64(r[5]).value_or(0),
                          to_i64(r[6]).value_or(0)};
    if (!fs::exists(f.fs_path)) {
      st.files_present = false;
      st.missing.push_back(f.fs_path);
    }
    st.files.push_back(std::move(f));
  }
  return st;
}

bool uses_column_mapping(const TableState& st) { return !st.cm_mode.empty() && st.cm_mode != "none"; }

bool has_dvs(const TableState& st) {
  return std::any_of(st.files.begin(), st.files.end(), [](const LiveFile& f) { return f.dv.has_value(); });
}

// Sum of numRecords minus DV cardinalities, when every live file has numRecords.
std::optional<int64_t> stats_row_count(const TableState& st) {
  int64_t n = 0;
  for (const auto& f : st.files) {
    if (!f.num_records) return std::nullopt;
    n += *f.num_records - (f.dv ? f.dv->cardinality : 0);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Independent deletion-vector decoding (PROTOCOL.md "Deletion Vector Format"): Z85, the DV file
// framing and the portable 64-bit RoaringBitmapArray, written from the spec.

std::optional<std::string> z85_decode(std::string_view s) {
  static const std::string kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  if (s.size() % 5) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = 0; j < 5; j++) {
      size_t d = kAlphabet.find(s[i + j]);
      if (d == std::string::npos) return std::nullopt;
      v = v * 85 + d;
    }
    for (int b = 3; b >= 0; b--) out += static_cast<char>((v >> (8 * b)) & 0xff);
  }
  return out;
}

struct ByteReader {
  std::string_view data;
  size_t pos = 0;
  bool ok = true;
  uint64_t le(int n) {
    if (pos + n > data.size()) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= uint64_t(static_cast<unsigned char>(data[pos + i])) << (8 * i);
    pos += n;
    return v;
  }
};

// Portable RoaringBitmap (32-bit) at r.pos; values are OR-ed with `high`.
bool read_roaring32(ByteReader& r, uint64_t high, std::vector<uint64_t>& out) {
  constexpr uint32_t kSerialCookieNoRun = 12346, kSerialCookie = 12347;
  uint32_t cookie = static_cast<uint32_t>(r.le(4));
  uint32_t n = 0;
  std::string_view run_bits;
  bool has_runs = (cookie & 0xffff) == kSerialCookie;
  if (has_runs) {
    n = (cookie >> 16) + 1;
    size_t bytes = (n + 7) / 8;
    if (r.pos + bytes > r.data.size()) return false;
    run_bits = r.data.substr(r.pos, bytes);
    r.pos += bytes;
  } else if (cookie == kSerialCookieNoRun) {
    n = static_cast<uint32_t>(r.le(4));
  } else {
    return false;
  }
  std::vector<std::pair<uint16_t, uint32_t>> header(n);  // key, cardinality
  for (auto& [key, card] : header) {
    key = static_cast<uint16_t>(r.le(2));
    card = static_cast<uint32_t>(r.le(2)) + 1;
  }
  if (!has_runs || n >= 4) r.pos += 4 * n;  // offset header
  for (uint32_t i = 0; i < n && r.ok; i++) {
    uint64_t base = high | (uint64_t(header[i].first) << 16);
    bool is_run = has_runs && (static_cast<unsigned char>(run_bits[i / 8]) >> (i % 8)) & 1;
    if (is_run) {
      uint64_t runs = r.le(2);
      for (uint64_t k = 0; k < runs; k++) {
        uint64_t start = r.le(2), len = r.le(2);
        for (uint64_t x = start; x <= start + len; x++) out.push_back(base | x);
      }
    } else if (header[i].second > 4096) {
      for (uint64_t w = 0; w < 1024; w++) {
        uint64_t word = r.le(8);
        for (int b = 0; b < 64; b++) {
          if (word >> b & 1) out.push_back(base | (w * 64 + b));
        }
      }
    } else {
      for (uint32_t k = 0; k < header[i].second; k++) out.push_back(base | r.le(2));
    }
  }
  return r.ok;
}

// Deleted row positions of a DV, or an error message.
Result<std::vector<uint64_t>> decode_dv(const std::string& table_root, const DvDescriptor& dv) {
  std::string blob;
  if (dv.storage_type == "i") {
    auto raw = z85_decode(dv.path_or_inline);
    if (!raw) return Error(ErrorKind::Corruption, "bad inline DV");
    blob = raw->substr(0, dv.size);
  } else {
    std::string file;
    if (dv.storage_type == "u") {
      if (dv.path_or_inline.size() < 20) return Error(ErrorKind::Corruption, "short DV id");
      std::string prefix = dv.path_or_inline.substr(0, dv.path_or_inline.size() - 20);
      auto uuid = z85_decode(dv.path_or_inline.substr(prefix.size()));
      if (!uuid) return Error(ErrorKind::Corruption, "bad DV uuid");
      std::string hex;
      for (size_t i = 0; i < uuid->size(); i++) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>((*uuid)[i]));
        hex += buf;
        if (i == 3 || i == 5 || i == 7 || i == 9) hex += '-';
      }
      file = table_root + "/" + (prefix.empty() ? "" : prefix + "/") + "deletion_vector_" + hex + ".bin";
    } else {
      file = url_decode(dv.path_or_inline);
      if (file.rfind("file://", 0) == 0) file = file.substr(7);
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error(ErrorKind::NotFound, "DV file missing: " + file);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t off = dv.offset.value_or(1);
    if (off + 4 + dv.size > all.size()) return Error(ErrorKind::Corruption, "DV past end of " + file);
    blob = all.substr(off + 4, dv.size);  // skip the big-endian size prefix
  }
  ByteReader r{blob};
  if (r.le(4) != 1681511377) return Error(ErrorKind::Corruption, "bad DV magic");
  uint64_t buckets = r.le(8);
  std::vector<uint64_t> rows;
  for (uint64_t b = 0; b < buckets && r.ok; b++) {
    uint64_t high = r.le(4) << 32;
    if (!read_roaring32(r, high, rows)) return Error(ErrorKind::Corruption, "bad roaring bitmap");
  }
  if (!r.ok) return Error(ErrorKind::Corruption, "truncated DV");
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Expected rows: the live parquet files read directly, physical names renamed to logical ones,
// partition values cast from the log's strings, and DV-deleted rows removed by position.

std::optional<std::string> duck_type(const std::string& type_json) {
  if (type_json.size() < 2 || type_json.front() != '"') return std::nullopt;  // nested
  std::string t = type_json.substr(1, type_json.size() - 2);
  static const std::map<std::string, std::string> kTypes = {{"string", "VARCHAR"},
                                                            {"long", "BIGINT"},
                                                            {"integer", "INTEGER"},
                                                            {"short", "SMALLINT"},
                                                            {"byte", "TINYINT"},
                                                            {"float", "FLOAT"},
                                                            {"double", "DOUBLE"},
                                                            {"boolean", "BOOLEAN"},
                                                            {"date", "DATE"},
                                                            {"binary", "BLOB"},
                                                            {"timestamp", "TIMESTAMP WITH TIME ZONE"},
                                                            {"timestamp_ntz", "TIMESTAMP"}};
  if (auto it = kTypes.find(t); it != kTypes.end()) return it->second;
  std::smatch m;
  static const std::regex dec(R"(decimal\(\s*(\d+)\s*,\s*(\d+)\s*\))");
  if (std::regex_match(t, m, dec)) return "DECIMAL(" + m[1].str() + "," + m[2].str() + ")";
  return std::nullopt;
}

// Creates conf_files(fs_path, pv) and conf_deleted(fs_path, row); returns the expected-rows SELECT.
Result<std::string> expected_rows_sql(const std::string& rel, const TableState& st) {
  SILT_TRY(session()->connection().execute(
      "CREATE OR REPLACE TEMP TABLE conf_deleted (fs_path VARCHAR, row_nr BIGINT)"));
  std::vector<std::string> paths;
  for (const auto& f : st.files) {
    paths.push_back(f.fs_path);
    if (!f.dv) continue;
    SILT_ASSIGN_OR_RETURN(auto rows, decode_dv(table_path(rel), *f.dv));
    if (static_cast<int64_t>(rows.size()) != f.dv->cardinality) {
      return Error(ErrorKind::Corruption, "DV of " + f.path + " decodes to " + std::to_string(rows.size()) +
                                              " rows, log says " + std::to_string(f.dv->cardinality));
    }
    std::string ins = "INSERT INTO conf_deleted VALUES ";
    for (size_t i = 0; i < rows.size(); i++) {
      ins += (i ? ", (" : "(") + lit(f.fs_path) + ", " + std::to_string(rows[i]) + ")";
    }
    if (!rows.empty()) SILT_TRY(session()->connection().execute(ins));
  }
  // Partition values per file, straight from the log (keyed by physical name under column mapping).
  std::string files = "CREATE OR REPLACE TEMP TABLE conf_files AS SELECT * FROM (VALUES ";
  for (size_t i = 0; i < st.files.size(); i++) {
    files +=
        (i ? ", (" : "(") + lit(st.files[i].fs_path) + ", " + lit(st.files[i].partition_values) + "::JSON)";
  }
  SILT_TRY(session()->connection().execute(files + ") AS f(fs_path, pv)"));
  std::string select;
  for (const auto& f : st.fields) {
    std::string col;
    if (f.partition) {
      auto t = duck_type(f.type_json);
      if (!t) return Error(ErrorKind::Unsupported, "partition column of nested type " + f.name);
      col = "CAST(pv->>" + lit(f.physical) + " AS " + *t + ")";
    } else {
      col = "t." + ident(f.physical);
    }
    select += (select.empty() ? "" : ", ") + col + " AS " + ident(f.name);
  }
  return "SELECT " + select + " FROM read_parquet(" + list_lit(paths) +
         ", filename = true, file_row_number = true, union_by_name = true) t "
         "JOIN conf_files f ON t.filename = f.fs_path "
         "WHERE NOT EXISTS (SELECT 1 FROM conf_deleted d WHERE d.fs_path = t.filename "
         "AND d.row_nr = t.file_row_number)";
}

// issue_1374's stats are wrong (see IssueTableStatsUnderstateData): skipping on them may drop rows.
const std::set<std::pair<std::string, std::string>> kWrongStats = {{"issue_1374", "timestamp"}};

// A filter (the filter => argument, or the WHERE of a single-scan SELECT) may skip files by stats and
// partition values; it must never drop a matching row. For each primitive column: IS NULL, = and >
// its min, = and < its max, counted against the expected rows.

void check_filters(const std::string& rel, const TableState& st, const std::string& want) {
  for (const auto& f : st.fields) {
    auto type = duck_type(f.type_json);
    if (!type || *type == "BLOB" || kWrongStats.count({rel, f.name})) continue;
    auto bounds = duck("SELECT min(" + ident(f.name) + ")::VARCHAR, max(" + ident(f.name) +
                       ")::VARCHAR FROM (" + want + ")");
    if (!bounds.ok()) {
      ADD_FAILURE() << bounds.error().message();
      continue;
    }
    std::vector<std::string> filters = {ident(f.name) + " IS NULL"};
    for (int c : {0, 1}) {
      if (!(*bounds)[0][c]) continue;
      std::string value = "CAST(" + lit(*(*bounds)[0][c]) + " AS " + *type + ")";
      filters.push_back(ident(f.name) + " = " + value);
      filters.push_back(ident(f.name) + (c ? " < " : " > ") + value);
    }
    for (const std::string& filter : filters) {
      auto expected = duck("SELECT count(*) FROM (" + want + ") WHERE " + filter);
      ASSERT_TRUE(expected.ok()) << filter << ": " << expected.error().message();
      for (const std::string& sql :
           {"SELECT count(*) FROM delta_scan(" + lit(table_path(rel)) + ", filter => " + lit(filter) + ")",
            "SELECT count(*) FROM " + scan_of(rel) + " WHERE " + filter}) {
        auto got = silt_rows(sql);
        ASSERT_TRUE(got.ok()) << sql << ": " << got.error().message();
        EXPECT_EQ(cell(*got), cell(*expected)) << sql;
      }
    }
  }
}

// Checks a readable table's scan at `version` (latest when nullopt) against `st`: logical column
// names and types, count vs stats, and contents vs the live files read directly. Returns the count.
std::string check_contents(const std::string& rel, const TableState& st, std::optional<int64_t> version) {
  SCOPED_TRACE(rel + " at version " + std::to_string(st.version));
  const std::string scan = scan_of(rel, version);
  auto desc = silt_rows("DESCRIBE SELECT * FROM " + scan);
  if (!desc.ok()) {
    ADD_FAILURE() << desc.error().message();
    return "";
  }
  EXPECT_EQ(desc->size(), st.fields.size()) << "column count";
  for (size_t i = 0; i < std::min(desc->size(), st.fields.size()); i++) {
    EXPECT_EQ(cell(*desc, i, 0), st.fields[i].name) << "logical name of column " << i;
    if (auto t = duck_type(st.fields[i].type_json)) {
      EXPECT_EQ(cell(*desc, i, 1), *t) << "type of column " << st.fields[i].name;
    }
  }
  auto count = silt_rows("SELECT count(*) FROM " + scan);
  if (!count.ok()) {
    ADD_FAILURE() << count.error().message();
    return "";
  }
  if (auto n = stats_row_count(st)) {
    EXPECT_EQ(cell(*count), std::to_string(*n)) << "count vs numRecords";
  }
  if (st.files.empty()) {
    EXPECT_EQ(cell(*count), "0");
    return cell(*count);
  }
  // Contents: delta_scan equals the independently built rows, as multisets, both ways.
  auto want = expected_rows_sql(rel, st);
  if (!want.ok()) {
    ADD_FAILURE() << want.error().message();
    return cell(*count);
  }
  auto want_count = duck("SELECT count(*) FROM (" + *want + ")");
  EXPECT_TRUE(want_count.ok()) << want_count.error().message();
  if (want_count.ok()) {
    EXPECT_EQ(cell(*count), cell(*want_count)) << "count vs rows read from parquet";
  }
  std::string got = "(SELECT * FROM " + scan + ")";
  auto diff = silt_rows("SELECT count(*) FROM ((" + got + " EXCEPT ALL (" + *want + ")) UNION ALL ((" +
                        *want + ") EXCEPT ALL " + got + "))");
  EXPECT_TRUE(diff.ok()) << diff.error().message();
  if (diff.ok()) {
    EXPECT_EQ(cell(*diff), "0") << "rows differ from the live parquet files read directly";
  }
  if (!version) check_filters(rel, st, *want);
  return cell(*count);
}

// ---------------------------------------------------------------------------------------------------
// The per-table test.

class ConformanceTable : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    REQUIRE_SHARED_TABLES();
    ASSERT_NE(session(), nullptr) << "Session::open failed";
  }
};

void expect_scan_fails_naming_missing_file(const std::string& rel, const TableState& st) {
  for (const char* sql : {"SELECT count(*) FROM ", "SELECT * FROM "}) {
    auto r = silt_rows(std::string(sql) + scan_of(rel));
    ASSERT_FALSE(r.ok()) << rel << ": scan returned " << r->size() << " rows though " << st.missing.size()
                         << " live file(s) are missing, e.g. " << st.missing[0];
    bool named = std::any_of(st.missing.begin(), st.missing.end(), [&](const std::string& m) {
      return r.error().message().find(fs::path(m).filename().string()) != std::string::npos;
    });
    EXPECT_TRUE(named) << "error should name a missing file: " << r.error().message();
  }
}

// Runs `silt ARGS` and returns (exit status, combined output).
std::pair<int, std::string> run_cli(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(SILT_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return {pclose(p), out};
}

TEST_P(ConformanceTable, ReadsCorrectlyOrRefusesByFeature) {
  const std::string rel = GetParam();
  if (!fs::is_directory(fs::path(table_path(rel)) / "_delta_log")) {
    // Not a table: opening it must fail, not yield an empty table.
    auto snap = session()->snapshot(table_path(rel));
    EXPECT_FALSE(snap.ok()) << rel << " has no _delta_log but opened as version " << snap->version();
    EXPECT_FALSE(silt_rows("SELECT * FROM " + scan_of(rel)).ok());
    note(rel, "not a table: open fails");
    return;
  }
  LogDir log = list_log_dir(rel);
  ASSERT_GE(log.latest, 0) << "no commits or checkpoints in " << rel;
  auto expected_r = replay(rel, log.latest);
  ASSERT_TRUE(expected_r.ok()) << expected_r.error().message();
  const TableState& st = *expected_r;

  auto snap = session()->snapshot(table_path(rel));
  if (!snap.ok()) {
    // (b) refused: Unsupported, naming a reader feature the protocol really lists.
    const Error& e = snap.error();
    EXPECT_TRUE(kMayRefuse.count(rel)) << rel << " refused unexpectedly: " << e.message();
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.message();
    bool named = std::any_of(st.reader_features.begin(), st.reader_features.end(),
                             [&](const std::string& f) { return e.message().find(f) != std::string::npos; });
    EXPECT_TRUE(named) << "refusal must name one of the protocol's readerFeatures: " << e.message();
    EXPECT_FALSE(silt_rows("SELECT count(*) FROM " + scan_of(rel)).ok()) << "a refused table scanned";
    note(rel, "refused: " + e.message());
    return;
  }

  // (a) read: version, metadata and live files agree with the independent replay.
  EXPECT_EQ(snap->version(), st.version);
  EXPECT_EQ(snap->metadata().partition_columns, st.partition_columns);
  std::multiset<std::string> want, got;
  for (const auto& f : st.files) want.insert(f.path);
  for (const auto& f : snap->files()) got.insert(f.path);
  EXPECT_EQ(got, want) << "live file set differs from the log replay";

  if (!st.files_present) {
    expect_scan_fails_naming_missing_file(rel, st);
    auto [status, out] = run_cli("describe " + table_path(rel));
    EXPECT_EQ(status, 0) << "silt describe on a log-only table: " << out;
    note(rel, "log only: " + std::to_string(st.files.size()) + " live files, scan fails");
    return;
  }

  std::string count = check_contents(rel, st, std::nullopt);
  note(rel, "read: " + std::to_string(st.files.size()) + " files, " + count + " rows, stats count " +
                (stats_row_count(st) ? "checked" : "n/a") + (has_dvs(st) ? ", DVs" : "") +
                (uses_column_mapping(st) ? ", column mapping" : "") +
                (st.partition_columns.empty() ? "" : ", partitioned"));
}

INSTANTIATE_TEST_SUITE_P(DeltaRs, ConformanceTable, ::testing::ValuesIn(discover_tables()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test_name(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTable);

TEST(ConformanceSuite, FindsEveryFolder) {
  REQUIRE_SHARED_TABLES();
  EXPECT_GE(top_folders().size(), kMinFolders) << "truncated copy of " << kTables;
  std::set<std::string> names;
  for (const auto& t : discover_tables()) {
    EXPECT_TRUE(names.insert(test_name(t)).second) << "test name collision for " << t;
  }
}

// ---------------------------------------------------------------------------------------------------
// Time travel: every version 0..latest of tables with multi-version logs (checkpoints, DVs, schema
// changes) matches the independent replay up to that version.

class ConformanceTimeTravel : public ConformanceTable {};

TEST_P(ConformanceTimeTravel, EveryVersionMatchesReplay) {
  const std::string rel = GetParam();
  LogDir log = list_log_dir(rel);
  ASSERT_GT(log.latest, 0) << rel << " needs several versions";
  for (int64_t v = 0; v <= log.latest; v++) {
    SCOPED_TRACE(rel + " version " + std::to_string(v));
    auto st = replay(rel, v);
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto snap = session()->snapshot(table_path(rel), TimeTravel{v, std::nullopt});
    ASSERT_TRUE(snap.ok()) << snap.error().message();
    EXPECT_EQ(snap->version(), v);
    std::multiset<std::string> want, got;
    for (const auto& f : st->files) want.insert(f.path);
    for (const auto& f : snap->files()) got.insert(f.path);
    EXPECT_EQ(got, want) << "live files";
    if (!st->files_present) {
      EXPECT_FALSE(silt_rows("SELECT count(*) FROM " + scan_of(rel, v)).ok()) << "missing files scanned";
      continue;
    }
    check_contents(rel, *st, v);
  }
}

INSTANTIATE_TEST_SUITE_P(DeltaRs, ConformanceTimeTravel,
                         ::testing::Values("simple_table", "delta-0.8.0", "table-with-dv-small", "cdf-table",
                                           "table_with_deletion_logs", "checkpoint-v2-table",
                                           "table_failed_last_checkpoint_update",
                                           "delta-1.2.1-only-struct-stats", "simple_table_with_checkpoint",
                                           "table_with_partitioning_mapping", "cdf-table-with-cdc-and-dvs",
                                           "checkpoints"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test_name(info.param);
                         });

// ---------------------------------------------------------------------------------------------------
// Known values, from the delta-rs test-suite for these tables.

class ConformanceKnownValues : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_SHARED_TABLES();
    ASSERT_NE(session(), nullptr) << "Session::open failed";
  }
};

std::vector<std::string> column(const Rows& rows, size_t c = 0) {
  std::vector<std::string> out;
  for (size_t r = 0; r < rows.size(); r++) out.push_back(cell(rows, r, c));
  return out;
}

using Strings = std::vector<std::string>;

TEST_F(ConformanceKnownValues, SimpleTableLatestIsVersion4) {
  auto snap = session()->snapshot(table_path("simple_table"));
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_EQ(snap->version(), 4);
  ASSERT_ROWS(rows, silt_rows("SELECT id FROM " + scan_of("simple_table") + " ORDER BY id"));
  EXPECT_EQ(column(rows), (Strings{"5", "7", "9"}));
}

TEST_F(ConformanceKnownValues, SimpleTableAtVersion2) {
  auto snap = session()->snapshot(table_path("simple_table"), TimeTravel{2, std::nullopt});
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_EQ(snap->version(), 2);
  // delta-rs's read_simple_table_with_version: version 2 (an Overwrite) has exactly these six files.
  Strings files;
  for (const auto& f : snap->files()) files.push_back(f.path.substr(0, 19));
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (Strings{"part-00000-c1777d7d", "part-00001-7891c33d", "part-00003-53f42606",
                            "part-00004-315835fe", "part-00006-46f2ff20", "part-00007-3a0e4727"}));
  // Those files hold ids 5..9 once each (part-00000-c1777d7d is empty), so version 2 reads {5,6,7,8,9}.
  // The brief's {5,7,9,5,6,7,8,9} comes from an old delta-rs README example, not from a test, and
  // contradicts both the log and the parquet files: it is not asserted.
  ASSERT_ROWS(rows, silt_rows("SELECT id FROM " + scan_of("simple_table", 2) + " ORDER BY id"));
  EXPECT_EQ(column(rows), (Strings{"5", "6", "7", "8", "9"}));
}

TEST_F(ConformanceKnownValues, Delta080PartitionedValuesAndTypes) {
  const std::string rel = "delta-0.8.0-partitioned";
  ASSERT_ROWS(rows, silt_rows("SELECT value, year, month, day FROM " + scan_of(rel) + " ORDER BY value"));
  Rows want = {{"1", "2020", "1", "1"},  {"2", "2020", "2", "3"},  {"3", "2020", "2", "5"},
               {"4", "2021", "4", "5"},  {"5", "2021", "12", "4"}, {"6", "2021", "12", "20"},
               {"7", "2021", "12", "20"}};
  EXPECT_EQ(rows, want);
  // Types come from the log's schemaString, read here without silt.
  auto st = replay(rel, list_log_dir(rel).latest);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_ROWS(desc, silt_rows("DESCRIBE SELECT * FROM " + scan_of(rel)));
  ASSERT_EQ(desc.size(), st->fields.size());
  for (size_t i = 0; i < desc.size(); i++) {
    EXPECT_EQ(cell(desc, i, 0), st->fields[i].name);
    EXPECT_EQ(cell(desc, i, 1), duck_type(st->fields[i].type_json).value_or("?")) << st->fields[i].name;
  }
}

TEST_F(ConformanceKnownValues, Delta080LatestHasItsLiveFilesValues) {
  const std::string rel = "delta-0.8.0";
  auto st = replay(rel, list_log_dir(rel).latest);
  ASSERT_TRUE(st.ok()) << st.error().message();
  // delta-rs: version 1 removed part-00001-911a94a2 and added part-00000-04ec9591.
  Strings files;
  std::vector<std::string> fs_paths;
  for (const auto& f : st->files) {
    files.push_back(f.path.substr(0, 19));
    fs_paths.push_back(f.fs_path);
  }
  EXPECT_EQ(files, (Strings{"part-00000-04ec9591", "part-00000-c9b90f86"}));
  ASSERT_ROWS(want, duck("SELECT value FROM read_parquet(" + list_lit(fs_paths) + ") ORDER BY value"));
  ASSERT_ROWS(got, silt_rows("SELECT value FROM " + scan_of(rel) + " ORDER BY value"));
  EXPECT_EQ(got, want);
  EXPECT_EQ(column(got), (Strings{"0", "1", "2", "4"}));
}

TEST_F(ConformanceKnownValues, TableWithDvSmallKeepsEightOfTen) {
  const std::string rel = "table-with-dv-small";
  auto st = replay(rel, list_log_dir(rel).latest);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_EQ(st->files.size(), 1u);
  const LiveFile& f = st->files[0];
  ASSERT_TRUE(f.dv.has_value());
  EXPECT_EQ(f.dv->cardinality, 2);
  auto deleted = decode_dv(table_path(rel), *f.dv);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message();
  EXPECT_EQ(*deleted, (std::vector<uint64_t>{0, 9}));
  ASSERT_ROWS(all, duck("SELECT count(*) FROM read_parquet(" + lit(f.fs_path) + ")"));
  EXPECT_EQ(cell(all), "10") << "rows written before the DV";
  ASSERT_ROWS(want, duck("SELECT value FROM read_parquet(" + lit(f.fs_path) +
                         ", file_row_number = true) WHERE file_row_number NOT IN (0, 9) ORDER BY value"));
  ASSERT_ROWS(got, silt_rows("SELECT value FROM " + scan_of(rel) + " ORDER BY value"));
  EXPECT_EQ(got.size(), 8u);
  EXPECT_EQ(got, want);
  EXPECT_EQ(column(got), (Strings{"1", "2", "3", "4", "5", "6", "7", "8"}));
  ASSERT_ROWS(v0, silt_rows("SELECT count(*) FROM " + scan_of(rel, 0)));
  EXPECT_EQ(cell(v0), "10") << "version 0 has no DV";
}

TEST_F(ConformanceKnownValues, ColumnMappingGivesLogicalNames) {
  const std::string rel = "table_with_column_mapping";
  ASSERT_ROWS(desc, silt_rows("DESCRIBE SELECT * FROM " + scan_of(rel)));
  EXPECT_EQ(column(desc), (Strings{"Company Very Short", "Super Name"}));
  ASSERT_ROWS(rows, silt_rows("SELECT \"Company Very Short\", count(*), count(\"Super Name\") FROM " +
                              scan_of(rel) + " GROUP BY 1 ORDER BY 1"));
  EXPECT_EQ(rows, (Rows{{"BME", "1", "1"}, {"BMS", "4", "4"}}));  // numRecords per partition in the log
  ASSERT_ROWS(
      one, silt_rows("SELECT \"Super Name\" FROM " + scan_of(rel) + " WHERE \"Company Very Short\" = 'BME'"));
  EXPECT_EQ(column(one), (Strings{"Timothy Lamb"}));  // the file's min = max stats
}

TEST_F(ConformanceKnownValues, RenamedPartitionColumnUnderColumnMapping) {
  const std::string rel = "table_with_partitioning_mapping";
  ASSERT_ROWS(rows, silt_rows("SELECT newid, description FROM " + scan_of(rel) + " ORDER BY newid"));
  EXPECT_EQ(rows, (Rows{{"1", "Initial data"}, {"2", "Additional data"}}));
}

TEST_F(ConformanceKnownValues, NullPartitionReadsAsNull) {
  const std::string rel = "delta-0.8.0-null-partition";
  ASSERT_ROWS(rows, silt_rows("SELECT k, v FROM " + scan_of(rel) + " ORDER BY k NULLS LAST"));
  EXPECT_EQ(rows, (Rows{{"A", "1"}, {std::nullopt, "2"}}));
  ASSERT_ROWS(nulls, silt_rows("SELECT count(*) FROM " + scan_of(rel) + " WHERE k IS NULL"));
  EXPECT_EQ(cell(nulls), "1");
}

TEST_F(ConformanceKnownValues, SpecialCharacterPartitionsAreDecoded) {
  const std::string rel = "delta-0.8.0-special-partition";
  ASSERT_ROWS(rows, silt_rows("SELECT x FROM " + scan_of(rel) + " ORDER BY x"));
  EXPECT_EQ(column(rows), (Strings{"A/A", "B B"}));
}

TEST_F(ConformanceKnownValues, InCommitTimestampTimeTravel) {
  // cdc_ict_table's in-commit timestamps are not monotonic (v1 is older than v0); only versions 2
  // and 3 are unambiguous: the newest version whose timestamp is <= the one asked for.
  const std::string rel = "cdc_ict_table";
  for (auto [ms, version] :
       {std::pair<int64_t, int64_t>{1783874212175, 2}, {1783874212176, 2}, {1783874213881, 3}}) {
    auto snap = session()->snapshot(table_path(rel), TimeTravel{std::nullopt, ms});
    ASSERT_TRUE(snap.ok()) << snap.error().message();
    EXPECT_EQ(snap->version(), version) << "timestamp " << ms;
  }
  ASSERT_ROWS(at2, silt_rows("SELECT count(*) FROM delta_scan(" + lit(table_path(rel)) +
                             ", timestamp => '2026-07-12 16:36:52.175')"));
  auto st = replay(rel, 2);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_TRUE(stats_row_count(*st).has_value());
  EXPECT_EQ(cell(at2), std::to_string(*stats_row_count(*st)));
}

TEST_F(ConformanceKnownValues, CliReadsAndRefuses) {
  auto [ok_status, ok_out] =
      run_cli("query \"SELECT sum(id) FROM delta_scan('" + table_path("simple_table") + "')\"");
  EXPECT_EQ(ok_status, 0) << ok_out;
  EXPECT_NE(ok_out.find("21"), std::string::npos) << ok_out;  // 5 + 7 + 9
  auto [bad_status, bad_out] = run_cli("describe " + table_path("spark-variant-stable-feature-checkpoint"));
  EXPECT_NE(bad_status, 0) << bad_out;
  EXPECT_NE(bad_out.find("variantType"), std::string::npos) << bad_out;
  auto [hist_status, hist_out] = run_cli("history " + table_path("simple_table"));
  EXPECT_EQ(hist_status, 0) << hist_out;
}

TEST_F(ConformanceKnownValues, IssueTableStatsUnderstateData) {
  // issue_1374 (written by delta-rs 0.11) claims minValues.timestamp = 00:01:25.014 for a file whose
  // rows start at 00:01:25.010301, and null for the other. A reader trusting stats may skip a file
  // with matching rows; that is the table's defect, so the filter check leaves this column out.
  // This test pins the defect so the exemption goes if the data is ever fixed.
  const std::string rel = "issue_1374";
  auto st = replay(rel, list_log_dir(rel).latest);
  ASSERT_TRUE(st.ok()) << st.error().message();
  ASSERT_ROWS(
      bad, duck("SELECT count(*) FROM conf_acts WHERE add->>'path' LIKE '%dd47d%' AND "
                "json_extract_string(add->>'stats', '$.minValues.timestamp') = '2023-05-24T00:01:25.014Z'"));
  EXPECT_EQ(cell(bad), "1");
  std::string file = table_path(rel) +
                     "/date=2023-05-24/part-00000-e2b01fc6-a906-4008-82df-e98efdcdd47d-c000.snappy.parquet";
  ASSERT_ROWS(real_min, duck("SELECT min(\"timestamp\")::VARCHAR FROM read_parquet(" + lit(file) + ")"));
  EXPECT_EQ(cell(real_min), "2023-05-24 00:01:25.010301");
}

TEST_F(ConformanceKnownValues, TextOfTimestampsAndNestedValuesIsNeverBlank) {
  // Through the API, values the C API can't render as text are an explicit error (callers cast in
  // SQL); cast to VARCHAR they read exactly; `silt query` prints them.
  for (const auto& [rel, col] :
       {std::pair<std::string, std::string>{"table_with_edge_timestamps", "BIG_DATE"},
        {"table_with_edge_timestamps", "NORMAL_DATE"},
        {"golden/data-reader-array-primitives", "as_array_int"}}) {
    auto raw = silt_rows("SELECT " + ident(col) + " FROM " + scan_of(rel));
    EXPECT_FALSE(raw.ok()) << rel << "." << col << " must not come back as blank text";
    if (!raw.ok()) {
      EXPECT_EQ(raw.error().kind(), ErrorKind::Unsupported);
    }
    ASSERT_ROWS(rows, silt_rows("SELECT " + ident(col) + "::VARCHAR FROM " + scan_of(rel) + " ORDER BY 1"));
    ASSERT_FALSE(rows.empty()) << rel;
    for (const auto& row : rows) EXPECT_NE(row[0].value_or("NULL"), "") << rel << "." << col;
  }
  auto [status, out] = run_cli("query \"SELECT BIG_DATE FROM delta_scan('" +
                               table_path("table_with_edge_timestamps") + "')\"");
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("9999-12-31"), std::string::npos) << "silt query output:\n" << out;
}

TEST_F(ConformanceKnownValues, UnreachableVersionsFail) {
  // Versions past the latest, or before the oldest checkpoint when earlier commits are gone, can't be
  // reconstructed: asking for them must fail, not fall back to another version.
  for (const auto& [rel, version] : {std::pair<std::string, int64_t>{"simple_table", 5},
                                     {"checkpoints_vacuumed", 4},
                                     {"checkpoints_vacuumed", 0},
                                     {"table-with-domain-metadata", 107}}) {
    LogDir log = list_log_dir(rel);
    ASSERT_TRUE(version > log.latest || !plan_replay(log, version)) << "the log does reach " << version;
    auto snap = session()->snapshot(table_path(rel), TimeTravel{version, std::nullopt});
    EXPECT_FALSE(snap.ok()) << rel << " opened at unreachable version " << version << " as "
                            << snap->version();
  }
  // The oldest reachable one works: checkpoints_vacuumed's checkpoint at 5.
  auto snap = session()->snapshot(table_path("checkpoints_vacuumed"), TimeTravel{5, std::nullopt});
  ASSERT_TRUE(snap.ok()) << snap.error().message();
  EXPECT_EQ(snap->version(), 5);
  auto st = replay("checkpoints_vacuumed", 5);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(snap->files().size(), st->files.size());
}

}  // namespace
}  // namespace silt
