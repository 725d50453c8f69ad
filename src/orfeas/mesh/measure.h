// Geometric measures of a closed mesh.
#pragma once

#include "orfeas/core/field.h"
#include "orfeas/core/mesh.h"

namespace orfeas {

// Signed volume enclosed by a closed, outward-oriented mesh (positive).
double mesh_volume(const Mesh& mesh);

// Total triangle area.
double mesh_area(const Mesh& mesh);

// The thinnest wall of the solid the field describes, in field units. Through each inside sample
// next to the surface runs a chord along the field's gradient (the surface normal) from surface to
// surface, measured on the trilinearly interpolated field; the eighth shortest is reported, so a
// few stray rays at sharp creases do not count. Corners and edges of thick parts read thick;
// knife edges and walls thinner than the grid resolves (about a cell) read thin. Returns 0 for a
// field with nothing inside.
double thinnest_wall(const Field& field);

}  // namespace orfeas
