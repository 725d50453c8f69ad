#include "orfeas/neural/photo_rgba.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

// A plain light-grey photo with a saturated disc in the middle (BGR).
cv::Mat disc_photo() {
  cv::Mat photo(120, 160, CV_8UC3, cv::Scalar(200, 200, 200));
  cv::circle(photo, {80, 60}, 35, cv::Scalar(30, 60, 200), cv::FILLED);  // B, G, R
  return photo;
}

int value(const at::Tensor& rgba, int64_t y, int64_t x, int64_t c) {
  return rgba[y][x][c].item<int>();
}

TEST(PhotoToRgba, FindsTheObjectOfAPhotoWithoutAlpha) {
  const at::Tensor rgba = photo_to_rgba(disc_photo());
  ASSERT_EQ(rgba.sizes(), (at::IntArrayRef{120, 160, 4}));
  ASSERT_EQ(rgba.scalar_type(), at::kByte);
  EXPECT_EQ(value(rgba, 60, 80, 3), 255);  // the disc
  EXPECT_EQ(value(rgba, 2, 2, 3), 0);      // the background
  EXPECT_EQ(value(rgba, 60, 80, 0), 200);  // red first
  EXPECT_EQ(value(rgba, 60, 80, 2), 30);
  EXPECT_EQ(value(rgba, 2, 2, 0), 200);  // colours are kept outside the object too
}

TEST(PhotoToRgba, KeepsAMaskingAlphaWithItsSoftValues) {
  const cv::Mat bgr = disc_photo();
  cv::Mat alpha(bgr.size(), CV_8UC1, cv::Scalar(0));
  cv::circle(alpha, {80, 60}, 35, cv::Scalar(255), cv::FILLED);
  cv::circle(alpha, {80, 60}, 10, cv::Scalar(180), cv::FILLED);  // translucent middle
  alpha.at<uint8_t>(5, 5) = 255;                                 // a speck apart from the object
  cv::Mat bgra;
  cv::merge(std::vector<cv::Mat>{bgr, alpha}, bgra);

  const at::Tensor rgba = photo_to_rgba(bgra);
  EXPECT_EQ(value(rgba, 60, 80, 3), 180);
  EXPECT_EQ(value(rgba, 60, 100, 3), 255);
  EXPECT_EQ(value(rgba, 60, 150, 3), 0);
  EXPECT_EQ(value(rgba, 5, 5, 3), 0);  // one object only
}

TEST(CutoutToRgba, UsesTheMaskAsAlpha) {
  Cutout cutout{cv::Mat(4, 4, CV_8UC3, cv::Scalar(255, 255, 255)), cv::Mat::zeros(4, 4, CV_8UC1)};
  cutout.bgr.at<cv::Vec3b>(1, 2) = cv::Vec3b(10, 20, 30);
  cutout.mask.at<uint8_t>(1, 2) = 255;
  const at::Tensor rgba = cutout_to_rgba(cutout);
  ASSERT_EQ(rgba.sizes(), (at::IntArrayRef{4, 4, 4}));
  EXPECT_TRUE(rgba[1][2].to(at::kInt).equal(at::tensor({30, 20, 10, 255}, at::kInt)));
  EXPECT_EQ(rgba.select(2, 3).sum().item<int>(), 255);
  EXPECT_EQ(value(rgba, 0, 0, 1), 255);
}

TEST(PhotoToRgba, RejectsOtherPixelTypes) {
  EXPECT_EQ(orfeas::test::code_of([] { photo_to_rgba(cv::Mat(4, 4, CV_32FC3)); }),
            ErrorCode::kInternal);
  EXPECT_EQ(orfeas::test::code_of([] {
              cutout_to_rgba(Cutout{cv::Mat(4, 4, CV_8UC3), cv::Mat(3, 3, CV_8UC1)});
            }),
            ErrorCode::kInternal);
}

}  // namespace
}  // namespace orfeas::neural
