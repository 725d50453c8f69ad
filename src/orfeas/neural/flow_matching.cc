#include "orfeas/neural/flow_matching.h"

#include <ATen/CPUGeneratorImpl.h>

#include <string>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/neural/config.h"

namespace orfeas::neural {
namespace {

// numpy.linspace(start, stop, num, endpoint) in float64, computed as numpy does it:
// start + i * ((stop - start) / div), the endpoint set exactly. Callers pass stop != start.
at::Tensor linspace(double start, double stop, int64_t num, bool endpoint) {
  const int64_t div = endpoint ? num - 1 : num;
  at::Tensor y = at::arange(num, at::TensorOptions(at::kDouble));
  y = div > 0 ? y * ((stop - start) / static_cast<double>(div)) : y * (stop - start);
  y = y + start;
  if (endpoint && num > 1) y[num - 1].fill_(stop);
  return y;
}

// FlowMatchEulerDiscreteScheduler.set_timesteps(sigmas=linspace(0, 1, steps)): the shift applied
// in float64, then float32 throughout.
void set_plain_schedule(const FlowSchedulerConfig& config, int64_t steps, at::Tensor& timesteps,
                        at::Tensor& sigmas) {
  const at::Tensor linear = linspace(0.0, 1.0, steps, true);
  const at::Tensor shifted = (linear * config.shift) / (linear * (config.shift - 1.0) + 1.0);
  const at::Tensor sigmas32 = shifted.to(at::kFloat);
  timesteps = sigmas32 * config.num_train_timesteps;
  sigmas = at::cat({sigmas32, at::ones({1}, at::TensorOptions(at::kFloat))});
}

// ConsistencyFlowMatchEulerDiscreteScheduler: its distilled grid holds pcm_timesteps sigmas of
// linspace(0, 1, num_train_timesteps) (index 0, then every step_ratio-th ending one before the
// ratio); a run takes entries floor(linspace(0, pcm_timesteps, steps, endpoint=False)), float64.
void set_consistency_schedule(const FlowSchedulerConfig& config, int64_t steps,
                              at::Tensor& timesteps, at::Tensor& sigmas) {
  const int64_t step_ratio = config.num_train_timesteps / config.pcm_timesteps;
  std::vector<int64_t> grid_indices = {0};
  for (int64_t k = 1; k < config.pcm_timesteps; ++k) grid_indices.push_back(k * step_ratio - 1);
  const at::Tensor grid = linspace(0.0, 1.0, config.num_train_timesteps, true)
                              .index_select(0, at::tensor(grid_indices, at::kLong));
  const at::Tensor picks =
      linspace(0.0, static_cast<double>(config.pcm_timesteps), steps, false).floor().to(at::kLong);
  const at::Tensor picked = grid.index_select(0, picks);
  timesteps = picked * config.num_train_timesteps;
  sigmas = at::cat({picked, at::ones({1}, at::TensorOptions(at::kDouble))});
}

void expect(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorCode::kBadInput, message);
}

}  // namespace

FlowSchedulerConfig FlowSchedulerConfig::from_json(std::string_view target,
                                                   const nlohmann::json& params) {
  FlowSchedulerConfig config;
  const std::string_view class_name = target.substr(target.rfind('.') + 1);
  if (class_name == "FlowMatchEulerDiscreteScheduler") {
    config.kind = FlowSchedulerKind::kFlowMatchEulerDiscrete;
  } else if (class_name == "ConsistencyFlowMatchEulerDiscreteScheduler") {
    config.kind = FlowSchedulerKind::kConsistencyFlowMatchEulerDiscrete;
  } else {
    throw Error(ErrorCode::kBadInput, "unknown scheduler class " + std::string(target),
                {{"target", std::string(target)}});
  }
  expect(params.is_null() || params.is_object(), "scheduler config: params must be a map");
  if (params.is_object()) {
    read_param(params, "num_train_timesteps", config.num_train_timesteps, "scheduler");
    if (config.kind == FlowSchedulerKind::kFlowMatchEulerDiscrete) {
      read_param(params, "shift", config.shift, "scheduler");
      bool use_dynamic_shifting = false;
      read_param(params, "use_dynamic_shifting", use_dynamic_shifting, "scheduler");
      expect(!use_dynamic_shifting,
             "scheduler config: use_dynamic_shifting needs a mu the pipeline never passes");
    } else {
      read_param(params, "pcm_timesteps", config.pcm_timesteps, "scheduler");
    }
  }
  expect(config.num_train_timesteps >= 1, "scheduler config: num_train_timesteps must be >= 1");
  expect(config.shift > 0, "scheduler config: shift must be > 0");
  expect(config.pcm_timesteps >= 1 && config.pcm_timesteps <= config.num_train_timesteps,
         "scheduler config: pcm_timesteps must be in [1, num_train_timesteps]");
  return config;
}

