#include "orfeas/generate/relief.h"

#include <vector>

#include <gtest/gtest.h>

#include "orfeas/generate/test_cutouts.h"

namespace orfeas {
namespace {

Field relief_of(const cv::Mat& bgr, nlohmann::json options) {
  Cutout c{bgr, cv::Mat(bgr.size(), CV_8UC1, cv::Scalar(255))};
  std::vector<GeneratorInput> inputs{{c, std::move(options)}};
  return ReliefGenerator().generate(inputs, {}, CancelToken()).at(0);
}

// Inside samples of column (i, j), counted along z.
int column_height(const Field& f, int i, int j) {
  int n = 0;
  for (int k = 0; k < f.nz; ++k) n += f.at(i, j, k) > 0;
  return n;
}

TEST(ReliefTest, WhitePictureGivesAPlainBase) {
  cv::Mat white(100, 100, CV_8UC3, cv::Scalar(255, 255, 255));
  // 50 cells over 50 mm: one cell per millimetre.
  Field f = relief_of(white, {{"resolution", 50}, {"size_mm", 50}, {"base_mm", 3}, {"relief_mm", 2}});
  ASSERT_TRUE(f.is_closed());
  EXPECT_EQ(testing::inside_samples(f), 50u * 50u * 3u);
}

TEST(ReliefTest, DarkerIsThickerAndTheTopIsAtPlusY) {
  cv::Mat picture(100, 100, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::rectangle(picture, cv::Rect(0, 0, 100, 50), cv::Scalar(0, 0, 0), cv::FILLED);  // top half
  Field f = relief_of(picture, {{"resolution", 50}, {"size_mm", 50}, {"base_mm", 1}, {"relief_mm", 4}});
  ASSERT_TRUE(f.is_closed());
  const int i = f.nx / 2;
  EXPECT_EQ(column_height(f, i, f.ny - 5), 5);  // near +y: the picture's top, black
  EXPECT_EQ(column_height(f, i, 4), 1);         // near -y: white
}

TEST(ReliefTest, KeepsThePictureAspect) {
  cv::Mat wide(50, 100, CV_8UC3, cv::Scalar(128, 128, 128));
  Field f = relief_of(wide, {{"resolution", 40}});
  EXPECT_EQ(f.nx - f.ny, 20);
}

}  // namespace
}  // namespace orfeas
