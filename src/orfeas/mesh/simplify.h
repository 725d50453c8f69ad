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

// Reduces a closed, manifold mesh to about `target_triangles` (0 = keep all) with meshoptimizer,
// straying at most 0.5% of the mesh's extent from the input. Where meshoptimizer pinches the
// surface (it does not keep it manifold), the folds are removed and the pinched vertices split, so
// the sheets touch without joining; this may cut loose a few tiny closed slivers. The result is
// verified closed and manifold; if it is not, the input is returned unchanged with a note.
SimplifyResult simplify(const Mesh& mesh, std::size_t target_triangles);

}  // namespace orfeas
