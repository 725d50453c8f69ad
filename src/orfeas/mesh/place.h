// Puts a mesh where a printer wants it.
#pragma once

#include "orfeas/core/mesh.h"

namespace orfeas {

// Scales uniformly so the longest side of the bounding box is `size_mm`, centres it in x and y,
// and stands it on z = 0 (z up). Returns the scale factor applied. Throws Error{kBadInput} for a
// non-positive size, Error{kInternal} for an empty or flat mesh.
double place_on_bed(Mesh& mesh, double size_mm);

}  // namespace orfeas
