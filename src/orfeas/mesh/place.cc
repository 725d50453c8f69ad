#include "orfeas/mesh/place.h"

#include <algorithm>
#include <cmath>

#include "orfeas/core/error.h"

namespace orfeas {

double place_on_bed(Mesh& mesh, double size_mm) {
  if (!(size_mm > 0) || !std::isfinite(size_mm)) {
    throw Error(ErrorCode::kBadInput, "the print size must be a positive number of millimetres",
                {{"size_mm", size_mm}});
  }
  const Bounds bounds = bounds_of(mesh);
  const Vec3 size = bounds.size();
  const double longest = std::max({size.x, size.y, size.z});
  if (mesh.empty() || std::min({size.x, size.y, size.z}) <= 0) {
    throw Error(ErrorCode::kInternal, "cannot place an empty or flat mesh");
  }
  const double scale = size_mm / longest;
  const double centre_x = (double(bounds.min.x) + bounds.max.x) / 2;
  const double centre_y = (double(bounds.min.y) + bounds.max.y) / 2;
  for (Vec3& v : mesh.vertices) {
    v = {float((v.x - centre_x) * scale), float((v.y - centre_y) * scale),
         float((v.z - double(bounds.min.z)) * scale)};
  }
  return scale;
}

}  // namespace orfeas
