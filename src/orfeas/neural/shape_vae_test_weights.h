// Test helpers: a tiny ShapeVAE config and random tensors under every official name it needs.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

#include "orfeas/neural/shape_vae.h"

namespace orfeas::neural::test {

inline VaeConfig tiny_vae_config() {
  VaeConfig c;
  c.num_latents = 16;
  c.embed_dim = 8;
  c.width = 32;
  c.heads = 4;
  c.num_decoder_layers = 2;
  c.num_freqs = 4;
  c.include_pi = false;
  c.qkv_bias = false;
  c.qk_norm = true;
  return c;
}

// The official state_dict names and shapes of ShapeVAE(config), random values (seeded).
inline std::map<std::string, at::Tensor> random_vae_tensors(const VaeConfig& c, uint64_t seed) {
  at::manual_seed(seed);
  std::map<std::string, at::Tensor> t;
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias = true) {
    t[name + ".weight"] = at::randn({out, in}) / std::sqrt(static_cast<double>(in));
    if (bias) t[name + ".bias"] = at::randn({out}) * 0.1;
  };
  auto norm = [&](const std::string& name, int64_t dim) {
    t[name + ".weight"] = 1 + at::randn({dim}) * 0.1;
    t[name + ".bias"] = at::randn({dim}) * 0.1;
  };
  const int64_t w = c.width, head_dim = c.width / c.heads;
  linear("post_kl", c.embed_dim, w);
  for (int64_t i = 0; i < c.num_decoder_layers; ++i) {
    const std::string block = "transformer.resblocks." + std::to_string(i) + ".";
    norm(block + "ln_1", w);
    norm(block + "ln_2", w);
    linear(block + "attn.c_qkv", w, 3 * w, c.qkv_bias);
    linear(block + "attn.c_proj", w, w);
    if (c.qk_norm) {
      norm(block + "attn.attention.q_norm", head_dim);
      norm(block + "attn.attention.k_norm", head_dim);
    }
    linear(block + "mlp.c_fc", w, 4 * w);
    linear(block + "mlp.c_proj", 4 * w, w);
  }
  const int64_t dw = w / c.geo_decoder_downsample_ratio;
  const std::string geo = "geo_decoder.";
  linear(geo + "query_proj", FourierEmbedder::out_dim(c.num_freqs), dw);
  if (c.geo_decoder_downsample_ratio != 1) linear(geo + "latents_proj", w, dw);
  const std::string cross = geo + "cross_attn_decoder.";
  norm(cross + "ln_1", dw);
  norm(cross + "ln_2", dw);
  norm(cross + "ln_3", dw);
  linear(cross + "attn.c_q", dw, dw, c.qkv_bias);
  linear(cross + "attn.c_kv", dw, 2 * dw, c.qkv_bias);
  linear(cross + "attn.c_proj", dw, dw);
  if (c.qk_norm && c.geo_decoder_ln_post) {
    norm(cross + "attn.attention.q_norm", head_dim);
    norm(cross + "attn.attention.k_norm", head_dim);
  }
  linear(cross + "mlp.c_fc", dw, dw * c.geo_decoder_mlp_expand_ratio);
  linear(cross + "mlp.c_proj", dw * c.geo_decoder_mlp_expand_ratio, dw);
  if (c.geo_decoder_ln_post) norm(geo + "ln_post", dw);
  linear(geo + "output_proj", dw, 1);
  return t;
}

}  // namespace orfeas::neural::test
