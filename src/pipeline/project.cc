// Project loading: silt.toml with toml++, asset headers by hand. See project.h.
#include "pipeline/project.h"

#include <toml++/toml.h>  // Debian 3.3 ships toml.h, not toml.hpp

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pipeline/asset_graph.h"
#include "pipeline/cron.h"
#include "util/sql_text.h"

namespace silt::pipeline {
namespace fs = std::filesystem;
namespace {

Error config_error(const toml::node& node, const std::string& why) {
  return Error(ErrorKind::InvalidArgument,
               "silt.toml:" + std::to_string(node.source().begin.line) + ": " + why);
}

Result<std::string> string_value(const toml::node& node, const std::string& key) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto i = node.value<int64_t>()) return std::to_string(*i);
  if (auto b = node.value<bool>()) return std::string(*b ? "true" : "false");
  return config_error(node, key + " must be a string or a number");
}

Result<int64_t> int_value(const toml::node& node, const std::string& key) {
  if (auto i = node.value<int64_t>()) return *i;
  return config_error(node, key + " must be an integer");
}

Result<const toml::table*> table_at(const toml::node& node, const std::string& what) {
  const auto* table = node.as_table();
  if (!table) return config_error(node, what + " must be a table");
  return table;
}

Result<SourceDef> parse_source(const std::string& name, const toml::node& node, const std::string& dir) {
  SILT_ASSIGN_OR_RETURN(const toml::table* table, table_at(node, "sources." + name));
  SourceDef src;
  src.name = name;
  for (auto&& [key, value] : *table) {
    std::string k(key.str());
    if (k == "password")
      return config_error(
          value,
          "sources." + name + ".password: no literal passwords here; use password_env or password_file");
    SILT_ASSIGN_OR_RETURN(std::string v, string_value(value, "sources." + name + "." + k));
    if (k == "kind") {
      src.kind = v;
    } else {
      src.settings[k] = v;
    }
  }
  static const std::set<std::string> kKinds{"files", "sqlite", "postgres", "firebird"};
  // Sources become DuckDB schemas in an asset's SQL (source.table): these names are DuckDB's.
  static const std::set<std::string> kReserved{"main", "temp", "system", "pg_catalog", "information_schema"};
  if (kReserved.contains(name))
    return config_error(node, "sources." + name + ": the name is reserved by DuckDB");
  if (!kKinds.contains(src.kind))
    return config_error(node, "sources." + name + ".kind must be files, sqlite, postgres or firebird");
  // File paths in the project are relative to it, so the project works wherever it is cloned.
  for (const char* key : {"path", "password_file"}) {
    auto it = src.settings.find(key);
    if (it != src.settings.end() && !fs::path(it->second).is_absolute()) it->second = dir + "/" + it->second;
  }
  if (src.kind == "files") {
    if (!src.settings.contains("path")) return config_error(node, "sources." + name + " needs path");
    std::string format = src.settings.contains("format") ? src.settings["format"] : "csv";
    if (format != "csv" && format != "parquet" && format != "json")
      return config_error(node, "sources." + name + ".format must be csv, parquet or json");
    src.settings["format"] = format;
  }
  return src;
}

Result<Schedule> parse_schedule(const std::string& name, const toml::node& node) {
  SILT_ASSIGN_OR_RETURN(const toml::table* table, table_at(node, "schedules." + name));
  Schedule s;
  s.name = name;
  for (auto&& [key, value] : *table) {
    std::string k(key.str());
    if (k == "cron") {
      SILT_ASSIGN_OR_RETURN(s.cron, string_value(value, "cron"));
      auto parsed = parse_cron(s.cron);
      if (!parsed.ok())
        return config_error(value, "schedules." + name + ".cron: " + parsed.error().message());
    } else if (k == "select") {
      const auto* list = value.as_array();
      if (!list) return config_error(value, "schedules." + name + ".select must be a list of selectors");
      for (const auto& item : *list) {
        SILT_ASSIGN_OR_RETURN(std::string sel, string_value(item, "select"));
        s.select.push_back(sel);
      }
    } else {
      return config_error(value, "unknown key schedules." + name + "." + k);
    }
  }
  if (s.cron.empty()) return config_error(node, "schedules." + name + " needs cron");
  return s;
}

