#include "orfeas/auth/random_token.h"

#include <openssl/rand.h>

#include "orfeas/core/error.h"

namespace orfeas {

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw Error(ErrorCode::kInternal, "the random generator failed");
  }
  return bytes;
}

std::string random_hex(std::size_t bytes) { return lower_hex(random_bytes(bytes)); }

std::string lower_hex(std::string_view bytes) {
  std::string hex(2 * bytes.size(), '\0');
  write_lower_hex(bytes, hex.data());
  return hex;
}

void write_lower_hex(std::string_view bytes, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char byte : bytes) {
    *out++ = kDigits[byte >> 4];
    *out++ = kDigits[byte & 0x0f];
  }
}

}  // namespace orfeas
