// simdjson on-demand parsing of Delta actions. Field names follow PROTOCOL.md "Actions";
// unknown fields are skipped, null fields are treated as absent.
#include "delta/log/action_parser.h"

#include <algorithm>

#include "util/storage.h"

namespace silt::delta {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

Error bad_json(std::string_view what) { return Error(ErrorKind::Corruption, std::string(what)); }

// Each reader returns false on a type error; the caller turns it into one Corruption error.
bool is_null(value& v) {
  json_type t;
  return !v.type().get(t) && t == json_type::null;
}

bool read(value& v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}

bool read(value& v, int64_t& out) { return !v.get_int64().get(out); }

bool read(value& v, int32_t& out) {
  int64_t x;
  if (v.get_int64().get(x) || x < INT32_MIN || x > INT32_MAX) return false;
  out = int32_t(x);
  return true;
}

bool read(value& v, bool& out) { return !v.get_bool().get(out); }
bool read(value& v, std::vector<std::string>& out);
template <class T>
bool read(value& v, std::optional<T>& out);

bool read(value& v, std::vector<std::string>& out) {
  out.clear();
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) return false;
  for (auto item : arr) {
    value e;
    std::string s;
    if (item.get(e) || !read(e, s)) return false;
    out.push_back(std::move(s));
  }
  return true;
}

bool read(value& v, std::map<std::string, std::string>& out) {
  out.clear();
  object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    value e;
    if (field.unescaped_key().get(key) || field.value().get(e)) return false;
    if (is_null(e)) continue;
    std::string s;
    if (!read(e, s)) return false;
    out.emplace(std::string(key), std::move(s));
  }
  return true;
}

bool read(value& v, PartitionValues& out) {
  out.clear();
  object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    value e;
    if (field.unescaped_key().get(key) || field.value().get(e)) return false;
    std::optional<std::string> s;
    if (!read(e, s)) return false;
    out.emplace_back(std::string(key), std::move(s));
  }
  return true;
}

bool read(value& v, DeletionVectorDescriptor& dv) {
  object obj;
  if (v.get_object().get(obj)) return false;
  dv = DeletionVectorDescriptor{};
  for (auto field : obj) {
    std::string_view key;
    value e;
    if (field.unescaped_key().get(key) || field.value().get(e)) return false;
    if (is_null(e)) continue;
    bool ok = true;
    if (key == "storageType") {
      std::string t;
      ok = read(e, t) && t.size() == 1;
      if (ok) dv.storage_type = t[0];
    } else if (key == "pathOrInlineDv") {
      ok = read(e, dv.path_or_inline_dv);
    } else if (key == "offset") {
      ok = read(e, dv.offset);
    } else if (key == "sizeInBytes") {
      ok = read(e, dv.size_in_bytes);
    } else if (key == "cardinality") {
      ok = read(e, dv.cardinality);
    }
    if (!ok) return false;
  }
  return dv.storage_type != 0;
}

bool read(value& v, std::optional<DeletionVectorDescriptor>& out) {
  if (is_null(v)) {
    out.reset();
    return true;
  }
  DeletionVectorDescriptor dv;
  if (!read(v, dv)) return false;
  out = std::move(dv);
  return true;
}

template <class T>
bool read(value& v, std::optional<T>& out) {
  if (is_null(v)) {
    out.reset();
    return true;
  }
  T x;
  if (!read(v, x)) return false;
  out = std::move(x);
  return true;
}

// Raw JSON text of an object or array value (stats_parsed, commitInfo).
bool read_raw(value& v, std::string& out) {
  std::string_view raw;
  object obj;
  if (v.get_object().get(obj) || obj.raw_json().get(raw)) return false;
  out.assign(raw);
  return true;
}

// Calls fn(key, value&) for every non-null field; fn returns false on a type error.
template <class Fn>
Status for_each_field(value& v, std::string_view action, Fn&& fn) {
  object obj;
  if (v.get_object().get(obj)) return bad_json(std::string(action) + " action is not an object");
  for (auto field : obj) {
    std::string_view key;
    value e;
    if (field.unescaped_key().get(key) || field.value().get(e))
      return bad_json("malformed " + std::string(action));
    if (is_null(e)) continue;
    if (!fn(key, e))
      return bad_json("bad field '" + std::string(key) + "' in " + std::string(action) + " action");
  }
  return ok_status();
}

