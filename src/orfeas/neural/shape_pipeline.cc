#include "orfeas/neural/shape_pipeline.h"

#include <c10/core/InferenceMode.h>

#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/neural/image_condition.h"

namespace orfeas::neural {

ShapePipeline::ShapePipeline(const Hunyuan3dModel& model)
    : model_(model), options_(model.dit.latent_in.weight.options()) {}

at::Tensor ShapePipeline::process(const at::Tensor& image) const {
  return process_image(image, model_.config.image_processor).image;
}

at::Tensor ShapePipeline::condition(const at::Tensor& images) const {
  const c10::InferenceMode inference;
  // As DinoImageEncoder.forward: mapped to [0, 1] where the images are, then moved to the
  // encoder's device and dtype.
  const at::Tensor pixels = conditioner_input(images, model_.config.conditioner, options_);
  return model_.conditioner.forward(pixels);
}

at::Tensor ShapePipeline::noise(std::span<const uint64_t> seeds) const {
  return seeded_noise(seeds, {model_.config.vae.num_latents, model_.config.vae.embed_dim},
                      options_);
}

at::Tensor ShapePipeline::sample(const at::Tensor& noise, const at::Tensor& cond,
                                 const ShapeSettings& settings, const StepCallback& on_step) const {
  const c10::InferenceMode inference;
  const FlowSchedule schedule(model_.config.scheduler, settings.steps);
  FlowSamplingSettings sampling;
  sampling.guidance_scale = settings.guidance_scale;
  sampling.skip_zero_length_steps = settings.skip_zero_length_steps;
  const at::Tensor uncond = model_.conditioner.unconditional_embedding(cond.size(0));
  return sample_flow(model_.dit, schedule, noise, cond, uncond, sampling, on_step);
}

at::Tensor ShapePipeline::decode(const at::Tensor& latents, const ShapeSettings& settings) const {
  const c10::InferenceMode inference;
  const at::Tensor tokens = model_.vae.decode(latents);
  const GeometryDecoder& decoder = model_.vae.geo_decoder();
  if (!settings.hierarchical) {
    return decode_dense_volume(decoder, tokens, settings.octree_resolution, settings.decoding);
  }
  const std::vector<int64_t> resolutions = flashvdm_resolutions(
      settings.octree_resolution, settings.min_resolution, settings.mini_grid_num);
  return decode_hierarchical_volume(decoder, tokens, resolutions, settings.decoding);
}

at::Tensor ShapePipeline::generate(const at::Tensor& images, std::span<const uint64_t> seeds,
                                   const ShapeSettings& settings,
                                   const StepCallback& on_step) const {
  if (images.dim() != 4 || images.size(0) != static_cast<int64_t>(seeds.size())) {
    throw Error(ErrorCode::kBadInput, "shape pipeline: one seed per image is needed",
                {{"images", images.sizes().vec()}, {"seeds", seeds.size()}});
  }
  const at::Tensor cond = condition(images);
  const at::Tensor latents = sample(noise(seeds), cond, settings, on_step);
  return decode(latents, settings);
}

}  // namespace orfeas::neural
