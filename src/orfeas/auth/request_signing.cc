#include "orfeas/auth/request_signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include "orfeas/auth/random_token.h"
#include "orfeas/core/error.h"
#include "orfeas/core/string_map.h"

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

// SHA-256 fetched from OpenSSL's provider once, not on every call (OpenSSL 3 looks an algorithm
// up, under a lock, each time a one-shot call names it).
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext new_digest_context() { return {EVP_MD_CTX_new(), &EVP_MD_CTX_free}; }

[[noreturn]] void fail_hmac() { throw Error(ErrorCode::kInternal, "HMAC-SHA256 failed"); }

// HMAC-SHA256 under one key (RFC 2104) with the key's two blocks absorbed once: each message then
// starts from copies of the inner and outer SHA-256 states, which costs less than OpenSSL's
// EVP_MAC, re-keyed or not, for the short messages requests sign.
class KeyedHmacSha256 {
 public:
  static constexpr std::size_t kBlock = 64;

  explicit KeyedHmacSha256(std::string_view key) {
    std::array<unsigned char, kBlock> block{};
    if (key.size() > kBlock) {  // a long key is replaced by its digest
      const Sha256Digest digest = sha256_digest({key});
      std::copy(digest.begin(), digest.end(), block.begin());
    } else {
      std::copy(key.begin(), key.end(), block.begin());
    }
    absorb(inner_, block, 0x36);
    absorb(outer_, block, 0x5c);
    OPENSSL_cleanse(block.data(), block.size());
  }

  Sha256Digest mac(std::string_view message) const {
    thread_local DigestContext work = new_digest_context();
    Sha256Digest inner_digest{};
    Sha256Digest mac{};
    if (!work || EVP_MD_CTX_copy_ex(work.get(), inner_.get()) != 1 ||
        EVP_DigestUpdate(work.get(), message.data(), message.size()) != 1 ||
        EVP_DigestFinal_ex(work.get(), inner_digest.data(), nullptr) != 1 ||
        EVP_MD_CTX_copy_ex(work.get(), outer_.get()) != 1 ||
        EVP_DigestUpdate(work.get(), inner_digest.data(), inner_digest.size()) != 1 ||
        EVP_DigestFinal_ex(work.get(), mac.data(), nullptr) != 1) {
      fail_hmac();
    }
    return mac;
  }

 private:
  // `state` after hashing the key block XOR `pad`.
  static void absorb(DigestContext& state, const std::array<unsigned char, kBlock>& key_block,
                     unsigned char pad) {
    std::array<unsigned char, kBlock> padded{};
    for (std::size_t i = 0; i < kBlock; ++i) padded[i] = key_block[i] ^ pad;
    const bool absorbed = state && sha256() != nullptr &&
                          EVP_DigestInit_ex2(state.get(), sha256(), nullptr) == 1 &&
                          EVP_DigestUpdate(state.get(), padded.data(), padded.size()) == 1;
    OPENSSL_cleanse(padded.data(), padded.size());
    if (!absorbed) fail_hmac();
  }

  DigestContext inner_ = new_digest_context();
  DigestContext outer_ = new_digest_context();
};

// This thread's HMAC for `key`, keyed once and reused. The few keys a server signs with are its
// agents' secrets; past kMaxKeyed the keyed states are dropped and made again.
const KeyedHmacSha256& keyed_hmac_sha256(std::string_view key) {
  constexpr std::size_t kMaxKeyed = 256;
  thread_local StringMap<KeyedHmacSha256> keyed;
  if (auto found = keyed.find(key); found != keyed.end()) return found->second;
  if (keyed.size() >= kMaxKeyed) keyed.clear();
  return keyed.try_emplace(std::string(key), key).first->second;
}

}  // namespace

Sha256Digest sha256_digest(std::initializer_list<std::string_view> parts) {
  thread_local DigestContext context = new_digest_context();  // reused: no allocation per call
  Sha256Digest digest{};
  bool hashed =
      context && sha256() != nullptr && EVP_DigestInit_ex2(context.get(), sha256(), nullptr) == 1;
  for (std::string_view part : parts) {
    hashed = hashed && EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
  }
  if (!hashed || EVP_DigestFinal_ex(context.get(), digest.data(), nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 failed");
  }
  return digest;
}

std::string sha256_hex(std::string_view data) {
  const Sha256Digest digest = sha256_digest({data});
  return lower_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  const Sha256Digest mac = keyed_hmac_sha256(key).mac(message);
  return lower_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

bool signature_matches(std::string_view key, std::string_view message,
                       std::string_view signature_hex) {
  return constant_time_equal(hmac_sha256_hex(key, message), signature_hex);
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
