#include "orfeas/neural/volume_decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

// Official markers: logits at or below this are "not decoded" in the near-surface test, and
// samples with |logit| below kUncertainLogit are refined whatever their neighbours.
constexpr double kUndecodedBelow = -9000.0;
constexpr double kUncertainLogit = 0.95;

Error bad_volume(const std::string& message) {
  return Error(ErrorCode::kBadInput, "volume decoding: " + message);
}

void check_latents(const at::Tensor& latents) {
  if (latents.dim() != 3) throw bad_volume("latents must be [batch, tokens, width]");
}

void check_options(const VolumeDecodingOptions& options) {
  if (!(options.bounds > 0.0)) throw bad_volume("bounds must be positive");
  if (options.num_chunks <= 0) throw bad_volume("num_chunks must be positive");
}

// Logits [B, P] (decoder dtype) at queries [B, P, 3], num_chunks points per call.
at::Tensor decode_points(const GeometryDecoder& decoder, const LatentKeysValues& keys_values,
                         const at::Tensor& queries, int64_t num_chunks) {
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < queries.size(1); start += num_chunks) {
    const at::Tensor chunk = queries.slice(1, start, start + num_chunks);
    chunks.push_back(decoder.forward(chunk, keys_values).squeeze(-1));
  }
  return at::cat(chunks, 1);
}

// The dense grid at `resolution`, in the decoder's dtype.
at::Tensor decode_grid(const GeometryDecoder& decoder, const LatentKeysValues& keys_values,
                       int64_t batch, int64_t resolution, const VolumeDecodingOptions& options) {
  const at::Tensor points = dense_grid_points(resolution, options.bounds)
                                .to(keys_values.k.device(), decoder.dtype())
                                .expand({batch, -1, 3});
  const int64_t n = resolution + 1;
  return decode_points(decoder, keys_values, points, options.num_chunks).view({batch, n, n, n});
}

// x's neighbour one step along `dim` (+1 or -1), the border sample repeating.
at::Tensor neighbour(const at::Tensor& x, int64_t dim, int64_t step) {
  const int64_t n = x.size(dim);
  if (step > 0) return at::cat({x.slice(dim, 1, n), x.slice(dim, n - 1, n)}, dim);
  return at::cat({x.slice(dim, 0, 1), x.slice(dim, 0, n - 1)}, dim);
}

// The decoded samples of grids [B, D, D, D] where the sign of logit + mc_level differs from that
// of one of the six neighbours (undecoded neighbours count as equal).
at::Tensor sign_changes(const at::Tensor& grid, double mc_level) {
  const at::Tensor value = grid + mc_level;
  const at::Tensor decoded = value > kUndecodedBelow;
  const at::Tensor sign = value.to(at::kFloat).sign();
  at::Tensor changes = at::zeros_like(decoded);
  for (int64_t dim = 1; dim <= 3; ++dim) {
    for (int64_t step : {1, -1}) {
      const at::Tensor next = neighbour(value, dim, step);
      const at::Tensor compared = at::where(next > kUndecodedBelow, next, value);
      changes = changes | (compared.to(at::kFloat).sign() != sign);
    }
  }
  return changes & decoded;
}

// Flags [B, D, D, D] grown by one sample in every direction (3x3x3).
at::Tensor dilate(const at::Tensor& flags, at::ScalarType dtype) {
  const at::Tensor grown =
      at::max_pool3d(flags.unsqueeze(1).to(dtype), {3, 3, 3}, {1, 1, 1}, {1, 1, 1});
  return grown.squeeze(1) > 0;
}

// The samples of the next level to decode: [B, R+1, R+1, R+1] flags.
at::Tensor refinement_marks(const at::Tensor& grid, int64_t resolution, bool last_level,
                            double mc_level, at::ScalarType dtype) {
  at::Tensor keep = sign_changes(grid, mc_level) | (grid.abs() < kUncertainLogit);
  if (!last_level) keep = dilate(keep, dtype);
  const int64_t coarse = grid.size(1), n = resolution + 1;
  at::Tensor marks = at::zeros({grid.size(0), n, n, n}, keep.options());
  marks.slice(1, 0, 2 * coarse - 1, 2)
      .slice(2, 0, 2 * coarse - 1, 2)
      .slice(3, 0, 2 * coarse - 1, 2)
      .copy_(keep);
  for (int times = last_level ? 2 : 1; times > 0; --times) marks = dilate(marks, dtype);
  return marks;
}

