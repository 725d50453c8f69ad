// For tests: a random-weight Hunyuan3DDiT state dict under the official tensor names, so tests can
// build small DiTs without a checkpoint.
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "orfeas/neural/dit.h"

namespace orfeas::neural::testing {

// A small DiT config: 2 heads of 8, one block of each kind, 16 latent channels.
inline DitConfig small_dit_config(bool guidance_embed = false) {
  DitConfig config;
  config.in_channels = 16;
  config.context_in_dim = 24;
  config.hidden_size = 16;
  config.num_heads = 2;
  config.depth = 1;
  config.depth_single_blocks = 1;
  config.axes_dim = {8};
  config.guidance_embed = guidance_embed;
  return config;
}

// Every tensor of a DiT with `config`, official names (no "model." prefix), uniform in
// [-0.5, 0.5) from `seed`.
inline std::map<std::string, at::Tensor> random_dit_tensors(const DitConfig& config,
                                                            uint64_t seed) {
  const int64_t h = config.hidden_size;
  const int64_t m = config.mlp_hidden_dim();
  const int64_t d = config.head_dim();
  std::map<std::string, std::vector<int64_t>> shapes;
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias = true) {
    shapes[name + ".weight"] = {out, in};
    if (bias) shapes[name + ".bias"] = {out};
  };
  linear("latent_in", config.in_channels, h);
  linear("cond_in", config.context_in_dim, h);
  for (const std::string embedder : {"time_in", "guidance_in"}) {
    if (embedder == "guidance_in" && !config.guidance_embed) continue;
    linear(embedder + ".in_layer", 256, h);
    linear(embedder + ".out_layer", h, h);
  }
  for (int64_t i = 0; i < config.depth; ++i) {
    for (const std::string stream : {"img", "txt"}) {
      const std::string p = "double_blocks." + std::to_string(i) + "." + stream;
      linear(p + "_mod.lin", h, 6 * h);
      linear(p + "_attn.qkv", h, 3 * h, config.qkv_bias);
      shapes[p + "_attn.norm.query_norm.scale"] = {d};
      shapes[p + "_attn.norm.key_norm.scale"] = {d};
      linear(p + "_attn.proj", h, h);
      linear(p + "_mlp.0", h, m);
      linear(p + "_mlp.2", m, h);
    }
  }
  for (int64_t i = 0; i < config.depth_single_blocks; ++i) {
    const std::string p = "single_blocks." + std::to_string(i) + ".";
    linear(p + "linear1", h, 3 * h + m);
    linear(p + "linear2", h + m, h);
    shapes[p + "norm.query_norm.scale"] = {d};
    shapes[p + "norm.key_norm.scale"] = {d};
    linear(p + "modulation.lin", h, 3 * h);
  }
  linear("final_layer.linear", h, config.in_channels);
  linear("final_layer.adaLN_modulation.1", h, 2 * h);

  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, shape] : shapes) {
    tensors[name] = at::rand(shape, generator, at::TensorOptions(at::kFloat)) - 0.5;
  }
  return tensors;
}

}  // namespace orfeas::neural::testing
