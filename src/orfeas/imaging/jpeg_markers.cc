#include "orfeas/imaging/jpeg_markers.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr std::uint8_t kStartOfImage = 0xD8;
constexpr std::uint8_t kEndOfImage = 0xD9;
constexpr std::uint8_t kStartOfScan = 0xDA;
constexpr std::uint8_t kApp1 = 0xE1;
constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kTiffShort = 3;

// Markers that stand alone, without a length and payload: TEM and the restart markers RST0-7.
bool is_standalone(std::uint8_t marker) {
  return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
}

std::size_t read_u16_be(std::span<const std::uint8_t> bytes, std::size_t at) {
  return std::size_t{bytes[at]} << 8 | bytes[at + 1];
}

Error truncated_header() { return Error(ErrorCode::kBadInput, "the JPEG header is truncated"); }

// Reads the marker at `pos` (0xFF, any fill bytes 0xFF, then the code) and advances past it.
// Returns false when the bytes end first.
bool next_marker(std::span<const std::uint8_t> bytes, std::size_t& pos, std::uint8_t& marker) {
  while (pos < bytes.size() && bytes[pos] == 0xFF) ++pos;
  if (pos >= bytes.size()) return false;
  marker = bytes[pos++];
  return true;
}

// The header segments, as jpeg_header_segments; `end` becomes the offset just after the first SOS.
std::vector<JpegSegment> read_header(std::span<const std::uint8_t> bytes, std::size_t& end) {
  if (bytes.size() < 2 || bytes[0] != 0xFF || bytes[1] != kStartOfImage) {
    throw Error(ErrorCode::kBadInput, "not a JPEG file: no start-of-image marker");
  }
  std::vector<JpegSegment> segments;
  std::size_t pos = 2;
  for (;;) {
    if (pos >= bytes.size()) throw truncated_header();
    if (bytes[pos] != 0xFF) {
      throw Error(ErrorCode::kBadInput,
                  "malformed JPEG header: a segment is not followed by a marker");
    }
    std::uint8_t marker = 0;
    if (!next_marker(bytes, pos, marker)) throw truncated_header();
    if (is_standalone(marker)) continue;
    if (marker == 0x00 || marker == kStartOfImage || marker == kEndOfImage) {
      throw Error(ErrorCode::kBadInput, "malformed JPEG header: the image ends before its data");
    }
    if (bytes.size() - pos < 2) throw truncated_header();
    const std::size_t length = read_u16_be(bytes, pos);  // counts itself, not the marker
    if (length < 2)
      throw Error(ErrorCode::kBadInput, "malformed JPEG header: a segment length < 2");
    if (bytes.size() - pos < length) throw truncated_header();
    segments.push_back({marker, bytes.subspan(pos + 2, length - 2)});
    pos += length;
    if (marker == kStartOfScan) {
      end = pos;
      return segments;
    }
  }
}

// The Orientation tag of an EXIF (TIFF) block, or 1.
int tiff_orientation(std::span<const std::uint8_t> tiff) {
  if (tiff.size() < 8) return 1;
  bool little_endian = false;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little_endian = true;
  } else if (!(tiff[0] == 'M' && tiff[1] == 'M')) {
    return 1;
  }
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return little_endian ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1];
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return little_endian ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2);
  };
  if (u16(2) != 42) return 1;
  const std::size_t directory = u32(4);  // the first image file directory (IFD0)
  if (directory + 2 > tiff.size()) return 1;
  const std::size_t entries = u16(directory);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t entry = directory + 2 + 12 * i;  // tag, type, count, value: 2+2+4+4 bytes
    if (entry + 12 > tiff.size()) return 1;
    if (u16(entry) != kOrientationTag) continue;
    const std::uint32_t value = u16(entry + 8);
    return u16(entry + 2) == kTiffShort && value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

}  // namespace

std::vector<JpegSegment> jpeg_header_segments(std::span<const std::uint8_t> bytes) {
  std::size_t end = 0;
  return read_header(bytes, end);
}

bool jpeg_reaches_end(std::span<const std::uint8_t> bytes) {
  std::size_t pos = 0;
  read_header(bytes, pos);
  // In compressed data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker. Any other
  // marker starts a segment between scans (progressive files have many), which is skipped whole.
  while (pos < bytes.size()) {
    if (bytes[pos++] != 0xFF) continue;
    std::uint8_t marker = 0;
    if (!next_marker(bytes, pos, marker)) return false;
    if (marker == 0x00 || is_standalone(marker)) continue;
    if (marker == kEndOfImage) return true;
    if (bytes.size() - pos < 2) return false;
    const std::size_t length = read_u16_be(bytes, pos);
    if (length < 2 || bytes.size() - pos < length) return false;
    pos += length;
  }
  return false;
}

int jpeg_exif_orientation(std::span<const JpegSegment> segments) {
  static constexpr std::array<std::uint8_t, 6> kExifId = {'E', 'x', 'i', 'f', 0, 0};
  for (const JpegSegment& segment : segments) {
    const auto& payload = segment.payload;
    if (segment.marker != kApp1 || payload.size() < kExifId.size() ||
        !std::equal(kExifId.begin(), kExifId.end(), payload.begin())) {
      continue;
    }
    return tiff_orientation(payload.subspan(kExifId.size()));
  }
  return 1;
}

}  // namespace orfeas
