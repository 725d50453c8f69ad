#include "orfeas/mesh/marching_cubes_cases.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <utility>

namespace orfeas::marching_cubes_cases {
namespace {

using Edges = std::set<std::pair<int, int>>;  // directed triangle edges, as cube edge numbers

bool edge_on_face(int edge, int face) {
  if (edge >= kFirstCentre) return false;
  const auto [a, b] = edge_corners(edge);
  return (a >> face / 2 & 1) == face % 2 && (b >> face / 2 & 1) == face % 2;
}

// The variant of `cell_case` whose ambiguous faces connect as `connected` says (bit per face).
const CellVariant& variant(int cell_case, unsigned connected) {
  const CaseTable& table = case_table();
  const CellCase& cell = table.cases[cell_case];
  unsigned bits = 0;
  for (int m = 0; m < cell.ambiguous_count; ++m)
    bits |= (connected >> cell.ambiguous_faces[m] & 1) << m;
  return table.variants[cell.first_variant + bits];
}

Edges directed_edges(const CellVariant& v) {
  Edges edges;
  for (int t = 0; t < v.triangle_count; ++t) {
    const auto& tri = case_table().triangles[v.first_triangle + t];
    for (int c = 0; c < 3; ++c) edges.insert({tri[c], tri[(c + 1) % 3]});
  }
  return edges;
}

TEST(MarchingCubesCasesTest, EmptyAndFullCellsHaveNoTriangles) {
  EXPECT_EQ(variant(0, 0).triangle_count, 0);
  EXPECT_EQ(variant(255, 0).triangle_count, 0);
}

TEST(MarchingCubesCasesTest, ALoneInsideCornerIsCutByOneTriangleFacingAway) {
  for (int corner = 0; corner < 8; ++corner) {
    const CellVariant& v = variant(1 << corner, 0);
    ASSERT_EQ(v.triangle_count, 1);
    const auto& tri = case_table().triangles[v.first_triangle];
    float p[3][3];
    for (int c = 0; c < 3; ++c) {
      const auto [a, b] = edge_corners(tri[c]);
      for (int axis = 0; axis < 3; ++axis) p[c][axis] = ((a >> axis & 1) + (b >> axis & 1)) / 2.0f;
    }
    float u[3], w[3];
    for (int axis = 0; axis < 3; ++axis) {
      u[axis] = p[1][axis] - p[0][axis];
      w[axis] = p[2][axis] - p[0][axis];
    }
    const float normal[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2],
                             u[0] * w[1] - u[1] * w[0]};
    float away = 0;  // normal . (triangle - corner)
    for (int axis = 0; axis < 3; ++axis) away += normal[axis] * (p[0][axis] - (corner >> axis & 1));
    EXPECT_GT(away, 0) << "corner " << corner;
  }
}

// Within a cell, a triangle edge between two points of one face is a face segment, used once;
// every other edge is a chord, used once in each direction; every crossed edge is used.
TEST(MarchingCubesCasesTest, EveryVariantIsADiskPerLoop) {
  for (int c = 0; c < 256; ++c) {
    for (unsigned connected = 0; connected < 64; ++connected) {
      const Edges edges = directed_edges(variant(c, connected));
      unsigned used = 0;
      for (const auto& [a, b] : edges) {
        used |= (1u << a | 1u << b) & 0xfff;
        bool on_one_face = false;
        for (int f = 0; f < 6; ++f) on_one_face |= edge_on_face(a, f) && edge_on_face(b, f);
        EXPECT_EQ(edges.count({b, a}), on_one_face ? 0u : 1u) << "case " << c;
      }
      EXPECT_EQ(used, case_table().cases[c].crossed_edges) << "case " << c;
    }
  }
}

// The proof of closedness: two cells sharing a face, with any corners that agree on it and the same
// decision for it, cut it in the same segments, run in opposite directions.
TEST(MarchingCubesCasesTest, NeighboursCutTheirSharedFaceAlike) {
  for (int axis = 0; axis < 3; ++axis) {
    const int upper_face = 2 * axis + 1, lower_face = 2 * axis;
    const auto& a_corners = kFaceCorners[upper_face];
    const auto& b_corners = kFaceCorners[lower_face];
    // Cube edge of cell a on its upper face -> the same grid edge in cell b, the cell above a.
    std::map<int, int> a_to_b;
    for (int e = 0; e < 12; ++e) {
      if (!edge_on_face(e, upper_face)) continue;
      for (int f = 0; f < 12; ++f) {
        const auto [a0, a1] = edge_corners(e);
        const auto [b0, b1] = edge_corners(f);
        if (b0 == (a0 ^ 1 << axis) && b1 == (a1 ^ 1 << axis)) a_to_b[e] = f;
      }
    }
    ASSERT_EQ(a_to_b.size(), 4u);
    for (int a_case = 0; a_case < 256; ++a_case) {
      for (int b_case = 0; b_case < 256; ++b_case) {
        bool agree = true;
        for (int q = 0; q < 4; ++q) {
          agree &= (a_case >> a_corners[q] & 1) == (b_case >> b_corners[q] & 1);
        }
        if (!agree) continue;
        for (bool connect : {false, true}) {
          for (unsigned others : {0u, 63u}) {
            const unsigned a_bits = (others & ~(1u << upper_face)) | unsigned(connect)
                                                                         << upper_face;
            const unsigned b_bits = (others & ~(1u << lower_face)) | unsigned(connect)
                                                                         << lower_face;
            Edges a_on_face, b_on_face;
            for (const auto& [x, y] : directed_edges(variant(a_case, a_bits))) {
              if (a_to_b.count(x) && a_to_b.count(y)) a_on_face.insert({a_to_b[y], a_to_b[x]});
            }
            for (const auto& [x, y] : directed_edges(variant(b_case, b_bits))) {
              if (edge_on_face(x, lower_face) && edge_on_face(y, lower_face))
                b_on_face.insert({x, y});
            }
            EXPECT_EQ(a_on_face, b_on_face)
                << "axis " << axis << " cases " << a_case << " " << b_case;
          }
        }
      }
    }
  }
}

TEST(MarchingCubesCasesTest, SaddleDecidesAmbiguousFaces) {
  // Inside corners 0 and 3 at 1; outside corners at -0.5: the saddle (1 - 0.25) / 3 is inside.
  EXPECT_TRUE(inside_connected(1, -0.5f, -0.5f, 1));
  EXPECT_FALSE(inside_connected(0.1f, -1, -1, 0.1f));
  EXPECT_TRUE(inside_connected(-0.5f, 1, 1, -0.5f));
  EXPECT_TRUE(inside_connected(-1, 0.1f, 0.1f, 0));
  EXPECT_FALSE(inside_connected(-1, 0.5f, 0.5f, -0.25f));  // a saddle at iso counts as outside
}

}  // namespace
}  // namespace orfeas::marching_cubes_cases
