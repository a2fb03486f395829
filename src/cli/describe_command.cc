// `silt describe` and `silt history`: formatting of table metadata and commit history.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "delta/model/table_features.h"
#include "delta/schema/schema.h"
#include "ops/history.h"
#include "util/json_text.h"
#include "util/time.h"

namespace silt::cli {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string human_bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, u++;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::vector<std::string> features(const delta::Protocol& p) {
  std::vector<std::string> out;
  if (p.reader_features) out.insert(out.end(), p.reader_features->begin(), p.reader_features->end());
  if (p.writer_features) {
    for (const auto& f : *p.writer_features) {
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
  }
  return out;
}

}  // namespace

Status run_describe(Session& session, const DescribeArgs& args) {
  TimeTravel at;
  at.version = args.version;
  if (args.timestamp) {
    SILT_ASSIGN_OR_RETURN(int64_t ts, parse_timestamp_ms(*args.timestamp));
    at.timestamp_ms = ts;
  }
  SILT_ASSIGN_OR_RETURN(auto snap,
                        session.snapshot(args.path, at, delta::SnapshotOptions{.with_stats = false}));
  delta::StructType schema;  // empty until a writer sets one (Delta Live Tables do this)
  if (!snap.metadata().schema_string.empty()) {
    SILT_ASSIGN_OR_RETURN(schema, delta::parse_schema(snap.metadata().schema_string));
  }
  const auto& m = snap.metadata();
  const auto& p = snap.protocol();
  if (args.format == Format::Json) {
    std::string cols;
    for (const auto& f : schema.fields) {
      cols += (cols.empty() ? "" : ",") + std::string("{\"name\":") + json_quote(f.name) +
              ",\"type\":" + json_quote(delta::delta_type_name(f.type)) +
              ",\"nullable\":" + (f.nullable ? "true" : "false") + "}";
    }
    std::string parts, props, feats;
    for (const auto& c : m.partition_columns) parts += (parts.empty() ? "" : ",") + json_quote(c);
    for (const auto& [k, v] : m.configuration)
      props += (props.empty() ? "" : ",") + json_quote(k) + ":" + json_quote(v);
    for (const auto& f : features(p)) feats += (feats.empty() ? "" : ",") + json_quote(f);
    std::cout << "{\"path\":" << json_quote(snap.table_root()) << ",\"version\":" << snap.version()
              << ",\"id\":" << json_quote(m.id) << ",\"name\":" << (m.name ? json_quote(*m.name) : "null")
              << ",\"numFiles\":" << snap.files().size() << ",\"sizeInBytes\":" << snap.total_size()
              << ",\"minReaderVersion\":" << p.min_reader_version
              << ",\"minWriterVersion\":" << p.min_writer_version << ",\"features\":[" << feats
              << "],\"partitionColumns\":[" << parts << "],\"properties\":{" << props << "},\"schema\":["
              << cols << "]}\n";
    return ok_status();
  }
  std::cout << "table      " << snap.table_root() << "\n"
            << "version    " << snap.version() << "\n"
            << "id         " << m.id << "\n";
  if (m.name) std::cout << "name       " << *m.name << "\n";
  if (m.description) std::cout << "comment    " << *m.description << "\n";
  std::cout << "files      " << snap.files().size() << " (" << human_bytes(snap.total_size()) << ")\n"
            << "protocol   reader " << p.min_reader_version << ", writer " << p.min_writer_version << "\n";
  auto f = features(p);
  if (!f.empty()) std::cout << "features   " << join(f) << "\n";
  std::cout << "partitions " << (m.partition_columns.empty() ? "(none)" : join(m.partition_columns)) << "\n";
  if (snap.checkpoint()) std::cout << "checkpoint version " << snap.checkpoint()->version << "\n";
  for (const auto& [k, v] : m.configuration) std::cout << "property   " << k << " = " << v << "\n";
  std::cout << "\n";
  TextTable t;
  t.header = {"column", "type", "nullable"};
  for (const auto& field : schema.fields) {
    t.rows.push_back(
        {field.name, delta::delta_type_name(field.type), std::string(field.nullable ? "yes" : "no")});
  }
  print_table(std::cout, t);
  return ok_status();
}

Status run_history(Session& session, const HistoryArgs& args) {
  SILT_ASSIGN_OR_RETURN(auto entries, ops::table_history(session, args.path, args.limit));
  if (args.format == Format::Json) {
    std::cout << "[";
    for (size_t i = 0; i < entries.size(); i++) {
      const auto& e = entries[i];
      std::cout << (i ? ",\n " : "") << "{\"version\":" << e.version
                << ",\"timestamp\":" << json_quote(format_timestamp_ms(e.timestamp_ms))
                << ",\"commitInfo\":" << e.commit_info_json << "}";
    }
    std::cout << "]\n";
    return ok_status();
  }
  TextTable t;
  t.header = {"version", "timestamp", "operation", "commit info"};
  t.right_align = {true, false, false, false};
  for (const auto& e : entries) {
    t.rows.push_back({std::to_string(e.version), format_timestamp_ms(e.timestamp_ms),
                      e.operation.empty() ? std::optional<std::string>() : e.operation, e.commit_info_json});
  }
  print_table(std::cout, t);
  return ok_status();
}

}  // namespace silt::cli
