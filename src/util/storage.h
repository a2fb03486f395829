// The one interface through which the Delta layer touches files: list, read, put-if-absent,
// delete. The local filesystem implements it here; object stores can plug in later without
// touching protocol code. Implementations are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace silt {

struct FileEntry {
  std::string name;  // base name within the listed directory
  int64_t size = 0;
  int64_t modified_ms = 0;  // last modification, ms since the Unix epoch
  bool is_dir = false;
};

// Bytes read from storage. The buffer always has at least kReadPadding spare bytes of
// capacity past size(), so parsers that read ahead (simdjson) can use it without a copy.
inline constexpr size_t kReadPadding = 64;

class Storage {
 public:
  virtual ~Storage() = default;
  // Entries directly inside `dir`, sorted by name. NotFound if `dir` does not exist.
  virtual Result<std::vector<FileEntry>> list(const std::string& dir) const = 0;
  // Whole file. NotFound if it does not exist.
  virtual Result<std::string> read(const std::string& path) const = 0;
  // Bytes [offset, offset+length) of a file; Corruption if the file is shorter.
  virtual Result<std::string> read_range(const std::string& path, uint64_t offset, uint64_t length) const = 0;
  virtual Result<FileEntry> stat(const std::string& path) const = 0;
  // Publishes `data` at `path` atomically, only if nothing is there: Conflict otherwise.
  // Never overwrites. Creates parent directories as needed.
  virtual Status put_if_absent(const std::string& path, std::string_view data) = 0;
  // Writes or replaces `path` atomically (temp file + rename); for files no reader relies on
  // being immutable, such as _last_checkpoint.
  virtual Status put(const std::string& path, std::string_view data) = 0;
  virtual Status remove(const std::string& path) = 0;
};

// Local POSIX filesystem; paths are plain absolute or relative filesystem paths.
std::unique_ptr<Storage> make_local_storage();

}  // namespace silt
