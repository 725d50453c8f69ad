#include "orfeas/mesh/cleanup.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <utility>
#include <vector>

#include "orfeas/mesh/topology.h"

namespace orfeas {

std::size_t remove_small_components(Mesh& mesh, double min_fraction) {
  const std::vector<int> component = triangle_components(mesh);
  if (component.empty()) return 0;
  std::vector<std::size_t> size(*std::max_element(component.begin(), component.end()) + 1, 0);
  for (int c : component) ++size[c];
  const double min_size = min_fraction * double(*std::max_element(size.begin(), size.end()));
  std::size_t kept = 0;
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    if (double(size[component[t]]) >= min_size) mesh.triangles[kept++] = mesh.triangles[t];
  }
  mesh.triangles.resize(kept);
  return std::count_if(size.begin(), size.end(),
                       [&](std::size_t s) { return double(s) < min_size; });
}

std::size_t remove_degenerate_triangles(Mesh& mesh) {
  // Each vertex points at the vertex it was welded into, always a lower-numbered one.
  std::vector<std::uint32_t> target(mesh.vertices.size());
  std::iota(target.begin(), target.end(), 0u);
  auto root = [&](std::uint32_t v) {
    while (target[v] != v) v = target[v] = target[target[v]];
    return v;
  };
  for (const Triangle& t : mesh.triangles) {
    for (int c = 0; c < 3; ++c) {
      const std::uint32_t a = root(t[c]), b = root(t[(c + 1) % 3]);
      if (a != b && mesh.vertices[a] == mesh.vertices[b]) target[std::max(a, b)] = std::min(a, b);
    }
  }
  std::size_t kept = 0;
  for (const Triangle& t : mesh.triangles) {
    const Triangle welded{root(t[0]), root(t[1]), root(t[2])};
    if (welded[0] != welded[1] && welded[1] != welded[2] && welded[2] != welded[0]) {
      mesh.triangles[kept++] = welded;
    }
  }
  const std::size_t removed = mesh.triangles.size() - kept;
  mesh.triangles.resize(kept);
  return removed;
}

std::size_t remove_folds(Mesh& mesh) {
  struct Entry {
    Triangle sorted;
    bool turned;  // not a rotation of `sorted`: the other winding
    std::size_t index;
  };
  std::vector<Entry> entries;
  entries.reserve(mesh.triangles.size());
  for (std::size_t i = 0; i < mesh.triangles.size(); ++i) {
    const Triangle& t = mesh.triangles[i];
    Triangle sorted = t;
    std::sort(sorted.begin(), sorted.end());
    const auto lowest = std::min_element(t.begin(), t.end()) - t.begin();
    entries.push_back({sorted, t[(lowest + 1) % 3] != sorted[1], i});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.sorted, a.turned, a.index) < std::tie(b.sorted, b.turned, b.index);
  });
  std::vector<bool> removed(mesh.triangles.size(), false);
  for (std::size_t first = 0; first < entries.size();) {
    std::size_t turned = first, last = first;
    while (last < entries.size() && entries[last].sorted == entries[first].sorted) ++last;
    while (turned < last && !entries[turned].turned) ++turned;
    // Pair each triangle of one winding with one of the other.
    for (std::size_t a = first, b = turned; a < turned && b < last; ++a, ++b) {
      removed[entries[a].index] = removed[entries[b].index] = true;
    }
    first = last;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < mesh.triangles.size(); ++i) {
    if (!removed[i]) mesh.triangles[kept++] = mesh.triangles[i];
  }
  const std::size_t count = mesh.triangles.size() - kept;
  mesh.triangles.resize(kept);
  return count;
}

namespace {

// Corner c of triangle t is 3t + c; a half-edge is named by the corner it leaves from.
std::size_t next_corner(std::size_t corner) { return corner - corner % 3 + (corner + 1) % 3; }

// The corners of each vertex.
class CornersOfVertices {
 public:
  explicit CornersOfVertices(const Mesh& mesh) : first_(mesh.vertices.size() + 1, 0) {
    for (const Triangle& t : mesh.triangles) {
      for (std::uint32_t v : t) ++first_[v + 1];
    }
    std::partial_sum(first_.begin(), first_.end(), first_.begin());
    corners_.resize(first_.back());
    std::vector<std::size_t> fill(first_.begin(), first_.end() - 1);
    for (std::size_t c = 0; c < mesh.triangles.size() * 3; ++c) {
      corners_[fill[mesh.triangles[c / 3][c % 3]]++] = c;
    }
  }
  std::vector<std::size_t> of(std::uint32_t v) const {
    return {corners_.begin() + first_[v], corners_.begin() + first_[v + 1]};
  }

