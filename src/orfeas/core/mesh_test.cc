#include "orfeas/core/mesh.h"

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(MeshTest, BoundsCoverUsedVerticesOnly) {
  Mesh m;
  m.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}, {100, 100, 100}};
  m.triangles = {{0, 1, 2}};
  Bounds b = bounds_of(m);
  EXPECT_EQ(b.min, (Vec3{0, 0, 0}));
  EXPECT_EQ(b.max, (Vec3{1, 2, 0}));
  EXPECT_EQ(bounds_of(Mesh{}).size(), (Vec3{0, 0, 0}));
}

}  // namespace
}  // namespace orfeas
