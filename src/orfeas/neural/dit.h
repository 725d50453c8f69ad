// The Hunyuan3D-2 denoiser (hy3dgen's Hunyuan3DDiT): a flow-matching transformer in the style of
// FLUX. Latent tokens ("img") and condition tokens ("txt") first run through double-stream blocks
// (separate weights per stream, one joint attention), then, concatenated as [cond; latent], through
// single-stream blocks; the final layer maps the latent tokens back to velocities. Every block is
// modulated (shift, scale, gate) by one vector per row: the embedded timestep, plus the embedded
// guidance strength for guidance-distilled models.
//
// The official model passes no positional embedding (pe is None), so attention is plain
// softmax(q k^T / sqrt(d)) v over all tokens, and `axes_dim`/`theta` shape nothing but a check.
// Every row of a batch is independent: per-row latents, timesteps, conditions and guidance.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/neural/layers.h"
#include "orfeas/neural/weights.h"

namespace orfeas::neural {

// Hyper-parameters of Hunyuan3DDiT: the `model.params` map of config.yaml, official names and
// defaults.
struct DitConfig {
  int64_t in_channels = 64;  // latent channels in and out
  int64_t context_in_dim = 1536;
  int64_t hidden_size = 1024;
  double mlp_ratio = 4.0;  // MLP hidden width is int(hidden_size * mlp_ratio)
  int64_t num_heads = 16;
  int64_t depth = 16;                    // double-stream blocks
  int64_t depth_single_blocks = 32;      // single-stream blocks
  std::vector<int64_t> axes_dim = {64};  // must sum to the head dimension
  bool qkv_bias = true;
  // The official forward passes this as the *max_period* of timestep_embedding (its third
  // positional argument); the timestep itself is always scaled by 1000.
  double time_factor = 1000.0;
  bool guidance_embed = false;  // guidance-distilled models: guidance strength is an input

  // Reads `params`; unknown names (theta, ckpt_path, ...) are ignored as the official constructor
  // ignores them. Throws Error(bad_input) for a wrong type, hidden_size not divisible by
  // num_heads, or axes_dim not summing to hidden_size / num_heads.
  static DitConfig from_json(const nlohmann::json& params);

  int64_t head_dim() const { return hidden_size / num_heads; }
  int64_t mlp_hidden_dim() const { return static_cast<int64_t>(hidden_size * mlp_ratio); }
};

// Sinusoidal embedding of `t` [B] (fractional values allowed): [B, dim] = [cos(args), sin(args)]
// with args = time_factor * t * exp(-ln(max_period) * i / (dim / 2)) for i < dim / 2, zero-padded
// to an odd dim. Computed in float32, returned in t's dtype when t is floating point.
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period = 10000.0,
                              double time_factor = 1000.0);

// out_layer(silu(in_layer(x))).
struct MLPEmbedder {
  MLPEmbedder(const Weights& w, int64_t in_dim, int64_t hidden_dim);
  at::Tensor forward(const at::Tensor& x) const;

  Linear in_layer, out_layer;
};

// One (shift, scale, gate) triple, each [B, 1, hidden]: x -> (1 + scale) * x + shift before a
// sub-layer, residual += gate * sub-layer output after it.
struct ModulationOut {
  at::Tensor shift, scale, gate;
};

// lin(silu(vec)) split into one triple (single-stream) or two (double-stream: attention, MLP).
struct Modulation {
  Modulation(const Weights& w, int64_t dim, bool is_double);
  std::vector<ModulationOut> forward(const at::Tensor& vec) const;

  int64_t multiplier;  // 3 or 6
  Linear lin;
};

// The per-stream attention weights of a double-stream block: qkv projection (output laid out as
// (3, heads, head_dim)), RMS norms of q and k per head ("norm.query_norm.scale",
// "norm.key_norm.scale"), output projection.
struct SelfAttention {
  SelfAttention(const Weights& w, int64_t dim, int64_t num_heads, bool qkv_bias);
  // q, k, v [B, heads, L, head_dim] of x [B, L, dim], with q and k normalised.
  std::vector<at::Tensor> normalized_qkv(const at::Tensor& x) const;

  int64_t num_heads;
  Linear qkv;
  RMSNorm query_norm, key_norm;
  Linear proj;
};

struct DoubleStreamBlock {
  DoubleStreamBlock(const Weights& w, const DitConfig& config);
  // (img, txt) after the block: img [B, N, hidden], txt [B, L, hidden], vec [B, hidden].
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& img, const at::Tensor& txt,
                                            const at::Tensor& vec) const;

  Modulation img_mod;
  LayerNorm img_norm1;
  SelfAttention img_attn;
  LayerNorm img_norm2;
  Linear img_mlp_in, img_mlp_out;  // "img_mlp.0", "img_mlp.2" (tanh GELU between)
  Modulation txt_mod;
  LayerNorm txt_norm1;
  SelfAttention txt_attn;
  LayerNorm txt_norm2;
  Linear txt_mlp_in, txt_mlp_out;
};

// Parallel attention + MLP over the joint sequence: linear1 gives qkv and the MLP input in one
// projection, linear2 maps [attention; gelu(mlp)] back to hidden.
struct SingleStreamBlock {
  SingleStreamBlock(const Weights& w, const DitConfig& config);
  // x [B, L, hidden], vec [B, hidden] -> [B, L, hidden].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& vec) const;

  int64_t hidden_size, num_heads, mlp_hidden_dim;
  Linear linear1, linear2;
  RMSNorm query_norm, key_norm;
  LayerNorm pre_norm;
  Modulation modulation;
};

// adaLN-modulated final norm and projection to the output channels.
struct LastLayer {
  LastLayer(const Weights& w, int64_t hidden_size, int64_t out_channels);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& vec) const;

  LayerNorm norm_final;
  Linear linear;
  Linear adaLN_modulation;  // "adaLN_modulation.1", after a SiLU
};

// forward() is const and keeps no state: one Dit may serve concurrent callers.
struct Dit {
  // Takes every tensor by its official name from `w`, scoped to the model ("model" in the
  // released checkpoints).
  Dit(const Weights& w, const DitConfig& config);

  // The velocity [B, N, in_channels] of latents x [B, N, in_channels] at timesteps t [B] (in
  // [0, 1]: the scheduler's timestep / num_train_timesteps) under condition tokens
  // cond [B, L, context_in_dim]. `guidance` [B] is the guidance strength, required (and only
  // used) when config.guidance_embed; throws Error(bad_input) when it is missing then, or when a
  // shape does not fit the config.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond,
                     const at::Tensor& guidance = {}) const;

  DitConfig config;
  Linear latent_in;
  MLPEmbedder time_in;
  Linear cond_in;
  std::optional<MLPEmbedder> guidance_in;  // with config.guidance_embed
  std::vector<DoubleStreamBlock> double_blocks;
  std::vector<SingleStreamBlock> single_blocks;
  LastLayer final_layer;
};

}  // namespace orfeas::neural
