// A pipeline project as the user keeps it in git: silt.toml (lake root, sources, defaults, the
// PII key's variable, schedules) and one SQL file per asset under assets/<layer>/, each with a
// comment header ("-- mode: append"). Loading validates everything and names the file and line
// of any error; it reads files only. Value types; thread-safe to share once loaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/write.h"
#include "pii/anonymize.h"
#include "pipeline/checks.h"
#include "util/result.h"

namespace silt::pipeline {

// A place rows come from. kind "files": settings path (a folder, relative to the project) and
// format (csv | parquet | json); table t reads <path>/t.<format>, or every <path>/t/*.<format>
// when t is a folder. Other kinds are the databases of sources/source.h.
struct SourceDef {
  std::string name;
  std::string kind;
  std::map<std::string, std::string> settings;
};

struct Schedule {
  std::string name;
  std::string cron;                 // five fields, as cron writes them
  std::vector<std::string> select;  // selectors, as for `run --select`
};

struct ProjectConfig {
  std::string dir;   // absolute project folder
  std::string lake;  // absolute lake root
  std::map<std::string, SourceDef> sources;
  int retries = 0;                  // extra attempts per asset after a failure
  int64_t retry_backoff_ms = 1000;  // doubled after each failed attempt
  int threads = 0;                  // assets run at once; 0 = cores
  // DuckDB memory for a whole run, shared by the assets running at once (each its part: DuckDB
  // spills beyond it); 0 = 80% of RAM.
  int64_t memory_mb = 0;
  std::string pii_key_env = "SILT_PII_KEY";
  std::vector<Schedule> schedules;
};

enum class AssetMode { Overwrite, Append, ReplaceWhere, Merge };

struct Asset {
  std::string name;                       // file name without .sql; unique in the project
  std::string layer;                      // from the header, else the folder under assets/
  std::string file;                       // path relative to the project, for messages
  std::string sql;                        // the body: a SELECT (optional for ingest assets)
  AssetMode mode = AssetMode::Overwrite;  // with a watermark: Append unless set
  std::vector<std::string> keys;          // merge keys
  std::string where;                      // replace-where predicate
  std::vector<std::string> partition_by;
  // Unset: overwrite (a full rebuild) may change the columns, other modes keep them strict.
  std::optional<ops::SchemaMode> schema_mode;
  std::vector<pii::ColumnPolicy> pii;
  std::vector<Check> checks;
  std::string source;     // ingest assets: "source.table"
  std::string watermark;  // ingest assets: column whose max marks what was loaded
  std::optional<int> retries;
  // Command assets (a .toml file, see command_asset.h): the program run instead of a SELECT,
  // and the assets it reads.
  std::vector<std::string> command;
  std::vector<std::string> inputs;
  // "partitioned:" header: a DATE column the asset is built by, one day per run (replacing that
  // day's rows); its SQL reads the day as getvariable('partition').
  std::string partitioned;
  std::string table;       // "table:" header: the table's folder inside the lake, if not <layer>/<name>
  std::string table_path;  // <lake>/<layer>/<name> or <lake>/<table>
  // Filled by resolve_dependencies (asset_graph.h).
  std::vector<std::string> upstream;       // asset names
  std::vector<std::string> source_tables;  // "source.table"
};

struct Project {
  ProjectConfig config;
  std::vector<Asset> assets;  // sorted by name
  const Asset* find(std::string_view name) const;
};

// Reads <dir>/silt.toml. InvalidArgument naming silt.toml and the line on bad content,
// including a literal password (use password_env or password_file).
Result<ProjectConfig> load_config(const std::string& dir);

// Parses one asset file's text. `file` (relative to the project) names it in errors as
// file:line; `layer_dir` is the folder it sits in, the default layer.
Result<Asset> parse_asset(const std::string& file, std::string_view text, const std::string& layer_dir,
                          const ProjectConfig& config);

// Parses a command asset's TOML: command = ["prog", "arg"], inputs = ["asset"], and the header
// settings as keys (layer, mode, keys, where, partition_by, schema, retries; checks = [...]).
// Errors name the file and line.
Result<Asset> parse_command_asset(const std::string& file, std::string_view text,
                                  const std::string& layer_dir, const ProjectConfig& config);

// Loads silt.toml and every assets/**/*.sql and *.toml, then resolves dependencies.
Result<Project> load_project(const std::string& dir);

}  // namespace silt::pipeline
