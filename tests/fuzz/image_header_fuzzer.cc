// read_image_header on arbitrary bytes: it must either name a format with positive dimensions or
// throw Error{kBadInput}.
#include <cstdint>
#include <cstdlib>

#include "orfeas/core/error.h"
#include "orfeas/imaging/image_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const orfeas::ImageHeader header = orfeas::read_image_header({data, size});
    if (header.width <= 0 || header.height <= 0) std::abort();
  } catch (const orfeas::Error& e) {
    if (e.code() != orfeas::ErrorCode::kBadInput) std::abort();
  }
  return 0;
}
