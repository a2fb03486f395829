// Pipeline progress on a terminal, shared by `silt pipeline run` and `serve`: one stderr line
// that keeps updating (asset i of n, rows, rows/s). Defined in pipeline_command.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/run_history.h"

namespace silt::cli {

// Whether stderr is a terminal (progress is drawn only then; logs stay quiet).
bool stderr_is_terminal();
// Redraws the line for an asset start (run.status empty) or end; `done` of `total` have ended.
void draw_progress(const pipeline::AssetRun& run, size_t done, size_t total);
// Redraws the line with the rows a running asset has read so far (at most 5 times a second).
// Safe to call from several threads.
void draw_rows(const std::string& asset, int64_t rows);

}  // namespace silt::cli
