#include "orfeas/mesh/measure.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

namespace orfeas {

double mesh_volume(const Mesh& mesh) {
  double six_volume = 0;
  for (const Triangle& t : mesh.triangles) {
    const Vec3 &a = mesh.vertices[t[0]], &b = mesh.vertices[t[1]], &c = mesh.vertices[t[2]];
    // det[a b c] in double: the float cross product loses too much on large meshes.
    six_volume += double(a.x) * (double(b.y) * c.z - double(b.z) * c.y) +
                  double(a.y) * (double(b.z) * c.x - double(b.x) * c.z) +
                  double(a.z) * (double(b.x) * c.y - double(b.y) * c.x);
  }
  return six_volume / 6;
}

double mesh_area(const Mesh& mesh) {
  double twice_area = 0;
  for (const Triangle& t : mesh.triangles) {
    const Vec3 &a = mesh.vertices[t[0]], &b = mesh.vertices[t[1]], &c = mesh.vertices[t[2]];
    twice_area += length(cross(b - a, c - a));
  }
  return twice_area / 2;
}

namespace {

using Point = std::array<double, 3>;

// Rays through the field in grid-index coordinates, with the field's iso-level at 0.
class WallProbe {
 public:
  explicit WallProbe(const Field& field) : f_(field) { measure_full_blocks(); }

  // Inside the wall at sample (i, j, k), the length of the chord through it along the field's
  // gradient, or anything above `limit` when the chord is longer. Negative: no gradient.
  double chord(int i, int j, int k, double limit) const {
    const Point g = gradient(i, j, k);
    const double norm = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    if (!(norm > 0)) return -1;
    const Point p{double(i), double(j), double(k)};
    const Point up{g[0] / norm, g[1] / norm, g[2] / norm};
    const Point down{-up[0], -up[1], -up[2]};
    const double near = exit_distance(p, down, limit);
    return near > limit ? near : near + exit_distance(p, up, limit - near);
  }

 private:
  static constexpr int kBlock = 4;        // cells per block side
  static constexpr double kStep = 0.5;    // ray step outside full blocks, in cells
  static constexpr double kNudge = 1e-6;  // past a block face, into the next block

  // Value minus iso by trilinear interpolation; -1 off the grid.
  double value(const Point& x) const {
    if (!(x[0] >= 0 && x[0] <= f_.nx - 1 && x[1] >= 0 && x[1] <= f_.ny - 1 && x[2] >= 0 &&
          x[2] <= f_.nz - 1)) {
      return -1;
    }
    const int i = std::min(int(x[0]), f_.nx - 2), j = std::min(int(x[1]), f_.ny - 2),
              k = std::min(int(x[2]), f_.nz - 2);
    const double u = x[0] - i, v = x[1] - j, w = x[2] - k;
    const float* p = f_.values.data() + f_.index(i, j, k);
    const std::size_t dy = f_.nx, dz = std::size_t(f_.nx) * f_.ny;
    auto lerp = [](double a, double b, double t) { return a + (b - a) * t; };
    const double y0 = lerp(lerp(p[0], p[1], u), lerp(p[dy], p[dy + 1], u), v);
    const double y1 = lerp(lerp(p[dz], p[dz + 1], u), lerp(p[dz + dy], p[dz + dy + 1], u), v);
    return lerp(y0, y1, w) - f_.iso;
  }

  Point gradient(int i, int j, int k) const {
    auto difference = [&](int di, int dj, int dk, int index, int n) {
      const int lo = std::max(index - 1, 0), hi = std::min(index + 1, n - 1);
      const float a = f_.at(di ? lo : i, dj ? lo : j, dk ? lo : k);
      const float b = f_.at(di ? hi : i, dj ? hi : j, dk ? hi : k);
      return double(b - a) / std::max(hi - lo, 1);
    };
    return {difference(1, 0, 0, i, f_.nx), difference(0, 1, 0, j, f_.ny),
            difference(0, 0, 1, k, f_.nz)};
  }

  // Splits the cells into blocks of kBlock^3 and gives each its depth: 0 unless all its samples
  // (faces included) are inside, so that the trilinear value is positive throughout it; else the
  // distance, in blocks along the worst axis, to the nearest block of depth 0 or the grid's edge.
  // Every block within depth - 1 of a block of that depth is then full, and a ray crosses them in
  // one step.
  void measure_full_blocks() {
    const int n[3] = {f_.nx, f_.ny, f_.nz};
    for (int a = 0; a < 3; ++a) blocks_[a] = (n[a] - 2) / kBlock + 1;
    depth_.assign(std::size_t(blocks_[0]) * blocks_[1] * blocks_[2], 0);
    constexpr std::uint16_t kFar = 0xffff;
    for (int bz = 0; bz < blocks_[2]; ++bz) {
      for (int by = 0; by < blocks_[1]; ++by) {
        for (int bx = 0; bx < blocks_[0]; ++bx) {
          depth_[block_index(bx, by, bz)] = block_full(bx, by, bz) ? kFar : 0;
        }
      }
    }
    // Chessboard distance transform: a forward and a backward sweep over the 26 neighbours.
    for (int sweep : {1, -1}) {
      for (int bz = sweep > 0 ? 0 : blocks_[2] - 1; bz >= 0 && bz < blocks_[2]; bz += sweep) {
        for (int by = sweep > 0 ? 0 : blocks_[1] - 1; by >= 0 && by < blocks_[1]; by += sweep) {
          for (int bx = sweep > 0 ? 0 : blocks_[0] - 1; bx >= 0 && bx < blocks_[0]; bx += sweep) {
            std::uint16_t& d = depth_[block_index(bx, by, bz)];
            if (d == 0) continue;
            for (int m = 0; m < 27; ++m) {
              const int dx = m % 3 - 1, dy = m / 3 % 3 - 1, dz = m / 9 - 1;
              // The neighbours the sweep has already passed.
              const int order = (dz * 3 + dy) * 3 + dx;
              if ((sweep > 0) != (order < 0) || order == 0) continue;
              const int x = bx + dx, y = by + dy, z = bz + dz;
              const bool on_grid =
                  x >= 0 && y >= 0 && z >= 0 && x < blocks_[0] && y < blocks_[1] && z < blocks_[2];
              const int neighbour = on_grid ? depth_[block_index(x, y, z)] : 0;
              d = std::uint16_t(std::min<int>(d, neighbour + 1));
            }
          }
        }
      }
    }
  }

