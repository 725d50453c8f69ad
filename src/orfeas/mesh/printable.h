// The mesh stage of the flow: from a Field to a print-ready mesh and its printability report.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/field.h"
#include "orfeas/core/mesh.h"
#include "orfeas/core/progress.h"

namespace orfeas {

struct PrintableOptions {
  double size_mm = 100.0;            // longest side of the printed object
  std::size_t target_faces = 40000;  // 0 = keep all
  double min_wall_mm = 1.0;          // thinner walls raise a warning
  int threads = 0;                   // marching cubes threads, 0 = one per core
};

struct PrintReport {
  bool closed = false;
  bool manifold = false;
  int components = 0;
  std::size_t triangles = 0;
  std::size_t vertices = 0;
  double volume_mm3 = 0;
  double area_mm2 = 0;
  Vec3 bbox_mm;
  std::vector<std::string> warnings;

  // {"closed","manifold","components","triangles","vertices","volume_mm3","area_mm2",
  //  "bbox_mm":[x,y,z],"warnings":[...]}
  nlohmann::json to_json() const;
};

struct PrintableMesh {
  Mesh mesh;  // millimetres, centred in x/y, standing on z = 0
  PrintReport report;
};

// marching cubes → remove floaters → drop degenerate triangles → simplify (and drop any sliver it
// cut loose) → place → measure. A field that is not closed is first closed off with a layer of
// outside samples, with a warning, so the mesh is always closed. Reports stage "mesh" progress.
// Throws Error{kInternal} if the field holds no surface.
PrintableMesh make_printable(const Field& field, const PrintableOptions& options,
                             const ProgressFn& progress = {});

}  // namespace orfeas
