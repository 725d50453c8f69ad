// The Hunyuan3D-2 shape model as Tencent releases it: a model directory holding config.yaml and
// model.fp16.safetensors, as hy3dgen's Hunyuan3DDiTPipeline.from_pretrained reads them.
//
// A DiT directory (hunyuan3d-dit-v2-0, -turbo, -fast, ...) has the config sections model (the
// DiT), vae, conditioner, scheduler and image_processor, and its weights file bundles the three
// networks' tensors under "model.", "vae." and "conditioner.". A VAE directory
// (hunyuan3d-vae-v2-0, -turbo) has one section (target, params) and unprefixed tensors; it may
// replace the bundled VAE, as the official enable_flashvdm swaps in the turbo VAE.
//
// Loading is strict: every tensor of the file must be taken by a module with the shape the config
// gives it, so a missing, unexpected or mis-shaped tensor is an error that names it.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "orfeas/neural/dino_encoder.h"
#include "orfeas/neural/dit.h"
#include "orfeas/neural/flow_matching.h"
#include "orfeas/neural/image_condition.h"
#include "orfeas/neural/shape_vae.h"
#include "orfeas/neural/weights.h"

namespace orfeas::neural {

// The file names of a released model directory.
inline constexpr const char* kModelConfigFile = "config.yaml";
inline constexpr const char* kModelWeightsFile = "model.fp16.safetensors";

// Every hyper-parameter of the pipeline, one struct per section of a DiT directory's config.yaml.
struct Hunyuan3dConfig {
  DitConfig dit;
  VaeConfig vae;
  DinoConfig conditioner;
  FlowSchedulerConfig scheduler;
  ImageProcessorConfig image_processor;

  // From the whole parsed config. Each section is read by its module's from_json; the section's
  // `target` must name the class hy3dgen 2.0.2 builds there (Hunyuan3DDiT, ShapeVAE,
  // SingleImageEncoder, a flow-matching scheduler, ImageProcessorV2). Throws Error(bad_input)
  // naming the section for a missing section, another target, bad params, or sections that do
  // not fit together (the DiT's in_channels must be the VAE's embed_dim, its context_in_dim the
  // encoder's hidden_size).
  static Hunyuan3dConfig from_json(const nlohmann::json& config);

  // The VAE of a VAE directory's config ({target, params}) in place of `vae`, checked as above.
  void replace_vae(const nlohmann::json& vae_directory_config);
};

// The three networks of the pipeline, on the weights' target device and dtype.
struct Hunyuan3dModel {
  // Builds every module from `weights`, which holds the "model.", "vae." and "conditioner."
  // tensors of a DiT checkpoint. With `vae_weights` (a VAE checkpoint's unprefixed tensors), the
  // VAE is built from those instead and `weights` must hold no "vae." tensor. Throws
  // Error(bad_input) naming every tensor left untaken, and as the modules do for missing or
  // mis-shaped ones.
  Hunyuan3dModel(const Hunyuan3dConfig& config, const Weights& weights);
  Hunyuan3dModel(const Hunyuan3dConfig& config, const Weights& weights, const Weights& vae_weights);

  // Loads a DiT directory, and with a non-empty `vae_directory` replaces its VAE by that
  // directory's. `target` as for Weights: a dtype equal to the file's keeps CPU tensors as views
  // of the memory-mapped file. Throws Error(not_found) for a missing directory or file and
  // Error(bad_input) naming the file for anything wrong inside one.
  static Hunyuan3dModel load(const std::filesystem::path& directory, at::TensorOptions target,
                             const std::filesystem::path& vae_directory = {});

  Hunyuan3dConfig config;
  DinoEncoder conditioner;
  Dit dit;
  ShapeVae vae;
};

}  // namespace orfeas::neural
