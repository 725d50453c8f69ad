#include "orfeas/neural/shape_vae.h"

#include <cmath>
#include <numbers>
#include <set>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/neural/config.h"

namespace orfeas::neural {
namespace {

Error bad_config(const std::string& message) {
  return Error(ErrorCode::kBadInput, "ShapeVAE config: " + message);
}

// read_param for a parameter the official constructor has no default for.
template <typename T>
void read_required_param(const nlohmann::json& params, const char* name, T& value) {
  if (!params.contains(name)) throw bad_config(std::string("missing parameter '") + name + "'");
  read_param(params, name, value, "ShapeVAE");
}

void require_positive(int64_t value, const char* name) {
  if (value <= 0) throw bad_config(std::string("'") + name + "' must be positive");
}

void require_divides(int64_t divisor, int64_t value, const std::string& what) {
  if (value % divisor != 0) throw bad_config(what + " do not divide");
}

std::optional<LayerNorm> maybe_layer_norm(bool enabled, const Weights& w, const std::string& name,
                                          int64_t dim, double eps) {
  if (!enabled) return std::nullopt;
  return LayerNorm(w, name, dim, eps);
}

// [B, N, heads·parts·head_dim] laid out per head → `parts` tensors [B, heads, N, head_dim].
std::vector<at::Tensor> split_heads(const at::Tensor& x, int64_t heads, int64_t parts) {
  const int64_t batch = x.size(0), tokens = x.size(1);
  const int64_t head_dim = x.size(2) / heads / parts;
  std::vector<at::Tensor> split =
      x.view({batch, tokens, heads, parts * head_dim}).split(head_dim, -1);
  return split;
}

// [B, heads, N, head_dim] → [B, N, heads·head_dim].
at::Tensor merge_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

at::Tensor to_heads(const at::Tensor& x, const std::optional<LayerNorm>& norm) {
  return (norm ? (*norm)(x) : x).transpose(1, 2);
}

// The geometry decoder's width: the latents' divided by the downsample ratio.
int64_t decoder_width(const VaeConfig& c) { return c.width / c.geo_decoder_downsample_ratio; }

constexpr double kBlockNormEps = 1e-6;
constexpr double kLnPostEps = 1e-5;  // the official ln_post is a default nn.LayerNorm

}  // namespace

VaeConfig VaeConfig::from_json(const nlohmann::json& params) {
  if (!params.is_object()) throw bad_config("params must be a map");
  static const std::set<std::string> kKnown = {"num_latents",
                                               "embed_dim",
                                               "width",
                                               "heads",
                                               "num_decoder_layers",
                                               "geo_decoder_downsample_ratio",
                                               "geo_decoder_mlp_expand_ratio",
                                               "geo_decoder_ln_post",
                                               "num_freqs",
                                               "include_pi",
                                               "qkv_bias",
                                               "qk_norm",
                                               "label_type",
                                               "drop_path_rate",
                                               "scale_factor"};
  for (const auto& [name, value] : params.items()) {
    if (!kKnown.contains(name)) throw bad_config("unknown parameter '" + name + "'");
  }
  VaeConfig c;
  read_required_param(params, "num_latents", c.num_latents);
  read_required_param(params, "embed_dim", c.embed_dim);
  read_required_param(params, "width", c.width);
  read_required_param(params, "heads", c.heads);
  read_required_param(params, "num_decoder_layers", c.num_decoder_layers);
  read_param(params, "geo_decoder_downsample_ratio", c.geo_decoder_downsample_ratio, "ShapeVAE");
  read_param(params, "geo_decoder_mlp_expand_ratio", c.geo_decoder_mlp_expand_ratio, "ShapeVAE");
  read_param(params, "geo_decoder_ln_post", c.geo_decoder_ln_post, "ShapeVAE");
  read_param(params, "num_freqs", c.num_freqs, "ShapeVAE");
  read_param(params, "include_pi", c.include_pi, "ShapeVAE");
  read_param(params, "qkv_bias", c.qkv_bias, "ShapeVAE");
  read_param(params, "qk_norm", c.qk_norm, "ShapeVAE");
  read_param(params, "scale_factor", c.scale_factor, "ShapeVAE");
  std::string label_type;
  read_param(params, "label_type", label_type, "ShapeVAE");
  double drop_path_rate = 0.0;
  read_param(params, "drop_path_rate", drop_path_rate, "ShapeVAE");

  require_positive(c.num_latents, "num_latents");
  require_positive(c.embed_dim, "embed_dim");
  require_positive(c.width, "width");
  require_positive(c.heads, "heads");
  require_positive(c.geo_decoder_downsample_ratio, "geo_decoder_downsample_ratio");
  require_positive(c.geo_decoder_mlp_expand_ratio, "geo_decoder_mlp_expand_ratio");
  if (c.num_decoder_layers < 0) throw bad_config("'num_decoder_layers' must not be negative");
  if (c.num_freqs < 0) throw bad_config("'num_freqs' must not be negative");
  if (c.scale_factor == 0.0) throw bad_config("'scale_factor' must not be zero");
  require_divides(c.heads, c.width, "width and heads");
  require_divides(c.geo_decoder_downsample_ratio, c.width,
                  "width and geo_decoder_downsample_ratio");
  require_divides(c.geo_decoder_downsample_ratio, c.heads,
                  "heads and geo_decoder_downsample_ratio");
  return c;
}

FourierEmbedder::FourierEmbedder(int64_t num_freqs, bool include_pi, at::TensorOptions options) {
  frequencies = at::pow(2.0, at::arange(num_freqs, at::kFloat));
  if (include_pi) frequencies = frequencies * std::numbers::pi_v<float>;
  frequencies = frequencies.to(options);
}

at::Tensor FourierEmbedder::operator()(const at::Tensor& x) const {
  if (frequencies.numel() == 0) return x;
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = -1;
  const at::Tensor embed = (x.unsqueeze(-1) * frequencies).view(shape);
  return at::cat({x.to(embed.scalar_type()), embed.sin(), embed.cos()}, -1);
}

int64_t FourierEmbedder::out_dim(int64_t num_freqs, int64_t input_dim) {
  return input_dim * (2 * num_freqs + 1);
}

Mlp::Mlp(const Weights& w, int64_t width, int64_t expand_ratio)
    : c_fc(w, "c_fc", width, width * expand_ratio),
      c_proj(w, "c_proj", width * expand_ratio, width) {}

at::Tensor Mlp::operator()(const at::Tensor& x) const { return c_proj(neural::gelu(c_fc(x))); }

ResidualAttentionBlock::ResidualAttentionBlock(const Weights& w, int64_t width, int64_t heads,
                                               bool qkv_bias, bool qk_norm)
    : heads(heads),
      ln_1(w, "ln_1", width, kBlockNormEps),
      ln_2(w, "ln_2", width, kBlockNormEps),
      c_qkv(w, "attn.c_qkv", width, 3 * width, qkv_bias),
      c_proj(w, "attn.c_proj", width, width),
      q_norm(maybe_layer_norm(qk_norm, w, "attn.attention.q_norm", width / heads, kBlockNormEps)),
      k_norm(maybe_layer_norm(qk_norm, w, "attn.attention.k_norm", width / heads, kBlockNormEps)),
      mlp(w.scope("mlp"), width, 4) {}

at::Tensor ResidualAttentionBlock::forward(const at::Tensor& x) const {
  const std::vector<at::Tensor> qkv = split_heads(c_qkv(ln_1(x)), heads, 3);
  const at::Tensor attended =
      attention(to_heads(qkv[0], q_norm), to_heads(qkv[1], k_norm), qkv[2].transpose(1, 2));
  const at::Tensor h = x + c_proj(merge_heads(attended));
  return h + mlp(ln_2(h));
}

GeometryDecoder::GeometryDecoder(const Weights& w, const VaeConfig& c)
    : heads_(c.heads / c.geo_decoder_downsample_ratio),
      query_proj_(w, "query_proj", FourierEmbedder::out_dim(c.num_freqs), decoder_width(c)),
      fourier_embedder_(c.num_freqs, c.include_pi, query_proj_.weight.options()),
      latents_proj_(
          c.geo_decoder_downsample_ratio == 1
              ? std::nullopt
              : std::optional<Linear>(std::in_place, w, "latents_proj", c.width, decoder_width(c))),
      ln_1_(w, "cross_attn_decoder.ln_1", decoder_width(c), kBlockNormEps),
      ln_2_(w, "cross_attn_decoder.ln_2", decoder_width(c), kBlockNormEps),
      ln_3_(w, "cross_attn_decoder.ln_3", decoder_width(c), kBlockNormEps),
      c_q_(w, "cross_attn_decoder.attn.c_q", decoder_width(c), decoder_width(c), c.qkv_bias),
      c_kv_(w, "cross_attn_decoder.attn.c_kv", decoder_width(c), 2 * decoder_width(c), c.qkv_bias),
      c_proj_(w, "cross_attn_decoder.attn.c_proj", decoder_width(c), decoder_width(c)),
      // The official decoder drops qk-norm when it has no ln_post.
      q_norm_(maybe_layer_norm(c.qk_norm && c.geo_decoder_ln_post, w,
                               "cross_attn_decoder.attn.attention.q_norm", c.width / c.heads,
                               kBlockNormEps)),
      k_norm_(maybe_layer_norm(c.qk_norm && c.geo_decoder_ln_post, w,
                               "cross_attn_decoder.attn.attention.k_norm", c.width / c.heads,
                               kBlockNormEps)),
      mlp_(w.scope("cross_attn_decoder.mlp"), decoder_width(c), c.geo_decoder_mlp_expand_ratio),
      ln_post_(maybe_layer_norm(c.geo_decoder_ln_post, w, "ln_post", decoder_width(c), kLnPostEps)),
      output_proj_(w, "output_proj", decoder_width(c), 1) {}

LatentKeysValues GeometryDecoder::keys_values(const at::Tensor& latents) const {
  const at::Tensor data = latents_proj_ ? (*latents_proj_)(latents) : latents;
  const std::vector<at::Tensor> kv = split_heads(c_kv_(ln_2_(data)), heads_, 2);
  return {to_heads(kv[0], k_norm_), kv[1].transpose(1, 2)};
}

at::Tensor GeometryDecoder::forward(const at::Tensor& queries,
                                    const LatentKeysValues& latents) const {
  const at::Tensor x = query_proj_(fourier_embedder_(queries).to(dtype()));
  const at::Tensor q = split_heads(c_q_(ln_1_(x)), heads_, 1)[0];
  const at::Tensor attended = attention(to_heads(q, q_norm_), latents.k, latents.v);
  at::Tensor h = x + c_proj_(merge_heads(attended));
  h = h + mlp_(ln_3_(h));
  if (ln_post_) h = (*ln_post_)(h);
  return output_proj_(h);
}

at::Tensor GeometryDecoder::forward(const at::Tensor& queries, const at::Tensor& latents) const {
  return forward(queries, keys_values(latents));
}

ShapeVae::ShapeVae(const Weights& w, const VaeConfig& config)
    : config_(config),
      post_kl_(w, "post_kl", config.embed_dim, config.width),
      geo_decoder_(w.scope("geo_decoder"), config) {
  resblocks_.reserve(config.num_decoder_layers);
  for (int64_t i = 0; i < config.num_decoder_layers; ++i) {
    resblocks_.emplace_back(w.scope("transformer.resblocks." + std::to_string(i)), config.width,
                            config.heads, config.qkv_bias, config.qk_norm);
  }
  w.expect_all_taken();
}

at::Tensor ShapeVae::forward(const at::Tensor& latents) const {
  at::Tensor x = post_kl_(latents);
  for (const ResidualAttentionBlock& block : resblocks_) x = block.forward(x);
  return x;
}

at::Tensor ShapeVae::decode(const at::Tensor& latents) const {
  return forward((1.0 / config_.scale_factor) * latents);
}

}  // namespace orfeas::neural
