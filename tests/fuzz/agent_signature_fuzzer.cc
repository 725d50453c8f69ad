// A signed agent request as it arrives: the input's first six lines are the method, the target and
// the X-Agent-API-Key, -Timestamp, -Nonce and -Signature values (missing lines are empty), the rest
// the body. Parsing the headers gives Error{kUnauthorized} or the values as sent; the canonical
// query is a permutation of the query's pieces, so it keeps its length; the signed path is a prefix
// of the target; the string to sign has the scheme and the method first.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "orfeas/auth/request_signing.h"
#include "orfeas/core/error.h"

namespace {

// The next line of `input` (without its '\n'), taken off the front; the rest when there is no '\n'.
std::string_view next_line(std::string_view& input) {
  const std::size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
  return line;
}

void check_headers(std::string_view api_key, std::string_view timestamp, std::string_view nonce,
                   std::string_view signature) {
  try {
    const orfeas::AgentSignature parsed =
        orfeas::parse_agent_signature(api_key, timestamp, nonce, signature);
    if (parsed.api_key != api_key || parsed.nonce != nonce || parsed.signature != signature ||
        parsed.timestamp < 0 || std::to_string(parsed.timestamp).size() > timestamp.size()) {
      std::abort();
    }
  } catch (const orfeas::Error& e) {
    if (e.code() != orfeas::ErrorCode::kUnauthorized) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view method = next_line(input);
  const std::string_view target = next_line(input);
  const std::string_view api_key = next_line(input);
  const std::string_view timestamp = next_line(input);
  const std::string_view nonce = next_line(input);
  const std::string_view signature = next_line(input);
  const std::string_view body = input;

  check_headers(api_key, timestamp, nonce, signature);

  const std::size_t question = target.find('?');
  const std::string query = orfeas::canonical_query(target);
  if (question != std::string_view::npos && query.size() != target.size() - question - 1) {
    std::abort();
  }
  if (question == std::string_view::npos && !query.empty()) std::abort();
  const std::string_view path = orfeas::signed_path(target);
  if (!target.starts_with(path) || path.find('?') != std::string_view::npos) std::abort();

  const std::string text = orfeas::string_to_sign(method, target, 1700000000, nonce, body);
  const std::string head =
      std::string(orfeas::kSignatureScheme) + "\n" + std::string(method) + "\n";
  if (!text.starts_with(head) || !text.ends_with(orfeas::sha256_hex(body))) std::abort();
  return 0;
}
