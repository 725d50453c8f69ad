// Base64 (RFC 4648, standard alphabet) for JSON request bodies that carry binary data.
#pragma once

#include <string>
#include <string_view>

namespace orfeas {

// Decodes `text`, which may be a data URL ("data:image/png;base64,....") and may hold line
// breaks. Throws Error{kBadInput} for characters outside the alphabet, a length that is not a
// multiple of 4 or misplaced padding.
std::string decode_base64(std::string_view text);

}  // namespace orfeas
