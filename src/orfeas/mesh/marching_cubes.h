// Marching cubes: the iso-surface of a Field as an indexed triangle mesh.
#pragma once

#include "orfeas/core/field.h"
#include "orfeas/core/mesh.h"

namespace orfeas {

// Extracts the surface where field == field.iso, in field coordinates (origin + spacing * index).
//
// Guarantees, for any closed field (Field::is_closed): the mesh is welded (one vertex per grid
// edge crossing, shared by the cells around that edge; a few cells with a long, twisted loop of
// crossings add a vertex at its centre, listed after all edge vertices), every edge is shared by
// exactly two triangles and every vertex's triangles form one fan (closed and 2-manifold), and
// every triangle winds counter-clockwise seen from outside (the side where the field is below
// iso). Samples exactly at iso count as outside. Ambiguous cell faces are resolved by the
// bilinear interpolant's saddle, so the topology follows the trilinear field on every face.
//
// Runs on `threads` threads (0 = one per hardware core). The output is identical for any thread
// count.
Mesh marching_cubes(const Field& field, int threads = 0);

}  // namespace orfeas
