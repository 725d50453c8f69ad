// The `hunyuan3d` method: Hunyuan3D-2 shape generation as a Generator, so that the job scheduler
// batches it like any other method.
//
// The service configures the models, through the environment; a job picks one of them by name
// with its `model` option:
//   ORFEAS_HUNYUAN3D_MODEL   a DiT model directory as released (hunyuan3d-dit-v2-0, -turbo, -fast:
//                            config.yaml + model.fp16.safetensors), the default model; required.
//                            The DiT model directories beside it (named hunyuan3d-dit-*, with a
//                            config.yaml), as in a download of the released repository, are the
//                            other choices of `model`.
//   ORFEAS_HUNYUAN3D_VAE     optional VAE directory replacing the bundled VAE
//                            (hunyuan3d-vae-v2-0-turbo for FlashVDM decoding)
//   ORFEAS_HUNYUAN3D_DEVICE  auto | cpu | cuda (default auto: CUDA when available)
//   ORFEAS_HUNYUAN3D_DTYPE   auto | float32 | float16 | bfloat16 (default auto, see device.h)
//   ORFEAS_HUNYUAN3D_DECODER dense | hierarchical (default dense; hierarchical decodes near the
//                            surface on FlashVDM's resolutions)
// A model is loaded on the first batch that needs it and kept until a batch needs another (one
// model in memory at a time). Without ORFEAS_HUNYUAN3D_MODEL there is no `model` option and
// generating throws Error(kUnavailable) saying so.
//
// Linking the orfeas_neural_generator library (whole archive) registers the generator with
// generate/registry.h; builds without LibTorch do not have it, and the registry says so.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/generate/generator.h"
#include "orfeas/neural/batch_planner.h"
#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/shape_pipeline.h"

namespace orfeas::neural {

struct Hunyuan3dSettings {
  std::filesystem::path model_directory;  // empty: not configured
  std::filesystem::path vae_directory;    // empty: the bundled VAE
  std::string device = "auto";
  std::string dtype = "auto";
  std::string decoder = "dense";  // or "hierarchical"; checked when the model loads

  // From the ORFEAS_HUNYUAN3D_* variables above (unset ones keep the defaults).
  static Hunyuan3dSettings from_environment();
};

// The names the `model` option takes: the default model directory's own name first, then those
// of the directories beside it named hunyuan3d-dit-* that hold a config.yaml, sorted. Empty for
// an empty `model_directory`; a directory that cannot be listed adds nothing. Throws nothing.
std::vector<std::string> hunyuan3d_model_names(const std::filesystem::path& model_directory);

class Hunyuan3dGenerator : public Generator {
 public:
  explicit Hunyuan3dGenerator(Hunyuan3dSettings settings);

  std::string_view name() const override { return "hunyuan3d"; }
  // resolution (the octree resolution: the grid has resolution + 1 samples along each side of
  // the decoding box; default 384 as the official pipeline), size_mm, steps, guidance, seed, and
  // with a model configured, model (hunyuan3d_model_names).
  std::span<const OptionSpec> option_specs() const override;
  // Jobs with equal model, steps, guidance and resolution share a batch; seeds and sizes may
  // differ.
  std::string batch_key(const nlohmann::json& resolved_options) const override;

  // All inputs of one batch key run together: one conditioner pass, one DiT forward per step over
  // 2B rows, one batched decoding, in batches the memory planner sizes (split on out-of-memory).
  // Reports "field" progress after every sampling step and checks `cancel` there. Each field is
  // closed: the decoded grid with one sample of outside around it.
  std::vector<Field> generate(std::span<const GeneratorInput> inputs, const ProgressFn& progress,
                              const CancelToken& cancel) const override;

 private:
  // The pipeline of the model named `model` (empty: none configured), loading it in place of the
  // one loaded; call under mutex_.
  const ShapePipeline& pipeline(const std::string& model) const;

  Hunyuan3dSettings settings_;
  std::vector<std::string> model_names_;  // the choices of `model`
  std::vector<OptionSpec> specs_;
  mutable std::mutex mutex_;  // one batch at a time: the model and the planner are shared
  mutable std::string loaded_model_;
  mutable std::unique_ptr<Hunyuan3dModel> model_;
  mutable std::unique_ptr<ShapePipeline> pipeline_;
  mutable BatchPlanner planner_;  // of the loaded model
};

// `field` with one more sample on every side, valued `outside` (< field.iso): closed whatever its
// boundary held.
Field surrounded_by_outside(const Field& field, float outside);

}  // namespace orfeas::neural
