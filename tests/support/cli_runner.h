// Test support: runs the real `silt` binary as a separate process with arguments and stdin,
// capturing exit code, stdout and stderr. Safe to use from several threads.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "temp_table.h"

namespace silt::testing {

struct Run {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `env` is a prefix of VAR=value assignments for the process (e.g. fault injection).
inline Run run_silt(const std::vector<std::string>& args, const std::string& input = "",
                    const std::string& env = "") {
  TempTable scratch;
  std::string cmd = env + (env.empty() ? "" : " ") + SILT_BINARY;
  for (const auto& a : args) cmd += " " + shell_quote(a);
  std::string in = scratch.root() + "/in", out = scratch.root() + "/out", err = scratch.root() + "/err";
  std::ofstream(in) << input;
  cmd += " <" + in + " >" + out + " 2>" + err;
  Run r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace silt::testing
