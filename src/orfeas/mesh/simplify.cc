#include "orfeas/mesh/simplify.h"

#include <meshoptimizer.h>

#include <vector>

#include "orfeas/mesh/cleanup.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

// How far the simplified surface may stray, relative to the mesh's extent: 0.5% of a 100 mm print
// is half a millimetre. Reaching the target triangle count comes second to this bound.
constexpr float kTargetError = 5e-3f;

static_assert(sizeof(Vec3) == 3 * sizeof(float), "meshoptimizer reads positions as float[3]");

}  // namespace

SimplifyResult simplify(const Mesh& mesh, std::size_t target_triangles) {
  SimplifyResult result{mesh, false, ""};
  if (target_triangles == 0 || mesh.triangles.size() <= target_triangles) return result;
  const Topology before = analyze_topology(mesh);
  if (!before.closed || !before.manifold) {
    result.note = "the mesh to simplify is not closed and manifold";
    return result;
  }

  std::vector<unsigned int> indices;
  indices.reserve(mesh.triangles.size() * 3);
  for (const Triangle& t : mesh.triangles) indices.insert(indices.end(), t.begin(), t.end());
  std::vector<unsigned int> simplified(indices.size());
  const std::size_t index_count = meshopt_simplify(
      simplified.data(), indices.data(), indices.size(), &mesh.vertices[0].x, mesh.vertices.size(),
      sizeof(Vec3), target_triangles * 3, kTargetError, 0, nullptr);
  Mesh candidate;
  candidate.vertices = mesh.vertices;
  candidate.triangles.resize(index_count / 3);
  for (std::size_t t = 0; t < candidate.triangles.size(); ++t) {
    candidate.triangles[t] = {simplified[3 * t], simplified[3 * t + 1], simplified[3 * t + 2]};
  }
  if (candidate.triangles.size() == mesh.triangles.size()) {
    result.note = "no triangle could be removed within the error bound";
    return result;
  }
  // meshoptimizer 0.18 collapses edges without checking that the surface stays manifold: now and
  // then two sheets end up sharing triangles (folds), an edge or a vertex. Remove the folds and
  // give each sheet its own copy of the shared vertices; the sheets then touch without joining.
  remove_folds(candidate);
  split_pinched_vertices(candidate);
  const Topology after = analyze_topology(candidate);
  if (!after.closed || !after.manifold) {
    result.note = "meshoptimizer left the surface open or pinched";
    return result;
  }
  compact_vertices(candidate);
  result.mesh = std::move(candidate);
  result.simplified = true;
  return result;
}

}  // namespace orfeas
