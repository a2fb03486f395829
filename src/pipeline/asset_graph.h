// The dependency graph of a project's assets: inferred from the tables each asset's SQL reads
// (other assets by name, sources as source.table), checked for missing references and cycles,
// narrowed by selectors and ordered into levels that can run in parallel. Pure functions.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "pipeline/project.h"

namespace silt::pipeline {

// Fills each asset's upstream and source_tables from its SQL and source: header.
// InvalidArgument naming the file for a reference to no asset, CTE or source, and naming the
// path ("a -> b -> a") for a cycle.
Status resolve_dependencies(Project& project);

// Assets chosen by selectors (all when empty): "name", "name+" (it and everything downstream),
// "+name" (it and everything upstream), "layer:silver", and comma lists of these.
// InvalidArgument naming an unknown asset or layer.
Result<std::set<std::string>> select_assets(const Project& project,
                                            const std::vector<std::string>& selectors);

// The selected assets in levels: each level depends only on earlier levels (or on assets not
// selected, read as they are). Names sorted within a level.
std::vector<std::vector<std::string>> run_levels(const Project& project,
                                                 const std::set<std::string>& selected);

// Every asset downstream of `name` (not including it).
std::set<std::string> downstream_of(const Project& project, const std::string& name);

}  // namespace silt::pipeline
