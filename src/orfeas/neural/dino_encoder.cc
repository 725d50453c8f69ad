#include "orfeas/neural/dino_encoder.h"

#include <string>

#include "orfeas/core/error.h"
#include "orfeas/neural/config.h"

namespace orfeas::neural {
namespace {

void require(bool ok, const std::string& message, const nlohmann::json& details = {}) {
  if (!ok) {
    throw Error(ErrorCode::kBadInput, "DINOv2 config: " + message,
                details.is_null() ? nlohmann::json::object() : details);
  }
}

// [B, L, heads * head_dim] <-> [B, heads, L, head_dim].
at::Tensor split_heads(const at::Tensor& x, int64_t num_heads) {
  return x.reshape({x.size(0), x.size(1), num_heads, x.size(2) / num_heads}).transpose(1, 2);
}
at::Tensor merge_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

}  // namespace

DinoConfig DinoConfig::from_json(const nlohmann::json& kwargs) {
  require(kwargs.is_object(), "the image encoder's kwargs must be a map");
  require(kwargs.contains("config") && kwargs["config"].is_object(),
          "kwargs.config (the Dinov2Config) is required: pretrained `version` names are not "
          "downloaded");
  DinoConfig config;
  const nlohmann::json& model = kwargs["config"];
  read_param(model, "hidden_size", config.hidden_size, "DINOv2");
  read_param(model, "num_hidden_layers", config.num_hidden_layers, "DINOv2");
  read_param(model, "num_attention_heads", config.num_attention_heads, "DINOv2");
  read_param(model, "mlp_ratio", config.mlp_ratio, "DINOv2");
  read_param(model, "layer_norm_eps", config.layer_norm_eps, "DINOv2");
  read_param(model, "image_size", config.model_image_size, "DINOv2");
  read_param(model, "patch_size", config.patch_size, "DINOv2");
  read_param(model, "num_channels", config.num_channels, "DINOv2");
  read_param(model, "qkv_bias", config.qkv_bias, "DINOv2");
  read_param(model, "use_swiglu_ffn", config.use_swiglu_ffn, "DINOv2");
  std::string hidden_act = "gelu";
  read_param(model, "hidden_act", hidden_act, "DINOv2");
  read_param(kwargs, "image_size", config.image_size, "DINOv2");
  read_param(kwargs, "use_cls_token", config.use_cls_token, "DINOv2");

  // The SwiGLU feed-forward has its own activation (SiLU); the MLP uses hidden_act.
  require(config.use_swiglu_ffn || hidden_act == "gelu",
          "hidden_act '" + hidden_act + "' is not supported (only gelu)");
  require(
      config.hidden_size > 0 && config.num_attention_heads > 0 &&
          config.hidden_size % config.num_attention_heads == 0,
      "hidden_size must be divisible by num_attention_heads",
      {{"hidden_size", config.hidden_size}, {"num_attention_heads", config.num_attention_heads}});
  require(config.patch_size > 0 && config.model_image_size >= config.patch_size &&
              config.image_size >= config.patch_size,
          "image sizes must hold at least one patch",
          {{"patch_size", config.patch_size},
           {"config.image_size", config.model_image_size},
           {"image_size", config.image_size}});
  require(config.num_hidden_layers >= 0 && config.num_channels > 0 && config.mlp_ratio > 0,
          "layer, channel and MLP sizes must be positive");
  return config;
}

DinoConfig DinoConfig::from_conditioner_params(const nlohmann::json& params) {
  require(params.is_object() && params.contains("main_image_encoder"),
          "conditioner params need a main_image_encoder");
  require(!params.contains("additional_image_encoder"), "dual image encoders are not supported");
  const nlohmann::json& encoder = params["main_image_encoder"];
  require(encoder.is_object() && encoder.value("type", "") == "DinoImageEncoder",
          "the main image encoder must be a DinoImageEncoder",
          {{"type", encoder.is_object() ? encoder.value("type", "") : ""}});
  return from_json(encoder.value("kwargs", nlohmann::json::object()));
}

int64_t DinoConfig::mlp_hidden_dim() const {
  const auto mlp = static_cast<int64_t>(static_cast<double>(hidden_size) * mlp_ratio);
  if (!use_swiglu_ffn) return mlp;
  // Two thirds of the MLP width, rounded up to a multiple of 8.
  const auto two_thirds = static_cast<int64_t>(static_cast<double>(mlp * 2) / 3.0);
  return (two_thirds + 7) / 8 * 8;
}

int64_t DinoConfig::stored_patches() const {
  const int64_t side = model_image_size / patch_size;
  return side * side;
}

int64_t DinoConfig::output_tokens() const {
  const int64_t side = image_size / patch_size;
  return side * side + (use_cls_token ? 1 : 0);
}

DinoLayer::DinoLayer(const Weights& w, const DinoConfig& config)
    : num_heads(config.num_attention_heads),
      swiglu(config.use_swiglu_ffn),
      norm1(w, "norm1", config.hidden_size, config.layer_norm_eps),
      query(w, "attention.attention.query", config.hidden_size, config.hidden_size,
            config.qkv_bias),
      key(w, "attention.attention.key", config.hidden_size, config.hidden_size, config.qkv_bias),
      value(w, "attention.attention.value", config.hidden_size, config.hidden_size,
            config.qkv_bias),
      output(w, "attention.output.dense", config.hidden_size, config.hidden_size),
      layer_scale1(w.take("layer_scale1.lambda1", {config.hidden_size})),
      norm2(w, "norm2", config.hidden_size, config.layer_norm_eps),
      mlp_in(w, swiglu ? "mlp.weights_in" : "mlp.fc1", config.hidden_size,
             config.mlp_hidden_dim() * (swiglu ? 2 : 1)),
      mlp_out(w, swiglu ? "mlp.weights_out" : "mlp.fc2", config.mlp_hidden_dim(),
              config.hidden_size),
      layer_scale2(w.take("layer_scale2.lambda1", {config.hidden_size})) {}

at::Tensor DinoLayer::forward(const at::Tensor& x) const {
  const at::Tensor normed = norm1(x);
  const at::Tensor attended =
      attention(split_heads(query(normed), num_heads), split_heads(key(normed), num_heads),
                split_heads(value(normed), num_heads));
  const at::Tensor h = x + output(merge_heads(attended)) * layer_scale1;

  at::Tensor hidden = mlp_in(norm2(h));
  if (swiglu) {
    const std::vector<at::Tensor> halves = hidden.chunk(2, -1);
    hidden = at::silu(halves[0]) * halves[1];
  } else {
    hidden = neural::gelu(hidden);
  }
  return h + mlp_out(hidden) * layer_scale2;
}

DinoEncoder::DinoEncoder(const Weights& w, const DinoConfig& config_)
    : config(config_),
      cls_token(w.take("model.embeddings.cls_token", {1, 1, config.hidden_size})),
      position_embeddings(w.take("model.embeddings.position_embeddings",
                                 {1, 1 + config.stored_patches(), config.hidden_size})),
      patch_weight(
          w.take("model.embeddings.patch_embeddings.projection.weight",
                 {config.hidden_size, config.num_channels, config.patch_size, config.patch_size})),
      patch_bias(w.take("model.embeddings.patch_embeddings.projection.bias", {config.hidden_size})),
      layernorm(w, "model.layernorm", config.hidden_size, config.layer_norm_eps) {
  // The mask token replaces masked patches in DINOv2's pre-training; the conditioner masks none.
  // It is in every released checkpoint and taken here only so that nothing goes unaccounted for.
  if (w.has("model.embeddings.mask_token")) {
    w.take("model.embeddings.mask_token", {1, config.hidden_size});
  }
  layers.reserve(config.num_hidden_layers);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layers.emplace_back(w.scope("model.encoder.layer." + std::to_string(i)), config);
  }
}

