// multipart/form-data bodies as they arrive in an upload: the first line of the input is the
// Content-Type header, the rest the body. Either Error{kBadInput or kTooLarge} or parts that lie
// inside the body, with names, within the limits.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "orfeas/core/error.h"
#include "orfeas/http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body = input.substr(newline + 1);
  const orfeas::MultipartLimits limits{.max_parts = 8, .max_header_bytes = 512};
  try {
    const auto parts = orfeas::parse_multipart(content_type, body, limits);
    if (parts.empty() || parts.size() > limits.max_parts) std::abort();
    for (const orfeas::MultipartPart& part : parts) {
      if (part.name.empty()) std::abort();
      if (part.body.data() < body.data() ||
          part.body.data() + part.body.size() > body.data() + body.size()) {
        std::abort();
      }
    }
  } catch (const orfeas::Error& e) {
    if (e.code() != orfeas::ErrorCode::kBadInput && e.code() != orfeas::ErrorCode::kTooLarge) {
      std::abort();
    }
  }
  return 0;
}