 private:
  std::vector<std::size_t> first_;
  std::vector<std::size_t> corners_;
};

// Pairs the half-edges of an edge (a, b) that more than two triangles share by walking a's fans:
// each triangle (a, b, y) pairs with the triangle (a, x, b) its fan around a reaches without
// crossing (a, b). Pairs are (half-edge a -> b, half-edge b -> a). Empty when a walk meets another
// such edge.
std::vector<std::pair<std::size_t, std::size_t>> pair_by_fans(const Mesh& mesh,
                                                              const CornersOfVertices& corners,
                                                              std::uint32_t a, std::uint32_t b) {
  struct Link {
    std::uint32_t from, to;  // the edge opposite a in a triangle, in its winding
    std::size_t corner;      // a's corner in that triangle
  };
  std::vector<Link> links;
  for (std::size_t c : corners.of(a)) {
    const std::size_t c1 = next_corner(c), c2 = next_corner(c1);
    links.push_back({mesh.triangles[c1 / 3][c1 % 3], mesh.triangles[c2 / 3][c2 % 3], c});
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (const Link& start : links) {
    if (start.from != b) continue;
    const Link* at = &start;
    for (std::size_t steps = 0; at->to != b; ++steps) {
      const Link* next = nullptr;
      for (const Link& l : links) {
        if (l.from != at->to) continue;
        if (next != nullptr) return {};  // another shared edge: the fan forks
        next = &l;
      }
      if (next == nullptr || steps > links.size()) return {};
      at = next;
    }
    pairs.push_back({start.corner, next_corner(next_corner(at->corner))});
  }
  return pairs;
}

}  // namespace

std::size_t split_pinched_vertices(Mesh& mesh) {
  // Corners of one vertex in one fan end up in one set.
  const std::size_t corners = mesh.triangles.size() * 3;
  std::vector<std::size_t> parent(corners);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto root = [&](std::size_t c) {
    while (parent[c] != c) c = parent[c] = parent[parent[c]];
    return c;
  };
  auto unite = [&](std::size_t a, std::size_t b) {
    a = root(a);
    b = root(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  };
  struct HalfEdge {
    std::uint32_t low, high;
    std::size_t corner;
    bool forward;  // runs low -> high
  };
  std::vector<HalfEdge> half_edges;
  half_edges.reserve(corners);
  for (std::size_t t = 0; t < mesh.triangles.size(); ++t) {
    for (int c = 0; c < 3; ++c) {
      const std::uint32_t a = mesh.triangles[t][c], b = mesh.triangles[t][(c + 1) % 3];
      half_edges.push_back({std::min(a, b), std::max(a, b), 3 * t + c, a < b});
    }
  }
  std::sort(half_edges.begin(), half_edges.end(), [](const HalfEdge& x, const HalfEdge& y) {
    return std::tie(x.low, x.high, x.corner) < std::tie(y.low, y.high, y.corner);
  });
  const CornersOfVertices corners_of(mesh);
  std::vector<std::size_t> forward, backward;
  for (std::size_t first = 0, last = 0; first < half_edges.size(); first = last) {
    forward.clear();
    backward.clear();
    for (last = first; last < half_edges.size() && half_edges[last].low == half_edges[first].low &&
                       half_edges[last].high == half_edges[first].high;
         ++last) {
      (half_edges[last].forward ? forward : backward).push_back(half_edges[last].corner);
    }
    // Join the triangles across the edge two at a time, one of each direction; where more than
    // two share it, as the fans around one of its ends go, else in order.
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    if (forward.size() + backward.size() > 2) {
      const std::uint32_t low = half_edges[first].low, high = half_edges[first].high;
      pairs = pair_by_fans(mesh, corners_of, low, high);
      if (pairs.empty()) pairs = pair_by_fans(mesh, corners_of, high, low);
    }
    if (pairs.empty()) {
      for (std::size_t p = 0; p < std::min(forward.size(), backward.size()); ++p) {
        pairs.push_back({forward[p], backward[p]});
      }
    }
    // x leaves from one end and arrives at the other, where y leaves from.
    for (const auto& [x, y] : pairs) {
      unite(x, next_corner(y));
      unite(next_corner(x), y);
    }
  }
  // The first fan of each vertex keeps it; every further fan gets a copy.
  std::vector<std::size_t> owner(mesh.vertices.size(), corners);  // the fan holding the vertex
  std::vector<std::uint32_t> copy_of_fan(corners, 0);
  const std::size_t vertex_count = mesh.vertices.size();
  for (std::size_t c = 0; c < corners; ++c) {
    std::uint32_t& v = mesh.triangles[c / 3][c % 3];
    const std::size_t fan = root(c);
    if (owner[v] == corners) owner[v] = fan;
    if (owner[v] == fan) continue;
    if (copy_of_fan[fan] == 0) {
      copy_of_fan[fan] = std::uint32_t(mesh.vertices.size());
      mesh.vertices.push_back(mesh.vertices[v]);
    }
    v = copy_of_fan[fan];
  }
  return mesh.vertices.size() - vertex_count;
}

void compact_vertices(Mesh& mesh) {
  constexpr std::uint32_t kUnused = ~0u;
  std::vector<std::uint32_t> new_index(mesh.vertices.size(), kUnused);
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) new_index[v] = 0;
  }
  std::uint32_t next = 0;
  for (std::uint32_t v = 0; v < mesh.vertices.size(); ++v) {
    if (new_index[v] == kUnused) continue;
    new_index[v] = next;
    mesh.vertices[next++] = mesh.vertices[v];
  }
  mesh.vertices.resize(next);
  for (Triangle& t : mesh.triangles) {
    for (std::uint32_t& v : t) v = new_index[v];
  }
}

}  // namespace orfeas
