// The marching-cubes case table: how one grid cell is triangulated for each of the 256
// inside/outside patterns of its corners and each way its ambiguous faces can be cut.
//
// Cell layout. Corner c sits at (c & 1, c >> 1 & 1, c >> 2 & 1); bit c of a case is set when
// corner c is inside. Edge e runs along axis e / 4 from its corner at 0 to its corner at 1 on that
// axis; bit 0 of e % 4 is its position on the lower of the two other axes, bit 1 on the higher.
// Face f lies on axis f / 2 at side f % 2; kFaceCorners lists its corners in canonical order, with
// the lower other axis varying fastest, so both cells that share a face list it alike.
//
// Why the result is closed and 2-manifold. The surface crosses each face in segments that depend
// on that face alone: two crossed edges are joined by one segment; a face whose diagonal corners
// share a side (ambiguous) is cut by two segments, the way `inside_connected` decides from its
// four values. Two cells sharing a face therefore cut it alike, with segments of opposite
// direction. Inside a cell the segments form disjoint directed loops, and each loop is
// triangulated as a disk without a chord between two points of one face, so every chord belongs
// to one cell only. A few loops (of 8 to 12 points, where ambiguous faces join) have no such
// triangulation; they are fanned around a centre point of their own. Every triangle edge
// then has exactly two triangles, and the triangles around each point form one fan. Triangles
// wind counter-clockwise seen from outside.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace orfeas::marching_cubes_cases {

inline constexpr std::array<std::array<std::uint8_t, 4>, 6> kFaceCorners = {{
    {0, 2, 4, 6},  // x = 0, corners varying over y then z
    {1, 3, 5, 7},  // x = 1
    {0, 1, 4, 5},  // y = 0, over x then z
    {2, 3, 6, 7},  // y = 1
    {0, 1, 2, 3},  // z = 0, over x then y
    {4, 5, 6, 7},  // z = 1
}};

// Whether the two inside corners of an ambiguous face are connected across it, given the face's
// values minus iso in kFaceCorners order: true when the bilinear interpolant's saddle is above
// iso. Corners 0 and 3 form one diagonal, 1 and 2 the other.
inline bool inside_connected(float v0, float v1, float v2, float v3) {
  return v0 > 0 ? v0 * v3 > v1 * v2 : v1 * v2 > v0 * v3;
}

struct CellCase {
  std::uint16_t first_variant = 0;
  std::uint16_t crossed_edges = 0;  // bit e set when edge e holds a vertex
  std::uint8_t ambiguous_count = 0;
  std::array<std::uint8_t, 6> ambiguous_faces{};  // ascending face numbers
};

// Triangle corners name a point on an edge (0..11) or a centre point (kFirstCentre + m).
inline constexpr int kFirstCentre = 12;
inline constexpr int kMaxCentres = 2;

// One way to triangulate a case: `triangle_count` entries of CaseTable::triangles from
// `first_triangle`. Centre point m is the mean of the edge points in the mask centres[m].
struct CellVariant {
  std::uint16_t first_triangle = 0;
  std::uint8_t triangle_count = 0;
  std::uint8_t centre_count = 0;
  std::array<std::uint16_t, kMaxCentres> centres{};
};

struct CaseTable {
  // The variant of case c is variants[cases[c].first_variant + bits], where bit m of `bits` is
  // inside_connected for the face cases[c].ambiguous_faces[m].
  std::array<CellCase, 256> cases;
  std::vector<CellVariant> variants;
  std::vector<std::array<std::uint8_t, 3>> triangles;
};

// Built on first use, then shared (thread-safe).
const CaseTable& case_table();

// The two corners of edge e, the one at 0 on the edge's axis first.
std::array<int, 2> edge_corners(int edge);

}  // namespace orfeas::marching_cubes_cases
