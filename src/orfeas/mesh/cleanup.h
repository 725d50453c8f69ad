// Repairs that keep a closed mesh closed.
#pragma once

#include <cstddef>

#include "orfeas/core/mesh.h"

namespace orfeas {

// Removes connected components whose triangle count is below `min_fraction` of the largest
// component's (floaters). Returns the number of components removed.
std::size_t remove_small_components(Mesh& mesh, double min_fraction = 0.01);

// Removes triangles with a repeated vertex index or zero area, then collapses edges of zero length
// so the mesh stays closed. Returns the number of triangles removed.
std::size_t remove_degenerate_triangles(Mesh& mesh);

// Drops vertices no triangle uses and renumbers the rest, keeping their order.
void compact_vertices(Mesh& mesh);

}  // namespace orfeas
