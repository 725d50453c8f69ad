#include "orfeas/auth/request_signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "orfeas/auth/random_token.h"
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
  static const std::string kEmptyBodyHash = sha256_hex("");  // every GET and DELETE
  text += '\n';
  text += body.empty() ? kEmptyBodyHash : sha256_hex(body);
  return text;
}

namespace {

// SHA-256 and HMAC-SHA256 fetched from OpenSSL's provider once, not on every call (OpenSSL 3
// looks an algorithm up, under a lock, each time a one-shot call names it).
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// A context with HMAC-SHA256 chosen and no key yet, to be copied for each MAC.
const EVP_MAC_CTX* hmac_sha256_template() {
  static EVP_MAC_CTX* const context = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* created = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (created && EVP_MAC_CTX_set_params(created, params) != 1) {
      EVP_MAC_CTX_free(created);
      created = nullptr;
    }
    return created;
  }();
  return context;
}

// This thread's HMAC-SHA256 context keyed with `key`, keyed once and reused: a message then costs
// no key schedule. The few keys a server signs with are its agents' secrets; past kMaxKeyed the
// contexts are dropped and keyed again. Null when OpenSSL fails.
EVP_MAC_CTX* keyed_hmac_sha256(std::string_view key) {
  constexpr std::size_t kMaxKeyed = 256;
  using Context = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;
  thread_local std::unordered_map<std::string, Context> keyed;
  std::string key_text(key);
  if (auto found = keyed.find(key_text); found != keyed.end()) return found->second.get();
  const EVP_MAC_CTX* base = hmac_sha256_template();
  Context context(base ? EVP_MAC_CTX_dup(base) : nullptr, &EVP_MAC_CTX_free);
  if (!context || EVP_MAC_init(context.get(), reinterpret_cast<const unsigned char*>(key.data()),
                               key.size(), nullptr) != 1) {
    return nullptr;
  }
  if (keyed.size() >= kMaxKeyed) keyed.clear();
  return keyed.emplace(std::move(key_text), std::move(context)).first->second.get();
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (sha256() == nullptr ||
      EVP_Digest(data.data(), data.size(), digest.data(), &size, sha256(), nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 failed");
  }
  return lower_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t size = 0;
  EVP_MAC_CTX* context = keyed_hmac_sha256(key);
  if (!context || EVP_MAC_init(context, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(context, mac.data(), &size, mac.size()) != 1) {
    throw Error(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  return lower_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), size));
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