Status parse_defaults(const toml::table& table, ProjectConfig& config) {
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    SILT_ASSIGN_OR_RETURN(int64_t n, int_value(value, "defaults." + k));
    if (n < 0) return config_error(value, "defaults." + k + " must not be negative");
    if (k == "retries") {
      config.retries = static_cast<int>(n);
    } else if (k == "retry_backoff_ms") {
      config.retry_backoff_ms = n;
    } else if (k == "threads") {
      config.threads = static_cast<int>(n);
    } else if (k == "memory_mb") {
      config.memory_mb = n;
    } else {
      return config_error(
          value, "unknown key defaults." + k + " (expected retries, retry_backoff_ms, threads, memory_mb)");
    }
  }
  return ok_status();
}

Status parse_config_table(const toml::table& root, ProjectConfig& config) {
  for (auto&& [key, value] : root) {
    std::string k(key.str());
    if (k == "lake") {
      SILT_ASSIGN_OR_RETURN(std::string lake, string_value(value, "lake"));
      config.lake = fs::path(lake).is_absolute() ? lake : config.dir + "/" + lake;
    } else if (k == "defaults" && value.is_table()) {
      SILT_TRY(parse_defaults(*value.as_table(), config));
    } else if (k == "pii" && value.is_table()) {
      for (auto&& [pk, pv] : *value.as_table()) {
        if (pk.str() != "key_env") return config_error(pv, "unknown key pii." + std::string(pk.str()));
        SILT_ASSIGN_OR_RETURN(config.pii_key_env, string_value(pv, "pii.key_env"));
      }
    } else if ((k == "sources" || k == "schedules") && value.is_table()) {
      for (auto&& [name, item] : *value.as_table()) {
        if (k == "sources") {
          SILT_ASSIGN_OR_RETURN(auto src, parse_source(std::string(name.str()), item, config.dir));
          config.sources[src.name] = std::move(src);
        } else {
          SILT_ASSIGN_OR_RETURN(auto sched, parse_schedule(std::string(name.str()), item));
          config.schedules.push_back(std::move(sched));
        }
      }
    } else {
      return config_error(value, "unknown key " + k + " (expected lake, defaults, pii, sources, schedules)");
    }
  }
  return ok_status();
}

Error header_error(const std::string& file, int line, const std::string& why) {
  return Error(ErrorKind::InvalidArgument, file + ":" + std::to_string(line) + ": " + why);
}

Status validate_asset(const Asset& asset);

