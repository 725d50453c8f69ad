// The Hunyuan3D-2 shape pipeline end to end, as hy3dgen's Hunyuan3DDiTFlowMatchingPipeline runs
// it, for a batch of images at once: processed image → DINOv2 condition (and the unconditional
// one) → flow-matching sampling (one DiT forward per step over [cond; uncond] rows) → ShapeVAE →
// occupancy logits on a grid. Marching cubes and the mesh pipeline take it from there (see
// volume_to_field in volume_decoding.h).
//
// Every job of a batch is independent: its noise comes from its own seed, so its grid equals
// that of a run alone up to float rounding.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <span>

#include "orfeas/neural/flow_matching.h"
#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/volume_decoding.h"

namespace orfeas::neural {

// What a run does, with the official __call__'s defaults.
struct ShapeSettings {
  int64_t steps = 50;               // num_inference_steps
  double guidance_scale = 5.0;      // classifier-free (or, distilled, embedded) guidance
  int64_t octree_resolution = 384;  // the grid has octree_resolution + 1 samples a side
  VolumeDecodingOptions decoding;   // box_v 1.01, num_chunks 8000, mc_level 0
  // Near-surface decoding on FlashVDM's resolutions (exact attention) instead of the dense grid.
  bool hierarchical = false;
  int64_t min_resolution = 63;  // FlashVDM's defaults
  int64_t mini_grid_num = 4;
  // Skip the plain scheduler's final step of zero length (one DiT forward saved, same latents).
  bool skip_zero_length_steps = false;
};

class ShapePipeline {
 public:
  // Runs `model` (kept by reference: it must outlive the pipeline) on its weights' device and
  // dtype.
  explicit ShapePipeline(const Hunyuan3dModel& model);

  // ImageProcessorV2 on a CPU uint8 image [H, W, 4] (RGBA; alpha marks the object) or [H, W, 3]:
  // float32 [1, 3, size, size] in [-1, 1], on the CPU.
  at::Tensor process(const at::Tensor& image) const;

  // The condition tokens [B, L, hidden] of processed images [B, 3, H, W] (any device and float
  // dtype), in the model's dtype and device.
  at::Tensor condition(const at::Tensor& images) const;

  // The initial noise of jobs with `seeds`: [B, num_latents, embed_dim] (seeded_noise).
  at::Tensor noise(std::span<const uint64_t> seeds) const;

  // The sampling loop from `noise` under condition tokens `cond`; `on_step` as for sample_flow
  // (it may throw to stop between steps). Returns the final latents [B, num_latents, embed_dim].
  at::Tensor sample(const at::Tensor& noise, const at::Tensor& cond, const ShapeSettings& settings,
                    const StepCallback& on_step = {}) const;

  // The grids [B, R+1, R+1, R+1] (float32, model device; NaN where hierarchical decoding left a
  // sample undecoded) of sampled latents: VAE decode, then the volume decoder with the latents'
  // keys and values computed once.
  at::Tensor decode(const at::Tensor& latents, const ShapeSettings& settings) const;

  // condition → noise → sample → decode for processed images [B, 3, H, W] and one seed each.
  // Throws Error(bad_input) when the counts differ.
  at::Tensor generate(const at::Tensor& images, std::span<const uint64_t> seeds,
                      const ShapeSettings& settings, const StepCallback& on_step = {}) const;

  const Hunyuan3dModel& model() const { return model_; }
  at::TensorOptions options() const { return options_; }

 private:
  const Hunyuan3dModel& model_;
  at::TensorOptions options_;  // the model's device and dtype
};

}  // namespace orfeas::neural
