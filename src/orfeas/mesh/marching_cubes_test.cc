#include "orfeas/mesh/marching_cubes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <set>
#include <tuple>

#include "orfeas/core/error.h"
#include "orfeas/mesh/measure.h"
#include "orfeas/mesh/test_shapes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

using testing::ball_field;
using testing::noise_field;
using testing::torus_field;

// Closed, manifold (so each component is consistently oriented) and enclosing positive volume.
// Components may be cavities, with negative volume of their own, so only the total is checked.
void expect_watertight(const Mesh& mesh, const std::string& what) {
  const Topology topology = analyze_topology(mesh);
  EXPECT_TRUE(topology.closed) << what << ": " << topology.boundary_edges << " boundary edges";
  EXPECT_TRUE(topology.manifold) << what << ": " << topology.non_manifold_edges
                                 << " non-manifold edges";
  EXPECT_GT(mesh_volume(mesh), 0) << what;
}

// How many grid edges join an inside sample to an outside one.
std::size_t crossed_edges(const Field& field) {
  std::size_t crossed = 0;
  for (int k = 0; k < field.nz; ++k) {
    for (int j = 0; j < field.ny; ++j) {
      for (int i = 0; i < field.nx; ++i) {
        const bool in = field.at(i, j, k) > field.iso;
        crossed += i + 1 < field.nx && in != (field.at(i + 1, j, k) > field.iso);
        crossed += j + 1 < field.ny && in != (field.at(i, j + 1, k) > field.iso);
        crossed += k + 1 < field.nz && in != (field.at(i, j, k + 1) > field.iso);
      }
    }
  }
  return crossed;
}

TEST(MarchingCubesTest, BallVolumeAndAreaWithinOnePercent) {
  const float r = 40;
  const Mesh mesh = marching_cubes(ball_field(96, {47.3f, 47.6f, 47.9f}, r));
  expect_watertight(mesh, "ball");
  const double volume = 4.0 / 3.0 * std::numbers::pi * r * r * r;
  const double area = 4.0 * std::numbers::pi * r * r;
  EXPECT_NEAR(mesh_volume(mesh), volume, 0.01 * volume);
  EXPECT_NEAR(mesh_area(mesh), area, 0.01 * area);
  EXPECT_EQ(analyze_topology(mesh).euler_characteristic, 2);
}

TEST(MarchingCubesTest, VerticesLieInFieldCoordinates) {
  Field field = ball_field(20, {9.5f, 9.5f, 9.5f}, 6);
  field.origin = {100, -50, 3};
  field.spacing = 0.5f;
  const Mesh mesh = marching_cubes(field);
  const Vec3 centre = field.origin + Vec3{9.5f, 9.5f, 9.5f} * 0.5f;
  for (const Vec3& v : mesh.vertices) EXPECT_NEAR(length(v - centre), 3.0f, 0.05f);
}

TEST(MarchingCubesTest, NormalsPointAwayFromTheInside) {
  const Vec3 centre{15.2f, 15.7f, 14.9f};
  const Mesh mesh = marching_cubes(ball_field(32, centre, 11));
  for (const Triangle& t : mesh.triangles) {
    const Vec3 a = mesh.vertices[t[0]], b = mesh.vertices[t[1]], c = mesh.vertices[t[2]];
    EXPECT_GT(dot(cross(b - a, c - a), (a + b + c) * (1.0f / 3) - centre), 0);
  }
}

TEST(MarchingCubesTest, TorusHasGenusOne) {
  const Mesh mesh = marching_cubes(torus_field(64, {31.6f, 31.3f, 31.1f}, 18, 7));
  expect_watertight(mesh, "torus");
  const Topology topology = analyze_topology(mesh);
  EXPECT_EQ(topology.components, 1);
  EXPECT_EQ(topology.euler_characteristic, 0);
}

TEST(MarchingCubesTest, OneVertexPerCrossedGridEdge) {
  const Field torus = torus_field(40, {19.6f, 19.3f, 19.1f}, 11, 5);
  EXPECT_EQ(marching_cubes(torus).vertices.size(), crossed_edges(torus));
  // Noise adds centre points to a few cells; still no two vertices coincide.
  const Field noise = noise_field(16, 7, 0);
  const Mesh mesh = marching_cubes(noise);
  EXPECT_GE(mesh.vertices.size(), crossed_edges(noise));
  EXPECT_LT(mesh.vertices.size(), crossed_edges(noise) * 21 / 20);
  std::set<std::tuple<float, float, float>> positions;
  for (const Vec3& v : mesh.vertices) positions.insert({v.x, v.y, v.z});
  EXPECT_EQ(positions.size(), mesh.vertices.size());
}

