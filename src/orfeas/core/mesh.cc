#include "orfeas/core/mesh.h"

#include <algorithm>
#include <limits>

namespace orfeas {

Bounds bounds_of(const Mesh& mesh) {
  if (mesh.triangles.empty()) return {};
  constexpr float kInf = std::numeric_limits<float>::infinity();
  Bounds b{{kInf, kInf, kInf}, {-kInf, -kInf, -kInf}};
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) {
      const Vec3& p = mesh.vertices[v];
      for (int a = 0; a < 3; ++a) {
        b.min[a] = std::min(b.min[a], p[a]);
        b.max[a] = std::max(b.max[a], p[a]);
      }
    }
  }
  return b;
}

}  // namespace orfeas
