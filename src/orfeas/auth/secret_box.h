// Encrypts agent secrets at rest with the server key: AES-256-GCM (OpenSSL) under a 32-byte key
// kept in a file of its own, mode 0600.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace orfeas {

class SecretBox {
 public:
  // Reads the key file at `key_path`, or creates it (32 random bytes, mode 0600, created
  // exclusively and fsynced, so two processes starting at once agree on one key) when it does not
  // exist. Throws Error{kBadInput} naming the file when it cannot be read or created, is not 32
  // bytes, or can be read by group or others (the message says to chmod 600 it).
  static SecretBox open_or_create(const std::filesystem::path& key_path);

  // "v1:" + base64(12-byte random IV || ciphertext || 16-byte tag); a fresh IV every call.
  std::string seal(std::string_view plaintext) const;
  // The inverse of seal. Throws Error{kInternal} when the text is malformed or does not
  // authenticate under this key (another server key, or an edited database).
  std::string open(std::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes
};

}  // namespace orfeas