  bool block_full(int bx, int by, int bz) const {
    const int i0 = bx * kBlock, j0 = by * kBlock, k0 = bz * kBlock;
    const int i1 = std::min(i0 + kBlock, f_.nx - 1), j1 = std::min(j0 + kBlock, f_.ny - 1),
              k1 = std::min(k0 + kBlock, f_.nz - 1);
    for (int k = k0; k <= k1; ++k) {
      for (int j = j0; j <= j1; ++j) {
        for (int i = i0; i <= i1; ++i) {
          if (!(f_.at(i, j, k) > f_.iso)) return false;
        }
      }
    }
    return true;
  }

  std::size_t block_index(int bx, int by, int bz) const {
    return (std::size_t(bz) * blocks_[1] + by) * blocks_[0] + bx;
  }

  // How far along dir from x the ray stays within full blocks: 0 unless x's block is full.
  double full_run(const Point& x, const Point& dir) const {
    int b[3];
    for (int a = 0; a < 3; ++a) b[a] = std::min(int(x[a]) / kBlock, blocks_[a] - 1);
    const int depth = depth_[block_index(b[0], b[1], b[2])];
    if (depth == 0) return 0;
    const int n[3] = {f_.nx, f_.ny, f_.nz};
    double run = std::numeric_limits<double>::infinity();
    for (int a = 0; a < 3; ++a) {
      const double lo = double(b[a] - depth + 1) * kBlock;
      const double hi = std::min(double(b[a] + depth) * kBlock, double(n[a] - 1));
      if (dir[a] > 0) run = std::min(run, (hi - x[a]) / dir[a]);
      if (dir[a] < 0) run = std::min(run, (lo - x[a]) / dir[a]);
    }
    return run;
  }

  // How far the ray from `start` (inside) travels before the value drops to iso, or anything above
  // `limit` if it does not within limit.
  double exit_distance(const Point& start, const Point& dir, double limit) const {
    auto at = [&](double t) {
      return Point{start[0] + dir[0] * t, start[1] + dir[1] * t, start[2] + dir[2] * t};
    };
    double t = 0, v_prev = value(start);
    while (t <= limit) {
      const double run = full_run(at(t), dir);
      if (run > 0) {
        t += run + kNudge;
        v_prev = value(at(t));
        if (v_prev <= 0) return t;
        continue;
      }
      const double v = value(at(t + kStep));
      if (v <= 0) return t + kStep * v_prev / (v_prev - v);
      t += kStep;
      v_prev = v;
    }
    return t;
  }

  const Field& f_;
  int blocks_[3] = {1, 1, 1};
  std::vector<std::uint16_t> depth_;
};

// The wall reported is the chord of this rank, thinnest first, so that a few stray rays cannot
// raise a warning alone.
constexpr std::size_t kRank = 8;

}  // namespace

double thinnest_wall(const Field& field) {
  if (field.nx < 2 || field.ny < 2 || field.nz < 2) return 0;
  const WallProbe probe(field);
  // The kRank thinnest chords so far, thickest on top; rays stop once they exceed it.
  std::priority_queue<double> thinnest;
  auto limit = [&] {
    return thinnest.size() < kRank ? std::numeric_limits<double>::max() : thinnest.top();
  };
  auto outside = [&](int i, int j, int k) {
    return i < 0 || j < 0 || k < 0 || i >= field.nx || j >= field.ny || k >= field.nz ||
           !(field.at(i, j, k) > field.iso);
  };
  for (int k = 0; k < field.nz; ++k) {
    for (int j = 0; j < field.ny; ++j) {
      for (int i = 0; i < field.nx; ++i) {
        if (outside(i, j, k)) continue;
        if (!outside(i - 1, j, k) && !outside(i + 1, j, k) && !outside(i, j - 1, k) &&
            !outside(i, j + 1, k) && !outside(i, j, k - 1) && !outside(i, j, k + 1)) {
          continue;
        }
        const double chord = probe.chord(i, j, k, limit());
        if (chord < 0 || chord > limit()) continue;
        thinnest.push(chord);
        if (thinnest.size() > kRank) thinnest.pop();
      }
    }
  }
  return thinnest.empty() ? 0 : thinnest.top() * field.spacing;
}

}  // namespace orfeas