at::Tensor DinoEncoder::position_embeddings_for(int64_t height, int64_t width) const {
  const int64_t rows = height / config.patch_size, columns = width / config.patch_size;
  if (rows * columns == config.stored_patches() && height == width) return position_embeddings;
  const int64_t side = config.model_image_size / config.patch_size;
  const at::Tensor grid = position_embeddings.slice(1, 1)
                              .reshape({1, side, side, config.hidden_size})
                              .permute({0, 3, 1, 2});
  const at::Tensor resized =
      at::upsample_bicubic2d(grid.to(at::kFloat), {rows, columns}, /*align_corners=*/false)
          .to(position_embeddings.scalar_type());
  return at::cat({position_embeddings.slice(1, 0, 1),
                  resized.permute({0, 2, 3, 1}).reshape({1, rows * columns, config.hidden_size})},
                 1);
}

at::Tensor DinoEncoder::forward(const at::Tensor& images) const {
  if (images.dim() != 4 || images.size(1) != config.num_channels ||
      images.size(2) < config.patch_size || images.size(3) < config.patch_size) {
    throw Error(ErrorCode::kBadInput,
                "DINOv2 input must be images [B, channels, H, W] of at least one patch",
                {{"shape", images.sizes().vec()},
                 {"channels", config.num_channels},
                 {"patch_size", config.patch_size}});
  }
  const int64_t batch = images.size(0);
  const at::Tensor pixels = images.to(patch_weight.options());
  // Patch embedding: a stride-p convolution, one token per patch in row-major order.
  const at::Tensor patches =
      at::conv2d(pixels, patch_weight, patch_bias, {config.patch_size, config.patch_size})
          .flatten(2)
          .transpose(1, 2);
  at::Tensor x = at::cat({cls_token.expand({batch, 1, config.hidden_size}), patches}, 1);
  x = x + position_embeddings_for(images.size(2), images.size(3));
  for (const DinoLayer& layer : layers) x = layer.forward(x);
  x = layernorm(x);
  return config.use_cls_token ? x : x.slice(1, 1);
}

at::Tensor DinoEncoder::unconditional_embedding(int64_t batch) const {
  return at::zeros({batch, config.output_tokens(), config.hidden_size}, cls_token.options());
}

}  // namespace orfeas::neural
