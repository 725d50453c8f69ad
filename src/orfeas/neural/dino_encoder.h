// The image conditioner of Hunyuan3D-2 (hy3dgen's DinoImageEncoder): a DINOv2 vision transformer
// (Hugging Face's Dinov2Model) whose last hidden state, one token per 14x14 patch plus the class
// token, is the condition the denoiser attends to. The large model has a GELU MLP in each layer,
// the giant one a SwiGLU feed-forward.
//
// Tensor names are those of the released checkpoints (written with transformers 4.x):
//   model.embeddings.{cls_token, mask_token, position_embeddings, patch_embeddings.projection}
//   model.encoder.layer.N.{norm1, attention.attention.{query,key,value}, attention.output.dense,
//     layer_scale1.lambda1, norm2, mlp.{fc1,fc2} | mlp.{weights_in,weights_out},
//     layer_scale2.lambda1}
//   model.layernorm
// under the encoder's scope (conditioner.main_image_encoder in a full checkpoint).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/neural/layers.h"
#include "orfeas/neural/weights.h"

namespace orfeas::neural {

// ImageNet statistics the encoder's inputs are normalised with (RGB order).
inline constexpr double kDinoMean[3] = {0.485, 0.456, 0.406};
inline constexpr double kDinoStd[3] = {0.229, 0.224, 0.225};

// Hyper-parameters of DinoImageEncoder.
struct DinoConfig {
  // The Hugging Face Dinov2Config (`config` inside the kwargs), official names and defaults.
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  double mlp_ratio = 4;
  double layer_norm_eps = 1e-6;
  int64_t model_image_size =
      224;  // `config.image_size`: the stored position grid's side, in pixels
  int64_t patch_size = 14;
  int64_t num_channels = 3;
  bool qkv_bias = true;
  bool use_swiglu_ffn = false;  // else a GELU (erf) MLP
  // The encoder's own kwargs.
  int64_t image_size = 224;  // images are resized (short side) and centre-cropped to this square
  bool use_cls_token = true;

  // Reads the `kwargs` map of config.yaml's conditioner.params.main_image_encoder. Unknown names
  // (dropout rates, initializer_range, model_type, torch_dtype, ...) are ignored: they do not
  // change inference. Throws Error(bad_input) for a wrong type, a missing `config` (the official
  // code would download `version` instead), a hidden_act other than gelu for the MLP variant, a
  // non-square image_size, or sizes that do not divide.
  static DinoConfig from_json(const nlohmann::json& kwargs);

  // Reads config.yaml's conditioner.params: a single DinoImageEncoder as main_image_encoder.
  // Throws Error(bad_input) for any other conditioner (CLIP, multi-view, dual encoders).
  static DinoConfig from_conditioner_params(const nlohmann::json& params);

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Width of the MLP's hidden layer: fc1's output, or each half of the SwiGLU's weights_in.
  int64_t mlp_hidden_dim() const;
  // Patches in the stored position grid (model_image_size / patch_size, squared).
  int64_t stored_patches() const;
  // Condition tokens per image: (image_size / patch_size)^2, plus the class token if kept.
  int64_t output_tokens() const;
};

// One pre-norm transformer layer with layer scale on both residual branches.
struct DinoLayer {
  DinoLayer(const Weights& w, const DinoConfig& config);
  at::Tensor forward(const at::Tensor& x) const;  // [B, L, hidden] -> [B, L, hidden]

  int64_t num_heads;
  bool swiglu;
  LayerNorm norm1;
  Linear query, key, value, output;
  at::Tensor layer_scale1;
  LayerNorm norm2;
  Linear mlp_in, mlp_out;  // fc1/fc2, or weights_in (gate and value halves)/weights_out
  at::Tensor layer_scale2;
};

struct DinoEncoder {
  // Takes every tensor by official name from `w`, scoped to the encoder (names start "model.").
  DinoEncoder(const Weights& w, const DinoConfig& config);

  // The condition of normalised images [B, num_channels, H, W] (conditioner_input in
  // image_condition.h gives them): DINOv2's last hidden state after its final layer norm,
  // [B, 1 + (H / patch) * (W / patch), hidden], without the class token when !use_cls_token.
  // Runs in the weights' dtype. Throws Error(bad_input) for a wrong channel count or an image
  // smaller than one patch.
  at::Tensor forward(const at::Tensor& images) const;

  // The condition classifier-free guidance pairs with it: zeros [batch, output_tokens(), hidden]
  // in the weights' dtype and device.
  at::Tensor unconditional_embedding(int64_t batch) const;

  // The position embeddings for an H x W image: the stored ones when the patch grid matches and
  // the image is square, else the stored grid resized bicubically (in float32) to H/p x W/p.
  at::Tensor position_embeddings_for(int64_t height, int64_t width) const;

  DinoConfig config;
  at::Tensor cls_token;            // [1, 1, hidden]
  at::Tensor position_embeddings;  // [1, 1 + stored_patches, hidden]
  at::Tensor patch_weight, patch_bias;
  std::vector<DinoLayer> layers;
  LayerNorm layernorm;
};

}  // namespace orfeas::neural
