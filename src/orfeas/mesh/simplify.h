// Triangle-count reduction with meshoptimizer that never opens the surface.
#pragma once

#include <cstddef>
#include <string>

#include "orfeas/core/mesh.h"

namespace orfeas {

struct SimplifyResult {
  Mesh mesh;
  bool simplified = false;  // false: the input was kept (already small enough, or simplification
                            // would have broken closedness or manifoldness)
  std::string note;         // why the input was kept; empty when simplified or nothing to do
};

// Reduces a closed mesh to about `target_triangles` (0 = keep all). The result is verified closed
// and manifold; if it is not, the input is returned unchanged with a note.
SimplifyResult simplify(const Mesh& mesh, std::size_t target_triangles);

}  // namespace orfeas
