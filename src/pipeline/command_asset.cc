// Running an external command asset's program. See command_asset.h.
#include "pipeline/command_asset.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace silt::pipeline {
namespace fs = std::filesystem;
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  return s;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// fork + execvpe; everything the child needs is prepared before the fork, because only
// async-signal-safe calls are allowed between fork and exec in a threaded program.
Result<int> spawn_and_wait(const std::string& cwd, const std::vector<std::string>& command,
                           const std::vector<std::string>& env, const std::string& log_path) {
  std::vector<char*> argv, envp;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log < 0) return Error(ErrorKind::Io, "cannot create " + log_path + ": " + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    ::close(log);
    return Error(ErrorKind::Io, std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) _exit(126);
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(log);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return Error(ErrorKind::Io, std::string("waitpid failed: ") + std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

Result<std::string> run_command(const std::string& project_dir, const std::vector<std::string>& command,
                                const std::vector<CommandInput>& inputs, const std::string& work_dir) {
  if (command.empty()) return Error(ErrorKind::InvalidArgument, "empty command");
  std::string out_dir = work_dir + "/output";
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Error(ErrorKind::Io, "cannot create " + out_dir + ": " + ec.message());
  std::vector<std::string> env;
  for (char** e = environ; *e; e++) env.emplace_back(*e);
  env.push_back("SILT_OUTPUT_DIR=" + out_dir);
  for (const auto& in : inputs) {
    std::string name = upper(in.name);
    env.push_back("SILT_INPUT_" + name + "=" + in.parquet);
    env.push_back("SILT_TABLE_" + name + "=" + in.table_path);
    env.push_back("SILT_VERSION_" + name + "=" + std::to_string(in.version));
  }
  std::string log = work_dir + "/command.log";
  SILT_ASSIGN_OR_RETURN(int code, spawn_and_wait(project_dir, command, env, log));
  if (code != 0) {
    std::string why = code == 127 ? "could not be started" : "exited with status " + std::to_string(code);
    std::string tail = last_line(log);
    return Error(ErrorKind::Io, "command " + command[0] + " " + why + (tail.empty() ? "" : ": " + tail));
  }
  bool any = false;
  for (const auto& entry : fs::directory_iterator(out_dir, ec))
    any = any || entry.path().extension() == ".parquet";
  if (!any)
    return Error(ErrorKind::InvalidArgument,
                 "command " + command[0] + " wrote no .parquet file to SILT_OUTPUT_DIR");
  return out_dir + "/*.parquet";
}

}  // namespace silt::pipeline
