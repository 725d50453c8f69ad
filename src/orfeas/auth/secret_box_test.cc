#include "orfeas/auth/secret_box.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using test::code_of;
using test::error_of;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::filesystem::path& path, const std::string& bytes, mode_t mode) {
  std::ofstream(path, std::ios::binary) << bytes;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

TEST(SecretBoxTest, SealsAndOpens) {
  TestDirectory dir;
  SecretBox box = SecretBox::open_or_create(dir.path() / "server.key");
  for (std::string text : {std::string(), std::string("sk_0123"), std::string(1000, 'x')}) {
    std::string sealed = box.seal(text);
    EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
    if (!text.empty()) {
      EXPECT_EQ(sealed.find(text), std::string::npos);
    }
    EXPECT_EQ(box.open(sealed), text);
  }
}

TEST(SecretBoxTest, UsesAFreshIvEverySeal) {
  TestDirectory dir;
  SecretBox box = SecretBox::open_or_create(dir.path() / "server.key");
  std::string first = box.seal("same secret");
  std::string second = box.seal("same secret");
  EXPECT_NE(first, second);
  EXPECT_NE(first.substr(0, 19), second.substr(0, 19));  // the base64 of the IV differs
  EXPECT_EQ(box.open(first), box.open(second));
}

// Changes the base64 digit at `index` after "v1:" (counted from the end when negative); the
// digits tested carry data bits only, none of the padding.
std::string tampered(const std::string& sealed, int index) {
  std::string text = sealed;
  std::size_t at = index >= 0 ? 3 + index : text.size() + index;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  return text;
}

TEST(SecretBoxTest, RefusesTamperedText) {
  TestDirectory dir;
  SecretBox box = SecretBox::open_or_create(dir.path() / "server.key");
  std::string sealed = box.seal("a secret that is long enough");
  EXPECT_EQ(code_of([&] { box.open(tampered(sealed, 0)); }), ErrorCode::kInternal);   // IV
  EXPECT_EQ(code_of([&] { box.open(tampered(sealed, 20)); }), ErrorCode::kInternal);  // body
  EXPECT_EQ(code_of([&] { box.open(tampered(sealed, -5)); }), ErrorCode::kInternal);  // tag
  EXPECT_EQ(code_of([&] { box.open(sealed.substr(0, sealed.size() - 4)); }), ErrorCode::kInternal);
  EXPECT_EQ(code_of([&] { box.open("v1:"); }), ErrorCode::kInternal);
  EXPECT_EQ(code_of([&] { box.open("v1:not base64!"); }), ErrorCode::kInternal);
  EXPECT_EQ(code_of([&] { box.open("v2:" + sealed.substr(3)); }), ErrorCode::kInternal);
  EXPECT_EQ(code_of([&] { box.open("v1:AAAA"); }), ErrorCode::kInternal);
}

TEST(SecretBoxTest, AnotherKeyCannotOpen) {
  TestDirectory dir;
  SecretBox box = SecretBox::open_or_create(dir.path() / "a.key");
  SecretBox other = SecretBox::open_or_create(dir.path() / "b.key");
  std::string sealed = box.seal("secret");
  Error error = error_of([&] { other.open(sealed); });
  EXPECT_EQ(error.code(), ErrorCode::kInternal);
  EXPECT_NE(error.message().find("server key"), std::string::npos) << error.message();
}

TEST(SecretBoxTest, CreatesAPrivateKeyFileOnce) {
  TestDirectory dir;
  std::filesystem::path key = dir.path() / "server.key";
  SecretBox first = SecretBox::open_or_create(key);
  struct stat info {};
  ASSERT_EQ(::stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 32);
  std::string bytes = read_file(key);

  SecretBox second = SecretBox::open_or_create(key);
  EXPECT_EQ(read_file(key), bytes);
  EXPECT_EQ(second.open(first.seal("shared")), "shared");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(SecretBoxTest, OpenersStartingAtOnceAgreeOnOneKey) {
  for (int round = 0; round < 20; ++round) {
    TestDirectory dir;
    std::filesystem::path key = dir.path() / "server.key";
    std::vector<std::optional<SecretBox>> boxes(4);
    std::vector<std::thread> threads;
    for (auto& box : boxes) {
      threads.emplace_back([&box, &key] { box = SecretBox::open_or_create(key); });
    }
    for (std::thread& thread : threads) thread.join();
    std::string sealed = boxes[0]->seal("shared");
    for (const auto& box : boxes) EXPECT_EQ(box->open(sealed), "shared");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  }
}

TEST(SecretBoxTest, ReadsAnExistingKey) {
  TestDirectory dir;
  std::filesystem::path key = dir.path() / "server.key";
  write_file(key, std::string(32, '\x42'), 0600);
  SecretBox box = SecretBox::open_or_create(key);
  EXPECT_EQ(box.open(box.seal("x")), "x");
  EXPECT_EQ(read_file(key), std::string(32, '\x42'));
}

TEST(SecretBoxTest, RefusesAKeyFileOfTheWrongSize) {
  TestDirectory dir;
  std::filesystem::path key = dir.path() / "server.key";
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    write_file(key, std::string(size, 'k'), 0600);
    Error error = error_of([&] { SecretBox::open_or_create(key); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << size;
    EXPECT_NE(error.message().find(key.string()), std::string::npos) << error.message();
  }
}

TEST(SecretBoxTest, RefusesAKeyFileOthersCanRead) {
  TestDirectory dir;
  std::filesystem::path key = dir.path() / "server.key";
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    write_file(key, std::string(32, 'k'), mode);
    Error error = error_of([&] { SecretBox::open_or_create(key); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << mode;
    EXPECT_NE(error.message().find("chmod 600 " + key.string()), std::string::npos)
        << error.message();
  }
}

TEST(SecretBoxTest, RefusesWhatIsNotAFile) {
  TestDirectory dir;
  EXPECT_EQ(code_of([&] { SecretBox::open_or_create(dir.path()); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { SecretBox::open_or_create(dir.path() / "missing" / "server.key"); }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas
