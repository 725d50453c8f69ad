#include "orfeas/imaging/jpeg_markers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/imaging/decode.h"

namespace orfeas {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes image_file(const std::string& name) {
  return read_file_bytes(std::string(ORFEAS_TEST_DATA) + "/images/" + name);
}

// SOI, an SOF0 segment, a scan header, then `data` (compressed data and what follows).
Bytes jpeg_with_data(const Bytes& data) {
  Bytes bytes = {0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1,  1, 1,
                 0x11, 0,    0xFF, 0xDA, 0, 8,  1, 1, 0, 0, 63, 0};
  for (std::uint8_t byte : data) bytes.push_back(byte);  // (insert trips GCC 12's -Warray-bounds)
  return bytes;
}

// An APP1 segment with `payload`.
JpegSegment exif_segment(const Bytes& payload) { return {0xE1, payload}; }

// The payload of an APP1 segment holding `tiff` as its EXIF block.
Bytes exif_payload(const Bytes& tiff) {
  Bytes payload = {'E', 'x', 'i', 'f', 0, 0};
  for (std::uint8_t byte : tiff) payload.push_back(byte);
  return payload;
}

// A big-endian TIFF block whose first directory holds one entry: tag, type, value.
Bytes big_endian_tiff(std::uint16_t tag, std::uint16_t type, std::uint16_t value) {
  return {'M',
          'M',
          0,
          42,
          0,
          0,
          0,
          8,  // header, directory at 8
          0,
          1,  // one entry
          static_cast<std::uint8_t>(tag >> 8),
          static_cast<std::uint8_t>(tag),
          static_cast<std::uint8_t>(type >> 8),
          static_cast<std::uint8_t>(type),
          0,
          0,
          0,
          1,
          static_cast<std::uint8_t>(value >> 8),
          static_cast<std::uint8_t>(value),
          0,
          0,
          0,
          0,
          0,
          0};  // no next directory
}

TEST(JpegMarkersTest, ListsHeaderSegmentsUpToTheFirstScan) {
  const std::vector<JpegSegment> baseline = jpeg_header_segments(image_file("jpeg_baseline.jpg"));
  ASSERT_FALSE(baseline.empty());
  EXPECT_EQ(baseline.back().marker, 0xDA);
  bool has_sof0 = false;
  for (const JpegSegment& segment : baseline) has_sof0 |= segment.marker == 0xC0;
  EXPECT_TRUE(has_sof0);

  bool has_sof2 = false;
  for (const JpegSegment& segment : jpeg_header_segments(image_file("jpeg_progressive.jpg"))) {
    has_sof2 |= segment.marker == 0xC2;
  }
  EXPECT_TRUE(has_sof2);
}

TEST(JpegMarkersTest, RefusesWhatIsNotAJpeg) {
  EXPECT_THROW(jpeg_header_segments(image_file("png_rgb8.png")), Error);
  EXPECT_THROW(jpeg_header_segments(Bytes{}), Error);
  EXPECT_THROW(jpeg_reaches_end(Bytes{0xFF, 0xD8}), Error);
}

TEST(JpegMarkersTest, CompleteFilesReachTheirEnd) {
  for (const char* name : {"jpeg_baseline.jpg", "jpeg_progressive.jpg", "jpeg_gray.jpg",
                           "jpeg_cmyk.jpg", "exif_orientation_6.jpg", "object_on_white.jpg"}) {
    Bytes bytes = image_file(name);
    EXPECT_TRUE(jpeg_reaches_end(bytes)) << name;
    bytes.insert(bytes.end(), {'t', 'r', 'a', 'i', 'l'});  // data after the end is ignored
    EXPECT_TRUE(jpeg_reaches_end(bytes)) << name;
  }
  EXPECT_FALSE(jpeg_reaches_end(image_file("bad_truncated.jpg")));
}

// Cut anywhere after its header, a file (of one or many scans) does not reach its end.
TEST(JpegMarkersTest, EveryCutInTheDataIsSeen) {
  for (const char* name : {"jpeg_baseline.jpg", "jpeg_progressive.jpg"}) {
    const Bytes bytes = image_file(name);
    const auto scan = jpeg_header_segments(bytes).back().payload;
    const auto data_start = static_cast<std::size_t>(scan.data() + scan.size() - bytes.data());
    for (std::size_t n = data_start; n < bytes.size(); ++n) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_FALSE(jpeg_reaches_end(prefix)) << name << " cut at " << n;
    }
  }
}

TEST(JpegMarkersTest, SkipsStuffedBytesRestartMarkersAndSegmentsBetweenScans) {
  EXPECT_TRUE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0xFF, 0xD9})));
  EXPECT_FALSE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0})));
  EXPECT_FALSE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF})));
  // A segment between scans whose payload holds FF D9 is skipped whole.
  EXPECT_FALSE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0xC4, 0, 4, 0xFF, 0xD9})));
  EXPECT_TRUE(
      jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0xC4, 0, 4, 0xFF, 0xD9, 0x34, 0xFF, 0xD9})));
  // A segment length running past the end, or below 2.
  EXPECT_FALSE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0xC4, 0x40, 0, 0xFF, 0xD9})));
  EXPECT_FALSE(jpeg_reaches_end(jpeg_with_data({0x12, 0xFF, 0xC4, 0, 1, 0xFF, 0xD9})));
}

TEST(JpegMarkersTest, ReadsExifOrientation) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const Bytes bytes = image_file("exif_orientation_" + std::to_string(orientation) + ".jpg");
    EXPECT_EQ(jpeg_exif_orientation(jpeg_header_segments(bytes)), orientation);
  }
  EXPECT_EQ(jpeg_exif_orientation(jpeg_header_segments(image_file("jpeg_baseline.jpg"))), 1);

  const Bytes big_endian = exif_payload(big_endian_tiff(0x0112, 3, 6));
  EXPECT_EQ(jpeg_exif_orientation(std::vector{exif_segment(big_endian)}), 6);
}

TEST(JpegMarkersTest, IgnoresExifOrientationItCannotTrust) {
  auto orientation_of = [](const Bytes& payload) {
    return jpeg_exif_orientation(std::vector{exif_segment(payload)});
  };
  EXPECT_EQ(orientation_of(exif_payload(big_endian_tiff(0x0112, 3, 9))), 1);  // out of range
  EXPECT_EQ(orientation_of(exif_payload(big_endian_tiff(0x0112, 4, 6))), 1);  // not a SHORT
  EXPECT_EQ(orientation_of(exif_payload(big_endian_tiff(0x0110, 3, 6))), 1);  // another tag
  Bytes far_directory = big_endian_tiff(0x0112, 3, 6);
  far_directory[4] = 0x7F;  // the directory offset points far past the end
  EXPECT_EQ(orientation_of(exif_payload(far_directory)), 1);
  Bytes bad_order = big_endian_tiff(0x0112, 3, 6);
  bad_order[0] = 'X';
  EXPECT_EQ(orientation_of(exif_payload(bad_order)), 1);
  EXPECT_EQ(jpeg_exif_orientation(std::vector{JpegSegment{0xE0, big_endian_tiff(0x0112, 3, 6)}}),
            1);  // APP0 is not EXIF

  // Every truncation of a valid block reads as "no orientation" or the right one, within bounds.
  const Bytes whole = exif_payload(big_endian_tiff(0x0112, 3, 6));
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    const int orientation = orientation_of(prefix);
    EXPECT_TRUE(orientation == 1 || orientation == 6) << n;
  }
}

}  // namespace
}  // namespace orfeas
