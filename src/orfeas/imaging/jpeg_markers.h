// The structure of a JPEG file, read from its markers without decoding it: the header segments,
// whether the compressed data runs to its end, and the EXIF orientation. Parses untrusted bytes:
// never reads past the span, never trusts a length field.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace orfeas {

struct JpegSegment {
  std::uint8_t marker;                    // the byte after 0xFF: 0xC0 for SOF0, 0xE1 for APP1, ...
  std::span<const std::uint8_t> payload;  // the bytes after the two-byte length field
};

// The marker segments from the start of image (SOI) up to and including the first start of scan
// (SOS): everything needed before the compressed data. Throws Error{kBadInput} when the bytes do
// not start with SOI, or end or break off before that SOS.
std::vector<JpegSegment> jpeg_header_segments(std::span<const std::uint8_t> bytes);

// True when the compressed data after the header runs to an end-of-image marker (EOI). A file cut
// short has none; libjpeg would decode it anyway, with grey where the data stops.
// Throws like jpeg_header_segments.
bool jpeg_reaches_end(std::span<const std::uint8_t> bytes);

// The Orientation tag (1 to 8) of the EXIF block in an APP1 segment: how the stored pixels must be
// turned for display. 1 (as stored) when there is no such tag or it cannot be read.
int jpeg_exif_orientation(std::span<const JpegSegment> segments);

}  // namespace orfeas
