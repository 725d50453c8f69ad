#include "orfeas/imaging/decode.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"
#include "orfeas/imaging/image_header.h"
#include "orfeas/imaging/jpeg_markers.h"

namespace orfeas {
namespace {

void check_encoded_size(std::size_t size, std::int64_t max_bytes) {
  // cv::imdecode takes at most INT_MAX bytes, whatever the limit says.
  const std::int64_t limit = std::min<std::int64_t>(max_bytes, INT_MAX);
  if (static_cast<std::int64_t>(size) > limit) {
    throw Error(ErrorCode::kTooLarge,
                "the image file is " + std::to_string(size) + " bytes; at most " +
                    std::to_string(limit) + " are allowed",
                {{"bytes", size}, {"max_bytes", limit}});
  }
}

void check_dimensions(const ImageHeader& header, const ImageLimits& limits) {
  const std::string size = std::to_string(header.width) + "x" + std::to_string(header.height);
  if (header.width > limits.max_side || header.height > limits.max_side) {
    throw Error(
        ErrorCode::kTooLarge,
        "the image is " + size + " pixels; each side may be at most " +
            std::to_string(limits.max_side),
        {{"width", header.width}, {"height", header.height}, {"max_side", limits.max_side}});
  }
  const std::int64_t pixels = std::int64_t{header.width} * header.height;
  if (pixels > limits.max_pixels) {
    throw Error(
        ErrorCode::kTooLarge,
        "the image is " + size + " = " + std::to_string(pixels) + " pixels; at most " +
            std::to_string(limits.max_pixels) + " are allowed",
        {{"width", header.width}, {"height", header.height}, {"max_pixels", limits.max_pixels}});
  }
}

// cv::imdecode picks its decoder by sniffing the bytes, not by the format the header names: when
// that format's decoder turns them down it tries the others, and two of those look for their
// marker away from the start, where any of our formats may hold it: GDCM (DICOM, "DICM" at byte
// 128) and GDAL (DTED, "DTED" at byte 140). Either would then parse a small upload as a medical or
// terrain file: a fuzzed 284-byte "webp" made GDCM allocate 3 GB. Such bytes are refused.
void refuse_foreign_markers(std::span<const std::uint8_t> bytes, const std::string& format) {
  constexpr struct {
    std::size_t offset;
    std::string_view marker;
    std::string_view kind;
  } kForeign[] = {{128, "DICM", "DICOM"}, {140, "DTED", "DTED"}};
  for (const auto& [offset, marker, kind] : kForeign) {
    if (bytes.size() >= offset + marker.size() &&
        std::equal(marker.begin(), marker.end(), bytes.begin() + offset)) {
      throw Error(ErrorCode::kBadInput, "the " + format + " file carries a " + std::string(kind) +
                                            " marker at byte " + std::to_string(offset) +
                                            ", which another decoder would act on; refused");
    }
  }
}

// The pixels exactly as stored: 1, 3 or 4 channels of 8 or 16 bits, with no orientation applied.
cv::Mat decode_stored_pixels(std::span<const std::uint8_t> bytes, const ImageHeader& header) {
  const std::string format(image_format_name(header.format));
  refuse_foreign_markers(bytes, format);
  if (header.format == ImageFormat::kJpeg && !jpeg_reaches_end(bytes)) {
    throw Error(ErrorCode::kBadInput, "the jpeg file is truncated: its data stops before the end");
  }
  // imdecode only reads the buffer; a cv::Mat header just cannot say so.
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1,
                        const_cast<std::uint8_t*>(bytes.data()));
  cv::Mat pixels;
  try {
    // IMREAD_UNCHANGED keeps alpha and 16-bit samples, and (unlike the other flags) leaves EXIF
    // orientation to us.
    pixels = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::kBadInput, "the " + format + " file could not be decoded: " + e.err);
  }
  if (pixels.empty()) {
    throw Error(ErrorCode::kBadInput,
                "the " + format + " file could not be decoded: it is truncated or corrupt");
  }
  if (pixels.cols != header.width || pixels.rows != header.height) {
    throw Error(ErrorCode::kBadInput,
                "the " + format + " header says " + std::to_string(header.width) + "x" +
                    std::to_string(header.height) + " but the pixels are " +
                    std::to_string(pixels.cols) + "x" + std::to_string(pixels.rows));
  }
  return pixels;
}

