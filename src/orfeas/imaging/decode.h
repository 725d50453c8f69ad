// Decoding of untrusted image files into pixels: PNG (8/16-bit, gray, palette, RGBA), JPEG
// (baseline, progressive, CMYK), WebP and BMP.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "orfeas/imaging/image_header.h"

namespace orfeas {

struct ImageLimits {
  std::int64_t max_bytes = 64ll << 20;   // encoded size
  std::int64_t max_pixels = 50'000'000;  // width * height
  int max_side = 16384;                  // width and height each
};

// Returns 8-bit pixels: CV_8UC4 (BGRA) when the file carries an alpha channel, else CV_8UC3 (BGR).
// Gray and palette images are expanded, 16-bit samples scaled to 8 bits, the EXIF orientation of a
// JPEG applied (so width and height swap for orientations 5 to 8).
// Limits are checked on the header before decoding.
// Throws Error{kTooLarge} past a limit (the message names the size and the limit), Error{kBadInput}
// with a one-line reason for anything unreadable, corrupt or truncated.
cv::Mat decode_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});

// The checks decode_image makes before decoding, without decoding: the format and the limits.
// Returns the header; throws as decode_image does for them.
ImageHeader check_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});

// Reads a whole file. Throws Error{kBadInput} if it cannot be read (missing, a directory,
// unreadable) and Error{kTooLarge} if it is larger than `max_bytes`.
std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path,
                                          std::int64_t max_bytes = ImageLimits{}.max_bytes);

}  // namespace orfeas
