// Dependency inference, cycle detection, selection and levels. See asset_graph.h.
#include "pipeline/asset_graph.h"

#include <algorithm>
#include <functional>
#include <map>

#include "scan/sql_rewriter.h"
#include "util/sql_text.h"

namespace silt::pipeline {
namespace {

Status infer(Asset& asset, const Project& project) {
  std::set<std::string> upstream, sources;
  for (const auto& input : asset.inputs) {  // command assets name their inputs
    if (input == asset.name) return Error(ErrorKind::InvalidArgument, "cycle: " + input + " -> " + input);
    if (!project.find(input))
      return Error(ErrorKind::InvalidArgument,
                   asset.file + ": inputs names " + input + ", which is no asset");
    upstream.insert(input);
  }
  if (!asset.source.empty()) {
    auto dot = asset.source.find('.');
    if (!project.config.sources.contains(asset.source.substr(0, dot)))
      return Error(ErrorKind::InvalidArgument,
                   asset.file + ": source: names unknown source " + asset.source.substr(0, dot));
    sources.insert(asset.source);
  }
  auto refs = scan::find_table_references(asset.sql);
  std::set<std::string> ctes(refs.ctes.begin(), refs.ctes.end());
  for (const auto& ref : refs.tables) {
    std::string name = ref.parts[0];
    for (size_t i = 1; i < ref.parts.size(); i++) name += "." + ref.parts[i];
    if (ref.parts.size() == 1 && ctes.contains(name)) continue;
    // The ingest asset's own rows are available as `source` in its SELECT.
    if (ref.parts.size() == 1 && name == "source" && !asset.source.empty()) continue;
    if (ref.parts.size() == 1 && project.find(name)) {
      if (name == asset.name) return Error(ErrorKind::InvalidArgument, "cycle: " + name + " -> " + name);
      upstream.insert(name);
    } else if (ref.parts.size() == 2 && project.config.sources.contains(ref.parts[0])) {
      sources.insert(name);
    } else {
      return Error(ErrorKind::InvalidArgument,
                   asset.file + ": reads " + name + ", which is no asset or source");
    }
  }
  asset.upstream.assign(upstream.begin(), upstream.end());
  asset.source_tables.assign(sources.begin(), sources.end());
  return ok_status();
}

// Depth-first search that reports the first cycle as a path.
Status find_cycle(const Project& project) {
  enum Mark { New, Active, Done };
  std::map<std::string, Mark> marks;
  std::vector<std::string> stack;
  std::function<Status(const Asset&)> visit = [&](const Asset& a) -> Status {
    marks[a.name] = Active;
    stack.push_back(a.name);
    for (const auto& up : a.upstream) {
      if (marks[up] == Active) {
        // The stack runs downstream -> upstream; print the path in data-flow order.
        auto it = std::find(stack.begin(), stack.end(), up);
        std::string path = up;
        for (auto r = stack.rbegin(); r != std::make_reverse_iterator(it); ++r) path += " -> " + *r;
        return Error(ErrorKind::InvalidArgument, "cycle: " + path);
      }
      if (marks[up] == New) SILT_TRY(visit(*project.find(up)));
    }
    stack.pop_back();
    marks[a.name] = Done;
    return ok_status();
  };
  for (const auto& a : project.assets)
    if (marks[a.name] == New) SILT_TRY(visit(a));
  return ok_status();
}

void collect(const Project& project, const std::string& name, bool downstream, std::set<std::string>& out) {
  for (const auto& a : project.assets) {
    bool linked = downstream ? std::count(a.upstream.begin(), a.upstream.end(), name) > 0
                             : std::count(project.find(name)->upstream.begin(),
                                          project.find(name)->upstream.end(), a.name) > 0;
    if (linked && out.insert(a.name).second) collect(project, a.name, downstream, out);
  }
}

}  // namespace

Status resolve_dependencies(Project& project) {
  for (auto& asset : project.assets) SILT_TRY(infer(asset, project));
  return find_cycle(project);
}

std::set<std::string> downstream_of(const Project& project, const std::string& name) {
  std::set<std::string> out;
  collect(project, name, true, out);
  return out;
}

Result<std::set<std::string>> select_assets(const Project& project,
                                            const std::vector<std::string>& selectors) {
  std::set<std::string> out;
  if (selectors.empty()) {
    for (const auto& a : project.assets) out.insert(a.name);
    return out;
  }
  for (const auto& selector : selectors) {
    for (std::string item : split_top_level(selector, ',')) {
      if (item.empty()) continue;
      if (item.starts_with("layer:")) {
        std::string layer = item.substr(6);
        size_t before = out.size();
        for (const auto& a : project.assets)
          if (a.layer == layer) out.insert(a.name);
        if (out.size() == before && std::none_of(project.assets.begin(), project.assets.end(),
                                                 [&](const Asset& a) { return a.layer == layer; }))
          return Error(ErrorKind::InvalidArgument, "no asset in layer " + layer);
        continue;
      }
      bool up = item.starts_with("+"), down = item.ends_with("+");
      std::string name = item.substr(up ? 1 : 0, item.size() - (up ? 1 : 0) - (down ? 1 : 0));
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      if (!project.find(name)) return Error(ErrorKind::InvalidArgument, "no asset named " + name);
      out.insert(name);
      if (up) collect(project, name, false, out);
      if (down) collect(project, name, true, out);
    }
  }
  return out;
}

std::vector<std::vector<std::string>> run_levels(const Project& project,
                                                 const std::set<std::string>& selected) {
  // Level of an asset = 1 + the highest level among its selected upstream assets.
  std::map<std::string, int> level;
  std::function<int(const std::string&)> depth = [&](const std::string& name) -> int {
    if (auto it = level.find(name); it != level.end()) return it->second;
    int d = 0;
    for (const auto& up : project.find(name)->upstream)
      if (selected.contains(up)) d = std::max(d, depth(up) + 1);
    return level[name] = d;
  };
  std::vector<std::vector<std::string>> levels;
  for (const auto& name : selected) {
    size_t d = static_cast<size_t>(depth(name));
    if (levels.size() <= d) levels.resize(d + 1);
    levels[d].push_back(name);
  }
  for (auto& l : levels) std::sort(l.begin(), l.end());
  return levels;
}

}  // namespace silt::pipeline