// Raw noise is where ambiguous faces and cells abound: every seed must give a watertight mesh.
TEST(MarchingCubesTest, RawNoiseIsWatertightForEverySeed) {
  for (std::uint32_t seed = 1; seed <= 1000; ++seed) {
    const int threads = 1 + seed % 3;  // slab seams too
    expect_watertight(marching_cubes(noise_field(12 + seed % 5, seed, 0), threads),
                      "seed " + std::to_string(seed));
  }
}

TEST(MarchingCubesTest, SmoothNoiseIsWatertightForEverySeed) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    expect_watertight(marching_cubes(noise_field(28, seed, 2)), "seed " + std::to_string(seed));
  }
}

// Normals point downhill: against the field's gradient, estimated at the nearest sample.
TEST(MarchingCubesTest, SmoothNoiseNormalsPointDownhill) {
  const Field field = noise_field(28, 5, 2);
  const Mesh mesh = marching_cubes(field);
  std::size_t downhill = 0;
  for (const Triangle& t : mesh.triangles) {
    const Vec3 a = mesh.vertices[t[0]], b = mesh.vertices[t[1]], c = mesh.vertices[t[2]];
    const Vec3 m = (a + b + c) * (1.0f / 3);
    const int i = int(std::lround(m.x)), j = int(std::lround(m.y)), k = int(std::lround(m.z));
    const Vec3 gradient{field.at(i + 1, j, k) - field.at(i - 1, j, k),
                        field.at(i, j + 1, k) - field.at(i, j - 1, k),
                        field.at(i, j, k + 1) - field.at(i, j, k - 1)};
    downhill += dot(cross(b - a, c - a), gradient) < 0;
  }
  EXPECT_GT(downhill, mesh.triangles.size() * 9 / 10);  // the estimate is rough near saddles
}

TEST(MarchingCubesTest, SamplesAtIsoCountAsOutside) {
  for (std::uint32_t seed = 1; seed <= 100; ++seed) {
    expect_watertight(marching_cubes(noise_field(12, seed, 0, true)),
                      "seed " + std::to_string(seed));
  }
  Field single = Field::filled(3, 3, 3, 0);  // everything at iso: nothing inside
  EXPECT_TRUE(marching_cubes(single).empty());
}

TEST(MarchingCubesTest, InfiniteAndNanSamplesGiveFiniteVertices) {
  Field field = noise_field(12, 3, 0);
  const float special[] = {std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN()};  // NaN counts as outside
  for (int n = 0; n < 60; ++n) {
    field.at(1 + n % 10, 1 + n / 10 % 10, 1 + n % 7) = special[n % 3];
  }
  const Mesh mesh = marching_cubes(field);
  expect_watertight(mesh, "special values");
  for (const Vec3& v : mesh.vertices) {
    EXPECT_TRUE(std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z));
  }
}

TEST(MarchingCubesTest, SameOutputForAnyThreadCount) {
  for (int smoothing : {0, 1}) {  // raw noise brings many centre points
    const Field field = noise_field(40, 11, smoothing);
    const Mesh one = marching_cubes(field, 1);
    ASSERT_FALSE(one.empty());
    for (int threads : {2, 7, 0}) {
      const Mesh many = marching_cubes(field, threads);
      EXPECT_EQ(many.vertices, one.vertices) << threads << " threads";
      EXPECT_EQ(many.triangles, one.triangles) << threads << " threads";
    }
  }
}

TEST(MarchingCubesTest, NothingInsideGivesAnEmptyMesh) {
  EXPECT_TRUE(marching_cubes(Field::filled(10, 10, 10, -1)).empty());
  EXPECT_TRUE(marching_cubes(Field::filled(1, 10, 10, 1)).empty());
  EXPECT_TRUE(marching_cubes(Field{}).empty());
}

TEST(MarchingCubesTest, RejectsAFieldWhoseValuesDoNotMatchItsSize) {
  Field field = Field::filled(4, 4, 4, -1);
  field.values.pop_back();
  EXPECT_THROW(marching_cubes(field), Error);
}

}  // namespace
}  // namespace orfeas
