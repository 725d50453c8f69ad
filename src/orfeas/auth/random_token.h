// Random bytes and hex tokens from OpenSSL's cryptographic generator: ids, keys, secrets, nonces.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace orfeas {

// `count` random bytes. Throws Error{kInternal} when the generator fails.
std::string random_bytes(std::size_t count);

// `bytes` random bytes as 2 × bytes lowercase hex digits.
std::string random_hex(std::size_t bytes);

// The bytes as lowercase hex, two digits each.
std::string lower_hex(std::string_view bytes);
// Writes lower_hex(bytes) to out[0, 2 × bytes.size()).
void write_lower_hex(std::string_view bytes, char* out);

}  // namespace orfeas
