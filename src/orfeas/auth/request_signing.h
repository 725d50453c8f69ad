// Agent request signing, exactly as docs/SIGNING.md publishes it: what is signed, how, and how the
// four X-Agent-* headers are read. Pure functions; no I/O, no clock.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace orfeas {

inline constexpr std::string_view kSignatureScheme = "ORFEAS-HMAC-SHA256";

// The four X-Agent-* headers of a signed request, read and checked for form. The strings view the
// header values parsed.
struct AgentSignature {
  std::string_view api_key;    // X-Agent-API-Key: 1 to 128 characters of [A-Za-z0-9_-]
  std::int64_t timestamp;      // X-Agent-Timestamp: Unix seconds, 1 to 12 decimal digits
  std::string_view nonce;      // X-Agent-Nonce: 16 to 64 characters of [A-Za-z0-9_-]
  std::string_view signature;  // X-Agent-Signature: 64 lowercase hex digits
};

// Reads the header values (empty = absent). Throws Error{kUnauthorized} whose message names the
// first header that is missing or malformed (the audit trail's reason; callers answer a generic
// 401 instead).
AgentSignature parse_agent_signature(std::string_view api_key, std::string_view timestamp,
                                     std::string_view nonce, std::string_view signature);

// The query of a request target as signed: the raw text after the first '?', split on '&' (empty
// pieces kept), sorted bytewise and joined with '&'. Empty when the target has no '?'. Nothing is
// decoded or re-encoded.
std::string canonical_query(std::string_view target);

// The path of a request target as signed: the raw text before the first '?'.
std::string_view signed_path(std::string_view target);

// The string to sign: kSignatureScheme, method, signed_path(target), canonical_query(target),
// timestamp (decimal), nonce, and sha256_hex(body), joined with '\n' (no trailing newline).
std::string string_to_sign(std::string_view method, std::string_view target, std::int64_t timestamp,
                           std::string_view nonce, std::string_view body);

using Sha256Digest = std::array<unsigned char, 32>;

// The digest's bytes as a string_view (for lower_hex and write_lower_hex).
inline std::string_view digest_bytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// SHA-256 of the parts, one after another.
Sha256Digest sha256_digest(std::initializer_list<std::string_view> parts);

// Lowercase hex of SHA-256(data) and of HMAC-SHA256(key, message).
std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The signature a client sends: hmac_sha256_hex(secret, string_to_sign(...)).
std::string sign_request(std::string_view secret, std::string_view method, std::string_view target,
                         std::int64_t timestamp, std::string_view nonce, std::string_view body);

// Whether signature_hex is hmac_sha256_hex(key, message), compared in constant time.
bool signature_matches(std::string_view key, std::string_view message,
                       std::string_view signature_hex);

// Whether a == b, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// A fresh nonce: 32 characters of [A-Za-z0-9_-] from a cryptographic random source.
std::string new_nonce();

}  // namespace orfeas
