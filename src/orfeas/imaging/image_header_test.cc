#include "orfeas/imaging/image_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/imaging/decode.h"
#include "orfeas/imaging/jpeg_markers.h"

namespace orfeas {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes image_file(const std::string& name) {
  return read_file_bytes(std::string(ORFEAS_TEST_DATA) + "/images/" + name);
}

// The header of `bytes`, or nothing when it is refused with kBadInput (any other error fails).
std::optional<ImageHeader> header_or_refusal(std::span<const std::uint8_t> bytes) {
  try {
    return read_image_header(bytes);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
    return std::nullopt;
  }
}

ErrorCode refusal(const Bytes& bytes) {
  try {
    read_image_header(bytes);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "the header was accepted";
  return ErrorCode::kInternal;
}

void put_u32_be(Bytes& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

void put_u32_le(Bytes& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// Signature and IHDR of an 8-bit RGB PNG of width x height.
Bytes png_header(std::uint32_t width, std::uint32_t height) {
  Bytes bytes = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',  // signature
                 0,    0,   0,   13,  'I',  'H',  'D',  'R',   // chunk length and type
                 0,    0,   0,   0,   0,    0,    0,    0,     // width, height
                 0,    0,   0,   0,   0};                      // depth, colour, ...
  put_u32_be(bytes, 16, width);
  put_u32_be(bytes, 20, height);
  bytes[24] = 8;  // bit depth
  bytes[25] = 2;  // colour type RGB
  return bytes;
}

// SOI, then the given segments (marker, payload), then a minimal scan header.
Bytes jpeg_with(const std::vector<std::pair<std::uint8_t, Bytes>>& segments) {
  Bytes bytes = {0xFF, 0xD8};
  for (const auto& [marker, payload] : segments) {
    const std::size_t length = payload.size() + 2;
    bytes.insert(bytes.end(), {0xFF, marker, static_cast<std::uint8_t>(length >> 8),
                               static_cast<std::uint8_t>(length)});
    bytes.insert(bytes.end(), payload.begin(), payload.end());
  }
  return bytes;
}

Bytes frame_header(std::uint16_t width, std::uint16_t height) {
  return {8,
          static_cast<std::uint8_t>(height >> 8),
          static_cast<std::uint8_t>(height),
          static_cast<std::uint8_t>(width >> 8),
          static_cast<std::uint8_t>(width),
          1,
          1,
          0x11,
          0};
}

const Bytes kScanHeader = {1, 1, 0, 0, 63, 0};

Bytes bmp_header(std::int32_t width, std::int32_t height) {
  Bytes bytes(54, 0);
  bytes[0] = 'B';
  bytes[1] = 'M';
  put_u32_le(bytes, 14, 40);
  put_u32_le(bytes, 18, static_cast<std::uint32_t>(width));
  put_u32_le(bytes, 22, static_cast<std::uint32_t>(height));
  return bytes;
}

struct HeaderCase {
  const char* file;
  ImageFormat format;
  int width;
  int height;
};

class HeaderOfFile : public testing::TestWithParam<HeaderCase> {};

TEST_P(HeaderOfFile, ReadsFormatAndSize) {
  const HeaderCase& expected = GetParam();
  const ImageHeader header = read_image_header(image_file(expected.file));
  EXPECT_EQ(header.format, expected.format);
  EXPECT_EQ(header.width, expected.width);
  EXPECT_EQ(header.height, expected.height);
}

// Every prefix shorter than the header is refused with kBadInput, never read past; from the
// header's length on, every prefix gives the same header as the whole file.
TEST_P(HeaderOfFile, EveryTruncationIsRefusedUntilTheHeaderIsComplete) {
  const Bytes bytes = image_file(GetParam().file);
  const ImageHeader whole = read_image_header(bytes);
  std::optional<std::size_t> first_accepted;
  for (std::size_t n = 0; n <= std::min<std::size_t>(bytes.size(), 4096); ++n) {
    // A copy of exactly n bytes, so that a read past the end is caught by sanitizers.
    const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    const std::optional<ImageHeader> header = header_or_refusal(prefix);
    if (!header) {
      EXPECT_FALSE(first_accepted) << "refused " << n << " bytes after accepting fewer";
      continue;
    }
    if (!first_accepted) first_accepted = n;
    EXPECT_EQ(header->width, whole.width);
    EXPECT_EQ(header->height, whole.height);
  }
  ASSERT_TRUE(first_accepted);
  std::size_t header_length = 0;
  switch (whole.format) {
    case ImageFormat::kPng:
      header_length = 8 + 8 + 13;
      break;
    case ImageFormat::kBmp:
      header_length = 14 + 40;
      break;
    case ImageFormat::kWebp:
      header_length = bytes[15] == 'L' ? 25 : 30;
      break;
    case ImageFormat::kJpeg: {
      const auto scan = jpeg_header_segments(bytes).back().payload;
      header_length = static_cast<std::size_t>(scan.data() + scan.size() - bytes.data());
      break;
    }
  }
  EXPECT_EQ(*first_accepted, header_length);
}

// Random byte changes in the header give a header with positive dimensions or kBadInput.
TEST_P(HeaderOfFile, SurvivesCorruptedBytes) {
  const Bytes bytes = image_file(GetParam().file);
  std::mt19937 random(1234);
  const std::size_t span = std::min<std::size_t>(bytes.size(), 200);
  for (int round = 0; round < 2000; ++round) {
    Bytes corrupt(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(span));
    for (int flips = 1 + round % 4; flips > 0; --flips) {
      corrupt[random() % span] = static_cast<std::uint8_t>(random());
    }
    if (const auto header = header_or_refusal(corrupt)) {
      EXPECT_GT(header->width, 0);
      EXPECT_GT(header->height, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    ImageHeaderTest, HeaderOfFile,
    testing::Values(HeaderCase{"png_rgb8.png", ImageFormat::kPng, 96, 64},
                    HeaderCase{"png_rgb16.png", ImageFormat::kPng, 96, 64},
                    HeaderCase{"png_gray8.png", ImageFormat::kPng, 96, 64},
                    HeaderCase{"png_palette.png", ImageFormat::kPng, 96, 64},
                    HeaderCase{"png_rgba.png", ImageFormat::kPng, 96, 64},
                    HeaderCase{"bad_header_20000x20000.png", ImageFormat::kPng, 20000, 20000},
                    HeaderCase{"jpeg_baseline.jpg", ImageFormat::kJpeg, 96, 64},
                    HeaderCase{"jpeg_progressive.jpg", ImageFormat::kJpeg, 96, 64},
                    HeaderCase{"jpeg_gray.jpg", ImageFormat::kJpeg, 96, 64},
                    HeaderCase{"jpeg_cmyk.jpg", ImageFormat::kJpeg, 96, 64},
                    HeaderCase{"exif_orientation_6.jpg", ImageFormat::kJpeg, 64, 40},
                    HeaderCase{"webp_lossy.webp", ImageFormat::kWebp, 96, 64},
                    HeaderCase{"webp_lossless.webp", ImageFormat::kWebp, 96, 64},
                    HeaderCase{"webp_alpha.webp", ImageFormat::kWebp, 96, 64},
                    HeaderCase{"bmp_rgb24.bmp", ImageFormat::kBmp, 96, 64},
                    HeaderCase{"bmp_palette8.bmp", ImageFormat::kBmp, 96, 64}));

TEST(ImageHeaderTest, NamesFormats) {
  EXPECT_EQ(image_format_name(ImageFormat::kPng), "png");
  EXPECT_EQ(image_format_name(ImageFormat::kJpeg), "jpeg");
  EXPECT_EQ(image_format_name(ImageFormat::kWebp), "webp");
  EXPECT_EQ(image_format_name(ImageFormat::kBmp), "bmp");
}

TEST(ImageHeaderTest, RefusesWhatIsNotAnImage) {
  EXPECT_EQ(refusal({}), ErrorCode::kBadInput);
  EXPECT_EQ(refusal(image_file("bad_text.txt")), ErrorCode::kBadInput);
  EXPECT_EQ(refusal({'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0}), ErrorCode::kBadInput);
}

TEST(ImageHeaderTest, RefusesMalformedPngHeaders) {
  EXPECT_EQ(read_image_header(png_header(3, 5)).width, 3);
  EXPECT_EQ(refusal(png_header(0, 5)), ErrorCode::kBadInput);
  EXPECT_EQ(refusal(png_header(5, 0)), ErrorCode::kBadInput);
  EXPECT_EQ(refusal(png_header(0x80000000u, 5)), ErrorCode::kBadInput);  // beyond the PNG range
  Bytes not_ihdr = png_header(3, 5);
  not_ihdr[12] = 'X';
  EXPECT_EQ(refusal(not_ihdr), ErrorCode::kBadInput);
}

TEST(ImageHeaderTest, ReadsJpegFrameHeaders) {
  const Bytes progressive =
      jpeg_with({{0xE0, Bytes(14, 0)}, {0xC2, frame_header(300, 200)}, {0xDA, kScanHeader}});
  const ImageHeader header = read_image_header(progressive);
  EXPECT_EQ(header.width, 300);
  EXPECT_EQ(header.height, 200);
  // Fill bytes may precede a marker.
  Bytes filled = jpeg_with({{0xC0, frame_header(7, 9)}, {0xDA, kScanHeader}});
  filled.insert(filled.begin() + 2, {0xFF, 0xFF});
  EXPECT_EQ(read_image_header(filled).height, 9);
}

TEST(ImageHeaderTest, RefusesMalformedJpegHeaders) {
  // A zero height (to be given later by a DNL segment) is not supported.
  EXPECT_EQ(refusal(jpeg_with({{0xC0, frame_header(10, 0)}, {0xDA, kScanHeader}})),
            ErrorCode::kBadInput);
  // No frame header before the scan.
  EXPECT_EQ(refusal(jpeg_with({{0xC4, Bytes(20, 0)}, {0xDA, kScanHeader}})), ErrorCode::kBadInput);
  // A frame header too short to hold the size.
  EXPECT_EQ(refusal(jpeg_with({{0xC0, Bytes(3, 8)}, {0xDA, kScanHeader}})), ErrorCode::kBadInput);
  // A segment length below 2, which counts the length field itself.
  EXPECT_EQ(refusal({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xDA}), ErrorCode::kBadInput);
  // A segment length past the end.
  EXPECT_EQ(refusal({0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0, 0}), ErrorCode::kBadInput);
  // End of image before any scan.
  EXPECT_EQ(refusal({0xFF, 0xD8, 0xFF, 0xD9}), ErrorCode::kBadInput);
  // Garbage where a marker should be.
  Bytes garbage = jpeg_with({{0xC0, frame_header(7, 9)}, {0xDA, kScanHeader}});
  garbage.insert(garbage.begin() + 2, 0x42);
  EXPECT_EQ(refusal(garbage), ErrorCode::kBadInput);
}

TEST(ImageHeaderTest, RefusesMalformedWebpHeaders) {
  Bytes lossy = image_file("webp_lossy.webp");
  lossy.resize(30);
  lossy[23] = 0;  // the VP8 start code
  EXPECT_EQ(refusal(lossy), ErrorCode::kBadInput);
  Bytes lossless = image_file("webp_lossless.webp");
  lossless.resize(25);
  lossless[20] = 0;  // the VP8L signature
  EXPECT_EQ(refusal(lossless), ErrorCode::kBadInput);
  Bytes unknown = image_file("webp_lossy.webp");
  unknown[15] = '9';  // "VP89"
  EXPECT_EQ(refusal(unknown), ErrorCode::kBadInput);
}

TEST(ImageHeaderTest, ReadsAndChecksBmpHeaders) {
  const ImageHeader top_down = read_image_header(bmp_header(10, -20));
  EXPECT_EQ(top_down.width, 10);
  EXPECT_EQ(top_down.height, 20);
  EXPECT_EQ(refusal(bmp_header(0, 20)), ErrorCode::kBadInput);
  EXPECT_EQ(refusal(bmp_header(-10, 20)), ErrorCode::kBadInput);
  EXPECT_EQ(refusal(bmp_header(10, INT32_MIN)), ErrorCode::kBadInput);
  Bytes unknown_info = bmp_header(10, 20);
  put_u32_le(unknown_info, 14, 20);
  EXPECT_EQ(refusal(unknown_info), ErrorCode::kBadInput);
  Bytes core = bmp_header(0, 0);  // the 12-byte OS/2 header: 16-bit sizes
  put_u32_le(core, 14, 12);
  core[18] = 3;
  core[20] = 4;
  const ImageHeader old = read_image_header(core);
  EXPECT_EQ(old.width, 3);
  EXPECT_EQ(old.height, 4);
}

}  // namespace
}  // namespace orfeas
