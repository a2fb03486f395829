// Test support: a temporary directory holding a hand-made Delta table whose commits are
// written line by line, so log edge cases can be built exactly. Removed on destruction.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace silt::testing {

class TempTable {
 public:
  TempTable() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "silt-test-XXXXXX").string();
    char* dir = mkdtemp(tmpl.data());
    root_ = dir ? dir : "";
    std::filesystem::create_directories(log_dir());
  }
  ~TempTable() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTable(const TempTable&) = delete;
  TempTable& operator=(const TempTable&) = delete;

  const std::string& root() const { return root_; }
  std::string log_dir() const { return root_ + "/_delta_log"; }
  static std::string version_file(long long v, const char* suffix = ".json") {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%020lld", v);
    return buf + std::string(suffix);
  }
  // Writes commit `v` from action lines.
  void commit(long long v, const std::vector<std::string>& actions) const {
    std::ofstream out(log_dir() + "/" + version_file(v));
    for (const auto& a : actions) out << a << "\n";
  }
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel, std::ios::binary) << text;
  }

  static std::string protocol(int reader = 1, int writer = 2) {
    return R"({"protocol":{"minReaderVersion":)" + std::to_string(reader) + R"(,"minWriterVersion":)" +
           std::to_string(writer) + "}}";
  }
  // Metadata with columns id:long and part:string, partitioned by `part` when asked.
  static std::string metadata(bool partitioned = false, const std::string& config = "{}") {
    return std::string(
               R"({"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},"schemaString":")") +
           R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},)" +
           R"({\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]})" +
           R"(","partitionColumns":)" + (partitioned ? R"(["part"])" : "[]") + R"(,"configuration":)" +
           config + R"(,"createdTime":1}})";
  }
  static std::string add(const std::string& path, const std::string& extra = "") {
    return R"({"add":{"path":")" + path +
           R"(","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true)" + extra + "}}";
  }
  static std::string remove(const std::string& path, const std::string& extra = "") {
    return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":2,"dataChange":true)" + extra + "}}";
  }

 private:
  std::string root_;
};

}  // namespace silt::testing
