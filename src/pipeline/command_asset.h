// External command assets (assets/<layer>/<name>.toml): a program silt runs instead of a SELECT.
// It gets its inputs as exported parquet files and as table paths with pinned versions, writes
// parquet files into a folder, and silt writes, checks and commits them like any other asset.
// No shell is involved: the command is an argument list. Safe to call from several threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace silt::pipeline {

struct CommandInput {
  std::string name;        // the upstream asset
  std::string table_path;  // its Delta table
  int64_t version = 0;     // the version pinned for this run
  std::string parquet;     // that version exported to one parquet file
};

// Runs `command` with the project folder as working directory and, in its environment,
// SILT_OUTPUT_DIR (an empty folder for its parquet output) and per input NAME (upper-cased)
// SILT_INPUT_NAME (parquet file), SILT_TABLE_NAME (table path) and SILT_VERSION_NAME. Its
// stdout and stderr go to <work_dir>/command.log. Returns the glob of the parquet files it wrote.
// Io naming the program and its exit status (with the log's last line) when it fails;
// InvalidArgument when it wrote no parquet file.
Result<std::string> run_command(const std::string& project_dir, const std::vector<std::string>& command,
                                const std::vector<CommandInput>& inputs, const std::string& work_dir);

}  // namespace silt::pipeline
