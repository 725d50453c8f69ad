#include "orfeas/imaging/image_header.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/imaging/jpeg_markers.h"

namespace orfeas {
namespace {

using Bytes = std::span<const std::uint8_t>;

bool starts_with(Bytes bytes, std::size_t at, std::string_view text) {
  return bytes.size() >= at + text.size() &&
         std::equal(text.begin(), text.end(), bytes.begin() + at,
                    [](char c, std::uint8_t b) { return static_cast<std::uint8_t>(c) == b; });
}

std::uint32_t u16_le(Bytes b, std::size_t at) { return b[at] | b[at + 1] << 8; }
std::uint32_t u24_le(Bytes b, std::size_t at) { return u16_le(b, at) | b[at + 2] << 16; }
std::uint32_t u32_le(Bytes b, std::size_t at) { return u16_le(b, at) | u16_le(b, at + 2) << 16; }
std::uint32_t u16_be(Bytes b, std::size_t at) { return b[at] << 8 | b[at + 1]; }
std::uint32_t u32_be(Bytes b, std::size_t at) { return u16_be(b, at) << 16 | u16_be(b, at + 2); }

// Throws kBadInput unless `bytes` holds at least `size` bytes.
void require(Bytes bytes, std::size_t size, ImageFormat format) {
  if (bytes.size() < size) {
    throw Error(ErrorCode::kBadInput,
                "the " + std::string(image_format_name(format)) + " header is truncated");
  }
}

// The header, once its sizes are known to be positive and to fit an int.
ImageHeader checked(ImageFormat format, std::int64_t width, std::int64_t height) {
  if (width <= 0 || height <= 0 || width > INT_MAX || height > INT_MAX) {
    throw Error(ErrorCode::kBadInput,
                "malformed " + std::string(image_format_name(format)) + " header: the image is " +
                    std::to_string(width) + "x" + std::to_string(height) + " pixels",
                {{"width", width}, {"height", height}});
  }
  return {format, static_cast<int>(width), static_cast<int>(height)};
}

// Signature, then the IHDR chunk: length 13, "IHDR", width and height (big-endian), depth, ...
ImageHeader png_header(Bytes bytes) {
  require(bytes, 8 + 8 + 13, ImageFormat::kPng);
  if (u32_be(bytes, 8) != 13 || !starts_with(bytes, 12, "IHDR")) {
    throw Error(ErrorCode::kBadInput, "malformed png header: the first chunk is not IHDR");
  }
  return checked(ImageFormat::kPng, u32_be(bytes, 16), u32_be(bytes, 20));
}

// The frame header (SOFn) gives the size: precision, height, width. SOF markers are C0-CF except
// C4 (Huffman tables), C8 (reserved) and CC (arithmetic coding conditioning).
ImageHeader jpeg_header(Bytes bytes) {
  for (const JpegSegment& segment : jpeg_header_segments(bytes)) {
    const std::uint8_t m = segment.marker;
    if (m < 0xC0 || m > 0xCF || m == 0xC4 || m == 0xC8 || m == 0xCC) continue;
    if (segment.payload.size() < 5) {
      throw Error(ErrorCode::kBadInput, "malformed jpeg header: the frame header is too short");
    }
    return checked(ImageFormat::kJpeg, u16_be(segment.payload, 3), u16_be(segment.payload, 1));
  }
  throw Error(ErrorCode::kBadInput, "malformed jpeg header: no frame header before the data");
}

// "RIFF", size, "WEBP", then the first chunk's tag and size; its data starts at byte 20.
ImageHeader webp_header(Bytes bytes) {
  require(bytes, 20, ImageFormat::kWebp);
  if (starts_with(bytes, 12, "VP8 ")) {  // lossy: frame tag (3), start code 9D 01 2A, 14-bit sizes
    require(bytes, 30, ImageFormat::kWebp);
    if (bytes[23] != 0x9D || bytes[24] != 0x01 || bytes[25] != 0x2A) {
      throw Error(ErrorCode::kBadInput, "malformed webp header: bad VP8 start code");
    }
    return checked(ImageFormat::kWebp, u16_le(bytes, 26) & 0x3FFF, u16_le(bytes, 28) & 0x3FFF);
  }
  if (starts_with(bytes, 12, "VP8L")) {  // lossless: signature 0x2F, then 14-bit sizes minus one
    require(bytes, 25, ImageFormat::kWebp);
    if (bytes[20] != 0x2F) {
      throw Error(ErrorCode::kBadInput, "malformed webp header: bad VP8L signature");
    }
    const std::uint32_t bits = u32_le(bytes, 21);
    return checked(ImageFormat::kWebp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (starts_with(bytes, 12, "VP8X")) {  // extended: flags (4), then 24-bit canvas sizes minus one
    require(bytes, 30, ImageFormat::kWebp);
    return checked(ImageFormat::kWebp, u24_le(bytes, 24) + std::int64_t{1},
                   u24_le(bytes, 27) + std::int64_t{1});
  }
  throw Error(ErrorCode::kBadInput,
              "unsupported webp file: its first chunk is not VP8, VP8L or VP8X");
}

// "BM", the 14-byte file header, then a DIB header that starts with its own size: 12 bytes for
// the old OS/2 core header (16-bit sizes), 40 or more for the Windows ones (32-bit signed sizes;
// a negative height means rows stored top-down).
ImageHeader bmp_header(Bytes bytes) {
  require(bytes, 14 + 4, ImageFormat::kBmp);
  const std::uint32_t info_size = u32_le(bytes, 14);
  if (info_size != 12 && info_size < 40) {
    throw Error(ErrorCode::kBadInput,
                "malformed bmp header: unknown DIB header size " + std::to_string(info_size));
  }
  require(bytes, 14 + std::size_t{info_size}, ImageFormat::kBmp);
  if (info_size == 12) return checked(ImageFormat::kBmp, u16_le(bytes, 18), u16_le(bytes, 20));
  const std::int64_t width = static_cast<std::int32_t>(u32_le(bytes, 18));
  const std::int64_t height = static_cast<std::int32_t>(u32_le(bytes, 22));
  return checked(ImageFormat::kBmp, width, height < 0 ? -height : height);
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kBmp:
      return "bmp";
  }
  return "unknown";
}

ImageHeader read_image_header(std::span<const std::uint8_t> bytes) {
  if (starts_with(bytes, 0, "\x89PNG\r\n\x1a\n")) return png_header(bytes);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return jpeg_header(bytes);
  }
  if (starts_with(bytes, 0, "RIFF") && starts_with(bytes, 8, "WEBP")) return webp_header(bytes);
  if (starts_with(bytes, 0, "BM")) return bmp_header(bytes);
  if (bytes.empty()) throw Error(ErrorCode::kBadInput, "the image file is empty");
  throw Error(ErrorCode::kBadInput, "not a supported image: expected PNG, JPEG, WebP or BMP");
}

}  // namespace orfeas
