#include "orfeas/mesh/measure.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "orfeas/mesh/test_shapes.h"

namespace orfeas {
namespace {

TEST(MeasureTest, BoxVolumeAndAreaAreExact) {
  const Mesh box = testing::box_mesh({-1, 2, 5}, {1, 5, 9});
  EXPECT_DOUBLE_EQ(mesh_volume(box), 2.0 * 3 * 4);
  EXPECT_DOUBLE_EQ(mesh_area(box), 2 * (2.0 * 3 + 3 * 4 + 2 * 4));
}

TEST(MeasureTest, InwardWindingGivesNegativeVolume) {
  Mesh box = testing::box_mesh({0, 0, 0}, {2, 2, 2});
  for (Triangle& t : box.triangles) std::swap(t[1], t[2]);
  EXPECT_DOUBLE_EQ(mesh_volume(box), -8);
}

// A slab of `thickness` cells between z = 20 and 20 + thickness, as a signed distance.
Field plate_field(float thickness) {
  return testing::sampled_field(48, [&](Vec3 p) {
    const float across = thickness / 2 - std::abs(p.z - (20 + thickness / 2));
    const float within = 15 - std::max(std::abs(p.x - 23.5f), std::abs(p.y - 23.5f));
    return std::min(across, within);
  });
}

TEST(MeasureTest, ThinnestWallOfAPlateIsItsThickness) {
  for (float thickness : {1.5f, 3.0f, 6.4f}) {
    EXPECT_NEAR(thinnest_wall(plate_field(thickness)), thickness, 0.25) << thickness;
  }
}

TEST(MeasureTest, ThinnestWallScalesWithSpacing) {
  Field plate = plate_field(3);
  plate.spacing = 0.2f;
  EXPECT_NEAR(thinnest_wall(plate), 0.6, 0.05);
}

TEST(MeasureTest, ThinnestWallOfABallIsItsDiameter) {
  EXPECT_NEAR(thinnest_wall(testing::ball_field(40, {19.5f, 19.2f, 19.7f}, 14)), 28, 1);
}

TEST(MeasureTest, ThinnestWallOfABoxIgnoresItsCorners) {
  const Field box = testing::sampled_field(40, [](Vec3 p) {
    return 10 - std::max({std::abs(p.x - 19.5f), std::abs(p.y - 19.5f), std::abs(p.z - 19.5f)});
  });
  EXPECT_GT(thinnest_wall(box), 15);
}

TEST(MeasureTest, NothingInsideHasNoWall) {
  EXPECT_EQ(thinnest_wall(Field::filled(8, 8, 8, -1)), 0);
}

}  // namespace
}  // namespace orfeas
