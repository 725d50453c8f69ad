// Repairs that keep a closed mesh closed.
#pragma once

#include <cstddef>

#include "orfeas/core/mesh.h"

namespace orfeas {

// Removes connected components whose triangle count is below `min_fraction` of the largest
// component's (floaters). Returns the number of components removed. Their vertices stay until
// compact_vertices.
std::size_t remove_small_components(Mesh& mesh, double min_fraction = 0.01);

// Collapses edges of zero length (welding their ends into the lower-numbered vertex), then removes
// the triangles left with a repeated vertex index, so the mesh stays closed. Triangles of zero area
// with three distinct corners are kept: removing one would open the surface. Returns the number of
// triangles removed.
std::size_t remove_degenerate_triangles(Mesh& mesh);

// Removes pairs of triangles on the same three vertices with opposite winding: folds that enclose
// nothing. Every edge keeps an even share of triangles, so a closed mesh stays closed. Returns the
// number of triangles removed.
std::size_t remove_folds(Mesh& mesh);

// Gives each vertex whose triangles form several fans - where the surface touches itself at that
// vertex or along an edge from it - one copy per fan, so the mesh becomes manifold without moving
// anything. Fans join across each edge two triangles at a time, one of each direction, so an edge
// that four triangles share becomes two edges. Returns the number of vertices added.
std::size_t split_pinched_vertices(Mesh& mesh);

// Drops vertices no triangle uses and renumbers the rest, keeping their order.
void compact_vertices(Mesh& mesh);

}  // namespace orfeas
