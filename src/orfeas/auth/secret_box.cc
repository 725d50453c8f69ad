#include "orfeas/auth/secret_box.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include <openssl/evp.h>

#include "orfeas/auth/random_token.h"
#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr int kIvSize = 12;
constexpr int kTagSize = 16;
constexpr std::string_view kPrefix = "v1:";

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Error key_error(const std::filesystem::path& path, const std::string& what) {
  return Error(ErrorCode::kBadInput, "server key " + path.string() + ": " + what,
               {{"path", path.string()}});
}

Error system_key_error(const std::filesystem::path& path, const char* action) {
  return key_error(path, std::string(action) + " failed: " + std::strerror(errno));
}

std::string read_key(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw system_key_error(path, "open");
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw system_key_error(path, "stat");
  if (!S_ISREG(info.st_mode)) throw key_error(path, "not a regular file");
  if ((info.st_mode & 077) != 0) {
    throw key_error(path, "open to group or others; run: chmod 600 " + path.string());
  }
  if (info.st_size != static_cast<off_t>(kKeySize)) {
    throw key_error(path, "must hold exactly 32 bytes, holds " + std::to_string(info.st_size));
  }
  std::string key(kKeySize, '\0');
  if (::read(fd.get(), key.data(), kKeySize) != static_cast<ssize_t>(kKeySize)) {
    throw system_key_error(path, "read");
  }
  return key;
}

void write_all(int fd, const std::string& bytes, const std::filesystem::path& path) {
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      ::fsync(fd) != 0) {
    throw system_key_error(path, "write");
  }
}

// Writes a fresh key to a private temporary file, then links it into place, so the key file
// appears whole or not at all. When another process linked its key first, that one stays.
void create_key(const std::filesystem::path& path) {
  std::filesystem::path temporary = path;
  temporary += ".tmp." + random_hex(8);
  FileDescriptor fd(::open(temporary.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw system_key_error(temporary, "create");
  try {
    write_all(fd.get(), random_bytes(kKeySize), temporary);
    if (::link(temporary.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      throw system_key_error(path, "create");
    }
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  ::unlink(temporary.c_str());
  FileDescriptor directory(::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                                  O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) ::fsync(directory.get());
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext new_context() {
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!context) throw Error(ErrorCode::kInternal, "EVP_CIPHER_CTX_new failed");
  return context;
}

unsigned char* bytes_of(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }
const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string encode_base64(const std::string& bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(bytes_of(text), bytes_of(std::string_view(bytes)),
                             static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(size));
  return text;
}

Error unreadable_secret(const char* why) {
  return Error(ErrorCode::kInternal, std::string("cannot open a sealed agent secret: ") + why +
                                         " (was the server key replaced or the database edited?)");
}

std::string decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) throw unreadable_secret("bad base64 length");
  std::string bytes(text.size() / 4 * 3, '\0');
  int size = EVP_DecodeBlock(bytes_of(bytes), bytes_of(text), static_cast<int>(text.size()));
  if (size < 0 || static_cast<std::size_t>(size) != bytes.size()) {
    throw unreadable_secret("bad base64");
  }
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  bytes.resize(bytes.size() - padding);
  return bytes;
}

}  // namespace

SecretBox SecretBox::open_or_create(const std::filesystem::path& key_path) {
  if (!std::filesystem::exists(key_path)) create_key(key_path);
  return SecretBox(read_key(key_path));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string iv = random_bytes(kIvSize);
  std::string out = iv + std::string(plaintext.size() + kTagSize, '\0');
  unsigned char* cipher = bytes_of(out) + kIvSize;
  CipherContext context = new_context();
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr,
                         bytes_of(std::string_view(key_)), bytes_of(std::string_view(iv))) != 1 ||
      EVP_EncryptUpdate(context.get(), cipher, &written, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), cipher + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          cipher + plaintext.size()) != 1) {
    throw Error(ErrorCode::kInternal, "AES-256-GCM encryption failed");
  }
  return std::string(kPrefix) + encode_base64(out);
}

std::string SecretBox::open(std::string_view sealed) const {
  if (!sealed.starts_with(kPrefix)) throw unreadable_secret("unknown format");
  std::string bytes = decode_base64(sealed.substr(kPrefix.size()));
  if (bytes.size() < static_cast<std::size_t>(kIvSize + kTagSize)) {
    throw unreadable_secret("too short");
  }
  std::size_t size = bytes.size() - kIvSize - kTagSize;
  unsigned char* iv = bytes_of(bytes);
  unsigned char* tag = iv + kIvSize + size;
  std::string plaintext(size, '\0');
  CipherContext context = new_context();
  int written = 0;
  int final_written = 0;
  if (EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr,
                         bytes_of(std::string_view(key_)), iv) != 1 ||
      EVP_DecryptUpdate(context.get(), bytes_of(plaintext), &written, iv + kIvSize,
                        static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(context.get(), bytes_of(plaintext) + written, &final_written) != 1) {
    throw unreadable_secret("it does not authenticate under this server key");
  }
  return plaintext;
}

}  // namespace orfeas
