#include "orfeas/imaging/cutout.h"

#include <gtest/gtest.h>

#include <string>

#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

// A 300x200 noisy image with a rectangle mask at (40, 30), 100 wide and 60 high.
struct Scene {
  cv::Mat image = cv::Mat(200, 300, CV_8UC3);
  cv::Mat mask = cv::Mat(200, 300, CV_8UC1, cv::Scalar(0));
  cv::Rect object = cv::Rect(40, 30, 100, 60);
  Scene() {
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(200));
    mask(object).setTo(255);
  }
};

TEST(CutoutTest, CentresTheObjectOnAWhiteSquare) {
  const Scene scene;
  const Cutout cutout = cut_out(scene.image, scene.mask, 0.1);
  // Longest side 100, grown by 10 on every side.
  ASSERT_EQ(cutout.bgr.size(), cv::Size(120, 120));
  ASSERT_EQ(cutout.mask.size(), cv::Size(120, 120));
  EXPECT_EQ(cutout.bgr.type(), CV_8UC3);
  EXPECT_EQ(cutout.mask.type(), CV_8UC1);

  const cv::Rect placed = cv::boundingRect(cutout.mask);
  EXPECT_EQ(placed, cv::Rect(10, 30, 100, 60));
  EXPECT_EQ(cv::countNonZero(cutout.mask), 100 * 60);
  EXPECT_EQ(cv::norm(cutout.bgr(placed), scene.image(scene.object), cv::NORM_INF), 0);
  cv::Mat outside_not_white;
  cv::inRange(cutout.bgr, cv::Scalar::all(255), cv::Scalar::all(255), outside_not_white);
  EXPECT_EQ(cv::countNonZero(~outside_not_white & (cutout.mask == 0)), 0);
}

TEST(CutoutTest, WhitensWhatIsOutsideTheMaskWithinItsBox) {
  Scene scene;
  scene.mask(cv::Rect(40, 30, 10, 10)).setTo(0);  // a notch in the box's corner
  const Cutout cutout = cut_out(scene.image, scene.mask, 0.0);
  ASSERT_EQ(cutout.bgr.size(), cv::Size(100, 100));
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(20 + 5, 5), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(cutout.mask.at<std::uint8_t>(20 + 5, 5), 0);
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(20 + 50, 50), scene.image.at<cv::Vec3b>(30 + 50, 40 + 50));
}

TEST(CutoutTest, BlendsAlphaOverWhite) {
  cv::Mat image(10, 10, CV_8UC4, cv::Scalar(0, 100, 200, 255));
  image(cv::Rect(0, 0, 5, 10)).setTo(cv::Scalar(0, 100, 200, 0));  // left half transparent
  image(cv::Rect(5, 0, 1, 10)).setTo(cv::Scalar(0, 100, 200, 128));
  const cv::Mat mask(10, 10, CV_8UC1, cv::Scalar(255));
  const Cutout cutout = cut_out(image, mask, 0.0);
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(5, 2), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(127, 177, 227));
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(5, 8), cv::Vec3b(0, 100, 200));
}

TEST(CutoutTest, RefusesBadArguments) {
  const Scene scene;
  try {
    cut_out(scene.image, cv::Mat(scene.mask.size(), CV_8UC1, cv::Scalar(0)));
    ADD_FAILURE() << "an empty mask was cut out";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
  EXPECT_THROW(cut_out(scene.image, cv::Mat(10, 10, CV_8UC1, cv::Scalar(255))), Error);
  EXPECT_THROW(cut_out(cv::Mat(200, 300, CV_16UC3), scene.mask), Error);
}

TEST(CutoutTest, PreparesAPhoto) {
  const Cutout cutout =
      prepare_image(read_file_bytes(std::string(ORFEAS_TEST_DATA) + "/images/object_on_white.jpg"));
  ASSERT_EQ(cutout.bgr.rows, cutout.bgr.cols);
  ASSERT_EQ(cutout.mask.size(), cutout.bgr.size());
  const cv::Rect placed = cv::boundingRect(cutout.mask);
  EXPECT_LE(std::abs(placed.x - (cutout.mask.cols - placed.br().x)), 1);
  EXPECT_LE(std::abs(placed.y - (cutout.mask.rows - placed.br().y)), 1);
  EXPECT_EQ(cutout.bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  // The blob is 96 pixels wide and 134 high; the border adds 5% of that on every side.
  EXPECT_NEAR(cutout.bgr.rows, 134 * 1.1, 4);
}

TEST(CutoutTest, PassesDecodeErrorsOn) {
  try {
    prepare_image(std::vector<std::uint8_t>{'n', 'o'});
    ADD_FAILURE() << "two bytes were prepared";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

}  // namespace
}  // namespace orfeas
