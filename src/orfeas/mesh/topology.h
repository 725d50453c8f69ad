// Topological facts about a triangle mesh.
#pragma once

#include <cstddef>

#include "orfeas/core/mesh.h"

namespace orfeas {

struct Topology {
  bool closed = false;    // every edge has exactly two incident triangles
  bool manifold = false;  // every edge has at most two triangles, consistently oriented, and
                          // every vertex's triangles form one fan
  int components = 0;     // connected components (by shared vertices)
  int euler_characteristic = 0;  // V - E + F over used vertices
  std::size_t boundary_edges = 0;
  std::size_t non_manifold_edges = 0;
};

Topology analyze_topology(const Mesh& mesh);

}  // namespace orfeas