Status parse_add(value& v, AddFile& a, bool keep_stats) {
  a.path.clear();
  a.partition_values.clear();
  a.size = 0;
  a.modification_time = 0;
  a.data_change = true;
  a.stats.clear();
  a.deletion_vector.reset();
  a.base_row_id.reset();
  a.default_row_commit_version.reset();
  a.tags.clear();
  a.clustering_provider.reset();
  bool have_stats_json = false;
  SILT_TRY(for_each_field(v, "add", [&](std::string_view k, value& e) {
    if (k == "path") return read(e, a.path);
    if (k == "partitionValues") return read(e, a.partition_values);
    if (k == "size") return read(e, a.size);
    if (k == "modificationTime") return read(e, a.modification_time);
    if (k == "dataChange") return read(e, a.data_change);
    if (k == "stats") return have_stats_json = true, !keep_stats || read(e, a.stats);
    if (k == "stats_parsed") return have_stats_json || !keep_stats || read_raw(e, a.stats);
    if (k == "deletionVector") return read(e, a.deletion_vector);
    if (k == "baseRowId") return read(e, a.base_row_id);
    if (k == "defaultRowCommitVersion") return read(e, a.default_row_commit_version);
    if (k == "tags") return read(e, a.tags);
    if (k == "clusteringProvider") return read(e, a.clustering_provider);
    return true;
  }));
  if (a.path.empty()) return bad_json("add action without path");
  return ok_status();
}

Status parse_remove(value& v, RemoveFile& r) {
  SILT_TRY(for_each_field(v, "remove", [&](std::string_view k, value& e) {
    if (k == "path") return read(e, r.path);
    if (k == "deletionVector") return read(e, r.deletion_vector);
    if (k == "deletionTimestamp") return read(e, r.deletion_timestamp);
    if (k == "dataChange") return read(e, r.data_change);
    if (k == "extendedFileMetadata") return read(e, r.extended_file_metadata);
    if (k == "partitionValues") return read(e, r.partition_values);
    if (k == "size") return read(e, r.size);
    return true;
  }));
  if (r.path.empty()) return bad_json("remove action without path");
  return ok_status();
}

Status parse_cdc(value& v, AddCdcFile& c) {
  SILT_TRY(for_each_field(v, "cdc", [&](std::string_view k, value& e) {
    if (k == "path") return read(e, c.path);
    if (k == "partitionValues") return read(e, c.partition_values);
    if (k == "size") return read(e, c.size);
    if (k == "dataChange") return read(e, c.data_change);
    return true;
  }));
  if (c.path.empty()) return bad_json("cdc action without path");
  return ok_status();
}

Status parse_metadata(value& v, Metadata& m) {
  SILT_TRY(for_each_field(v, "metaData", [&](std::string_view k, value& e) {
    if (k == "id") return read(e, m.id);
    if (k == "name") return read(e, m.name);
    if (k == "description") return read(e, m.description);
    if (k == "schemaString") return read(e, m.schema_string);
    if (k == "partitionColumns") return read(e, m.partition_columns);
    if (k == "configuration") return read(e, m.configuration);
    if (k == "createdTime") return read(e, m.created_time);
    if (k == "format") {
      return for_each_field(e, "format",
                            [&](std::string_view fk, value& fe) {
                              if (fk == "provider") return read(fe, m.format.provider);
                              if (fk == "options") return read(fe, m.format.options);
                              return true;
                            })
          .ok();
    }
    return true;
  }));
  // Some writers (Delta Live Tables) create a table before its schema is known.
  return ok_status();
}

Status parse_protocol(value& v, Protocol& p) {
  bool have_reader = false;
  SILT_TRY(for_each_field(v, "protocol", [&](std::string_view k, value& e) {
    if (k == "minReaderVersion") return have_reader = true, read(e, p.min_reader_version);
    if (k == "minWriterVersion") return read(e, p.min_writer_version);
    if (k == "readerFeatures") return read(e, p.reader_features);
    if (k == "writerFeatures") return read(e, p.writer_features);
    return true;
  }));
  if (!have_reader) return bad_json("protocol action without minReaderVersion");
  return ok_status();
}

