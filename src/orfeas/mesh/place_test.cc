#include "orfeas/mesh/place.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/mesh/test_shapes.h"

namespace orfeas {
namespace {

TEST(PlaceTest, ScalesCentresAndStandsOnTheBed) {
  Mesh box = testing::box_mesh({10, -4, 3}, {14, 4, 5});
  EXPECT_DOUBLE_EQ(place_on_bed(box, 100), 12.5);
  const Bounds b = bounds_of(box);
  EXPECT_FLOAT_EQ(b.size().y, 100);
  EXPECT_FLOAT_EQ(b.size().x, 50);
  EXPECT_FLOAT_EQ(b.size().z, 25);
  EXPECT_FLOAT_EQ(b.min.z, 0);
  EXPECT_FLOAT_EQ(b.min.x, -b.max.x);
  EXPECT_FLOAT_EQ(b.min.y, -b.max.y);
}

TEST(PlaceTest, RejectsANonPositiveSize) {
  Mesh box = testing::box_mesh({0, 0, 0}, {1, 1, 1});
  for (double size : {0.0, -5.0, std::nan("")}) {
    try {
      place_on_bed(box, size);
      FAIL() << size;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    }
  }
}

TEST(PlaceTest, RejectsAnEmptyOrFlatMesh) {
  Mesh empty;
  EXPECT_THROW(place_on_bed(empty, 10), Error);
  Mesh flat;
  flat.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  flat.triangles = {{0, 1, 2}};
  try {
    place_on_bed(flat, 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
  }
}

}  // namespace
}  // namespace orfeas
