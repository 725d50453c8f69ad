// A strict, bounded parser of multipart/form-data bodies (RFC 7578).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orfeas {

struct MultipartPart {
  std::string name;                     // the form field's name, never empty
  std::optional<std::string> filename;  // set when the part is a file
  std::string content_type;             // "text/plain" when the part does not say
  std::string_view body;                // points into the parsed body
};

struct MultipartLimits {
  std::size_t max_parts = 16;
  std::size_t max_header_bytes = 4096;  // per part, the header block with its blank line
};

// The boundary parameter of a multipart/form-data Content-Type, unquoted. Throws
// Error{kBadInput} when the type is another one or the boundary is missing, empty or longer than
// the 70 characters RFC 2046 allows.
std::string multipart_boundary(std::string_view content_type);

// The parts of `body`, in order. The body must start with the first delimiter (no preamble) and
// end with the close delimiter, optionally followed by CRLF. Each part needs a
// Content-Disposition: form-data header with a name; header lines must end with CRLF. Throws
// Error{kBadInput} for anything malformed and Error{kTooLarge} past `limits`. The parts point
// into `body`, which must outlive them.
std::vector<MultipartPart> parse_multipart(std::string_view content_type, std::string_view body,
                                           const MultipartLimits& limits = {});

}  // namespace orfeas
