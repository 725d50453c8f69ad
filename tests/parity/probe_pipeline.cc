// Probes of the whole pipeline and of model loading (test_pipeline.py, test_checkpoint.py). Both
// load a model directory in the released layout (config.yaml + model.fp16.safetensors) named by
// options "model_dir"; config.json and weights.safetensors are not used.
#include <cstdint>
#include <string>
#include <vector>

#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/shape_pipeline.h"
#include "probe.h"

namespace orfeas::neural::parity {
namespace {

// options: "steps", "guidance_scale", "octree_resolution", "num_chunks", "hierarchical",
// "min_resolution", "mini_grid_num", official defaults when absent.
ShapeSettings shape_settings(const nlohmann::json& options) {
  ShapeSettings settings;
  settings.steps = options.value("steps", settings.steps);
  settings.guidance_scale = options.value("guidance_scale", settings.guidance_scale);
  settings.octree_resolution = options.value("octree_resolution", settings.octree_resolution);
  settings.decoding.num_chunks = options.value("num_chunks", settings.decoding.num_chunks);
  settings.hierarchical = options.value("hierarchical", settings.hierarchical);
  settings.min_resolution = options.value("min_resolution", settings.min_resolution);
  settings.mini_grid_num = options.value("mini_grid_num", settings.mini_grid_num);
  return settings;
}

// options: "model_dir", "seeds" (one per image) and shape_settings; inputs "image<i>" (uint8
// [H, W, 4] RGBA, i = 0, 1, ...); outputs "processed" [B, 3, S, S], "cond" [B, L, hidden],
// "latents" [B, N, C] and "grid" [B, R+1, R+1, R+1]: each stage of one batched run.
const ProbeRegistration kPipeline("pipeline", [](const ProbeCall& call) -> TensorList {
  const Hunyuan3dModel model =
      Hunyuan3dModel::load(call.options.at("model_dir").get<std::string>(), call.target);
  const ShapePipeline pipeline(model);
  const ShapeSettings settings = shape_settings(call.options);
  const std::vector<uint64_t> seeds = call.options.at("seeds").get<std::vector<uint64_t>>();
  std::vector<at::Tensor> images;
  for (size_t i = 0; i < seeds.size(); ++i) {
    images.push_back(pipeline.process(call.input("image" + std::to_string(i)).cpu()));
  }
  const at::Tensor processed = at::cat(images, 0);
  const at::Tensor cond = pipeline.condition(processed);
  const at::Tensor latents = pipeline.sample(pipeline.noise(seeds), cond, settings);
  return {{"processed", processed},
          {"cond", cond},
          {"latents", latents},
          {"grid", pipeline.decode(latents, settings)}};
});

// options: "model_dir". Loads the directory on the CPU in the file's float16, the tensors staying
// views of the mapped file, which succeeds only if every tensor is taken with its shape; outputs
// the number of latents, condition tokens and DiT blocks the config gave.
const ProbeRegistration kLoadModel("load_model", [](const ProbeCall& call) -> TensorList {
  const Hunyuan3dModel model = Hunyuan3dModel::load(call.options.at("model_dir").get<std::string>(),
                                                    at::TensorOptions().dtype(at::kHalf));
  return {{"num_latents", at::tensor(model.config.vae.num_latents)},
          {"condition_tokens", at::tensor(model.config.conditioner.output_tokens())},
          {"dit_blocks", at::tensor(static_cast<int64_t>(model.dit.double_blocks.size() +
                                                         model.dit.single_blocks.size()))}};
});

}  // namespace
}  // namespace orfeas::neural::parity
