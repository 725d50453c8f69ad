#include "orfeas/mesh/topology.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/mesh/test_shapes.h"

namespace orfeas {
namespace {

using testing::box_mesh;
using testing::merged;

TEST(TopologyTest, ABoxIsAClosedManifoldSphere) {
  const Topology t = analyze_topology(box_mesh({0, 0, 0}, {1, 2, 3}));
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.manifold);
  EXPECT_EQ(t.components, 1);
  EXPECT_EQ(t.euler_characteristic, 2);
  EXPECT_EQ(t.boundary_edges, 0u);
  EXPECT_EQ(t.non_manifold_edges, 0u);
}

TEST(TopologyTest, AMissingTriangleLeavesThreeBoundaryEdges) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles.pop_back();
  const Topology t = analyze_topology(mesh);
  EXPECT_FALSE(t.closed);
  EXPECT_TRUE(t.manifold);
  EXPECT_EQ(t.boundary_edges, 3u);
  EXPECT_EQ(t.euler_characteristic, 1);
}

TEST(TopologyTest, AFlippedTriangleBreaksOrientation) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  std::swap(mesh.triangles[0][1], mesh.triangles[0][2]);
  const Topology t = analyze_topology(mesh);
  EXPECT_TRUE(t.closed);
  EXPECT_FALSE(t.manifold);
  EXPECT_EQ(t.non_manifold_edges, 3u);
}

TEST(TopologyTest, AnEdgeOfThreeTrianglesIsNotManifold) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.vertices.push_back({5, 5, 5});
  mesh.triangles.push_back({0, 1, 8});
  const Topology t = analyze_topology(mesh);
  EXPECT_FALSE(t.closed);
  EXPECT_FALSE(t.manifold);
  EXPECT_EQ(t.non_manifold_edges, 1u);
}

TEST(TopologyTest, BoxesTouchingAtACornerAreNotManifold) {
  Mesh two = merged(box_mesh({0, 0, 0}, {1, 1, 1}), box_mesh({1, 1, 1}, {2, 2, 2}));
  for (Triangle& t : two.triangles) {
    for (std::uint32_t& v : t) v = v == 8 ? 7 : v;  // weld the touching corners
  }
  const Topology t = analyze_topology(two);
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.non_manifold_edges, 0u);
  EXPECT_FALSE(t.manifold);  // two fans around one vertex
  EXPECT_EQ(t.components, 1);
}

TEST(TopologyTest, CountsComponents) {
  const Mesh two = merged(box_mesh({0, 0, 0}, {1, 1, 1}), box_mesh({3, 0, 0}, {4, 1, 1}));
  const Topology t = analyze_topology(two);
  EXPECT_EQ(t.components, 2);
  EXPECT_EQ(t.euler_characteristic, 4);
  const std::vector<int> labels = triangle_components(two);
  EXPECT_EQ(labels.front(), 0);
  EXPECT_EQ(labels.back(), 1);
}

TEST(TopologyTest, ARepeatedVertexIsNotManifold) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles.push_back({0, 0, 1});
  EXPECT_FALSE(analyze_topology(mesh).manifold);
}

TEST(TopologyTest, EmptyMeshHasNoComponents) {
  const Topology t = analyze_topology(Mesh{});
  EXPECT_EQ(t.components, 0);
  EXPECT_EQ(t.euler_characteristic, 0);
}

TEST(TopologyTest, RejectsAnIndexPastTheVertices) {
  Mesh mesh = box_mesh({0, 0, 0}, {1, 1, 1});
  mesh.triangles.push_back({0, 1, 99});
  EXPECT_THROW(analyze_topology(mesh), Error);
}

}  // namespace
}  // namespace orfeas