// Logits (decoder dtype) at the marked samples of a grid at `resolution`, NaN elsewhere. Each
// latent set's points are padded to the batch's largest count so that one decoder call serves the
// whole batch.
at::Tensor decode_marked(const GeometryDecoder& decoder, const LatentKeysValues& keys_values,
                         const at::Tensor& marks, int64_t resolution,
                         const VolumeDecodingOptions& options) {
  const int64_t batch = marks.size(0);
  const auto step = static_cast<float>(2.0 * options.bounds / static_cast<double>(resolution));
  const auto origin = static_cast<float>(-options.bounds);
  std::vector<at::Tensor> points(batch);
  int64_t most = 0;
  for (int64_t b = 0; b < batch; ++b) {
    points[b] = marks[b].nonzero().to(at::kFloat) * step + origin;
    most = std::max(most, points[b].size(0));
  }
  at::Tensor grid = at::full(marks.sizes(), std::numeric_limits<float>::quiet_NaN(),
                             marks.options().dtype(decoder.dtype()));
  if (most == 0) return grid;
  at::Tensor queries = at::zeros({batch, most, 3}, points[0].options());
  for (int64_t b = 0; b < batch; ++b) queries[b].slice(0, 0, points[b].size(0)).copy_(points[b]);
  const at::Tensor logits = decode_points(decoder, keys_values, queries, options.num_chunks);
  for (int64_t b = 0; b < batch; ++b) {
    grid[b].masked_scatter_(marks[b], logits[b].slice(0, 0, points[b].size(0)));
  }
  return grid;
}

// Fills the NaN run of a line of n values `stride` apart from its nearest non-NaN values (the lower
// one on a tie). Returns false, leaving it, when the line is all NaN.
bool fill_line(float* values, int64_t n, int64_t stride) {
  int64_t last = -1;
  for (int64_t i = 0; i < n; ++i) {
    const float value = values[i * stride];
    if (std::isnan(value)) continue;
    for (int64_t m = last + 1; m < i; ++m) {
      values[m * stride] = (last >= 0 && m - last <= i - m) ? values[last * stride] : value;
    }
    last = i;
  }
  if (last < 0) return false;
  for (int64_t m = last + 1; m < n; ++m) values[m * stride] = values[last * stride];
  return true;
}

void fill_undecoded(Field& field) {
  const int64_t nx = field.nx, ny = field.ny, nz = field.nz;
  float* v = field.values.data();
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t j = 0; j < ny; ++j) fill_line(v + (k * ny + j) * nx, nx, 1);
  }
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t i = 0; i < nx; ++i) fill_line(v + k * ny * nx + i, ny, nx);
  }
  bool any_decoded = false;
  for (int64_t j = 0; j < ny; ++j) {
    for (int64_t i = 0; i < nx; ++i) any_decoded |= fill_line(v + j * nx + i, nz, nx * ny);
  }
  if (!any_decoded) std::fill(field.values.begin(), field.values.end(), -1.0f);
}

}  // namespace

at::Tensor dense_grid_points(int64_t resolution, double bounds) {
  if (resolution <= 0) throw bad_volume("resolution must be positive");
  const int64_t n = resolution + 1;
  // np.linspace: start + i·step in double, the last sample exactly at the end.
  const double step = 2.0 * bounds / static_cast<double>(resolution);
  at::Tensor axis = at::arange(n, at::kDouble) * step - bounds;
  axis[resolution] = bounds;
  axis = axis.to(at::kFloat);
  const std::vector<at::Tensor> mesh = at::meshgrid({axis, axis, axis}, "ij");
  return at::stack(mesh, -1).reshape({n * n * n, 3});
}

