#include "orfeas/export/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;

// errno values that mean the caller named a place we cannot write to.
bool is_callers_fault(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case EACCES:
    case EPERM:
    case EROFS:
    case ENAMETOOLONG:
    case ELOOP:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void throw_errno(int error, const std::string& what, const fs::path& path) {
  const ErrorCode code = is_callers_fault(error) ? ErrorCode::kBadInput : ErrorCode::kInternal;
  throw Error(code, "cannot write '" + path.string() + "': " + what + ": " + std::strerror(error),
              {{"path", path.string()}});
}

fs::path directory_of(const fs::path& path) {
  return path.parent_path().empty() ? fs::path(".") : path.parent_path();
}

// Closes the descriptor and removes the temporary file unless released.
class TemporaryFile {
 public:
  TemporaryFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) ::unlink(path_.c_str());
  }

  const fs::path& path() const { return path_; }
  int fd() const { return fd_; }

  // Closes the descriptor, returning 0 or the errno of close.
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }
  void release() { released_ = true; }

 private:
  fs::path path_;
  int fd_;
  bool released_ = false;
};

// Creates ".NAME.tmp-XXXXXXXXXXXXXXXX" beside `path` with O_EXCL, retrying on the (unlikely)
// clash of random suffixes.
TemporaryFile create_temporary_beside(const fs::path& path) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (int attempt = 0; attempt < 100; ++attempt) {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
    std::string name = ".";
    name += path.filename().string();
    name += ".tmp-";
    name += suffix;
    fs::path temporary = directory_of(path) / name;
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return TemporaryFile(std::move(temporary), fd);
    if (errno != EEXIST) throw_errno(errno, "cannot create a file in its directory", path);
  }
  throw Error(ErrorCode::kInternal,
              "cannot write '" + path.string() + "': no free temporary file name beside it",
              {{"path", path.string()}});
}

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "write failed", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

void sync_directory(const fs::path& path) {
  const int fd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    throw Error(
        ErrorCode::kInternal,
        "wrote '" + path.string() + "' but cannot sync its directory: " + std::strerror(error),
        {{"path", path.string()}});
  }
  ::close(fd);
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  if (path.filename().empty()) {
    throw Error(ErrorCode::kBadInput, "cannot write '" + path.string() + "': it names no file",
                {{"path", path.string()}});
  }
  TemporaryFile temporary = create_temporary_beside(path);
  write_all(temporary.fd(), bytes, path);
  if (::fsync(temporary.fd()) != 0) throw_errno(errno, "fsync failed", path);
  if (const int error = temporary.close(); error != 0) throw_errno(error, "close failed", path);
  if (::rename(temporary.path().c_str(), path.c_str()) != 0) {
    throw_errno(errno, "cannot rename the temporary file over it", path);
  }
  temporary.release();
  sync_directory(path);
}

}  // namespace orfeas
