#include "orfeas/http/base64.h"

#include <openssl/evp.h>

#include "orfeas/core/error.h"

namespace orfeas {

std::string decode_base64(std::string_view text) {
  if (text.starts_with("data:")) {
    std::size_t comma = text.find(',');
    if (comma == std::string_view::npos || !text.substr(0, comma).ends_with(";base64")) {
      throw Error(ErrorCode::kBadInput, "a data URL must be base64-encoded (data:...;base64,...)");
    }
    text.remove_prefix(comma + 1);
  }
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r') compact.push_back(c);
  }
  std::size_t padding = 0;
  while (padding < 2 && padding < compact.size() && compact[compact.size() - 1 - padding] == '=') {
    ++padding;
  }
  bool alphabet = compact.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") >=
                  compact.size() - padding;
  if (compact.size() % 4 != 0 || !alphabet) {
    throw Error(ErrorCode::kBadInput, "the image is not valid base64");
  }
  std::string bytes(compact.size() / 4 * 3, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
  if (written < 0) throw Error(ErrorCode::kBadInput, "the image is not valid base64");
  bytes.resize(static_cast<std::size_t>(written) - padding);  // EVP_DecodeBlock keeps padding
  return bytes;
}

}  // namespace orfeas
