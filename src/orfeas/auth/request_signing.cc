#include "orfeas/auth/request_signing.h"

#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <vector>

#include "orfeas/auth/random_token.h"
#include "orfeas/core/error.h"
#include "orfeas/core/string_map.h"

// Nettle names its functions through macros, and sha2.h's sha256_digest would rename ours; its
// function is called by its full name, nettle_sha256_digest, here.
#undef sha256_digest

namespace orfeas {
namespace {

// Character classes as 256-entry tables: the headers of every request are checked against them.
using CharClass = std::array<bool, 256>;

constexpr CharClass token_chars() {
  CharClass table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
  }
  return table;
}

constexpr CharClass lower_hex_chars() {
  CharClass table{};
  for (int c = 0; c < 256; ++c) table[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  return table;
}

constexpr CharClass kTokenChars = token_chars();
constexpr CharClass kLowerHexChars = lower_hex_chars();

bool all_in(std::string_view text, const CharClass& chars) {
  bool all = true;
  for (char c : text) all &= chars[static_cast<unsigned char>(c)];
  return all;
}

bool is_token(std::string_view text, std::size_t min_size, std::size_t max_size) {
  return text.size() >= min_size && text.size() <= max_size && all_in(text, kTokenChars);
}

bool is_lower_hex(std::string_view text, std::size_t size) {
  return text.size() == size && all_in(text, kLowerHexChars);
}

[[noreturn]] void reject_header(std::string_view header, std::string_view value) {
  std::string message(header);
  message += value.empty() ? " is missing" : " is malformed";
  throw Error(ErrorCode::kUnauthorized, message, {{"header", header}});
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
  return AgentSignature{
      .api_key = api_key, .timestamp = *seconds, .nonce = nonce, .signature = signature};
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
  static const std::string kEmptyBodyHash = sha256_hex("");  // every GET and DELETE
  const std::string query = canonical_query(target);
  std::array<char, 24> seconds{};
  const std::string_view seconds_text(seconds.data(),
                                      std::to_chars(seconds.begin(), seconds.end(), timestamp).ptr);
  std::string text;
  text.reserve(kSignatureScheme.size() + method.size() + target.size() + seconds_text.size() +
               nonce.size() + kEmptyBodyHash.size() + 6);
  text.append(kSignatureScheme);
  for (std::string_view part :
       {method, signed_path(target), std::string_view(query), seconds_text, nonce}) {
    text.push_back('\n');
    text.append(part);
  }
  text.push_back('\n');
  text.append(body.empty() ? kEmptyBodyHash : sha256_hex(body));
  return text;
}

namespace {

const std::uint8_t* bytes(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

// HMAC-SHA256 under one key (RFC 2104), keyed once: Nettle keeps the SHA-256 states after the
// key's inner and outer blocks and returns to them after each message. Its contexts are plain
// structs, so a message costs no allocation and no provider dispatch (OpenSSL 3's EVP copies of a
// keyed state allocate and free on every request, and its call chains run cold under load).
class KeyedHmacSha256 {
 public:
  explicit KeyedHmacSha256(std::string_view key) {
    hmac_sha256_set_key(&context_, key.size(), bytes(key));
  }
  KeyedHmacSha256(const KeyedHmacSha256&) = delete;
  KeyedHmacSha256& operator=(const KeyedHmacSha256&) = delete;
  ~KeyedHmacSha256() { OPENSSL_cleanse(&context_, sizeof context_); }

  Sha256Digest mac(std::string_view message) {
    hmac_sha256_update(&context_, message.size(), bytes(message));
    Sha256Digest mac{};
    hmac_sha256_digest(&context_, mac.size(), mac.data());  // and back to the keyed state
    return mac;
  }

 private:
  hmac_sha256_ctx context_;
};

// This thread's HMAC for `key`, keyed once and reused. The few keys a server signs with are its
// agents' secrets; past kMaxKeyed the keyed states are dropped and made again.
KeyedHmacSha256& keyed_hmac_sha256(std::string_view key) {
  constexpr std::size_t kMaxKeyed = 256;
  thread_local StringMap<KeyedHmacSha256> keyed;
  if (auto found = keyed.find(key); found != keyed.end()) return found->second;
  if (keyed.size() >= kMaxKeyed) keyed.clear();
  return keyed.try_emplace(std::string(key), key).first->second;
}

}  // namespace

Sha256Digest sha256_digest(std::initializer_list<std::string_view> parts) {
  sha256_ctx context;
  sha256_init(&context);
  for (std::string_view part : parts) sha256_update(&context, part.size(), bytes(part));
  Sha256Digest digest{};
  nettle_sha256_digest(&context, digest.size(), digest.data());
  return digest;
}

std::string sha256_hex(std::string_view data) {
  const Sha256Digest digest = sha256_digest({data});
  return lower_hex(digest_bytes(digest));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  const Sha256Digest mac = keyed_hmac_sha256(key).mac(message);
  return lower_hex(digest_bytes(mac));
}

bool signature_matches(std::string_view key, std::string_view message,
                       std::string_view signature_hex) {
  const Sha256Digest mac = keyed_hmac_sha256(key).mac(message);
  std::array<char, 2 * sizeof mac> hex;
  write_lower_hex(digest_bytes(mac), hex.data());
  return constant_time_equal(std::string_view(hex.data(), hex.size()), signature_hex);
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view target,
                         std::int64_t timestamp, std::string_view nonce, std::string_view body) {
  return hmac_sha256_hex(secret, string_to_sign(method, target, timestamp, nonce, body));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string new_nonce() {
  std::string random = random_bytes(24);  // 24 bytes: 32 base64 characters, no padding
  std::string nonce(33, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(nonce.data()),
                  reinterpret_cast<const unsigned char*>(random.data()),
                  static_cast<int>(random.size()));
  nonce.resize(32);
  std::replace(nonce.begin(), nonce.end(), '+', '-');
  std::replace(nonce.begin(), nonce.end(), '/', '_');
  return nonce;
}

}  // namespace orfeas