at::Tensor decode_dense_volume(const GeometryDecoder& decoder, const at::Tensor& latents,
                               int64_t resolution, const VolumeDecodingOptions& options) {
  check_latents(latents);
  check_options(options);
  const LatentKeysValues keys_values = decoder.keys_values(latents);
  return decode_grid(decoder, keys_values, latents.size(0), resolution, options).to(at::kFloat);
}

std::vector<int64_t> hierarchical_resolutions(int64_t octree_resolution, int64_t min_resolution) {
  if (octree_resolution <= 0 || min_resolution <= 0) {
    throw bad_volume("octree_resolution and min_resolution must be positive");
  }
  std::vector<int64_t> resolutions;
  if (octree_resolution < min_resolution) resolutions.push_back(octree_resolution);
  for (int64_t r = octree_resolution; r >= min_resolution; r /= 2) resolutions.push_back(r);
  std::reverse(resolutions.begin(), resolutions.end());
  return resolutions;
}

std::vector<int64_t> flashvdm_resolutions(int64_t octree_resolution, int64_t min_resolution,
                                          int64_t mini_grid_num) {
  if (mini_grid_num <= 0) throw bad_volume("mini_grid_num must be positive");
  std::vector<int64_t> resolutions = hierarchical_resolutions(octree_resolution, min_resolution);
  // Python's round: halves to even, as nearbyint does in the default rounding mode.
  const double grids =
      std::nearbyint(static_cast<double>(resolutions[0]) / static_cast<double>(mini_grid_num));
  resolutions[0] = static_cast<int64_t>(grids) * mini_grid_num - 1;
  if (resolutions[0] <= 0) throw bad_volume("octree_resolution too small for FlashVDM");
  for (size_t i = 1; i < resolutions.size(); ++i) resolutions[i] = resolutions[i - 1] * 2;
  return resolutions;
}

at::Tensor decode_hierarchical_volume(const GeometryDecoder& decoder, const at::Tensor& latents,
                                      const std::vector<int64_t>& resolutions,
                                      const VolumeDecodingOptions& options) {
  check_latents(latents);
  check_options(options);
  if (resolutions.empty()) throw bad_volume("no resolutions");
  for (size_t i = 1; i < resolutions.size(); ++i) {
    if (resolutions[i] < 2 * resolutions[i - 1]) {
      throw bad_volume("each resolution must be at least twice the previous one");
    }
  }
  const LatentKeysValues keys_values = decoder.keys_values(latents);
  at::Tensor grid = decode_grid(decoder, keys_values, latents.size(0), resolutions[0], options);
  for (size_t level = 1; level < resolutions.size(); ++level) {
    const bool last_level = level + 1 == resolutions.size();
    const at::Tensor marks =
        refinement_marks(grid, resolutions[level], last_level, options.mc_level, decoder.dtype());
    grid = decode_marked(decoder, keys_values, marks, resolutions[level], options);
  }
  return grid.to(at::kFloat);
}

Field volume_to_field(const at::Tensor& grid, double bounds, double mc_level) {
  if (grid.dim() != 3 || grid.size(0) != grid.size(1) || grid.size(0) != grid.size(2) ||
      grid.size(0) < 2) {
    throw bad_volume("a field needs a cubic grid of at least 2 samples a side");
  }
  const at::Tensor values = grid.to(at::kCPU, at::kFloat).contiguous();
  const float* g = values.const_data_ptr<float>();
  const int n = static_cast<int>(grid.size(0));
  const int last = n - 1;
  Field field = Field::filled(n, n, n, 0.0f);
  field.origin = Vec3{-1.0f, -1.0f, -1.0f} * static_cast<float>(bounds);
  field.spacing = static_cast<float>(2.0 * bounds / last);
  field.iso = 0.0f;
  const auto level = static_cast<float>(mc_level);
  // Ours (i, j, k) = theirs (x = i, y = k, z = last - j).
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) {
        field.at(i, j, k) = g[(static_cast<int64_t>(i) * n + k) * n + (last - j)] - level;
      }
    }
  }
  fill_undecoded(field);
  return field;
}

}  // namespace orfeas::neural
