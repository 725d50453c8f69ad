#include "orfeas/export/atomic_file.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ErrorCode code_of_write(const fs::path& path, std::string_view bytes) {
  try {
    write_file_atomically(path, bytes);
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(path.string()), std::string::npos) << e.message();
    return e.code();
  }
  ADD_FAILURE() << "write_file_atomically(" << path << ") did not throw";
  return ErrorCode::kInternal;
}

// Caps the size of any file this process writes, making writes past `bytes` fail with EFBIG.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int);
};

class AtomicFileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "atomic_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesTheBytesAndLeavesNothingElse) {
  const std::string bytes("binary\0data\n", 12);
  write_file_atomically(dir_ / "out.stl", bytes);
  EXPECT_EQ(read_file(dir_ / "out.stl"), bytes);
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"out.stl"});
}

TEST_F(AtomicFileTest, WritesAnEmptyFile) {
  write_file_atomically(dir_ / "empty", "");
  EXPECT_TRUE(fs::exists(dir_ / "empty"));
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0u);
}

TEST_F(AtomicFileTest, ReplacesAnExistingFileWhole) {
  write_file_atomically(dir_ / "out.obj", std::string(10000, 'a'));
  write_file_atomically(dir_ / "out.obj", "short");
  EXPECT_EQ(read_file(dir_ / "out.obj"), "short");
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"out.obj"});
}

TEST_F(AtomicFileTest, GivesNewFilesTheUsualPermissions) {
  const mode_t saved = umask(022);
  write_file_atomically(dir_ / "out.ply", "x");
  umask(saved);
  EXPECT_EQ(fs::status(dir_ / "out.ply").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(AtomicFileTest, TargetIsAbsentUntilTheWriteCompletes) {
  // A write that fails half way (the file size limit stops it) must leave no target and no
  // temporary file behind.
  const std::string bytes(64 * 1024, 'x');
  ErrorCode code;
  {
    FileSizeLimit limit(4096);
    code = code_of_write(dir_ / "out.glb", bytes);
  }
  EXPECT_EQ(code, ErrorCode::kInternal);
  EXPECT_TRUE(names_in(dir_).empty());
}

TEST_F(AtomicFileTest, FailedOverwriteKeepsTheOldFile) {
  write_file_atomically(dir_ / "out.3mf", "old contents");
  ErrorCode code;
  {
    FileSizeLimit limit(4096);
    code = code_of_write(dir_ / "out.3mf", std::string(64 * 1024, 'x'));
  }
  EXPECT_EQ(code, ErrorCode::kInternal);
  EXPECT_EQ(read_file(dir_ / "out.3mf"), "old contents");
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"out.3mf"});
}

TEST_F(AtomicFileTest, MissingDirectoryIsTheCallersError) {
  EXPECT_EQ(code_of_write(dir_ / "missing" / "out.stl", "x"), ErrorCode::kBadInput);
  EXPECT_TRUE(names_in(dir_).empty());
}

TEST_F(AtomicFileTest, FileInPlaceOfDirectoryIsTheCallersError) {
  write_file_atomically(dir_ / "file", "x");
  EXPECT_EQ(code_of_write(dir_ / "file" / "out.stl", "x"), ErrorCode::kBadInput);
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"file"});
}

TEST_F(AtomicFileTest, DirectoryAsTargetIsTheCallersError) {
  fs::create_directory(dir_ / "out.stl");
  EXPECT_EQ(code_of_write(dir_ / "out.stl", "x"), ErrorCode::kBadInput);
  EXPECT_EQ(names_in(dir_), std::vector<std::string>{"out.stl"});
  EXPECT_TRUE(fs::is_directory(dir_ / "out.stl"));
}

TEST_F(AtomicFileTest, UnwritableDirectoryIsTheCallersError) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  fs::create_directory(dir_ / "locked");
  fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_EQ(code_of_write(dir_ / "locked" / "out.stl", "x"), ErrorCode::kBadInput);
  fs::permissions(dir_ / "locked", fs::perms::owner_all);
  EXPECT_TRUE(names_in(dir_ / "locked").empty());
}

TEST_F(AtomicFileTest, PathWithoutAFileNameIsTheCallersError) {
  EXPECT_EQ(code_of_write(dir_.string() + "/", "x"), ErrorCode::kBadInput);
  EXPECT_TRUE(names_in(dir_).empty());
}

}  // namespace
}  // namespace orfeas
