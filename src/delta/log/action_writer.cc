// JSON writing of actions. Field order follows what Spark writes, which helps humans diff logs.
#include "delta/log/action_writer.h"

#include "util/json_text.h"

namespace silt::delta {
namespace {

class Obj {
 public:
  explicit Obj(std::string& out) : out_(out) { out_.push_back('{'); }
  ~Obj() { out_.push_back('}'); }
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;

  void key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    append_json_quoted(out_, k);
    out_.push_back(':');
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    append_json_quoted(out_, v);
  }
  void num(std::string_view k, int64_t v) {
    key(k);
    out_ += std::to_string(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void raw(std::string_view k, std::string_view json) {
    key(k);
    out_ += json;
  }
  template <class T>
  void opt_num(std::string_view k, const std::optional<T>& v) {
    if (v) num(k, *v);
  }
  void opt_str(std::string_view k, const std::optional<std::string>& v) {
    if (v) str(k, *v);
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_partition_values(Obj& o, const PartitionValues& pv) {
  o.key("partitionValues");
  Obj m(o.out());
  for (const auto& [k, v] : pv) {
    if (v)
      m.str(k, *v);
    else
      m.raw(k, "null");
  }
}

void write_string_map(Obj& o, std::string_view key, const std::map<std::string, std::string>& map) {
  o.key(key);
  Obj m(o.out());
  for (const auto& [k, v] : map) m.str(k, v);
}

void write_dv(Obj& o, const std::optional<DeletionVectorDescriptor>& dv) {
  if (!dv) return;
  o.key("deletionVector");
  Obj d(o.out());
  d.str("storageType", std::string(1, dv->storage_type));
  d.str("pathOrInlineDv", dv->path_or_inline_dv);
  d.opt_num("offset", dv->offset);
  d.num("sizeInBytes", dv->size_in_bytes);
  d.num("cardinality", dv->cardinality);
}

void write_strings(Obj& o, std::string_view key, const std::vector<std::string>& items) {
  o.key(key);
  o.out().push_back('[');
  for (size_t i = 0; i < items.size(); i++) {
    if (i) o.out().push_back(',');
    append_json_quoted(o.out(), items[i]);
  }
  o.out().push_back(']');
}

void write(std::string& out, const AddFile& a) {
  Obj root(out);
  root.key("add");
  Obj o(out);
  o.str("path", a.path);
  write_partition_values(o, a.partition_values);
  o.num("size", a.size);
  o.num("modificationTime", a.modification_time);
  o.boolean("dataChange", a.data_change);
  if (!a.stats.empty()) o.str("stats", a.stats);
  if (!a.tags.empty()) write_string_map(o, "tags", a.tags);
  write_dv(o, a.deletion_vector);
  o.opt_num("baseRowId", a.base_row_id);
  o.opt_num("defaultRowCommitVersion", a.default_row_commit_version);
  o.opt_str("clusteringProvider", a.clustering_provider);
}

void write(std::string& out, const RemoveFile& r) {
  Obj root(out);
  root.key("remove");
  Obj o(out);
  o.str("path", r.path);
  o.opt_num("deletionTimestamp", r.deletion_timestamp);
  o.boolean("dataChange", r.data_change);
  if (r.extended_file_metadata) {
    o.boolean("extendedFileMetadata", true);
    write_partition_values(o, r.partition_values);
  }
  o.opt_num("size", r.size);
  write_dv(o, r.deletion_vector);
}

void write(std::string& out, const AddCdcFile& c) {
  Obj root(out);
  root.key("cdc");
  Obj o(out);
  o.str("path", c.path);
  write_partition_values(o, c.partition_values);
  o.num("size", c.size);
  o.boolean("dataChange", c.data_change);
}

void write(std::string& out, const Metadata& m) {
  Obj root(out);
  root.key("metaData");
  Obj o(out);
  o.str("id", m.id);
  o.opt_str("name", m.name);
  o.opt_str("description", m.description);
  {
    o.key("format");
    Obj f(out);
    f.str("provider", m.format.provider);
    write_string_map(f, "options", m.format.options);
  }
  o.str("schemaString", m.schema_string);
  write_strings(o, "partitionColumns", m.partition_columns);
  write_string_map(o, "configuration", m.configuration);
  o.opt_num("createdTime", m.created_time);
}

void write(std::string& out, const Protocol& p) {
  Obj root(out);
  root.key("protocol");
  Obj o(out);
  o.num("minReaderVersion", p.min_reader_version);
  o.num("minWriterVersion", p.min_writer_version);
  if (p.reader_features) write_strings(o, "readerFeatures", *p.reader_features);
  if (p.writer_features) write_strings(o, "writerFeatures", *p.writer_features);
}

void write(std::string& out, const Txn& t) {
  Obj root(out);
  root.key("txn");
  Obj o(out);
  o.str("appId", t.app_id);
  o.num("version", t.version);
  o.opt_num("lastUpdated", t.last_updated);
}

void write(std::string& out, const DomainMetadata& d) {
  Obj root(out);
  root.key("domainMetadata");
  Obj o(out);
  o.str("domain", d.domain);
  o.str("configuration", d.configuration);
  o.boolean("removed", d.removed);
}

void write(std::string& out, const CommitInfo& c) {
  out += "{\"commitInfo\":";
  out += c.raw_json.empty() ? "{}" : c.raw_json;
  out += "}";
}

}  // namespace

std::string action_json(const Action& action) {
  std::string out;
  std::visit([&](const auto& a) { write(out, a); }, action);
  return out;
}

std::string commit_text(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) {
    std::visit([&](const auto& x) { write(out, x); }, a);
    out.push_back('\n');
  }
  return out;
}

}  // namespace silt::delta
