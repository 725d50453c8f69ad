#include "orfeas/mesh/cleanup.h"

#include <gtest/gtest.h>

#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_shapes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

using testing::box_mesh;
using testing::merged;

TEST(CleanupTest, RemovesFloatersAndKeepsTheBodyClosed) {
  const Mesh body = marching_cubes(testing::ball_field(30, {14.5f, 14.5f, 14.5f}, 10));
  Mesh mesh =
      merged(merged(body, box_mesh({40, 0, 0}, {41, 1, 1})), box_mesh({50, 0, 0}, {51, 1, 1}));
  EXPECT_EQ(remove_small_components(mesh), 2u);
  EXPECT_EQ(mesh.triangles, body.triangles);
  compact_vertices(mesh);
  EXPECT_EQ(mesh.vertices, body.vertices);
  const Topology t = analyze_topology(mesh);
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.components, 1);
}

TEST(CleanupTest, KeepsComponentsOfComparableSize) {
  Mesh mesh = merged(box_mesh({0, 0, 0}, {1, 1, 1}), box_mesh({3, 0, 0}, {4, 1, 1}));
  EXPECT_EQ(remove_small_components(mesh), 0u);
  EXPECT_EQ(mesh.triangles.size(), 24u);
  EXPECT_EQ(remove_small_components(mesh, 1.5), 2u);  // a fraction over 1 removes everything
  EXPECT_TRUE(mesh.empty());
}

TEST(CleanupTest, CollapsesAZeroLengthEdge) {
  // Split the box edge 1-2 (shared by triangles 0 and 1) at a new vertex 8 placed on vertex 1.
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.vertices.push_back(mesh.vertices[1]);
  const Mesh box = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles[0] = {0, 2, 8};
  mesh.triangles[1] = {8, 2, 3};
  mesh.triangles.push_back({0, 8, 1});  // zero area
  mesh.triangles.push_back({1, 8, 3});  // zero area
  // The split leaves every edge with two triangles.
  ASSERT_TRUE(analyze_topology(mesh).closed);
  EXPECT_EQ(remove_degenerate_triangles(mesh), 2u);
  compact_vertices(mesh);
  EXPECT_EQ(mesh.triangles, box.triangles);
  EXPECT_TRUE(analyze_topology(mesh).manifold);
}

TEST(CleanupTest, RemovesTrianglesWithARepeatedVertex) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles.push_back({3, 3, 4});
  EXPECT_EQ(remove_degenerate_triangles(mesh), 1u);
  EXPECT_EQ(mesh.triangles.size(), 12u);
}

TEST(CleanupTest, RemovesFoldsButNotRepeats) {
  Mesh mesh = testing::box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles.push_back({0, 1, 4});  // a repeat of triangle 4: not a fold
  mesh.triangles.push_back({4, 1, 0});  // the other winding: folds with one of them
  mesh.triangles.push_back({6, 7, 5});  // folds with triangle 3, {5, 7, 6}
  EXPECT_EQ(remove_folds(mesh), 4u);
  EXPECT_EQ(mesh.triangles.size(), 11u);
  EXPECT_EQ(mesh.triangles.back(), (Triangle{0, 1, 4}));
}

TEST(CleanupTest, SplitsAVertexWhereTwoBoxesTouch) {
  Mesh two = merged(box_mesh({0, 0, 0}, {1, 1, 1}), box_mesh({1, 1, 1}, {2, 2, 2}));
  for (Triangle& t : two.triangles) {
    for (std::uint32_t& v : t) v = v == 8 ? 7 : v;  // weld the touching corners
  }
  compact_vertices(two);
  ASSERT_FALSE(analyze_topology(two).manifold);
  EXPECT_EQ(split_pinched_vertices(two), 1u);
  const Topology t = analyze_topology(two);
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.manifold);
  EXPECT_EQ(t.components, 2);
  EXPECT_EQ(two.vertices.back(), (Vec3{1, 1, 1}));
  EXPECT_EQ(split_pinched_vertices(two), 0u);
}

TEST(CleanupTest, SplitsAnEdgeWhereTwoBoxesTouch) {
  Mesh two = merged(box_mesh({0, 0, 0}, {1, 1, 1}), box_mesh({1, 1, 0}, {2, 2, 1}));
  // Box one's edge 3-7 (x = y = 1) is box two's edge 8-12: weld them.
  for (Triangle& t : two.triangles) {
    for (std::uint32_t& v : t) v = v == 8 ? 3 : v == 12 ? 7 : v;
  }
  compact_vertices(two);
  ASSERT_EQ(analyze_topology(two).non_manifold_edges, 1u);
  EXPECT_EQ(split_pinched_vertices(two), 2u);
  const Topology t = analyze_topology(two);
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.manifold);
  EXPECT_EQ(t.components, 2);
}

TEST(CleanupTest, CompactKeepsVertexOrder) {
  Mesh mesh;
  mesh.vertices = {{0, 0, 0}, {1, 0, 0}, {9, 9, 9}, {0, 1, 0}};
  mesh.triangles = {{3, 1, 0}};
  compact_vertices(mesh);
  EXPECT_EQ(mesh.vertices, (std::vector<Vec3>{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}));
  EXPECT_EQ(mesh.triangles, (std::vector<Triangle>{{2, 1, 0}}));
}

}  // namespace
}  // namespace orfeas