// 8-bit BGR, or BGRA when there is an alpha channel.
cv::Mat to_bgr_or_bgra(cv::Mat pixels) {
  if (pixels.depth() == CV_16U) {
    pixels.convertTo(pixels, CV_8U, 1.0 / 257.0);
  } else if (pixels.depth() != CV_8U) {
    throw Error(ErrorCode::kBadInput, "unsupported sample type: only 8 and 16 bits are read");
  }
  switch (pixels.channels()) {
    case 1:
      cv::cvtColor(pixels, pixels, cv::COLOR_GRAY2BGR);
      return pixels;
    case 3:
    case 4:
      return pixels;
  }
  throw Error(ErrorCode::kBadInput,
              "unsupported image with " + std::to_string(pixels.channels()) + " channels");
}

// The stored pixels turned for display as EXIF `orientation` (1 to 8) says: 5 to 8 swap rows and
// columns first; then 2 and 6 mirror left to right, 3 and 7 turn half way round, 4 and 8 mirror
// top to bottom.
cv::Mat oriented(const cv::Mat& pixels, int orientation) {
  if (orientation < 2 || orientation > 8) return pixels;
  cv::Mat out = pixels;
  if (orientation >= 5) cv::transpose(pixels, out);
  const int turn = (orientation - 1) % 4;
  if (turn != 0) cv::flip(out, out, turn == 1 ? 1 : turn == 2 ? -1 : 0);  // cv::flip's codes
  return out;
}

}  // namespace

ImageHeader check_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits) {
  check_encoded_size(bytes.size(), limits.max_bytes);
  const ImageHeader header = read_image_header(bytes);
  check_dimensions(header, limits);
  return header;
}

cv::Mat decode_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits) {
  const ImageHeader header = check_image(bytes, limits);
  cv::Mat pixels = to_bgr_or_bgra(decode_stored_pixels(bytes, header));
  if (header.format == ImageFormat::kJpeg) {
    pixels = oriented(pixels, jpeg_exif_orientation(jpeg_header_segments(bytes)));
  }
  return pixels;
}

std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path,
                                          std::int64_t max_bytes) {
  const std::string name = std::string("'").append(path.string()).append("'");
  const nlohmann::json details = {{"path", path.string()}};
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    throw Error(ErrorCode::kBadInput, "cannot read " + name + ": no such file", details);
  }
  if (error) {
    throw Error(ErrorCode::kBadInput, "cannot read " + name + ": " + error.message(), details);
  }
  if (std::filesystem::is_directory(status)) {
    throw Error(ErrorCode::kBadInput, "cannot read " + name + ": it is a directory", details);
  }
  auto too_large = [&] {
    return Error(ErrorCode::kTooLarge,
                 name + " is larger than " + std::to_string(max_bytes) + " bytes",
                 {{"path", path.string()}, {"max_bytes", max_bytes}});
  };
  if (std::filesystem::is_regular_file(status)) {
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (!error && size > static_cast<std::uintmax_t>(max_bytes)) throw too_large();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kBadInput, "cannot read " + name + ": " + std::strerror(errno), details);
  }
  // Read in chunks and stop past the limit: the file may be a pipe, or grow while we read.
  std::vector<std::uint8_t> bytes;
  std::array<char, 1 << 16> chunk;
  while (in) {
    in.read(chunk.data(), chunk.size());
    bytes.insert(bytes.end(), chunk.data(), chunk.data() + in.gcount());
    if (static_cast<std::int64_t>(bytes.size()) > max_bytes) throw too_large();
  }
  if (in.bad()) throw Error(ErrorCode::kBadInput, "cannot read " + name + ": read error", details);
  return bytes;
}

}  // namespace orfeas
