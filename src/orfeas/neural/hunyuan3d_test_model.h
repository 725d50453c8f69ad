// For tests: a tiny random-weight Hunyuan3D-2 model in the released layout (a model directory
// with config.yaml and model.fp16.safetensors bundling "model.", "vae." and "conditioner."
// tensors), so tests can run the whole pipeline without a checkpoint.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "orfeas/neural/config.h"
#include "orfeas/neural/dino_encoder.h"
#include "orfeas/neural/dit_test_weights.h"
#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/safetensors.h"
#include "orfeas/neural/shape_vae_test_weights.h"

namespace orfeas::neural::testing {

// config.yaml of the tiny model: the released v2-0 file's shape, with a DINOv2 of one SwiGLU
// layer on 28-pixel images (5 condition tokens of 32), a DiT of one block of each kind and a VAE
// of 16 latents of 8 channels.
inline const char* kTinyConfigYaml = R"(model:
  target: hy3dgen.shapegen.models.Hunyuan3DDiT
  params:
    in_channels: 8
    context_in_dim: 32
    hidden_size: 16
    mlp_ratio: 4.0
    num_heads: 2
    depth: 1
    depth_single_blocks: 1
    axes_dim: [ 8 ]
    theta: 10000
    qkv_bias: True
vae:
  target: hy3dgen.shapegen.models.ShapeVAE
  params:
    num_latents: 16
    embed_dim: 8
    num_freqs: 4
    include_pi: false
    heads: 4
    width: 32
    num_decoder_layers: 1
    qkv_bias: false
    qk_norm: true
    scale_factor: 0.9990943042622529
conditioner:
  target: hy3dgen.shapegen.models.SingleImageEncoder
  params:
    main_image_encoder:
      type: DinoImageEncoder
      kwargs:
        config:
          hidden_size: 32
          image_size: 28
          layer_norm_eps: 1.e-6
          num_attention_heads: 2
          num_hidden_layers: 1
          patch_size: 14
          use_swiglu_ffn: true
        image_size: 28
scheduler:
  target: hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler
  params:
    num_train_timesteps: 1000
image_processor:
  target: hy3dgen.shapegen.preprocessors.ImageProcessorV2
  params:
    size: 32
    border_ratio: 0.15
)";

// The VAE section of kTinyConfigYaml as a VAE directory's config.yaml.
inline const char* kTinyVaeConfigYaml = R"(target: hy3dgen.shapegen.models.ShapeVAE
params:
  num_latents: 16
  embed_dim: 8
  num_freqs: 4
  include_pi: false
  heads: 4
  width: 32
  num_decoder_layers: 1
  qkv_bias: false
  qk_norm: true
  scale_factor: 0.9990943042622529
)";

// Every tensor of a DINOv2 encoder with `config`, official names under "model.", random.
inline std::map<std::string, at::Tensor> random_dino_tensors(const DinoConfig& config,
                                                             uint64_t seed) {
  at::manual_seed(seed);
  const int64_t d = config.hidden_size, p = config.patch_size, mlp = config.mlp_hidden_dim();
  std::map<std::string, at::Tensor> t;
  const auto put = [&](const std::string& name, at::IntArrayRef shape) {
    t["model." + name] = at::randn(shape) * 0.2;
  };
  put("embeddings.cls_token", {1, 1, d});
  put("embeddings.mask_token", {1, d});
  put("embeddings.position_embeddings", {1, 1 + config.stored_patches(), d});
  put("embeddings.patch_embeddings.projection.weight", {d, config.num_channels, p, p});
  put("embeddings.patch_embeddings.projection.bias", {d});
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string layer = "encoder.layer." + std::to_string(i) + ".";
    for (const char* name :
         {"norm1", "norm2", "attention.attention.query", "attention.attention.key",
          "attention.attention.value", "attention.output.dense"}) {
      const bool norm = std::string(name).rfind("norm", 0) == 0;
      if (!norm) put(layer + name + ".weight", {d, d});
      put(layer + name + (norm ? ".weight" : ".bias"), {d});
      if (norm) put(layer + name + ".bias", {d});
    }
    put(layer + "layer_scale1.lambda1", {d});
    put(layer + "layer_scale2.lambda1", {d});
    const bool swiglu = config.use_swiglu_ffn;
    const int64_t in_width = swiglu ? 2 * mlp : mlp;
    put(layer + (swiglu ? "mlp.weights_in.weight" : "mlp.fc1.weight"), {in_width, d});
    put(layer + (swiglu ? "mlp.weights_in.bias" : "mlp.fc1.bias"), {in_width});
    put(layer + (swiglu ? "mlp.weights_out.weight" : "mlp.fc2.weight"), {d, mlp});
    put(layer + (swiglu ? "mlp.weights_out.bias" : "mlp.fc2.bias"), {d});
  }
  put("layernorm.weight", {d});
  put("layernorm.bias", {d});
  return t;
}

// The tiny model's whole checkpoint under the released names, random from `seed`.
inline std::map<std::string, at::Tensor> tiny_checkpoint(uint64_t seed = 1) {
  const Hunyuan3dConfig config =
      Hunyuan3dConfig::from_json(parse_yaml_config(kTinyConfigYaml, "tiny config"));
  std::map<std::string, at::Tensor> tensors;
  for (auto& [name, tensor] : random_dit_tensors(config.dit, seed))
    tensors["model." + name] = tensor;
  for (auto& [name, tensor] : test::random_vae_tensors(config.vae, seed + 1)) {
    tensors["vae." + name] = tensor;
  }
  for (auto& [name, tensor] : random_dino_tensors(config.conditioner, seed + 2)) {
    tensors["conditioner.main_image_encoder." + name] = tensor;
  }
  return tensors;
}

// Writes `tensors` in float16 as `directory`/model.fp16.safetensors and `config_yaml` as its
// config.yaml, creating the directory.
inline void write_model_directory(const std::filesystem::path& directory,
                                  const std::map<std::string, at::Tensor>& tensors,
                                  const char* config_yaml = kTinyConfigYaml) {
  std::filesystem::create_directories(directory);
  std::ofstream(directory / kModelConfigFile) << config_yaml;
  TensorList list;
  for (const auto& [name, tensor] : tensors) list.emplace_back(name, tensor.to(at::kHalf));
  write_safetensors(directory / kModelWeightsFile, list);
}

}  // namespace orfeas::neural::testing
