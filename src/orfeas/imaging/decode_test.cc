#include "orfeas/imaging/decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using testing::HasSubstr;

std::filesystem::path image_path(const std::string& name) {
  return std::filesystem::path(ORFEAS_TEST_DATA) / "images" / name;
}

cv::Mat decode_file(const std::string& name, const ImageLimits& limits = {}) {
  return decode_image(read_file_bytes(image_path(name)), limits);
}

// The error decoding `name` throws; fails the test if it throws none.
Error decode_error(const std::string& name, const ImageLimits& limits = {}) {
  try {
    decode_file(name, limits);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << name << " decoded";
  return Error(ErrorCode::kInternal, "no error");
}

Error read_error(const std::filesystem::path& path, std::int64_t max_bytes = 1 << 20) {
  try {
    read_file_bytes(path, max_bytes);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << path << " was read";
  return Error(ErrorCode::kInternal, "no error");
}

// The largest difference, over channels, between the BGR(A) pixel at (x, y) and `expected`.
int colour_error(const cv::Mat& image, int x, int y, cv::Scalar expected) {
  int worst = 0;
  for (int c = 0; c < image.channels(); ++c) {
    const int value = image.ptr<std::uint8_t>(y)[x * image.channels() + c];
    worst = std::max(worst, std::abs(value - static_cast<int>(expected[c])));
  }
  return worst;
}

struct EncodingCase {
  const char* file;
  int channels;
  bool gray;      // the gray quadrants rather than the coloured ones
  int tolerance;  // lossy codecs move colours a little
};

class DecodeEncoding : public testing::TestWithParam<EncodingCase> {};

// The pattern images are 96x64 with four flat quadrants (see tests/data/make_images.py).
TEST_P(DecodeEncoding, GivesEightBitPixelsOfTheRightSizeAndColour) {
  const EncodingCase& c = GetParam();
  const cv::Mat image = decode_file(c.file);
  ASSERT_EQ(image.cols, 96);
  ASSERT_EQ(image.rows, 64);
  EXPECT_EQ(image.depth(), CV_8U);
  EXPECT_EQ(image.channels(), c.channels);
  // BGR, plus the alpha of the alpha images: opaque on the left, half transparent on the right.
  const cv::Scalar colours[4] = {{30, 30, 220, 255},
                                 {30, 200, 30, 128},  // top
                                 {220, 30, 30, 255},
                                 {40, 220, 230, 128}};  // bottom
  const int grays[4] = {40, 100, 160, 220};
  const cv::Point centres[4] = {{24, 16}, {72, 16}, {24, 48}, {72, 48}};
  for (int q = 0; q < 4; ++q) {
    cv::Scalar expected = colours[q];
    if (c.gray) expected = cv::Scalar(grays[q], grays[q], grays[q], colours[q][3]);
    EXPECT_LE(colour_error(image, centres[q].x, centres[q].y, expected), c.tolerance)
        << c.file << " quadrant " << q << ": "
        << cv::Mat(image, cv::Rect(centres[q], cv::Size(1, 1)));
  }
}

INSTANTIATE_TEST_SUITE_P(DecodeTest, DecodeEncoding,
                         testing::Values(EncodingCase{"png_rgb8.png", 3, false, 0},
                                         EncodingCase{"png_rgb16.png", 3, false, 0},
                                         EncodingCase{"png_gray8.png", 3, true, 0},
                                         EncodingCase{"png_gray16.png", 3, true, 0},
                                         EncodingCase{"png_palette.png", 3, false, 0},
                                         EncodingCase{"png_rgba.png", 4, false, 0},
                                         EncodingCase{"png_gray_alpha.png", 4, true, 0},
                                         EncodingCase{"jpeg_baseline.jpg", 3, false, 8},
                                         EncodingCase{"jpeg_progressive.jpg", 3, false, 8},
                                         EncodingCase{"jpeg_gray.jpg", 3, true, 8},
                                         EncodingCase{"jpeg_cmyk.jpg", 3, false, 8},
                                         EncodingCase{"webp_lossy.webp", 3, false, 8},
                                         EncodingCase{"webp_lossless.webp", 3, false, 0},
                                         EncodingCase{"webp_alpha.webp", 4, false, 8},
                                         EncodingCase{"bmp_rgb24.bmp", 3, false, 0},
                                         EncodingCase{"bmp_palette8.bmp", 3, false, 0}));

bool is_red(const cv::Mat& image, cv::Point p) {
  return colour_error(image, p.x, p.y, {20, 20, 230}) < 40;
}
bool is_green(const cv::Mat& image, cv::Point p) {
  return colour_error(image, p.x, p.y, {20, 210, 20}) < 40;
}

// The stored pixels (64x40) have a red block top-left and a green block top-right; EXIF
// orientation N says where they are shown (the TIFF 6.0 and EXIF 2.3 definitions).
TEST(DecodeTest, AppliesExifOrientation) {
  enum Corner { kTopLeft, kTopRight, kBottomRight, kBottomLeft };
  struct Shown {
    Corner red, green;
  };
  const Shown shown[9] = {{},
                          {kTopLeft, kTopRight},        // 1: as stored
                          {kTopRight, kTopLeft},        // 2: mirrored
                          {kBottomRight, kBottomLeft},  // 3: turned half way
                          {kBottomLeft, kBottomRight},  // 4: upside down mirror
                          {kTopLeft, kBottomLeft},      // 5: transposed
                          {kTopRight, kBottomRight},    // 6: turned a quarter clockwise
                          {kBottomRight, kTopRight},    // 7: transversed
                          {kBottomLeft, kTopLeft}};     // 8: turned a quarter counter-clockwise
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE("orientation " + std::to_string(orientation));
    const cv::Mat image = decode_file("exif_orientation_" + std::to_string(orientation) + ".jpg");
    const bool turned = orientation >= 5;
    ASSERT_EQ(image.cols, turned ? 40 : 64);
    ASSERT_EQ(image.rows, turned ? 64 : 40);
    const cv::Point corners[4] = {
        {4, 4}, {image.cols - 5, 4}, {image.cols - 5, image.rows - 5}, {4, image.rows - 5}};
    EXPECT_TRUE(is_red(image, corners[shown[orientation].red]));
    EXPECT_TRUE(is_green(image, corners[shown[orientation].green]));
  }
}

TEST(DecodeTest, RefusesBrokenFilesAsBadInput) {
  for (const char* name : {"bad_truncated.png", "bad_truncated.jpg", "bad_truncated.webp",
                           "bad_text.txt", "bad_empty.png", "bad_corrupt.png"}) {
    const Error error = decode_error(name);
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << name << ": " << error.what();
    EXPECT_THAT(error.message(), testing::Not(HasSubstr("\n"))) << name;
  }
}

// OpenCV would hand such bytes to GDCM or GDAL once their own format's decoder declines them
// (tests/fuzz/corpus/image_decode/webp_with_dicom_marker made GDCM allocate 3 GB).
TEST(DecodeTest, RefusesFilesCarryingAnotherDecodersMarker) {
  const auto refusal = [](const std::vector<std::uint8_t>& bytes) {
    try {
      decode_image(bytes);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "decoded";
    return Error(ErrorCode::kInternal, "no error");
  };
  const std::vector<std::uint8_t> png = read_file_bytes(image_path("png_rgb8.png"));
  ASSERT_GT(png.size(), 144u);
  for (const auto& [offset, marker] :
       {std::pair<std::size_t, std::string>{128, "DICM"}, {140, "DTED"}}) {
    std::vector<std::uint8_t> bytes = png;
    std::copy(marker.begin(), marker.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
    const Error error = refusal(bytes);
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << marker;
    EXPECT_THAT(error.message(), HasSubstr("marker at byte " + std::to_string(offset)));
  }
  const Error fuzzed =
      refusal(read_file_bytes(std::filesystem::path(ORFEAS_TEST_DATA) / ".." / "fuzz" / "corpus" /
                              "image_decode" / "webp_with_dicom_marker"));
  EXPECT_EQ(fuzzed.code(), ErrorCode::kBadInput);
  EXPECT_THAT(fuzzed.message(), HasSubstr("DICOM marker"));
}

// These files hold a header and no pixels at all: only a check before decoding can see the size.
TEST(DecodeTest, RefusesOversizedImagesOnTheirHeader) {
  const Error wide = decode_error("bad_header_20000x20000.png");
  EXPECT_EQ(wide.code(), ErrorCode::kTooLarge);
  EXPECT_THAT(wide.message(), HasSubstr("20000x20000"));
  EXPECT_THAT(wide.message(), HasSubstr("16384"));
  EXPECT_EQ(wide.details()["max_side"], 16384);

  const Error many = decode_error("bad_header_8000x8000.png");
  EXPECT_EQ(many.code(), ErrorCode::kTooLarge);
  EXPECT_THAT(many.message(), HasSubstr("8000x8000"));
  EXPECT_THAT(many.message(), HasSubstr("50000000"));
}

TEST(DecodeTest, EnforcesEveryLimit) {
  EXPECT_EQ(decode_error("png_rgb8.png", {.max_side = 95}).code(), ErrorCode::kTooLarge);
  EXPECT_EQ(decode_error("png_rgb8.png", {.max_pixels = 96 * 64 - 1}).code(), ErrorCode::kTooLarge);
  const auto size =
      static_cast<std::int64_t>(std::filesystem::file_size(image_path("png_rgb8.png")));
  EXPECT_EQ(decode_error("png_rgb8.png", {.max_bytes = size - 1}).code(), ErrorCode::kTooLarge);
  // Exactly at every limit is allowed.
  EXPECT_EQ(
      decode_file("png_rgb8.png", {.max_bytes = size, .max_pixels = 96 * 64, .max_side = 96}).cols,
      96);
}

TEST(DecodeTest, ReadsFiles) {
  const auto path = image_path("png_rgb8.png");
  EXPECT_EQ(read_file_bytes(path).size(), std::filesystem::file_size(path));
  EXPECT_TRUE(read_file_bytes(image_path("bad_empty.png")).empty());
}

TEST(DecodeTest, RefusesFilesItCannotRead) {
  const Error missing = read_error(image_path("no_such_file.png"));
  EXPECT_EQ(missing.code(), ErrorCode::kBadInput);
  EXPECT_THAT(missing.message(), HasSubstr("no_such_file.png"));

  const Error directory = read_error(image_path(""));
  EXPECT_EQ(directory.code(), ErrorCode::kBadInput);
  EXPECT_THAT(directory.message(), HasSubstr("directory"));

  const Error large = read_error(image_path("object_on_white.jpg"), 1000);
  EXPECT_EQ(large.code(), ErrorCode::kTooLarge);
  EXPECT_THAT(large.message(), HasSubstr("object_on_white.jpg"));
}

TEST(DecodeTest, RefusesUnreadableFiles) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files whatever their permissions";
  const auto path = std::filesystem::path(testing::TempDir()) / "orfeas_unreadable.png";
  std::ofstream(path) << "x";
  std::filesystem::permissions(path, std::filesystem::perms::none);
  const Error error = read_error(path);
  std::filesystem::remove(path);
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_THAT(error.message(), HasSubstr("orfeas_unreadable.png"));
}

}  // namespace
}  // namespace orfeas
