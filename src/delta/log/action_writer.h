// Serializes actions as the JSON lines of a commit file (PROTOCOL.md "Actions"), the inverse of
// ActionParser: parse(write(a)) == a for every field silt models. Pure functions, thread-safe.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "delta/model/actions.h"

namespace silt::delta {

// One action as a single JSON line, without the newline. CommitInfo is written from raw_json.
std::string action_json(const Action& action);
// A whole commit file: one line per action, each ending in '\n'.
std::string commit_text(const std::vector<Action>& actions);

}  // namespace silt::delta
