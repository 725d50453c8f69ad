// Hunyuan3D-2's ShapeVAE, the decoder half: what turns the DiT's sampled latents into an occupancy
// field. Mirrors hy3dgen.shapegen.models.autoencoders (ShapeVAE, Transformer,
// CrossAttentionDecoder) module for module, with the official tensor names under the checkpoint's
// `vae.` section.
//
// The pipeline decodes in two steps:
//   1. ShapeVae::decode: latents [B, num_latents, embed_dim] → (1 / scale_factor) · latents →
//      post_kl → transformer → latent tokens [B, num_latents, width];
//   2. GeometryDecoder: occupancy logits at query points, cross-attending from the points to the
//      latent tokens (volume_decoding.h samples it on a grid). Positive logits are inside.
//
// The official ShapeVAE has no encoder (hy3dgen 2.0.2 builds none and loads `vae.` strictly), so
// the checkpoint's `vae.` section holds exactly the tensors taken here; anything else is an error.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/neural/layers.h"
#include "orfeas/neural/weights.h"

namespace orfeas::neural {

// The `vae: params:` of the model's config.yaml, official names and defaults. label_type and
// drop_path_rate are accepted and have no effect at inference.
struct VaeConfig {
  int64_t num_latents = 0;
  int64_t embed_dim = 0;
  int64_t width = 0;
  int64_t heads = 0;
  int64_t num_decoder_layers = 0;
  int64_t geo_decoder_downsample_ratio = 1;
  int64_t geo_decoder_mlp_expand_ratio = 4;
  bool geo_decoder_ln_post = true;
  int64_t num_freqs = 8;
  bool include_pi = true;
  bool qkv_bias = true;
  bool qk_norm = false;
  double scale_factor = 1.0;

  // Throws Error(bad_input) for a missing required parameter (num_latents, embed_dim, width,
  // heads, num_decoder_layers), an unknown one, a value of the wrong type, or sizes that do not
  // divide (width by heads and by the downsample ratio, ...).
  static VaeConfig from_json(const nlohmann::json& params);
};

// FourierEmbedder (logspace, with the input): x [..., 3] → [x, sin(x·f), cos(x·f)] [..., 3(2F+1)]
// with f = 2^0..2^(F-1) (times π with include_pi), the frequencies of one input dimension
// adjacent; x itself when F = 0. The frequencies are held in `options`' dtype (the module's, like
// the official buffer) and the product computes in the wider of that and x's dtype.
struct FourierEmbedder {
  FourierEmbedder(int64_t num_freqs, bool include_pi, at::TensorOptions options);
  at::Tensor operator()(const at::Tensor& x) const;
  static int64_t out_dim(int64_t num_freqs, int64_t input_dim = 3);

  at::Tensor frequencies;  // [num_freqs]
};

// MLP: c_proj(gelu(c_fc(x))), hidden width·expand_ratio.
struct Mlp {
  Mlp(const Weights& w, int64_t width, int64_t expand_ratio);
  at::Tensor operator()(const at::Tensor& x) const;

  Linear c_fc, c_proj;
};

// ResidualAttentionBlock: x += attn(ln_1(x)); x += mlp(ln_2(x)). The attention projects to q, k, v
// with one c_qkv whose output holds, per head, q|k|v of head_dim each; optional per-head q/k
// LayerNorm (attn.attention.q_norm / k_norm, eps 1e-6).
struct ResidualAttentionBlock {
  ResidualAttentionBlock(const Weights& w, int64_t width, int64_t heads, bool qkv_bias,
                         bool qk_norm);
  at::Tensor forward(const at::Tensor& x) const;

  int64_t heads;
  LayerNorm ln_1, ln_2;
  Linear c_qkv, c_proj;
  std::optional<LayerNorm> q_norm, k_norm;
  Mlp mlp;
};

// The cross-attention keys and values of a batch's latent tokens, per head:
// k, v [B, heads, num_latents, head_dim]. They depend only on the latents, so a volume is decoded
// with one set however many query chunks it takes.
struct LatentKeysValues {
  at::Tensor k, v;
};

// CrossAttentionDecoder (geo_decoder): queries [B, P, 3] → occupancy logits [B, P, 1].
//   x = query_proj(fourier(queries)); (latents = latents_proj(latents) when downsampling)
//   x += c_proj(attention(c_q(ln_1(x)), c_kv(ln_2(latents))))   (cross_attn_decoder.attn)
//   x += mlp(ln_3(x)); x = ln_post(x) (when enabled, eps 1e-5); logits = output_proj(x)
// c_kv's output holds, per head, k|v of head_dim each. Query points do not interact: each logit
// depends only on its own point and the latents.
class GeometryDecoder {
 public:
  GeometryDecoder(const Weights& w, const VaeConfig& config);

  // The keys and values of latent tokens [B, num_latents, width] (the transformer's output).
  LatentKeysValues keys_values(const at::Tensor& latents) const;
  // Logits [B, P, 1] at queries [B, P, 3] (any floating dtype; see FourierEmbedder).
  at::Tensor forward(const at::Tensor& queries, const LatentKeysValues& latents) const;
  // The official forward(queries, latents): keys_values then forward.
  at::Tensor forward(const at::Tensor& queries, const at::Tensor& latents) const;

  // The dtype the decoder computes in (its weights').
  at::ScalarType dtype() const { return query_proj_.weight.scalar_type(); }

 private:
  int64_t heads_;
  Linear query_proj_;
  FourierEmbedder fourier_embedder_;
  std::optional<Linear> latents_proj_;
  LayerNorm ln_1_, ln_2_, ln_3_;
  Linear c_q_, c_kv_, c_proj_;
  std::optional<LayerNorm> q_norm_, k_norm_;
  Mlp mlp_;
  std::optional<LayerNorm> ln_post_;
  Linear output_proj_;
};

// ShapeVAE's decoding modules. Takes every tensor of `w` (the checkpoint's `vae` scope) and throws
// Error(bad_input) naming any it does not use.
class ShapeVae {
 public:
  ShapeVae(const Weights& w, const VaeConfig& config);

  // The official forward: post_kl then the transformer; [B, num_latents, embed_dim] →
  // [B, num_latents, width].
  at::Tensor forward(const at::Tensor& latents) const;
  // What the pipeline decodes sampled latents with: forward((1 / scale_factor) · latents).
  at::Tensor decode(const at::Tensor& latents) const;

  const VaeConfig& config() const { return config_; }
  const GeometryDecoder& geo_decoder() const { return geo_decoder_; }

 private:
  VaeConfig config_;
  Linear post_kl_;
  std::vector<ResidualAttentionBlock> resblocks_;
  GeometryDecoder geo_decoder_;
};

}  // namespace orfeas::neural
