// An indexed triangle mesh. Triangles wind counter-clockwise seen from outside, so the right-hand
// normal points outward. Units are whatever the producer says: field units after marching cubes,
// millimetres after placement.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "orfeas/core/vec3.h"

namespace orfeas {

using Triangle = std::array<std::uint32_t, 3>;

struct Mesh {
  std::vector<Vec3> vertices;
  std::vector<Triangle> triangles;

  bool empty() const { return triangles.empty(); }
};

struct Bounds {
  Vec3 min, max;
  Vec3 size() const { return max - min; }
};

// The axis-aligned bounds of the vertices that triangles use. Empty meshes give zero bounds.
Bounds bounds_of(const Mesh& mesh);

}  // namespace orfeas
