// Benchmark support: runs a command as a child process (stdout to /dev/null) and reports its wall
// time, CPU time and peak resident memory from wait4(), so figures are the child's alone.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace silt::bench {

struct ChildRun {
  double wall_ms = 0;
  double cpu_ms = 0;       // user + system
  double max_rss_mib = 0;  // ru_maxrss of the child
};

// Runs args[0] with args; exits the benchmark with a message when it cannot start or fails.
inline ChildRun run_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    std::cerr << "cannot run " << args[0] << "\n";
    std::exit(1);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  ChildRun r;
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  r.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
             (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  r.max_rss_mib = usage.ru_maxrss / 1024.0;
  posix_spawn_file_actions_destroy(&fa);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "command failed:";
    for (size_t i = 1; i < args.size() && i < 4; i++) std::cerr << " " << args[i];
    std::cerr << "\n";
    std::exit(1);
  }
  return r;
}

}  // namespace silt::bench
