#include "orfeas/generate/inflate.h"

#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/generate/test_cutouts.h"

namespace orfeas {
namespace {

using testing::disc_cutout;
using testing::inside_samples;

Field inflate_one(const Cutout& cutout, nlohmann::json options) {
  std::vector<GeneratorInput> inputs{{cutout, std::move(options)}};
  return InflateGenerator().generate(inputs, {}, CancelToken()).at(0);
}

// Number of (x, z) columns with at least one inside sample: the front view's area in cells.
std::size_t front_area(const Field& f) {
  std::size_t area = 0;
  for (int k = 0; k < f.nz; ++k) {
    for (int i = 0; i < f.nx; ++i) {
      for (int j = 0; j < f.ny; ++j) {
        if (f.at(i, j, k) > f.iso) {
          ++area;
          break;
        }
      }
    }
  }
  return area;
}

// The length of the surface-to-surface span of column (i, k), interpolating the crossings.
double extent_along_y(const Field& f, int i, int k) {
  double first = -1, last = -1;
  for (int j = 0; j + 1 < f.ny; ++j) {
    const float a = f.at(i, j, k), b = f.at(i, j + 1, k);
    if ((a > 0) != (b > 0)) {
      const double crossing = j + a / (a - b);
      if (first < 0) first = crossing;
      last = crossing;
    }
  }
  return last - first;
}

// Inside samples behind the middle plane (y above the centre), where shading detail never goes.
std::size_t back_samples(const Field& f) {
  std::size_t n = 0;
  for (int k = 0; k < f.nz; ++k)
    for (int j = f.ny / 2 + 1; j < f.ny; ++j)
      for (int i = 0; i < f.nx; ++i) n += f.at(i, j, k) > 0;
  return n;
}

TEST(InflateTest, DiscBecomesASphereAtDepthOne) {
  const int resolution = 64;
  Field f = inflate_one(disc_cutout(400, 180), {{"resolution", resolution}, {"depth", 1.0},
                                                {"detail_mm", 0}, {"min_thickness_mm", 0}});
  ASSERT_TRUE(f.is_closed());
  const double r = resolution / 2.0;
  const double sphere = 4.0 / 3.0 * std::numbers::pi * r * r * r;
  EXPECT_NEAR(double(inside_samples(f)) / sphere, 1.0, 0.05);
  EXPECT_NEAR(double(front_area(f)) / (std::numbers::pi * r * r), 1.0, 0.04);
}

TEST(InflateTest, SilhouetteKeepsTheMaskAspect) {
  Cutout c = disc_cutout(300, 0);
  cv::rectangle(c.mask, cv::Rect(100, 50, 100, 200), 255, cv::FILLED);  // 1 wide : 2 tall
  Field f = inflate_one(c, {{"resolution", 60}});
  ASSERT_TRUE(f.is_closed());
  int min_i = f.nx, max_i = -1, min_k = f.nz, max_k = -1;
  for (int k = 0; k < f.nz; ++k)
    for (int j = 0; j < f.ny; ++j)
      for (int i = 0; i < f.nx; ++i)
        if (f.at(i, j, k) > 0) {
          min_i = std::min(min_i, i), max_i = std::max(max_i, i);
          min_k = std::min(min_k, k), max_k = std::max(max_k, k);
        }
  EXPECT_NEAR(max_k - min_k + 1, 60, 1);  // the longest side spans `resolution` cells
  EXPECT_NEAR(max_i - min_i + 1, 30, 1);
}

TEST(InflateTest, ThinPartsKeepTheMinimumThickness) {
  Cutout c = disc_cutout(400, 0);
  cv::rectangle(c.mask, cv::Rect(20, 195, 360, 10), 255, cv::FILLED);  // a thin horizontal bar
  const int resolution = 100;  // 100 mm wide: one cell per millimetre
  Field f = inflate_one(c, {{"resolution", resolution}, {"size_mm", 100}, {"min_thickness_mm", 4},
                            {"detail_mm", 0}});
  ASSERT_TRUE(f.is_closed());
  EXPECT_GE(extent_along_y(f, f.nx / 2, f.nz / 2), 4.0 - 1e-3);
}

TEST(InflateTest, ShadingDetailRaisesTheFrontOnly) {
  Cutout plain = disc_cutout(300, 140);
  Cutout shaded = plain;
  shaded.bgr = plain.bgr.clone();
  cv::circle(shaded.bgr, {150, 150}, 30, cv::Scalar(255, 255, 255), cv::FILLED);
  const nlohmann::json options = {{"resolution", 64}, {"detail_mm", 3}};
  Field flat = inflate_one(plain, options);
  Field raised = inflate_one(shaded, options);
  EXPECT_GT(inside_samples(raised), inside_samples(flat));
  EXPECT_EQ(back_samples(flat), back_samples(raised));
}

TEST(InflateTest, ReportsProgressAndHonoursCancel) {
  std::vector<GeneratorInput> inputs{{disc_cutout(100, 40), {{"resolution", 32}}},
                                     {disc_cutout(100, 30), {{"resolution", 32}}}};
  std::vector<double> seen;
  auto fields = InflateGenerator().generate(
      inputs,
      [&](std::string_view stage, double f) {
        EXPECT_EQ(stage, "field");
        seen.push_back(f);
      },
      CancelToken());
  EXPECT_EQ(fields.size(), 2u);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1.0);

  CancelToken cancelled;
  cancelled.cancel();
  try {
    InflateGenerator().generate(inputs, {}, cancelled);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
}

TEST(InflateTest, RejectsBadOptionsBeforeWork) {
  try {
    inflate_one(disc_cutout(100, 40), {{"resolution", 4}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

}  // namespace
}  // namespace orfeas
