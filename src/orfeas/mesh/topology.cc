#include "orfeas/mesh/topology.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

class DisjointSets {
 public:
  explicit DisjointSets(std::size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0u);
  }
  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void unite(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::uint32_t> parent_;
};

void check_indices(const Mesh& mesh) {
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) {
      if (v >= mesh.vertices.size()) {
        throw Error(ErrorCode::kInternal, "mesh triangle refers to a missing vertex");
      }
    }
  }
}

// Lists, for each vertex, the items added for it, in the order they were added (a compressed
// adjacency list built in two passes: count, then fill).
template <typename Item>
class VertexBuckets {
 public:
  explicit VertexBuckets(std::size_t vertex_count) : first_(vertex_count + 2, 0) {}
  void count(std::uint32_t v) { ++first_[v + 2]; }
  void allocate() {
    std::partial_sum(first_.begin(), first_.end(), first_.begin());
    items_.resize(first_.back());
  }
  void add(std::uint32_t v, Item item) { items_[first_[v + 1]++] = item; }
  // After every add: the items of vertex v.
  std::pair<Item*, Item*> of(std::uint32_t v) {
    return {items_.data() + first_[v], items_.data() + first_[v + 1]};
  }

 private:
  std::vector<std::size_t> first_;
  std::vector<Item> items_;
};

struct HalfEdge {
  std::uint32_t other;  // the higher-numbered end; the bucket is the lower
  bool forward;         // runs from the lower end to the higher
};

// Counts edges and classifies them by their half-edges.
void classify_edges(const Mesh& mesh, Topology& topology, std::size_t& edge_count) {
  VertexBuckets<HalfEdge> buckets(mesh.vertices.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (const Triangle& t : mesh.triangles) {
      for (int c = 0; c < 3; ++c) {
        const std::uint32_t a = t[c], b = t[(c + 1) % 3];
        if (pass == 0) {
          buckets.count(std::min(a, b));
        } else {
          buckets.add(std::min(a, b), {std::max(a, b), a < b});
        }
      }
    }
    if (pass == 0) buckets.allocate();
  }
  edge_count = 0;
  for (std::uint32_t v = 0; v < mesh.vertices.size(); ++v) {
    auto [begin, end] = buckets.of(v);
    std::sort(begin, end, [](HalfEdge a, HalfEdge b) { return a.other < b.other; });
    for (HalfEdge* run = begin; run != end;) {
      HalfEdge* run_end = run;
      int forward = 0;
      for (; run_end != end && run_end->other == run->other; ++run_end) forward += run_end->forward;
      const auto count = run_end - run;
      ++edge_count;
      if (run->other == v || count > 2 || (count == 2 && forward != 1)) {
        ++topology.non_manifold_edges;
      } else if (count == 1) {
        ++topology.boundary_edges;
      }
      if (count != 2) topology.closed = false;
      run = run_end;
    }
  }
}

// Whether the link of a vertex - the edge opposite it in each of its triangles - is one path or
// one cycle, each link vertex leaving and entering at most once.
bool single_fan(const std::pair<std::uint32_t, std::uint32_t>* begin,
                const std::pair<std::uint32_t, std::uint32_t>* end) {
  const auto n = end - begin;
  for (auto a = begin; a != end; ++a) {
    for (auto b = a + 1; b != end; ++b) {
      if (a->first == b->first || a->second == b->second) return false;
    }
  }
  // Start where no edge enters (a path), else anywhere (a cycle); one walk must cover all.
  auto start = begin;
  for (auto a = begin; a != end; ++a) {
    if (std::none_of(begin, end, [&](const auto& b) { return b.second == a->first; })) start = a;
  }
  std::ptrdiff_t walked = 1;
  for (auto at = start;; ++walked) {
    auto next = std::find_if(begin, end, [&](const auto& b) { return b.first == at->second; });
    if (next == end || next == start) break;
    at = next;
  }
  return walked == n;
}

bool every_vertex_single_fan(const Mesh& mesh) {
  using LinkEdge = std::pair<std::uint32_t, std::uint32_t>;
  VertexBuckets<LinkEdge> links(mesh.vertices.size());
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) links.count(v);
  }
  links.allocate();
  for (const Triangle& t : mesh.triangles) {
    for (int c = 0; c < 3; ++c) links.add(t[c], {t[(c + 1) % 3], t[(c + 2) % 3]});
  }
  for (std::uint32_t v = 0; v < mesh.vertices.size(); ++v) {
    auto [begin, end] = links.of(v);
    if (begin != end && !single_fan(begin, end)) return false;
  }
  return true;
}

}  // namespace

std::vector<int> triangle_components(const Mesh& mesh) {
  check_indices(mesh);
  DisjointSets sets(mesh.vertices.size());
  for (const Triangle& t : mesh.triangles) {
    sets.unite(t[0], t[1]);
    sets.unite(t[0], t[2]);
  }
  std::vector<int> label_of_root(mesh.vertices.size(), -1);
  std::vector<int> labels;
  labels.reserve(mesh.triangles.size());
  int next_label = 0;
  for (const Triangle& t : mesh.triangles) {
    int& label = label_of_root[sets.find(t[0])];
    if (label < 0) label = next_label++;
    labels.push_back(label);
  }
  return labels;
}

Topology analyze_topology(const Mesh& mesh) {
  Topology topology;
  const std::vector<int> components = triangle_components(mesh);
  topology.components =
      components.empty() ? 0 : *std::max_element(components.begin(), components.end()) + 1;
  topology.closed = true;
  std::size_t edge_count = 0;
  classify_edges(mesh, topology, edge_count);
  topology.manifold = topology.non_manifold_edges == 0 && every_vertex_single_fan(mesh);

  std::vector<bool> used(mesh.vertices.size(), false);
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) used[v] = true;
  }
  const auto used_count = std::count(used.begin(), used.end(), true);
  topology.euler_characteristic = int(used_count) - int(edge_count) + int(mesh.triangles.size());
  return topology;
}

}  // namespace orfeas
