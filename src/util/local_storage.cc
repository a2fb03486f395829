// Storage on the local POSIX filesystem. put_if_absent writes a temp file in the target
// directory, fsyncs it, then link()s it to the final name: link fails with EEXIST instead of
// replacing, which is the put-if-absent a Delta commit needs.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "util/fault_injection.h"
#include "util/storage.h"

namespace silt {
namespace {

Error errno_error(const std::string& what, const std::string& path) {
  int e = errno;
  ErrorKind kind = (e == ENOENT || e == ENOTDIR) ? ErrorKind::NotFound : ErrorKind::Io;
  return Error(kind, what + " " + path + ": " + std::strerror(e));
}

int64_t mtime_ms(const struct stat& st) {
  return int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<std::string> read_at(const std::string& path, uint64_t offset, uint64_t length, bool whole) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("cannot open", path);
  if (whole) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path);
    if (S_ISDIR(st.st_mode)) return Error(ErrorKind::Io, "is a directory: " + path);
    length = uint64_t(st.st_size);
  }
  std::string out;
  out.reserve(length + kReadPadding);
  out.resize(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd.get(), out.data() + done, length - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path);
    }
    if (n == 0) break;
    done += uint64_t(n);
  }
  if (done != length) {
    return Error(ErrorKind::Corruption, "file " + path + " is shorter than expected (" +
                                            std::to_string(done) + " of " + std::to_string(offset + length) +
                                            " bytes)");
  }
  return out;
}

std::string temp_name(const std::string& path) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[32];
  std::snprintf(buf, sizeof buf, ".%016llx.tmp", static_cast<unsigned long long>(rng()));
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + buf;
}

Status make_parent_dirs(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Error(ErrorKind::Io, "cannot create directory " + parent.string() + ": " + ec.message());
  return ok_status();
}

Status write_synced(const std::string& path, std::string_view data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return errno_error("cannot create", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error err = errno_error("cannot write", path);
      ::unlink(path.c_str());
      return err;
    }
    done += size_t(n);
  }
  if (::fsync(fd.get()) != 0) {
    Error err = errno_error("cannot sync", path);
    ::unlink(path.c_str());
    return err;
  }
  return ok_status();
}

class LocalStorage final : public Storage {
 public:
  Result<std::vector<FileEntry>> list(const std::string& dir) const override {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return errno_error("cannot list", dir);
    std::vector<FileEntry> out;
    while (struct dirent* e = ::readdir(d.get())) {
      if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
      FileEntry fe;
      fe.name = e->d_name;
      struct stat st;
      if (::fstatat(dirfd(d.get()), e->d_name, &st, 0) == 0) {
        fe.size = st.st_size;
        fe.modified_ms = mtime_ms(st);
        fe.is_dir = S_ISDIR(st.st_mode);
      }
      out.push_back(std::move(fe));
    }
    std::sort(out.begin(), out.end(), [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
    return out;
  }

  Result<std::string> read(const std::string& path) const override { return read_at(path, 0, 0, true); }

  Result<std::string> read_range(const std::string& path, uint64_t offset, uint64_t length) const override {
    return read_at(path, offset, length, false);
  }

  Result<FileEntry> stat(const std::string& path) const override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return errno_error("cannot stat", path);
    FileEntry fe;
    fe.name = std::filesystem::path(path).filename().string();
    fe.size = st.st_size;
    fe.modified_ms = mtime_ms(st);
    fe.is_dir = S_ISDIR(st.st_mode);
    return fe;
  }

  Status put_if_absent(const std::string& path, std::string_view data) override {
    SILT_TRY(make_parent_dirs(path));
    std::string tmp = temp_name(path);
    SILT_TRY(write_synced(tmp, data));
    crash_point("mid_publish");  // the temp file exists, the version does not
    int rc = ::link(tmp.c_str(), path.c_str());
    int e = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
      if (e == EEXIST) return Error(ErrorKind::Conflict, "already exists: " + path);
      errno = e;
      return errno_error("cannot publish", path);
    }
    return ok_status();
  }

  Status put(const std::string& path, std::string_view data) override {
    SILT_TRY(make_parent_dirs(path));
    std::string tmp = temp_name(path);
    SILT_TRY(write_synced(tmp, data));
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      Error err = errno_error("cannot replace", path);
      ::unlink(tmp.c_str());
      return err;
    }
    return ok_status();
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return errno_error("cannot delete", path);
    return ok_status();
  }
};

}  // namespace

std::unique_ptr<Storage> make_local_storage() { return std::make_unique<LocalStorage>(); }

}  // namespace silt
