#include "orfeas/auth/request_signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool is_token(std::string_view text, std::size_t min_size, std::size_t max_size) {
  return text.size() >= min_size && text.size() <= max_size &&
         std::all_of(text.begin(), text.end(), is_token_char);
}

bool is_lower_hex(std::string_view text, std::size_t size) {
  return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

[[noreturn]] void reject_header(std::string_view header, std::string_view value) {
  std::string message(header);
  message += value.empty() ? " is missing" : " is malformed";
  throw Error(ErrorCode::kUnauthorized, message, {{"header", header}});
}

std::string lower_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return hex;
}

// The timestamp header's value: 1 to 12 decimal digits, nothing else.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

AgentSignature parse_agent_signature(std::string_view api_key, std::string_view timestamp,
                                     std::string_view nonce, std::string_view signature) {
  if (!is_token(api_key, 1, 128)) reject_header("X-Agent-API-Key", api_key);
  std::optional<std::int64_t> seconds = parse_timestamp(timestamp);
  if (!seconds) reject_header("X-Agent-Timestamp", timestamp);
  if (!is_token(nonce, 16, 64)) reject_header("X-Agent-Nonce", nonce);
  if (!is_lower_hex(signature, 64)) reject_header("X-Agent-Signature", signature);
  return AgentSignature{.api_key = std::string(api_key),
                        .timestamp = *seconds,
                        .nonce = std::string(nonce),
                        .signature = std::string(signature)};
}

std::string canonical_query(std::string_view target) {
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return "";
  std::string_view query = target.substr(question + 1);
  std::vector<std::string_view> pieces;
  for (std::size_t start = 0;;) {
    std::size_t amp = query.find('&', start);
    pieces.push_back(query.substr(start, amp - start));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(pieces.begin(), pieces.end());  // char_traits<char> compares bytes as unsigned
  std::string joined;
  joined.reserve(query.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) joined.push_back('&');
    joined.append(pieces[i]);
  }
  return joined;
}

std::string_view signed_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string string_to_sign(std::string_view method, std::string_view target, std::int64_t timestamp,
                           std::string_view nonce, std::string_view body) {
  std::string text(kSignatureScheme);
  for (std::string_view part : {method, signed_path(target)}) {
    text.push_back('\n');
    text.append(part);
  }
  text += '\n' + canonical_query(target) + '\n' + std::to_string(timestamp) + '\n';
  text.append(nonce);
  text += '\n' + sha256_hex(body);
  return text;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 failed");
  }
  return lower_hex(digest.data(), size);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &size) == nullptr) {
    throw Error(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  return lower_hex(mac.data(), size);
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view target,
                         std::int64_t timestamp, std::string_view nonce, std::string_view body) {
  return hmac_sha256_hex(secret, string_to_sign(method, target, timestamp, nonce, body));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string new_nonce() {
  std::array<unsigned char, 24> random{};  // 24 bytes: 32 base64 characters, no padding
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw Error(ErrorCode::kInternal, "no random bytes for a nonce");
  }
  std::string nonce(33, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(nonce.data()), random.data(),
                  static_cast<int>(random.size()));
  nonce.resize(32);
  std::replace(nonce.begin(), nonce.end(), '+', '-');
  std::replace(nonce.begin(), nonce.end(), '/', '_');
  return nonce;
}

}  // namespace orfeas
