// Fields and meshes of known shape for the mesh tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "orfeas/core/field.h"
#include "orfeas/core/mesh.h"

namespace orfeas::testing {

// An n^3 field of unit spacing whose sample at position p is value(p).
template <typename Value>
Field sampled_field(int n, Value value) {
  Field field = Field::filled(n, n, n, 0);
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) field.at(i, j, k) = value(field.position(i, j, k));
    }
  }
  return field;
}

// A ball of `radius` around `centre`, as a signed distance (positive inside).
inline Field ball_field(int n, Vec3 centre, float radius) {
  return sampled_field(n, [&](Vec3 p) { return radius - length(p - centre); });
}

// A torus around the z axis through `centre`.
inline Field torus_field(int n, Vec3 centre, float major, float minor) {
  return sampled_field(n, [&](Vec3 p) {
    const Vec3 d = p - centre;
    const float ring = std::hypot(d.x, d.y) - major;
    return minor - std::hypot(ring, d.z);
  });
}

// Uniform noise in [-1, 1] (or integers in {-1, 0, 1} when `integers`, so that many samples sit
// exactly at iso), optionally box-smoothed, with every boundary sample set to -1.
inline Field noise_field(int n, std::uint32_t seed, int smoothing, bool integers = false) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::uniform_int_distribution<int> integer(-1, 1);
  Field field = Field::filled(n, n, n, 0);
  for (float& v : field.values) v = integers ? float(integer(random)) : uniform(random);
  for (int pass = 0; pass < smoothing; ++pass) {
    Field smooth = field;
    for (int k = 1; k + 1 < n; ++k) {
      for (int j = 1; j + 1 < n; ++j) {
        for (int i = 1; i + 1 < n; ++i) {
          float sum = 0;
          for (int d = -1; d <= 1; ++d) {
            sum += field.at(i + d, j, k) + field.at(i, j + d, k) + field.at(i, j, k + d);
          }
          smooth.at(i, j, k) = sum / 9;
        }
      }
    }
    field = smooth;
  }
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) {
        if (i == 0 || j == 0 || k == 0 || i == n - 1 || j == n - 1 || k == n - 1) {
          field.at(i, j, k) = -1;
        }
      }
    }
  }
  return field;
}

// An axis-aligned box from `low` to `high`, outward wound.
inline Mesh box_mesh(Vec3 low, Vec3 high) {
  Mesh mesh;
  for (int c = 0; c < 8; ++c) {
    mesh.vertices.push_back(
        {c & 1 ? high.x : low.x, c & 2 ? high.y : low.y, c & 4 ? high.z : low.z});
  }
  mesh.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                    {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
  return mesh;
}

// `b` appended to `a`.
inline Mesh merged(Mesh a, const Mesh& b) {
  const auto offset = std::uint32_t(a.vertices.size());
  a.vertices.insert(a.vertices.end(), b.vertices.begin(), b.vertices.end());
  for (Triangle t : b.triangles)
    a.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  return a;
}

}  // namespace orfeas::testing
