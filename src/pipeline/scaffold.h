// `silt pipeline init`: writes a small working example project (CSV sources, a bronze ->
// silver -> gold chain with a PII column and checks) that `silt pipeline run` runs as is.
#pragma once

#include <string>

#include "util/result.h"

namespace silt::pipeline {

// Creates the project in `dir` (created if missing). Conflict when it already has a silt.toml;
// nothing is overwritten.
Status scaffold_project(const std::string& dir);

}  // namespace silt::pipeline
