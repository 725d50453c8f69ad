// decode_image on arbitrary bytes: 8-bit BGR or BGRA pixels within the limits, or an Error that
// blames the input. Limits are kept small so each input decodes quickly.
#include <cstdint>
#include <cstdlib>

#include "orfeas/core/error.h"
#include "orfeas/imaging/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  orfeas::ImageLimits limits;
  limits.max_pixels = 1 << 20;
  limits.max_side = 2048;
  try {
    const cv::Mat image = orfeas::decode_image({data, size}, limits);
    if (image.depth() != CV_8U || (image.channels() != 3 && image.channels() != 4)) std::abort();
    if (std::int64_t(image.cols) * image.rows > limits.max_pixels) std::abort();
  } catch (const orfeas::Error& e) {
    if (e.code() != orfeas::ErrorCode::kBadInput && e.code() != orfeas::ErrorCode::kTooLarge) {
      std::abort();
    }
  }
  return 0;
}
