#include "orfeas/mesh/printable.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/mesh/cleanup.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/measure.h"
#include "orfeas/mesh/place.h"
#include "orfeas/mesh/simplify.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

constexpr std::string_view kStage = "mesh";

// Millimetres as people write them: 0.6, 1, 12.
std::string format_mm(double mm) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g", mm);
  return text;
}

// The field with one layer of outside samples around it, so that a surface touching the grid's
// boundary is closed off there. A new boundary sample mirrors its inside neighbour about iso,
// which puts the closing surface half a cell out.
Field closed_off(const Field& field) {
  Field closed = Field::filled(field.nx + 2, field.ny + 2, field.nz + 2, field.iso);
  closed.origin = field.origin - Vec3{1, 1, 1} * field.spacing;
  closed.spacing = field.spacing;
  closed.iso = field.iso;
  for (int k = 0; k < closed.nz; ++k) {
    for (int j = 0; j < closed.ny; ++j) {
      for (int i = 0; i < closed.nx; ++i) {
        const int si = std::clamp(i - 1, 0, field.nx - 1), sj = std::clamp(j - 1, 0, field.ny - 1),
                  sk = std::clamp(k - 1, 0, field.nz - 1);
        const float v = field.at(si, sj, sk);
        const bool boundary = i == 0 || j == 0 || k == 0 || i == closed.nx - 1 ||
                              j == closed.ny - 1 || k == closed.nz - 1;
        closed.at(i, j, k) = !boundary ? v : v > field.iso ? 2 * field.iso - v : v;
      }
    }
  }
  return closed;
}

// Fills the report's topology and measures from the placed mesh.
void measure_into(const Mesh& mesh, PrintReport& summary) {
  const Topology topology = analyze_topology(mesh);
  summary.closed = topology.closed;
  summary.manifold = topology.manifold;
  if (!topology.closed || !topology.manifold) {
    summary.warnings.push_back("the mesh is not watertight; the slicer may repair or reject it");
  }
  summary.components = topology.components;
  summary.triangles = mesh.triangles.size();
  summary.vertices = mesh.vertices.size();
  summary.volume_mm3 = mesh_volume(mesh);
  summary.area_mm2 = mesh_area(mesh);
  summary.bbox_mm = bounds_of(mesh).size();
}

}  // namespace

nlohmann::json PrintReport::to_json() const {
  return {{"closed", closed},         {"manifold", manifold},
          {"components", components}, {"triangles", triangles},
          {"vertices", vertices},     {"volume_mm3", volume_mm3},
          {"area_mm2", area_mm2},     {"bbox_mm", {bbox_mm.x, bbox_mm.y, bbox_mm.z}},
          {"warnings", warnings}};
}

PrintableMesh make_printable(const Field& field, const PrintableOptions& options,
                             const ProgressFn& progress) {
  if (field.nx < 0 || field.ny < 0 || field.nz < 0 ||
      field.values.size() != std::size_t(field.nx) * field.ny * field.nz) {
    throw Error(ErrorCode::kInternal, "the field's values do not match its size");
  }
  if (field.values.empty()) throw Error(ErrorCode::kInternal, "the field holds no surface");
  report(progress, kStage, 0);
  PrintableMesh result;
  PrintReport& summary = result.report;
  const bool touches_boundary = !field.is_closed();
  std::optional<Field> padded;
  if (touches_boundary) padded = closed_off(field);
  const Field& closed = padded ? *padded : field;
  Mesh mesh = marching_cubes(closed, options.threads);
  if (mesh.empty()) throw Error(ErrorCode::kInternal, "the field holds no surface");
  if (touches_boundary) {
    summary.warnings.push_back("the object reached the edge of its volume and was cut flat there");
  }
  report(progress, kStage, 0.4);

  if (const std::size_t floaters = remove_small_components(mesh); floaters > 0) {
    summary.warnings.push_back(std::to_string(floaters) + " floaters removed");
  }
  remove_degenerate_triangles(mesh);
  compact_vertices(mesh);
  report(progress, kStage, 0.5);

  SimplifyResult simplified = simplify(mesh, options.target_faces);
  if (!simplified.note.empty()) {
    summary.warnings.push_back("simplification skipped: " + simplified.note);
  }
  mesh = std::move(simplified.mesh);
  // Slivers that simplification cut loose where it split a pinch are its own debris, not parts of
  // the object: they go without a warning.
  remove_small_components(mesh);
  compact_vertices(mesh);
  report(progress, kStage, 0.8);

  const double scale = place_on_bed(mesh, options.size_mm);
  const double wall_mm = thinnest_wall(closed) * scale;
  if (wall_mm < options.min_wall_mm) {
    summary.warnings.push_back("walls as thin as " + format_mm(wall_mm) + " mm (under " +
                               format_mm(options.min_wall_mm) + " mm) may not print");
  }
  measure_into(mesh, summary);
  result.mesh = std::move(mesh);
  report(progress, kStage, 1);
  return result;
}

}  // namespace orfeas