// Checks shared by SQL and command assets, then derives the name and table path.
Status finish_asset(Asset& asset, const ProjectConfig& config) {
  if (auto st = validate_asset(asset); !st.ok()) return header_error(asset.file, 1, st.error().message());
  if (asset.name == "self" || asset.name == "source")
    return header_error(asset.file, 1,
                        "asset names self and source are reserved (checks and ingest assets use them)");
  for (char c : asset.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return header_error(asset.file, 1,
                          "asset names are letters, digits and _ (used as table names in SQL)");
  if (!asset.partitioned.empty() && asset.partition_by.empty()) asset.partition_by = {asset.partitioned};
  std::transform(asset.name.begin(), asset.name.end(), asset.name.begin(), ::tolower);
  asset.table_path = config.lake + "/" + (asset.table.empty() ? asset.layer + "/" + asset.name : asset.table);
  return ok_status();
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  for (auto& item : split_top_level(text, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

Status apply_pii(Asset& asset, const std::string& value) {
  for (const auto& item : split_top_level(value, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos)
      return Error(ErrorKind::InvalidArgument, "expected column = policy, got " + item);
    SILT_ASSIGN_OR_RETURN(auto policy,
                          pii::parse_policy(trim_text(item.substr(0, eq)), trim_text(item.substr(eq + 1))));
    asset.pii.push_back(std::move(policy));
  }
  return ok_status();
}

// Applies one "key: value" header line.
Status apply_header(Asset& asset, const std::string& key, const std::string& value) {
  if (key == "layer") {
    asset.layer = value;
  } else if (key == "mode") {
    static const std::map<std::string, AssetMode> kModes{{"overwrite", AssetMode::Overwrite},
                                                         {"append", AssetMode::Append},
                                                         {"replace-where", AssetMode::ReplaceWhere},
                                                         {"merge", AssetMode::Merge}};
    auto it = kModes.find(value);
    if (it == kModes.end())
      return Error(ErrorKind::InvalidArgument, "mode must be overwrite, append, replace-where or merge");
    asset.mode = it->second;
  } else if (key == "keys") {
    asset.keys = split_names(value);
  } else if (key == "where") {
    asset.where = value;
  } else if (key == "partition_by") {
    asset.partition_by = split_names(value);
  } else if (key == "schema") {
    if (value == "strict") {
      asset.schema_mode = ops::SchemaMode::Strict;
    } else if (value == "merge") {
      asset.schema_mode = ops::SchemaMode::Merge;
    } else if (value == "overwrite") {
      asset.schema_mode = ops::SchemaMode::Overwrite;
    } else {
      return Error(ErrorKind::InvalidArgument, "schema must be strict, merge or overwrite");
    }
  } else if (key == "pii") {
    return apply_pii(asset, value);
  } else if (key == "check") {
    SILT_ASSIGN_OR_RETURN(auto checks, parse_checks(value));
    asset.checks.insert(asset.checks.end(), checks.begin(), checks.end());
  } else if (key == "source") {
    asset.source = value;
  } else if (key == "watermark") {
    asset.watermark = value;
  } else if (key == "retries") {
    int n = -1;
    try {
      n = std::stoi(value);
    } catch (...) {
    }
    if (n < 0) return Error(ErrorKind::InvalidArgument, "retries must be a non-negative integer");
    asset.retries = n;
  } else if (key == "partitioned") {
    asset.partitioned = value;
  } else if (key == "table") {
    if (value.empty() || value.find("..") != std::string::npos)
      return Error(ErrorKind::InvalidArgument, "table must be a folder inside the lake");
    asset.table = value;
  } else {
    return Error(
        ErrorKind::InvalidArgument,
        "unknown header key '" + key +
            "' (expected layer, mode, keys, where, partition_by, schema, pii, check, source, watermark, "
            "retries, partitioned, table)");
  }
  return ok_status();
}

// Cross-field rules, checked once the whole header is read.
Status validate_asset(const Asset& asset) {
  if (asset.mode == AssetMode::Merge && asset.keys.empty())
    return Error(ErrorKind::InvalidArgument, "mode merge needs keys:");
  if (asset.mode == AssetMode::ReplaceWhere && asset.where.empty())
    return Error(ErrorKind::InvalidArgument, "mode replace-where needs where:");
  if (!asset.watermark.empty() && asset.source.empty())
    return Error(ErrorKind::InvalidArgument, "watermark: needs source:");
  if (!asset.watermark.empty() && asset.mode != AssetMode::Append && asset.mode != AssetMode::Merge)
    return Error(ErrorKind::InvalidArgument, "watermark: needs mode append or merge");
  if (asset.source.empty() && asset.sql.empty() && asset.command.empty())
    return Error(ErrorKind::InvalidArgument, "no SELECT in the file");
  if (!asset.partitioned.empty() && (asset.mode != AssetMode::Overwrite || !asset.source.empty()))
    return Error(ErrorKind::InvalidArgument,
                 "partitioned: replaces one day per run; it takes no mode: or source:");
  if (!asset.source.empty() && std::count(asset.source.begin(), asset.source.end(), '.') != 1)
    return Error(ErrorKind::InvalidArgument, "source: must be source_name.table");
  if (asset.layer.empty())
    return Error(ErrorKind::InvalidArgument, "no layer (put the file in assets/<layer>/ or add -- layer:)");
  return ok_status();
}

}  // namespace

const Asset* Project::find(std::string_view name) const {
  for (const auto& a : assets)
    if (a.name == name) return &a;
  return nullptr;
}

Result<ProjectConfig> load_config(const std::string& dir) {
  ProjectConfig config;
  std::error_code ec;
  config.dir = fs::weakly_canonical(fs::absolute(dir), ec).string();
  std::string file = config.dir + "/silt.toml";
  if (!fs::exists(file)) return Error(ErrorKind::NotFound, "no silt.toml in " + config.dir);
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    return Error(ErrorKind::InvalidArgument,
                 "silt.toml:" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  config.lake = config.dir + "/lake";
  SILT_TRY(parse_config_table(root, config));
  return config;
}

Result<Asset> parse_asset(const std::string& file, std::string_view text, const std::string& layer_dir,
                          const ProjectConfig& config) {
  Asset asset;
  asset.file = file;
  asset.name = fs::path(file).stem().string();
  asset.layer = layer_dir;
  std::istringstream in{std::string(text)};
  std::string line, body;
  int line_no = 0;
  bool in_header = true, mode_set = false;
  while (std::getline(in, line)) {
    line_no++;
    std::string t = trim_text(line);
    if (in_header && t.starts_with("--")) {
      std::string comment = trim_text(std::string_view(t).substr(2));
      // "word: value" is a setting; any other comment line is free text.
      size_t colon = comment.find(':');
      size_t k = 0;
      while (k < comment.size() &&
             (std::isalnum(static_cast<unsigned char>(comment[k])) || comment[k] == '_'))
        k++;
      if (colon != std::string::npos && k > 0 && k == colon) {
        std::string key = comment.substr(0, colon);
        mode_set = mode_set || key == "mode";
        auto st = apply_header(asset, key, trim_text(comment.substr(colon + 1)));
        if (!st.ok()) return header_error(file, line_no, st.error().message());
      }
      continue;
    }
    if (in_header && t.empty()) continue;
    in_header = false;
    body += line + "\n";
  }
  asset.sql = trim_text(body);
  while (!asset.sql.empty() && asset.sql.back() == ';')
    asset.sql = trim_text(asset.sql.substr(0, asset.sql.size() - 1));
  // An incremental load appends unless told otherwise; overwriting with only the new rows
  // would lose the rest.
  if (!asset.watermark.empty() && !mode_set) asset.mode = AssetMode::Append;
  SILT_TRY(finish_asset(asset, config));
  return asset;
}

Result<Asset> parse_command_asset(const std::string& file, std::string_view text,
                                  const std::string& layer_dir, const ProjectConfig& config) {
  Asset asset;
  asset.file = file;
  asset.name = fs::path(file).stem().string();
  asset.layer = layer_dir;
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return header_error(file, static_cast<int>(e.source().begin.line), std::string(e.description()));
  }
  for (auto&& [key, value] : root) {
    std::string k(key.str());
    int line = static_cast<int>(value.source().begin.line);
    Status st;
    if (value.is_array()) {
      std::vector<std::string> list;
      for (const auto& item : *value.as_array()) {
        auto s = item.value<std::string>();
        if (!s) return header_error(file, line, k + " must list strings");
        list.push_back(*s);
      }
      if (k == "command") {
        asset.command = list;
      } else if (k == "inputs") {
        for (auto& name : list) std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        asset.inputs = list;
      } else if (k == "checks") {
        for (const auto& item : list) st = st.ok() ? apply_header(asset, "check", item) : st;
      } else if (k == "partition_by" || k == "keys") {
        (k == "keys" ? asset.keys : asset.partition_by) = list;
      } else {
        return header_error(file, line, k + " is not a list setting");
      }
    } else {
      // Other settings read as the header lines they stand for.
      auto text_value = value.is_integer()
                            ? std::optional<std::string>(std::to_string(*value.value<int64_t>()))
                            : value.value<std::string>();
      if (!text_value) return header_error(file, line, k + " must be a string");
      st = apply_header(asset, k, *text_value);
    }
    if (!st.ok()) return header_error(file, line, st.error().message());
  }
  if (asset.command.empty())
    return header_error(file, 1, "command = [\"program\", \"arg\", ...] is required");
  if (!asset.source.empty() || !asset.pii.empty())
    return header_error(file, 1, "command assets take inputs = [...], not source or pii");
  SILT_TRY(finish_asset(asset, config));
  return asset;
}

Result<Project> load_project(const std::string& dir) {
  Project project;
  SILT_ASSIGN_OR_RETURN(project.config, load_config(dir));
  std::string assets_dir = project.config.dir + "/assets";
  if (!fs::is_directory(assets_dir))
    return Error(ErrorKind::NotFound, "no assets/ folder in " + project.config.dir);
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(assets_dir))
    if (entry.is_regular_file() &&
        (entry.path().extension() == ".sql" || entry.path().extension() == ".toml"))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream f(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(f)), {});
    std::string rel = fs::relative(path, project.config.dir).string();
    std::string layer_dir =
        path.parent_path() == fs::path(assets_dir) ? "" : path.parent_path().filename().string();
    SILT_ASSIGN_OR_RETURN(auto asset, path.extension() == ".toml"
                                          ? parse_command_asset(rel, text, layer_dir, project.config)
                                          : parse_asset(rel, text, layer_dir, project.config));
    if (const Asset* other = project.find(asset.name))
      return Error(ErrorKind::InvalidArgument,
                   "asset " + asset.name + " is defined twice: " + other->file + " and " + rel);
    project.assets.push_back(std::move(asset));
  }
  std::sort(project.assets.begin(), project.assets.end(),
            [](const Asset& a, const Asset& b) { return a.name < b.name; });
  SILT_TRY(resolve_dependencies(project));
  return project;
}

}  // namespace silt::pipeline
