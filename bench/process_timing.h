// Benchmark support: runs a program as a child process (stdout to /dev/null, stderr optionally to
// a file) and times it: wall time, user + system CPU, medians over runs. Exits the benchmark on a
// failed command, since its figures would mean nothing. Single-threaded.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace silt::bench {

struct Timing {
  double wall_ms = 0;  // wall time (a median, for median_ms)
  double cpu_ms = 0;   // user + system CPU time
  double max_rss_mib = 0;  // peak resident memory of the child (ru_maxrss)
};

// Runs `args` (args[0] is the program path) and waits for it; stderr goes to `stderr_path`
// when given.
inline Timing run_process(const std::vector<std::string>& args, const std::string& stderr_path = "") {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (!stderr_path.empty())
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    std::cerr << "cannot run " << args[0] << "\n";
    std::exit(1);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  Timing t;
  t.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
             (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  t.max_rss_mib = usage.ru_maxrss / 1024.0;
  t.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  posix_spawn_file_actions_destroy(&fa);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string command;
    for (const auto& a : args) command += " " + a;
    std::cerr << "command failed:" << command << "\n";
    std::exit(1);
  }
  return t;
}

// Medians of `runs` runs after one warm-up run (page cache).
inline Timing median_ms(const std::vector<std::string>& args, int runs) {
  std::vector<double> wall, cpu;
  run_process(args);
  for (int i = 0; i < runs; i++) {
    Timing t = run_process(args);
    wall.push_back(t.wall_ms);
    cpu.push_back(t.cpu_ms);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace silt::bench