Status parse_txn(value& v, Txn& t) {
  return for_each_field(v, "txn", [&](std::string_view k, value& e) {
    if (k == "appId") return read(e, t.app_id);
    if (k == "version") return read(e, t.version);
    if (k == "lastUpdated") return read(e, t.last_updated);
    return true;
  });
}

Status parse_domain(value& v, DomainMetadata& d) {
  return for_each_field(v, "domainMetadata", [&](std::string_view k, value& e) {
    if (k == "domain") return read(e, d.domain);
    if (k == "configuration") return read(e, d.configuration);
    if (k == "removed") return read(e, d.removed);
    return true;
  });
}

Status parse_commit_info(value& v, CommitInfo& c, simdjson::ondemand::parser& p) {
  std::string_view raw;
  object obj;
  if (v.get_object().get(obj) || obj.raw_json().get(raw)) return bad_json("malformed commitInfo");
  c.raw_json.assign(raw);
  // raw_json() consumed the value; re-iterate the copy for the few fields silt reads.
  size_t len = c.raw_json.size();
  c.raw_json.reserve(len + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (p.iterate(c.raw_json.data(), len, c.raw_json.capacity()).get(doc))
    return bad_json("malformed commitInfo");
  value root;
  if (doc.get_value().get(root)) return bad_json("malformed commitInfo");
  return for_each_field(root, "commitInfo", [&](std::string_view k, value& e) {
    if (k == "timestamp") return read(e, c.timestamp) || true;  // informational: tolerate odd types
    if (k == "inCommitTimestamp") return read(e, c.in_commit_timestamp);
    if (k == "operation") return read(e, c.operation) || true;
    return true;
  });
}

Status parse_sidecar(value& v, Sidecar& s) {
  return for_each_field(v, "sidecar", [&](std::string_view k, value& e) {
    if (k == "path") return read(e, s.path);
    if (k == "sizeInBytes") return read(e, s.size_in_bytes);
    if (k == "modificationTime") return read(e, s.modification_time);
    return true;
  });
}

Status parse_checkpoint_metadata(value& v, CheckpointMetadata& c) {
  return for_each_field(v, "checkpointMetadata", [&](std::string_view k, value& e) {
    if (k == "version") return read(e, c.version);
    return true;
  });
}

}  // namespace

Status ActionParser::dispatch(std::string_view type, value v, ActionSink& sink) {
  if (type == "add") {
    SILT_TRY(parse_add(v, add_, keep_stats_));
    return sink.on_add(add_);
  }
  if (type == "remove") {
    RemoveFile r;
    SILT_TRY(parse_remove(v, r));
    return sink.on_remove(r);
  }
  if (type == "metaData") {
    Metadata m;
    SILT_TRY(parse_metadata(v, m));
    return sink.on_metadata(m);
  }
  if (type == "protocol") {
    Protocol p;
    SILT_TRY(parse_protocol(v, p));
    return sink.on_protocol(p);
  }
  if (type == "commitInfo") {
    CommitInfo c;
    SILT_TRY(parse_commit_info(v, c, nested_parser_));
    return sink.on_commit_info(c);
  }
  if (type == "txn") {
    Txn t;
    SILT_TRY(parse_txn(v, t));
    return sink.on_txn(t);
  }
  if (type == "cdc") {
    AddCdcFile c;
    SILT_TRY(parse_cdc(v, c));
    return sink.on_cdc(c);
  }
  if (type == "domainMetadata") {
    DomainMetadata d;
    SILT_TRY(parse_domain(v, d));
    return sink.on_domain_metadata(d);
  }
  if (type == "sidecar") {
    Sidecar s;
    SILT_TRY(parse_sidecar(v, s));
    return sink.on_sidecar(s);
  }
  if (type == "checkpointMetadata") {
    CheckpointMetadata c;
    SILT_TRY(parse_checkpoint_metadata(v, c));
    return sink.on_checkpoint_metadata(c);
  }
  return ok_status();
}

