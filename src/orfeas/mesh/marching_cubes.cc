#include "orfeas/mesh/marching_cubes.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/mesh/marching_cubes_cases.h"

namespace orfeas {
namespace {

namespace cases = marching_cubes_cases;

// A vertex never sits closer than this fraction of a cell to a sample, so vertices on different
// grid edges never coincide, and a sample exactly at iso (outside) gets a vertex just off it.
constexpr float kMinCrossing = 1e-3f;
constexpr float kMaxCrossing = 1 - kMinCrossing;

// Mark slab-local vertex ids that refer to the next slab's first plane, or to a centre point.
constexpr std::uint32_t kInNextSlab = 1u << 31;
constexpr std::uint32_t kCentre = 1u << 30;

static_assert(std::endian::native == std::endian::little, "byte scans assume little endian");

// Eight bytes from p, the first in the lowest bits.
std::uint64_t load8(const std::uint8_t* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// Calls visit(n) for each n < count where the 0/1 flags a[n] and b[n] differ, in order, skipping
// eight equal bytes at a time.
template <typename Visit>
void for_each_difference(const std::uint8_t* a, const std::uint8_t* b, std::size_t count,
                         Visit visit) {
  std::size_t n = 0;
  for (; n + 8 <= count; n += 8) {
    for (std::uint64_t d = load8(a + n) ^ load8(b + n); d != 0; d &= d - 1) {
      visit(n + std::countr_zero(d) / 8);
    }
  }
  for (; n < count; ++n) {
    if (a[n] != b[n]) visit(n);
  }
}

// Where along the edge from a (inside or outside) to b (the other side) the field crosses iso.
float crossing(float a, float b, float iso) {
  const float t = (iso - a) / (b - a);
  return t >= kMinCrossing ? (t <= kMaxCrossing ? t : kMaxCrossing) : kMinCrossing;  // NaN: min
}

// The part of the mesh from cell layers [k_begin, k_end). Its vertices are those of the x/y edges
// of planes k_begin..k_end-1 (and of the last plane when the slab ends the grid) and of the z edges
// of its layers, in the order a single pass over the whole grid would create them. Triangles that
// use a vertex of plane k_end owned by the next slab carry kInNextSlab and the index that vertex
// has among the next slab's vertices, which start with that plane. Centre points, which the case
// table adds for a few cells, follow all edge vertices in the mesh; ids of them carry kCentre.
struct Slab {
  int k_begin = 0, k_end = 0;
  std::vector<Vec3> vertices;
  std::vector<Vec3> centres;
  std::vector<Triangle> triangles;
};

// Meshes slabs, one at a time, with buffers sized for one plane of the field.
class SlabMesher {
 public:
  explicit SlabMesher(const Field& field)
      : f_(field),
        plane_(std::size_t(field.nx) * field.ny),
        table_(cases::case_table()),
        inside_below_(plane_),
        inside_above_(plane_),
        columns_(plane_),
        x_below_(plane_),
        y_below_(plane_),
        x_above_(plane_),
        y_above_(plane_),
        z_(plane_) {}

  void mesh(Slab& slab) {
    out_ = &slab;
    classify(slab.k_begin, inside_below_);
    add_plane_vertices(slab.k_begin, inside_below_, x_below_, y_below_, true);
    for (int k = slab.k_begin; k < slab.k_end; ++k) {
      classify(k + 1, inside_above_);
      add_z_vertices(k);
      const bool owned = k + 1 < slab.k_end || k + 1 == f_.nz - 1;
      add_plane_vertices(k + 1, inside_above_, x_above_, y_above_, owned);
      add_cells(k);
      std::swap(inside_below_, inside_above_);
      std::swap(x_below_, x_above_);
      std::swap(y_below_, y_above_);
    }
  }

 private:
  const float* plane_values(int k) const { return f_.values.data() + std::size_t(k) * plane_; }

  void classify(int k, std::vector<std::uint8_t>& inside) const {
    const float* v = plane_values(k);
    const float iso = f_.iso;
    for (std::size_t n = 0; n < plane_; ++n) inside[n] = v[n] > iso;
  }

  Vec3 point(float i, float j, float k) const { return f_.origin + Vec3{i, j, k} * f_.spacing; }

  // Creates the vertices of the crossed x and y edges of plane k, row by row (x edges first), or,
  // when the next slab owns the plane, only numbers them as it will.
  void add_plane_vertices(int k, const std::vector<std::uint8_t>& inside,
                          std::vector<std::uint32_t>& x_ids, std::vector<std::uint32_t>& y_ids,
                          bool owned) {
    const int nx = f_.nx, ny = f_.ny;
    const float* v = plane_values(k);
    const std::uint8_t* in = inside.data();
    std::uint32_t foreign = kInNextSlab;
    auto add = [&](float i, float j) {
      if (!owned) return foreign++;
      out_->vertices.push_back(point(i, j, float(k)));
      return std::uint32_t(out_->vertices.size() - 1);
    };
    for (int j = 0; j < ny; ++j) {
      const std::size_t row = std::size_t(j) * nx;
      for_each_difference(in + row, in + row + 1, nx - 1, [&](std::size_t i) {
        const std::size_t n = row + i;
        x_ids[n] = add(float(i) + crossing(v[n], v[n + 1], f_.iso), float(j));
      });
      if (j + 1 == ny) break;
      for_each_difference(in + row, in + row + nx, nx, [&](std::size_t i) {
        const std::size_t n = row + i;
        y_ids[n] = add(float(i), float(j) + crossing(v[n], v[n + nx], f_.iso));
      });
    }
  }

  // Creates the vertices of the crossed z edges between planes k and k + 1, and fills the column
  // codes of layer k: bit 0 for the sample in plane k, bit 4 for the one above.
  void add_z_vertices(int k) {
    const float* below = plane_values(k);
    const float* above = plane_values(k + 1);
    for (std::size_t n = 0; n < plane_; ++n) {
      columns_[n] = std::uint8_t(inside_below_[n] | inside_above_[n] << 4);
    }
    for_each_difference(inside_below_.data(), inside_above_.data(), plane_, [&](std::size_t n) {
      const int i = int(n % f_.nx), j = int(n / f_.nx);
      out_->vertices.push_back(
          point(float(i), float(j), float(k) + crossing(below[n], above[n], f_.iso)));
      z_[n] = std::uint32_t(out_->vertices.size() - 1);
    });
  }

  void add_cells(int k) {
    const int nx = f_.nx, ny = f_.ny;
    // Where each cell edge's vertex id lives, relative to the cell's lowest sample.
    const std::uint32_t* edge_ids[12] = {
        x_below_.data(), x_below_.data() + nx, x_above_.data(), x_above_.data() + nx,
        y_below_.data(), y_below_.data() + 1,  y_above_.data(), y_above_.data() + 1,
        z_.data(),       z_.data() + 1,        z_.data() + nx,  z_.data() + nx + 1};
    constexpr std::uint64_t kAllInside = 0x1111111111111111;  // eight columns inside in both planes
    for (int j = 0; j + 1 < ny; ++j) {
      const std::uint8_t* c0 = columns_.data() + std::size_t(j) * nx;
      const std::uint8_t* c1 = c0 + nx;
      auto cell = [&](int i) {
        const unsigned cell_case = c0[i] | c0[i + 1] << 1 | c1[i] << 2 | c1[i + 1] << 3;
        if (cell_case != 0 && cell_case != 255) add_cell(cell_case, i, j, k, edge_ids);
      };
      int i = 0;
      // Eight cells at a time while they read columns i..i+8 of the row; most are all out or in.
      for (; i + 8 < nx; i += 8) {
        const std::uint64_t a = load8(c0 + i), b = load8(c1 + i), a1 = load8(c0 + i + 1),
                            b1 = load8(c1 + i + 1);
        if ((a | b | a1 | b1) == 0 || (a & b & a1 & b1) == kAllInside) continue;
        for (int m = i; m < i + 8; ++m) cell(m);
      }
      for (; i + 1 < nx; ++i) cell(i);
    }
  }

  void add_cell(unsigned cell_case, int i, int j, int k, const std::uint32_t* const* edge_ids) {
    const cases::CellCase& cell = table_.cases[cell_case];
    unsigned variant = cell.first_variant;
    if (cell.ambiguous_count > 0) variant += ambiguity_bits(cell, i, j, k);
    const std::size_t n = std::size_t(j) * f_.nx + i;
    std::uint32_t ids[cases::kFirstCentre + cases::kMaxCentres];
    for (unsigned edges = cell.crossed_edges; edges != 0; edges &= edges - 1) {
      const int e = std::countr_zero(edges);
      ids[e] = edge_ids[e][n];
    }
    const cases::CellVariant& triangles = table_.variants[variant];
    for (int m = 0; m < triangles.centre_count; ++m) {
      ids[cases::kFirstCentre + m] = kCentre | std::uint32_t(out_->centres.size());
      out_->centres.push_back(centre_point(triangles.centres[m], i, j, k));
    }
    for (int t = 0; t < triangles.triangle_count; ++t) {
      const auto& corners = table_.triangles[triangles.first_triangle + t];
      out_->triangles.push_back({ids[corners[0]], ids[corners[1]], ids[corners[2]]});
    }
  }

  // The mean of the crossing points on the given edges of cell (i, j, k).
  Vec3 centre_point(unsigned edges, int i, int j, int k) const {
    const float weight = 1.0f / float(std::popcount(edges));
    Vec3 sum;
    for (; edges != 0; edges &= edges - 1) {
      const int e = std::countr_zero(edges);
      const auto [a, b] = cases::edge_corners(e);
      const int ai = i + (a & 1), aj = j + (a >> 1 & 1), ak = k + (a >> 2 & 1);
      Vec3 p{float(ai), float(aj), float(ak)};
      p[e / 4] += crossing(f_.at(ai, aj, ak),
                           f_.at(i + (b & 1), j + (b >> 1 & 1), k + (b >> 2 & 1)), f_.iso);
      sum = sum + p;
    }
    return point(sum.x * weight, sum.y * weight, sum.z * weight);
  }

  unsigned ambiguity_bits(const cases::CellCase& cell, int i, int j, int k) const {
    float v[8];
    for (int c = 0; c < 8; ++c) {
      v[c] = f_.at(i + (c & 1), j + (c >> 1 & 1), k + (c >> 2 & 1)) - f_.iso;
    }
    unsigned bits = 0;
    for (int m = 0; m < cell.ambiguous_count; ++m) {
      const auto& q = cases::kFaceCorners[cell.ambiguous_faces[m]];
      bits |= unsigned(cases::inside_connected(v[q[0]], v[q[1]], v[q[2]], v[q[3]])) << m;
    }
    return bits;
  }

  const Field& f_;
  const std::size_t plane_;
  const cases::CaseTable& table_;
  Slab* out_ = nullptr;
  std::vector<std::uint8_t> inside_below_, inside_above_, columns_;
  std::vector<std::uint32_t> x_below_, y_below_, x_above_, y_above_, z_;
};

// Runs `worker` on `threads` threads, the calling one included, and rethrows the first exception.
void on_threads(int threads, const std::function<void()>& worker) {
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto guarded = [&] {
    try {
      worker();
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(guarded);
    guarded();
  }
  if (failure) std::rethrow_exception(failure);
}

// Concatenates the slabs in order, edge vertices first, then centre points, and resolves the ids
// that point into the next slab or at centres.
Mesh join(std::vector<Slab>& slabs, int threads) {
  std::vector<std::size_t> first_vertex(slabs.size() + 1, 0), first_centre(slabs.size() + 1, 0),
      first_triangle(slabs.size() + 1, 0);
  for (std::size_t s = 0; s < slabs.size(); ++s) {
    first_vertex[s + 1] = first_vertex[s] + slabs[s].vertices.size();
    first_triangle[s + 1] = first_triangle[s] + slabs[s].triangles.size();
  }
  first_centre[0] = first_vertex.back();
  for (std::size_t s = 0; s < slabs.size(); ++s) {
    first_centre[s + 1] = first_centre[s] + slabs[s].centres.size();
  }
  if (first_centre.back() > std::numeric_limits<std::uint32_t>::max()) {
    throw Error(ErrorCode::kTooLarge, "marching cubes: more vertices than 32-bit indices can hold");
  }
  Mesh mesh;
  mesh.vertices.resize(first_centre.back());
  mesh.triangles.resize(first_triangle.back());
  auto copy_slab = [&](std::size_t s) {
    Slab& slab = slabs[s];
    std::copy(slab.vertices.begin(), slab.vertices.end(), mesh.vertices.begin() + first_vertex[s]);
    std::copy(slab.centres.begin(), slab.centres.end(), mesh.vertices.begin() + first_centre[s]);
    const auto own = std::uint32_t(first_vertex[s]), next = std::uint32_t(first_vertex[s + 1]),
               centres = std::uint32_t(first_centre[s]);
    Triangle* out = mesh.triangles.data() + first_triangle[s];
    for (const Triangle& t : slab.triangles) {
      for (int c = 0; c < 3; ++c) {
        const std::uint32_t id = t[c];
        (*out)[c] = id & kInNextSlab ? next + (id & ~kInNextSlab)
                    : id & kCentre   ? centres + (id & ~kCentre)
                                     : own + id;
      }
      ++out;
    }
    slab = Slab{};
  };
  std::atomic<std::size_t> next_slab{0};
  on_threads(threads, [&] {
    for (std::size_t s = next_slab++; s < slabs.size(); s = next_slab++) copy_slab(s);
  });
  return mesh;
}

}  // namespace

Mesh marching_cubes(const Field& field, int threads) {
  if (field.nx < 0 || field.ny < 0 || field.nz < 0 ||
      field.values.size() != std::size_t(field.nx) * field.ny * field.nz) {
    throw Error(ErrorCode::kInternal, "marching cubes: field size does not match its dimensions");
  }
  if (field.nx < 2 || field.ny < 2 || field.nz < 2) return {};
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  const int layers = field.nz - 1;
  // Several slabs per thread balance the load; a single thread needs no split.
  const int slab_count = threads == 1 ? 1 : std::min(layers, 4 * threads);
  std::vector<Slab> slabs(slab_count);
  for (int s = 0; s < slab_count; ++s) {
    slabs[s].k_begin = int(std::int64_t(layers) * s / slab_count);
    slabs[s].k_end = int(std::int64_t(layers) * (s + 1) / slab_count);
  }
  threads = std::min(threads, slab_count);
  std::atomic<int> next_slab{0};
  on_threads(threads, [&] {
    SlabMesher mesher(field);
    for (int s = next_slab++; s < slab_count; s = next_slab++) mesher.mesh(slabs[s]);
  });
  return join(slabs, threads);
}

}  // namespace orfeas
