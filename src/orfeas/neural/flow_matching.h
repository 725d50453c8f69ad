// Sampling Hunyuan3D-2 shape latents by flow matching, as hy3dgen's
// Hunyuan3DDiTFlowMatchingPipeline does it, with its two schedulers.
//
// Convention (the official one, reversed from diffusers): sigma runs from 0 (pure noise) to 1
// (clean latents). The DiT predicts a velocity v and each Euler step moves the latents by
// (sigma_next - sigma) * v. The pipeline asks for sigmas linspace(0, 1, N), so the plain scheduler
// ends on a zero-length step from 1 to 1 (one DiT forward whose result is multiplied by zero); it
// is run by default, as the official loop runs it, and may be skipped.
//
// Batching: one call samples B independent jobs. With classifier-free guidance each step runs ONE
// DiT forward over 2B rows [cond; uncond]. A job's initial noise comes from its own seed
// (seeded_noise), so the batch it runs in does not change its noise, and its latents equal those
// of a run alone up to float rounding (matrix products sum in an order that depends on row count).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orfeas/neural/dit.h"

namespace orfeas::neural {

enum class FlowSchedulerKind {
  kFlowMatchEulerDiscrete,             // hy3dgen FlowMatchEulerDiscreteScheduler
  kConsistencyFlowMatchEulerDiscrete,  // hy3dgen ConsistencyFlowMatchEulerDiscreteScheduler (turbo)
};

// The `scheduler` section of config.yaml, official parameter names and defaults.
struct FlowSchedulerConfig {
  FlowSchedulerKind kind = FlowSchedulerKind::kFlowMatchEulerDiscrete;
  int64_t num_train_timesteps = 1000;
  double shift = 1.0;          // plain: sigma -> shift * sigma / (1 + (shift - 1) * sigma)
  int64_t pcm_timesteps = 50;  // consistency: the distilled grid of sigmas steps are taken from

  // `target` is the section's class path (its last component picks the kind), `params` its map.
  // Throws Error(bad_input) for an unknown class, a wrong type or value, or
  // use_dynamic_shifting: true (the pipeline passes no `mu`, so the official scheduler fails).
  static FlowSchedulerConfig from_json(std::string_view target, const nlohmann::json& params);
};

// The sigmas and timesteps of one run of `steps` steps, as the pipeline sets them: from
// set_timesteps(sigmas=linspace(0, 1, steps)), in the official scheduler's own dtype (float32 for
// the plain scheduler, float64 for the consistency one, which ignores the given sigmas and takes
// `steps` evenly spaced entries of its distilled grid). All tensors live on the CPU.
struct FlowSchedule {
  // Throws Error(bad_input) when `steps` < 1 or when the official scheduler would fail on it (its
  // first timestep repeats: consistency with steps > pcm_timesteps).
  FlowSchedule(const FlowSchedulerConfig& config, int64_t steps);

  int64_t steps() const { return timesteps.size(0); }

  // The DiT's time input [rows] for `step` on `model_input` [rows, ...]: timesteps[step] on its
  // device, cast to its dtype, then divided by num_train_timesteps.
  at::Tensor model_timestep(int64_t step, const at::Tensor& model_input) const;

  // Euler step `step`: sample + (sigmas[step + 1] - sigmas[step]) * velocity, with the sample in
  // float32, returned in velocity's dtype.
  at::Tensor step(int64_t step, const at::Tensor& sample, const at::Tensor& velocity) const;

  // Whether step `step` has sigmas[step + 1] == sigmas[step]: it leaves finite latents unchanged.
  bool is_zero_length(int64_t step) const;

  int64_t num_train_timesteps;
  at::Tensor timesteps;  // [steps], sigma * num_train_timesteps
  at::Tensor sigmas;     // [steps + 1], ending with 1
};

// Standard normal noise [seeds.size(), latent_shape...] (latent_shape: the VAE's, [num_latents,
// embed_dim]). Row i is drawn on the CPU, in `options`' dtype, from its own generator seeded with
// seeds[i], then moved to `options`' device: equal to the pipeline's prepare_latents with one
// torch.Generator().manual_seed(seed) per job. A job's noise depends on its seed alone, never on
// its batch.
at::Tensor seeded_noise(std::span<const uint64_t> seeds, at::IntArrayRef latent_shape,
                        at::TensorOptions options);

struct FlowSamplingSettings {
  double guidance_scale = 5.0;  // the pipeline's default
  // Skip steps of zero length (the plain scheduler's last): one DiT forward less, the same
  // latents for finite velocities. Off by default: the official loop runs them.
  bool skip_zero_length_steps = false;
};

// Called after each step with (steps done, steps in all). It may throw (for example
// Error(kCancelled)) to abandon the run between steps; the exception propagates to the caller.
using StepCallback = std::function<void(int64_t done, int64_t total)>;

// The pipeline's denoising loop: from `noise` [B, N, in_channels] to the final latents (in
// noise's dtype and device, before the VAE's scale factor). `cond` [B, L, context_in_dim] holds the
// condition tokens per job and `uncond` the unconditional ones (the conditioner's unconditional
// embedding); both are converted to noise's dtype and device.
//
// As the official pipeline: classifier-free guidance when guidance_scale >= 0 and the DiT is not
// guidance-distilled, each step one forward over [latents; latents] with [cond; uncond] and
// velocity = v_uncond + guidance_scale * (v_cond - v_uncond); a guidance-distilled DiT (and
// guidance_scale < 0) gets B rows and no uncond (which may then be undefined), the former with
// guidance = guidance_scale per row. Throws Error(bad_input) for shapes that do not fit.
at::Tensor sample_flow(const Dit& dit, const FlowSchedule& schedule, const at::Tensor& noise,
                       const at::Tensor& cond, const at::Tensor& uncond,
                       const FlowSamplingSettings& settings, const StepCallback& on_step = {});

}  // namespace orfeas::neural
