// Volume decoding: sampling the ShapeVAE's geometry decoder on a grid, as hy3dgen's volume decoders
// do, for a batch of latents at once.
//
// A grid has (R+1)^3 samples over [-bounds, bounds]^3: grid[b][i][j][k] is latent set b's logit at
// (t_i, t_j, t_k) in hy3dgen's frame, t_i = -bounds + i·2·bounds/R as np.linspace computes it
// (k fastest: the "ij" meshgrid order). Positive logits are inside.
//
// Both decoders compute the latents' cross-attention keys and values once per batch (the
// official decoders recompute them for every chunk of query points; the result is the same).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "orfeas/core/field.h"
#include "orfeas/neural/shape_vae.h"

namespace orfeas::neural {

struct VolumeDecodingOptions {
  double bounds = 1.01;       // the grid spans [-bounds, bounds]^3 (the official box_v)
  int64_t num_chunks = 8000;  // query points per decoder call, per latent set
  double mc_level = 0.0;      // hierarchical decoding refines around this iso-level
};

// The (R+1)^3 sample positions [(R+1)^3, 3] (float32) of the grid, in the grid's order.
at::Tensor dense_grid_points(int64_t resolution, double bounds);

// VanillaVolumeDecoder: logits [B, R+1, R+1, R+1] (float32) of latent tokens [B, N, width] (the
// ShapeVae's output) at every grid sample. The query positions are cast to the decoder's dtype
// first, as the official decoder does.
at::Tensor decode_dense_volume(const GeometryDecoder& decoder, const at::Tensor& latents,
                               int64_t resolution, const VolumeDecodingOptions& options);

// The resolutions hy3dgen's HierarchicalVolumeDecoding visits: octree_resolution halved (integer
// division) while at least min_resolution, coarsest first; just {octree_resolution} when it is
// below min_resolution. 384, 63 → {96, 192, 384}.
std::vector<int64_t> hierarchical_resolutions(int64_t octree_resolution, int64_t min_resolution);

// The resolutions FlashVDMVolumeDecoding visits: the hierarchical ones' coarsest rounded to a
// multiple of mini_grid_num minus one, then doubled level by level. 384, 63, 4 → {95, 190, 380}.
std::vector<int64_t> flashvdm_resolutions(int64_t octree_resolution, int64_t min_resolution,
                                          int64_t mini_grid_num);

// Near-surface hierarchical decoding (HierarchicalVolumeDecoding / FlashVDMVolumeDecoding's
// refinement with exact attention): decodes the coarsest resolution densely, then at each finer
// one only near the surface, and returns logits [B, R+1, R+1, R+1] (float32, R the last
// resolution) with NaN at the samples never decoded. Level by level, per latent set:
//   - a coarse sample is kept when (a) it is decoded, and its sign of logit + mc_level differs
//     from that of one of its six neighbours (clamped at the border; an undecoded neighbour
//     counts as equal), or (b) |logit| < 0.95;
//   - below the last level, the kept set is dilated by one sample (3x3x3);
//   - coarse sample i marks fine sample 2i, and the marks are dilated once (twice at the last
//     level); the marked fine samples are decoded, at positions i·(2·bounds/R) - bounds
//     computed in float32.
// The flags and signs are computed in the decoder's dtype, as the official decoder does. Equals
// the official FlashVDMVolumeDecoding with its adaptive KV selection turned off (its cross-
// attention processor replaced by the plain one) on the same resolutions, for each latent set.
// hy3dgen 2.0.2's HierarchicalVolumeDecoding computes its refined positions in integers (every
// one becomes (-1,-1,-1)); we follow FlashVDM's float positions.
at::Tensor decode_hierarchical_volume(const GeometryDecoder& decoder, const at::Tensor& latents,
                                      const std::vector<int64_t>& resolutions,
                                      const VolumeDecodingOptions& options);

// One latent set's grid [R+1, R+1, R+1] as a Field: positive inside, surface at mc_level (Field
// values are logit - mc_level, iso 0), sample spacing 2·bounds/R from -bounds. Axes move from
// hy3dgen's frame (y up, +z towards the front/viewer) to ours (z up, +y away from the viewer):
// ours (x, y, z) = theirs (x, -z, y). Undecoded samples (NaN) take the value of the nearest decoded
// sample along x, else along y, else along z (hierarchical decoding leaves only samples away from
// the surface undecoded, so this keeps their side); a grid with no decoded sample becomes all
// outside. Throws Error(bad_input) for a grid that is not a cube of at least 2 samples a side.
Field volume_to_field(const at::Tensor& grid, double bounds, double mc_level);

}  // namespace orfeas::neural
