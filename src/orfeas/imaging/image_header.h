// Identifies an encoded image and reads its dimensions from the header alone, before any pixel is
// decoded, so that decompression bombs are refused cheaply. Parses untrusted bytes: never reads
// past the span, never trusts a length field.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace orfeas {

enum class ImageFormat { kPng, kJpeg, kWebp, kBmp };

std::string_view image_format_name(ImageFormat format);  // "png", "jpeg", "webp", "bmp"

struct ImageHeader {
  ImageFormat format;
  int width = 0;
  int height = 0;
};

// Throws Error{kBadInput} when the bytes are not one of the supported formats or the header is
// truncated or malformed (zero or negative dimensions included).
ImageHeader read_image_header(std::span<const std::uint8_t> bytes);

}  // namespace orfeas
