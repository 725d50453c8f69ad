// A Field is where every generator meets the mesh pipeline: a dense scalar grid over an
// axis-aligned box. Values are positive inside the object and negative outside; the surface is
// where the value equals `iso` (zero for every generator we have).
//
// Axes follow the printed object: x to the right, y away from the viewer (depth), z up. Sample
// (i, j, k) sits at origin + spacing * (i, j, k); x varies fastest in `values`.
//
// A closed field is negative on every boundary sample, so its surface never touches the grid.
#pragma once

#include <cstddef>
#include <vector>

#include "orfeas/core/vec3.h"

namespace orfeas {

struct Field {
  int nx = 0, ny = 0, nz = 0;
  Vec3 origin;
  float spacing = 1.0f;
  float iso = 0.0f;
  std::vector<float> values;

  // A field of nx*ny*nz samples, all set to `fill`.
  static Field filled(int nx, int ny, int nz, float fill);

  std::size_t index(int i, int j, int k) const {
    return (static_cast<std::size_t>(k) * ny + j) * nx + i;
  }
  float at(int i, int j, int k) const { return values[index(i, j, k)]; }
  float& at(int i, int j, int k) { return values[index(i, j, k)]; }
  Vec3 position(int i, int j, int k) const {
    return origin + Vec3{float(i), float(j), float(k)} * spacing;
  }
  std::size_t size() const { return values.size(); }

  // True when every sample on the six faces of the grid is below `iso`.
  bool is_closed() const;
};

}  // namespace orfeas
