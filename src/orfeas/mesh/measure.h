// Geometric measures of a closed mesh.
#pragma once

#include "orfeas/core/field.h"
#include "orfeas/core/mesh.h"

namespace orfeas {

// Signed volume enclosed by a closed, outward-oriented mesh (positive).
double mesh_volume(const Mesh& mesh);

// Total triangle area.
double mesh_area(const Mesh& mesh);

// The thinnest wall of the solid the field describes, in field units, estimated from the grid
// (resolution-limited to about one cell). Returns 0 for a field with nothing inside.
double thinnest_wall(const Field& field);

}  // namespace orfeas
