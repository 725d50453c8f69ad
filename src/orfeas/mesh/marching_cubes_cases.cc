#include "orfeas/mesh/marching_cubes_cases.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#include "orfeas/core/error.h"

namespace orfeas::marching_cubes_cases {
namespace {

using Point = std::array<double, 3>;

Point operator+(Point a, Point b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
Point operator-(Point a, Point b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Point operator*(Point a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }
double dot(Point a, Point b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Point cross(Point a, Point b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double triangle_area(Point a, Point b, Point c) {
  return std::sqrt(dot(cross(b - a, c - a), cross(b - a, c - a))) / 2;
}

// The two axes other than `axis`, lower first.
std::array<int, 2> other_axes(int axis) {
  return axis == 0 ? std::array{1, 2} : axis == 1 ? std::array{0, 2} : std::array{0, 1};
}

Point corner_position(int corner) {
  return {double(corner & 1), double(corner >> 1 & 1), double(corner >> 2 & 1)};
}

int edge_between(int corner_a, int corner_b) {
  const int axis = std::countr_zero(unsigned(corner_a ^ corner_b));
  const auto [u, v] = other_axes(axis);
  return axis * 4 + (corner_a >> u & 1) + 2 * (corner_a >> v & 1);
}

Point edge_midpoint(int edge) {
  const auto [a, b] = edge_corners(edge);
  return (corner_position(a) + corner_position(b)) * 0.5;
}

bool edge_on_face(int edge, int face) {
  const auto [a, b] = edge_corners(edge);
  const int axis = face / 2, side = face % 2;
  return (a >> axis & 1) == side && (b >> axis & 1) == side;
}

bool edges_share_face(int edge_a, int edge_b) {
  for (int face = 0; face < 6; ++face) {
    if (edge_on_face(edge_a, face) && edge_on_face(edge_b, face)) return true;
  }
  return false;
}

struct Segment {
  int from, to;  // edge numbers
};

// Directs the segment between edges a and b so that the inside lies to its right seen from outside
// the cell: direction = outward face normal x (direction towards the inside).
Segment directed(int face, int a, int b, Point towards_inside) {
  Point normal{0, 0, 0};
  normal[face / 2] = face % 2 ? 1 : -1;
  const Point direction = cross(normal, towards_inside);
  const double d = dot(edge_midpoint(b) - edge_midpoint(a), direction);
  if (d == 0) throw Error(ErrorCode::kInternal, "marching cubes table: undirected segment");
  return d > 0 ? Segment{a, b} : Segment{b, a};
}

// The segments where the surface of `cell_case` crosses `face`. `connect` says whether an
// ambiguous face joins its inside corners.
std::vector<Segment> face_segments(int cell_case, int face, bool connect) {
  const auto& q = kFaceCorners[face];
  bool inside[4];
  int inside_count = 0;
  for (int i = 0; i < 4; ++i) {
    inside[i] = cell_case >> q[i] & 1;
    inside_count += inside[i];
  }
  if (inside_count == 0 || inside_count == 4) return {};

  std::vector<Segment> segments;
  const bool ambiguous = inside[0] == inside[3] && inside[1] == inside[2] && inside[0] != inside[1];
  if (ambiguous) {
    // Cut off the two corners that are not connected: the outside ones when the inside connects.
    for (int i = 0; i < 4; ++i) {
      if (inside[i] == connect) continue;
      const int a = edge_between(q[i], q[i ^ 1]), b = edge_between(q[i], q[i ^ 2]);
      Point towards_corner = corner_position(q[i]) - (edge_midpoint(a) + edge_midpoint(b)) * 0.5;
      segments.push_back(directed(face, a, b, inside[i] ? towards_corner : towards_corner * -1));
    }
    return segments;
  }
  Point inside_mean{0, 0, 0}, outside_mean{0, 0, 0};
  std::vector<int> crossed;
  for (int i = 0; i < 4; ++i) {
    (inside[i] ? inside_mean : outside_mean) =
        (inside[i] ? inside_mean : outside_mean) + corner_position(q[i]);
    for (int j : {i ^ 1, i ^ 2}) {
      if (i < j && inside[i] != inside[j]) crossed.push_back(edge_between(q[i], q[j]));
    }
  }
  const Point towards_inside =
      inside_mean * (1.0 / inside_count) - outside_mean * (1.0 / (4 - inside_count));
  segments.push_back(directed(face, crossed[0], crossed[1], towards_inside));
  return segments;
}

using Triangles = std::vector<std::array<std::uint8_t, 3>>;

// Triangulates a loop of edge points as a disk of least area (edge midpoints standing in for the
// points), never joining two points of one face by a chord. Triangles follow the loop's direction.
// Returns nothing when every triangulation needs such a chord.
Triangles triangulate(const std::vector<int>& loop) {
  const int n = int(loop.size());
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> cost(n, std::vector<double>(n, 0));
  std::vector<std::vector<int>> apex(n, std::vector<int>(n, -1));
  auto allowed = [&](int i, int j) {
    return j - i == 1 || (i == 0 && j == n - 1) || !edges_share_face(loop[i], loop[j]);
  };
  for (int span = 2; span < n; ++span) {
    for (int i = 0; i + span < n; ++i) {
      const int j = i + span;
      cost[i][j] = kInfinity;
      for (int k = i + 1; k < j; ++k) {
        if (!allowed(i, k) || !allowed(k, j)) continue;
        // Area, with a little chord length to prefer short chords among equal areas.
        const Point a = edge_midpoint(loop[i]), b = edge_midpoint(loop[k]),
                    c = edge_midpoint(loop[j]);
        const double c_ijk =
            cost[i][k] + cost[k][j] + triangle_area(a, b, c) + 1e-3 * std::sqrt(dot(c - a, c - a));
        if (c_ijk < cost[i][j]) {
          cost[i][j] = c_ijk;
          apex[i][j] = k;
        }
      }
    }
  }
  if (apex[0][n - 1] < 0) return {};
  Triangles triangles;
  std::vector<std::pair<int, int>> pending{{0, n - 1}};
  while (!pending.empty()) {
    const auto [i, j] = pending.back();
    pending.pop_back();
    if (j - i < 2) continue;
    const int k = apex[i][j];
    triangles.push_back({std::uint8_t(loop[i]), std::uint8_t(loop[k]), std::uint8_t(loop[j])});
    pending.push_back({k, j});
    pending.push_back({i, k});
  }
  return triangles;
}

struct CaseTriangulation {
  Triangles triangles;
  std::vector<std::uint16_t> centres;  // the edges around each centre point
};

// The triangles of one case with the given connections of its ambiguous faces (bit per face).
CaseTriangulation triangulate_case(int cell_case, unsigned connected_faces) {
  int next[12];
  std::fill(std::begin(next), std::end(next), -1);
  for (int face = 0; face < 6; ++face) {
    for (const Segment& s : face_segments(cell_case, face, connected_faces >> face & 1)) {
      if (next[s.from] != -1) throw Error(ErrorCode::kInternal, "marching cubes table: fork");
      next[s.from] = s.to;
    }
  }
  CaseTriangulation result;
  bool visited[12] = {};
  for (int start = 0; start < 12; ++start) {
    if (next[start] == -1 || visited[start]) continue;
    std::vector<int> loop;
    for (int e = start; !visited[e]; e = next[e]) {
      if (next[e] == -1) throw Error(ErrorCode::kInternal, "marching cubes table: open loop");
      visited[e] = true;
      loop.push_back(e);
    }
    Triangles triangles = triangulate(loop);
    if (triangles.empty()) {
      const auto centre = std::uint8_t(kFirstCentre + result.centres.size());
      std::uint16_t around = 0;
      for (std::size_t i = 0; i < loop.size(); ++i) {
        triangles.push_back(
            {std::uint8_t(loop[i]), std::uint8_t(loop[(i + 1) % loop.size()]), centre});
        around |= std::uint16_t(1u << loop[i]);
      }
      result.centres.push_back(around);
    }
    result.triangles.insert(result.triangles.end(), triangles.begin(), triangles.end());
  }
  if (result.centres.size() > kMaxCentres) {
    throw Error(ErrorCode::kInternal, "marching cubes table: too many centre points");
  }
  return result;
}

bool face_ambiguous(int cell_case, int face) {
  const auto& q = kFaceCorners[face];
  const bool c0 = cell_case >> q[0] & 1, c1 = cell_case >> q[1] & 1, c2 = cell_case >> q[2] & 1,
             c3 = cell_case >> q[3] & 1;
  return c0 == c3 && c1 == c2 && c0 != c1;
}

CaseTable build_case_table() {
  CaseTable table;
  for (int c = 0; c < 256; ++c) {
    CellCase& cell = table.cases[c];
    cell.first_variant = std::uint16_t(table.variants.size());
    for (int e = 0; e < 12; ++e) {
      const auto [a, b] = edge_corners(e);
      if ((c >> a & 1) != (c >> b & 1)) cell.crossed_edges |= std::uint16_t(1u << e);
    }
    for (int face = 0; face < 6; ++face) {
      if (face_ambiguous(c, face)) cell.ambiguous_faces[cell.ambiguous_count++] = face;
    }
    for (unsigned bits = 0; bits < (1u << cell.ambiguous_count); ++bits) {
      unsigned connected_faces = 0;
      for (int m = 0; m < cell.ambiguous_count; ++m) {
        if (bits >> m & 1) connected_faces |= 1u << cell.ambiguous_faces[m];
      }
      const CaseTriangulation t = triangulate_case(c, connected_faces);
      CellVariant& variant = table.variants.emplace_back();
      variant.first_triangle = std::uint16_t(table.triangles.size());
      variant.triangle_count = std::uint8_t(t.triangles.size());
      variant.centre_count = std::uint8_t(t.centres.size());
      std::copy(t.centres.begin(), t.centres.end(), variant.centres.begin());
      table.triangles.insert(table.triangles.end(), t.triangles.begin(), t.triangles.end());
    }
  }
  return table;
}

}  // namespace

std::array<int, 2> edge_corners(int edge) {
  const int axis = edge / 4;
  const auto [u, v] = other_axes(axis);
  const int base = (edge & 1) << u | (edge >> 1 & 1) << v;
  return {base, base | 1 << axis};
}

const CaseTable& case_table() {
  static const CaseTable table = build_case_table();
  return table;
}

}  // namespace orfeas::marching_cubes_cases
