// Topological facts about a triangle mesh.
#pragma once

#include <cstddef>
#include <vector>

#include "orfeas/core/mesh.h"

namespace orfeas {

struct Topology {
  bool closed = false;    // every edge has exactly two incident triangles
  bool manifold = false;  // every edge has at most two triangles, consistently oriented (each
                          // directed edge appears once), no triangle repeats a vertex, and
                          // every vertex's triangles form one fan
  int components = 0;     // connected components (by shared vertices)
  int euler_characteristic = 0;        // V - E + F over used vertices
  std::size_t boundary_edges = 0;      // edges with one triangle
  std::size_t non_manifold_edges = 0;  // edges with more than two triangles, two triangles of the
                                       // same direction, or one vertex at both ends
};

// Throws Error{kInternal} if a triangle refers to a vertex the mesh does not have.
Topology analyze_topology(const Mesh& mesh);

// The connected component of each triangle (triangles sharing a vertex are connected), numbered
// 0, 1, ... in the order their first triangle appears.
std::vector<int> triangle_components(const Mesh& mesh);

}  // namespace orfeas