FlowSchedule::FlowSchedule(const FlowSchedulerConfig& config, int64_t steps)
    : num_train_timesteps(config.num_train_timesteps) {
  if (steps < 1) {
    throw Error(ErrorCode::kBadInput, "sampling needs at least one step", {{"steps", steps}});
  }
  if (config.kind == FlowSchedulerKind::kFlowMatchEulerDiscrete) {
    set_plain_schedule(config, steps, timesteps, sigmas);
  } else {
    set_consistency_schedule(config, steps, timesteps, sigmas);
  }
  // The official scheduler starts at the second occurrence of a repeated first timestep and then
  // runs off the end of its sigmas.
  if ((timesteps == timesteps[0]).sum().item<int64_t>() > 1) {
    throw Error(ErrorCode::kBadInput, "this scheduler cannot sample in that many steps",
                {{"steps", steps}, {"pcm_timesteps", config.pcm_timesteps}});
  }
}

at::Tensor FlowSchedule::model_timestep(int64_t step, const at::Tensor& model_input) const {
  return timesteps[step]
             .to(model_input.device())
             .expand({model_input.size(0)})
             .to(model_input.scalar_type()) /
         num_train_timesteps;
}

at::Tensor FlowSchedule::step(int64_t step, const at::Tensor& sample,
                              const at::Tensor& velocity) const {
  const at::Tensor next = sample.to(at::kFloat) + (sigmas[step + 1] - sigmas[step]) * velocity;
  return next.to(velocity.scalar_type());
}

bool FlowSchedule::is_zero_length(int64_t step) const {
  return sigmas[step + 1].item<double>() == sigmas[step].item<double>();
}

at::Tensor seeded_noise(std::span<const uint64_t> seeds, at::IntArrayRef latent_shape,
                        at::TensorOptions options) {
  std::vector<int64_t> row_shape = {1};
  row_shape.insert(row_shape.end(), latent_shape.begin(), latent_shape.end());
  std::vector<at::Tensor> rows;
  rows.reserve(seeds.size());
  for (const uint64_t seed : seeds) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    rows.push_back(at::randn(row_shape, generator, options.device(at::kCPU)));
  }
  return at::cat(rows, 0).to(options.device());
}

at::Tensor sample_flow(const Dit& dit, const FlowSchedule& schedule, const at::Tensor& noise,
                       const at::Tensor& cond, const at::Tensor& uncond,
                       const FlowSamplingSettings& settings, const StepCallback& on_step) {
  expect(noise.dim() == 3 && noise.size(0) >= 1, "sampling: noise must be [B, N, C]");
  const int64_t rows = noise.size(0);
  expect(cond.defined() && cond.dim() == 3 && cond.size(0) == rows,
         "sampling: cond must be [B, L, C] with the noise's B");
  const bool guidance_distilled = dit.config.guidance_embed;
  const bool classifier_free = settings.guidance_scale >= 0 && !guidance_distilled;

  at::Tensor model_cond = cond.to(noise.options());
  if (classifier_free) {
    expect(uncond.defined() && uncond.sizes() == cond.sizes(),
           "sampling: classifier-free guidance needs uncond shaped as cond");
    model_cond = at::cat({model_cond, uncond.to(noise.options())}, 0);
  }
  at::Tensor guidance;
  if (guidance_distilled) guidance = at::full({rows}, settings.guidance_scale, noise.options());

  at::Tensor latents = noise;
  for (int64_t i = 0; i < schedule.steps(); ++i) {
    if (!(settings.skip_zero_length_steps && schedule.is_zero_length(i))) {
      const at::Tensor model_input = classifier_free ? at::cat({latents, latents}, 0) : latents;
      at::Tensor velocity =
          dit.forward(model_input, schedule.model_timestep(i, model_input), model_cond, guidance);
      if (classifier_free) {
        const std::vector<at::Tensor> halves = velocity.chunk(2, 0);  // [cond; uncond]
        velocity = halves[1] + (halves[0] - halves[1]) * settings.guidance_scale;
      }
      latents = schedule.step(i, latents, velocity);
    }
    if (on_step) on_step(i + 1, schedule.steps());
  }
  return latents;
}

}  // namespace orfeas::neural
