// Probes of the DiT and the flow-matching sampler (test_dit.py).
#include <cstdint>
#include <vector>

#include "orfeas/neural/dit.h"
#include "orfeas/neural/flow_matching.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

// config: {"dim", "max_period", "time_factor"}; input "t"; output "embedding".
const ProbeRegistration kTimestepEmbedding(
    "dit_timestep_embedding", [](const ProbeCall& call) -> TensorList {
      return {{"embedding",
               timestep_embedding(call.input("t"), call.config.at("dim"),
                                  call.config.at("max_period"), call.config.at("time_factor"))}};
    });

// config: the DiT's params; weights: one DoubleStreamBlock; inputs "img", "txt", "vec";
// outputs "img", "txt".
const ProbeRegistration kDoubleBlock("dit_double_block", [](const ProbeCall& call) -> TensorList {
  const DoubleStreamBlock block(call.weights, DitConfig::from_json(call.config));
  call.weights.expect_all_taken();
  const auto [img, txt] = block.forward(call.input("img"), call.input("txt"), call.input("vec"));
  return {{"img", img}, {"txt", txt}};
});

// config: the DiT's params; weights: one SingleStreamBlock; inputs "x", "vec"; output "x".
const ProbeRegistration kSingleBlock("dit_single_block", [](const ProbeCall& call) -> TensorList {
  const SingleStreamBlock block(call.weights, DitConfig::from_json(call.config));
  call.weights.expect_all_taken();
  return {{"x", block.forward(call.input("x"), call.input("vec"))}};
});

// config: the DiT's params; weights: the whole DiT; inputs "x", "t", "cond" and, for a
// guidance-distilled DiT, "guidance"; output "velocity".
const ProbeRegistration kDit("dit", [](const ProbeCall& call) -> TensorList {
  const Dit dit(call.weights, DitConfig::from_json(call.config));
  call.weights.expect_all_taken();
  const auto guidance = call.inputs.find("guidance");
  return {
      {"velocity", dit.forward(call.input("x"), call.input("t"), call.input("cond"),
                               guidance == call.inputs.end() ? at::Tensor() : guidance->second)}};
});

FlowSchedulerConfig scheduler_config(const nlohmann::json& section) {
  return FlowSchedulerConfig::from_json(section.at("target").get<std::string>(),
                                        section.value("params", nlohmann::json::object()));
}

// config: {"scheduler": {"target", "params"}, "steps"}; outputs "timesteps", "sigmas" (in the
// scheduler's dtype) and "model_timesteps" [steps] (the DiT's time input, in the target dtype).
const ProbeRegistration kFlowSchedule("flow_schedule", [](const ProbeCall& call) -> TensorList {
  const FlowSchedule schedule(scheduler_config(call.config.at("scheduler")),
                              call.config.at("steps"));
  const at::Tensor one_row = at::zeros({1}, call.target);
  std::vector<at::Tensor> model_timesteps;
  for (int64_t i = 0; i < schedule.steps(); ++i) {
    model_timesteps.push_back(schedule.model_timestep(i, one_row));
  }
  return {{"timesteps", schedule.timesteps},
          {"sigmas", schedule.sigmas},
          {"model_timesteps", at::cat(model_timesteps)}};
});

// config: {"dit": params, "scheduler": {"target", "params"}, "steps", "guidance_scale",
// "skip_zero_length_steps", "latent_shape": [N, C]}; weights: the DiT; inputs "seeds" [B] (int64),
// "cond" and, with classifier-free guidance, "uncond"; outputs "noise" and "latents".
const ProbeRegistration kFlowSampling("flow_sampling", [](const ProbeCall& call) -> TensorList {
  const Dit dit(call.weights, DitConfig::from_json(call.config.at("dit")));
  call.weights.expect_all_taken();
  const FlowSchedule schedule(scheduler_config(call.config.at("scheduler")),
                              call.config.at("steps"));
  const at::Tensor seed_tensor = call.input("seeds").to(at::kCPU, at::kLong).contiguous();
  const std::vector<uint64_t> seeds(seed_tensor.data_ptr<int64_t>(),
                                    seed_tensor.data_ptr<int64_t>() + seed_tensor.numel());
  const at::Tensor noise =
      seeded_noise(seeds, call.config.at("latent_shape").get<std::vector<int64_t>>(), call.target);
  const auto uncond = call.inputs.find("uncond");
  FlowSamplingSettings settings;
  settings.guidance_scale = call.config.at("guidance_scale");
  settings.skip_zero_length_steps = call.config.value("skip_zero_length_steps", false);
  const at::Tensor latents =
      sample_flow(dit, schedule, noise, call.input("cond"),
                  uncond == call.inputs.end() ? at::Tensor() : uncond->second, settings);
  return {{"noise", noise}, {"latents", latents}};
});

}  // namespace
}  // namespace orfeas::neural::parity
