#include "orfeas/mesh/simplify.h"

#include <gtest/gtest.h>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/measure.h"
#include "orfeas/mesh/test_shapes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

Mesh fine_ball() { return marching_cubes(testing::ball_field(84, {41.3f, 41.6f, 41.2f}, 36)); }

TEST(SimplifyTest, ReachesAboutTheTargetAndStaysClosed) {
  const Mesh ball = fine_ball();
  ASSERT_GT(ball.triangles.size(), 30000u);
  const SimplifyResult result = simplify(ball, 4000);
  EXPECT_TRUE(result.simplified);
  EXPECT_TRUE(result.note.empty());
  EXPECT_LE(result.mesh.triangles.size(), 4000u);
  EXPECT_GE(result.mesh.triangles.size(), 3600u);
  const Topology t = analyze_topology(result.mesh);
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.manifold);
  EXPECT_EQ(t.euler_characteristic, 2);
  EXPECT_NEAR(mesh_volume(result.mesh), mesh_volume(ball), 0.01 * mesh_volume(ball));
  EXPECT_LT(result.mesh.vertices.size(), ball.vertices.size() / 5);  // unused vertices dropped
}

// meshoptimizer 0.18 pinches this surface in a couple of hundred places (folds, edges of four
// triangles, vertices of two fans); the result must still be closed and manifold.
TEST(SimplifyTest, RepairsWhereMeshoptimizerPinches) {
  const Mesh noise = marching_cubes(testing::noise_field(32, 2, 2));
  const SimplifyResult result = simplify(noise, noise.triangles.size() / 4);
  ASSERT_TRUE(result.simplified) << result.note;
  EXPECT_LT(result.mesh.triangles.size(), noise.triangles.size() * 3 / 5);
  const Topology t = analyze_topology(result.mesh);
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.manifold);
}

TEST(SimplifyTest, ZeroTargetKeepsEverything) {
  const Mesh ball = fine_ball();
  const SimplifyResult result = simplify(ball, 0);
  EXPECT_FALSE(result.simplified);
  EXPECT_TRUE(result.note.empty());
  EXPECT_EQ(result.mesh.triangles, ball.triangles);
  EXPECT_EQ(result.mesh.vertices, ball.vertices);
}

TEST(SimplifyTest, SmallMeshIsLeftAlone) {
  const Mesh box = testing::box_mesh({0, 0, 0}, {1, 1, 1});
  const SimplifyResult result = simplify(box, 100);
  EXPECT_FALSE(result.simplified);
  EXPECT_TRUE(result.note.empty());
  EXPECT_EQ(result.mesh.triangles, box.triangles);
}

TEST(SimplifyTest, KeepsTheInputWhenTheResultWouldBeOpen) {
  // Only closed meshes are simplified; anything else is returned with a note.
  Mesh open = fine_ball();
  open.triangles.pop_back();
  const SimplifyResult result = simplify(open, 1000);
  EXPECT_FALSE(result.simplified);
  EXPECT_FALSE(result.note.empty());
  EXPECT_EQ(result.mesh.triangles, open.triangles);
}

}  // namespace
}  // namespace orfeas