Status ActionParser::parse_lines(const std::string& buf, std::string_view source, ActionSink& sink) {
  return parse_lines(buf, 0, buf.size(), source, sink);
}

Status ActionParser::parse_lines(const std::string& buf, size_t begin, size_t end_of_range,
                                 std::string_view source, ActionSink& sink) {
  const char* base = buf.data();
  size_t size = end_of_range;
  size_t line_no = 0;  // within the range; lines before `begin` are counted only for an error
  for (size_t start = begin; start < size;) {
    size_t end = buf.find('\n', start);
    if (end == std::string::npos || end > size) end = size;
    line_no++;
    size_t len = end - start;
    size_t first = start;
    while (first < end && (base[first] == ' ' || base[first] == '\r' || base[first] == '\t')) first++;
    if (first == end) {  // blank line
      start = end + 1;
      continue;
    }
    // The rest of the buffer (and its padding) serves as this line's simdjson padding.
    simdjson::padded_string_view view(base + start, len, buf.capacity() - start);
    auto fail = [&](const std::string& why) {
      size_t absolute = line_no + size_t(std::count(base, base + begin, '\n'));
      return Error(ErrorKind::Corruption,
                   std::string(source) + " line " + std::to_string(absolute) + ": " + why);
    };
    simdjson::ondemand::document doc;
    object obj;
    if (parser_.iterate(view).get(doc) || doc.get_object().get(obj)) return fail("not a JSON object");
    size_t fields = 0;
    for (auto field : obj) {
      std::string_view key;
      value v;
      if (field.unescaped_key().get(key) || field.value().get(v)) return fail("malformed JSON");
      if (++fields > 1) return fail("more than one action on a line");
      Status st = dispatch(key, v, sink);
      if (!st.ok()) return fail(st.error().message());
    }
    start = end + 1;
  }
  return ok_status();
}

Status ActionCollector::replay_into(ActionSink& sink) {
  for (Action& a : actions) {
    SILT_TRY(std::visit(
        [&](auto& x) -> Status {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, AddFile>)
            return sink.on_add(x);
          else if constexpr (std::is_same_v<T, RemoveFile>)
            return sink.on_remove(x);
          else if constexpr (std::is_same_v<T, AddCdcFile>)
            return sink.on_cdc(x);
          else if constexpr (std::is_same_v<T, Metadata>)
            return sink.on_metadata(x);
          else if constexpr (std::is_same_v<T, Protocol>)
            return sink.on_protocol(x);
          else if constexpr (std::is_same_v<T, Txn>)
            return sink.on_txn(x);
          else if constexpr (std::is_same_v<T, DomainMetadata>)
            return sink.on_domain_metadata(x);
          else
            return sink.on_commit_info(x);
        },
        a));
  }
  actions.clear();
  return ok_status();
}

template <class Fn>
Status ActionParser::with_value(std::string_view json, Fn&& fn) {
  scratch_.assign(json);
  scratch_.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view view(scratch_.data(), json.size(), scratch_.capacity());
  simdjson::ondemand::document doc;
  value v;
  if (parser_.iterate(view).get(doc) || doc.get_value().get(v)) return bad_json("malformed JSON");
  return fn(v);
}

Status ActionParser::parse_one(std::string_view type, std::string_view json, std::string_view source,
                               ActionSink& sink) {
  Status st = with_value(json, [&](value v) { return dispatch(type, v, sink); });
  if (!st.ok()) return st.error().with_context(std::string(source) + ": " + std::string(type) + " row");
  return ok_status();
}

Status ActionParser::parse_add_field(std::string_view field, std::string_view json, AddFile& add) {
  return with_value(json, [&](value v) -> Status {
    bool ok = true;
    if (field == "partitionValues")
      ok = read(v, add.partition_values);
    else if (field == "deletionVector")
      ok = read(v, add.deletion_vector);
    else if (field == "tags")
      ok = is_null(v) || read(v, add.tags);
    if (!ok) return bad_json("bad field '" + std::string(field) + "' in add action");
    return ok_status();
  });
}

}  // namespace silt::delta
