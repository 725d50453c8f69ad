#include "orfeas/imaging/foreground.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"
#include "orfeas/imaging/decode.h"

namespace orfeas {
namespace {

cv::Mat image_file(const std::string& name) {
  return decode_image(read_file_bytes(std::string(ORFEAS_TEST_DATA) + "/images/" + name));
}

// A known mask shipped with the test images, as 0/255.
cv::Mat mask_file(const std::string& name) {
  cv::Mat mask;
  cv::cvtColor(image_file(name), mask, cv::COLOR_BGR2GRAY);
  return mask > 127;
}

double iou(const cv::Mat& a, const cv::Mat& b) {
  return cv::countNonZero(a & b) / static_cast<double>(cv::countNonZero(a | b));
}

int components(const cv::Mat& mask) {
  cv::Mat labels;
  return cv::connectedComponents(mask, labels, 8) - 1;
}

// Every contract of a mask: the image's size, 0 or 255, one object without holes, not empty.
void expect_valid_mask(const cv::Mat& mask, const cv::Mat& image) {
  ASSERT_EQ(mask.type(), CV_8UC1);
  ASSERT_EQ(mask.size(), image.size());
  EXPECT_EQ(cv::countNonZero((mask != 0) & (mask != 255)), 0);
  EXPECT_GT(cv::countNonZero(mask), 0);
  EXPECT_EQ(components(mask), 1);
  cv::Mat outside = mask == 0;  // a hole would be a background part cut off from the rest
  cv::copyMakeBorder(outside, outside, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(255));
  cv::Mat labels;
  EXPECT_EQ(cv::connectedComponents(outside, labels, 4), 2);
}

cv::Mat with_alpha(const cv::Mat& bgr, const cv::Mat& alpha) {
  cv::Mat bgra;
  cv::merge(std::vector<cv::Mat>{bgr, alpha}, bgra);
  return bgra;
}

TEST(ForegroundTest, UsesAMeaningfulAlphaChannel) {
  const cv::Mat image = image_file("rgba_object.png");
  ASSERT_EQ(image.channels(), 4);
  const cv::Mat mask = foreground_mask(image);
  expect_valid_mask(mask, image);
  EXPECT_GT(iou(mask, mask_file("rgba_object_mask.png")), 0.97);
}

TEST(ForegroundTest, FindsAnObjectOnWhite) {
  const cv::Mat image = image_file("object_on_white.jpg");
  const cv::Mat mask = foreground_mask(image);
  expect_valid_mask(mask, image);
  EXPECT_GT(iou(mask, mask_file("object_on_white_mask.png")), 0.9);
}

// A disc of `colour` on a white floor, over a deep, soft shadow; `truth` is the disc.
cv::Mat disc_over_shadow(cv::Scalar colour, cv::Mat& truth) {
  cv::Mat shadow(240, 240, CV_32F, cv::Scalar(0));
  cv::ellipse(shadow, {130, 190}, {80, 18}, 0, 0, 360, cv::Scalar(0.6), cv::FILLED);
  cv::GaussianBlur(shadow, shadow, cv::Size(), 6);
  cv::Mat light = 1.0 - shadow;
  cv::Mat scene;
  cv::merge(std::vector<cv::Mat>{light, light, light}, scene);
  scene.convertTo(scene, CV_8UC3, 245);
  truth = cv::Mat(scene.size(), CV_8U, cv::Scalar(0));
  cv::circle(truth, {120, 115}, 70, cv::Scalar(255), cv::FILLED);
  scene.setTo(colour, truth);
  return scene;
}

TEST(ForegroundTest, LeavesOutTheDeepShadowOfAColourfulObject) {
  cv::Mat truth;
  const cv::Mat scene = disc_over_shadow(cv::Scalar(40, 120, 220), truth);
  const cv::Mat mask = foreground_mask(scene);
  expect_valid_mask(mask, scene);
  EXPECT_GT(iou(mask, truth), 0.95);
}

TEST(ForegroundTest, FindsAGreyObjectOnWhite) {
  cv::Mat truth;
  cv::Mat scene(240, 240, CV_8UC3, cv::Scalar::all(245));
  truth = cv::Mat(scene.size(), CV_8U, cv::Scalar(0));
  cv::circle(truth, {120, 115}, 70, cv::Scalar(255), cv::FILLED);
  scene.setTo(cv::Scalar::all(150), truth);
  const cv::Mat mask = foreground_mask(scene);
  expect_valid_mask(mask, scene);
  EXPECT_GT(iou(mask, truth), 0.95);
}

TEST(ForegroundTest, FindsAnObjectOnClutter) {
  const cv::Mat image = image_file("object_on_clutter.jpg");
  const cv::Mat mask = foreground_mask(image);
  expect_valid_mask(mask, image);
  EXPECT_GT(iou(mask, mask_file("object_on_clutter_mask.png")), 0.7);
}

TEST(ForegroundTest, IgnoresAnAlphaChannelOpaqueEverywhere) {
  const cv::Mat image = image_file("rgba_opaque.png");
  ASSERT_EQ(image.channels(), 4);
  const cv::Mat mask = foreground_mask(image);
  expect_valid_mask(mask, image);
  EXPECT_GT(iou(mask, mask_file("rgba_object_mask.png")), 0.9);
}

TEST(ForegroundTest, IgnoresAnAlphaChannelThatSaysLittle) {
  const cv::Mat bgr = image_file("object_on_white.jpg");
  const cv::Mat from_colour = foreground_mask(bgr);

  cv::Mat speck(bgr.size(), CV_8U, cv::Scalar(255));  // transparent on 0.25% of the pixels
  speck(cv::Rect(0, 0, 10, 10)).setTo(0);
  EXPECT_EQ(cv::countNonZero(foreground_mask(with_alpha(bgr, speck)) != from_colour), 0);

  cv::Mat window(bgr.size(), CV_8U, cv::Scalar(255));  // transparent inside only
  window(cv::Rect(60, 60, 80, 80)).setTo(0);
  EXPECT_EQ(cv::countNonZero(foreground_mask(with_alpha(bgr, window)) != from_colour), 0);
}

TEST(ForegroundTest, KeepsTheMainObjectAndFillsItsHoles) {
  const cv::Mat bgr(200, 300, CV_8UC3, cv::Scalar(90, 160, 30));
  cv::Mat alpha(bgr.size(), CV_8U, cv::Scalar(0));
  cv::circle(alpha, {150, 100}, 60, cv::Scalar(255), cv::FILLED);  // a ring around the centre
  cv::circle(alpha, {150, 100}, 25, cv::Scalar(0), cv::FILLED);
  cv::circle(alpha, {20, 20}, 12, cv::Scalar(255), cv::FILLED);  // and a speck in a corner
  const cv::Mat mask = foreground_mask(with_alpha(bgr, alpha));
  expect_valid_mask(mask, bgr);
  EXPECT_EQ(mask.at<std::uint8_t>(100, 150), 255);
  EXPECT_EQ(mask.at<std::uint8_t>(20, 20), 0);

  // The same ring painted on white, found by colour.
  cv::Mat painted(bgr.size(), CV_8UC3, cv::Scalar::all(255));
  painted.setTo(cv::Scalar(40, 40, 200), alpha);
  const cv::Mat found = foreground_mask(painted);
  expect_valid_mask(found, painted);
  EXPECT_EQ(found.at<std::uint8_t>(100, 150), 255);
  EXPECT_EQ(found.at<std::uint8_t>(20, 20), 0);
}

TEST(ForegroundTest, PrefersACentralObjectToALargerOneAtTheEdge) {
  const cv::Mat bgr(200, 300, CV_8UC3, cv::Scalar(90, 160, 30));
  cv::Mat alpha(bgr.size(), CV_8U, cv::Scalar(0));
  cv::circle(alpha, {150, 100}, 40, cv::Scalar(255), cv::FILLED);
  cv::rectangle(alpha, cv::Rect(0, 0, 40, 140), cv::Scalar(255), cv::FILLED);  // a bit larger
  const cv::Mat mask = foreground_mask(with_alpha(bgr, alpha));
  EXPECT_EQ(mask.at<std::uint8_t>(100, 150), 255);
  EXPECT_EQ(mask.at<std::uint8_t>(50, 10), 0);
}

TEST(ForegroundTest, IsNeverEmpty) {
  for (const cv::Size size :
       {cv::Size(300, 200), cv::Size(1, 1), cv::Size(5, 5), cv::Size(3, 100), cv::Size(40, 16)}) {
    const cv::Mat uniform(size, CV_8UC3, cv::Scalar(128, 128, 128));
    const cv::Mat mask = foreground_mask(uniform);
    expect_valid_mask(mask, uniform);
    EXPECT_EQ(mask.at<std::uint8_t>(size.height / 2, size.width / 2), 255);
  }
  cv::Mat transparent(100, 100, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  expect_valid_mask(foreground_mask(transparent), transparent);
}

TEST(ForegroundTest, RefusesOtherPixelTypes) {
  EXPECT_THROW(foreground_mask(cv::Mat(10, 10, CV_8UC1)), Error);
  EXPECT_THROW(foreground_mask(cv::Mat()), Error);
}

// The whole CLI must run in 1.5 s; the mask of a 1024x1024 photo should take well under 200 ms.
// The bound here is loose, for loaded and sanitized builds; the measured time is recorded.
TEST(ForegroundTest, IsFastOnAMegapixelPhoto) {
  cv::Mat photo;
  cv::resize(image_file("object_on_white.jpg"), photo, cv::Size(1024, 1024), 0, 0, cv::INTER_CUBIC);
  foreground_mask(photo);  // warm up
  const auto start = std::chrono::steady_clock::now();
  const int runs = 5;
  for (int i = 0; i < runs; ++i) foreground_mask(photo);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      runs;
  RecordProperty("foreground_mask_1024_ms", std::to_string(ms));
  std::printf("foreground_mask on 1024x1024: %.1f ms\n", ms);
  EXPECT_LT(ms, 1000.0);
}

}  // namespace
}  // namespace orfeas
