#include "orfeas/neural/dit.h"

#include <cmath>
#include <numeric>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/neural/config.h"

namespace orfeas::neural {
namespace {

constexpr double kNormEps = 1e-6;
constexpr int64_t kEmbeddingDim = 256;  // width of the timestep and guidance embeddings

// [B, heads, L, head_dim] -> [B, L, heads * head_dim].
at::Tensor merge_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// [B, L, 3 * heads * head_dim] laid out as (3, heads, head_dim) -> q, k, v [B, heads, L, head_dim].
std::vector<at::Tensor> split_qkv(const at::Tensor& qkv, int64_t num_heads) {
  const int64_t head_dim = qkv.size(2) / (3 * num_heads);
  return qkv.reshape({qkv.size(0), qkv.size(1), 3, num_heads, head_dim})
      .permute({2, 0, 3, 1, 4})
      .unbind(0);
}

// (1 + scale) * x + shift.
at::Tensor modulate(const at::Tensor& x, const ModulationOut& mod) {
  return (mod.scale + 1) * x + mod.shift;
}

void expect_shape(bool ok, const std::string& what, const at::Tensor& tensor) {
  if (!ok) {
    throw Error(ErrorCode::kBadInput, "DiT input " + what + " has a shape the model cannot take",
                {{"input", what}, {"shape", tensor.sizes().vec()}});
  }
}

}  // namespace

DitConfig DitConfig::from_json(const nlohmann::json& params) {
  DitConfig config;
  if (!params.is_null() && !params.is_object()) {
    throw Error(ErrorCode::kBadInput, "DiT config: params must be a map");
  }
  if (params.is_object()) {
    read_param(params, "in_channels", config.in_channels, "DiT");
    read_param(params, "context_in_dim", config.context_in_dim, "DiT");
    read_param(params, "hidden_size", config.hidden_size, "DiT");
    read_param(params, "mlp_ratio", config.mlp_ratio, "DiT");
    read_param(params, "num_heads", config.num_heads, "DiT");
    read_param(params, "depth", config.depth, "DiT");
    read_param(params, "depth_single_blocks", config.depth_single_blocks, "DiT");
    read_param(params, "axes_dim", config.axes_dim, "DiT");
    read_param(params, "qkv_bias", config.qkv_bias, "DiT");
    read_param(params, "time_factor", config.time_factor, "DiT");
    read_param(params, "guidance_embed", config.guidance_embed, "DiT");
  }
  if (config.num_heads <= 0 || config.hidden_size <= 0 ||
      config.hidden_size % config.num_heads != 0) {
    throw Error(ErrorCode::kBadInput, "DiT config: hidden_size must be divisible by num_heads",
                {{"hidden_size", config.hidden_size}, {"num_heads", config.num_heads}});
  }
  const int64_t axes_sum =
      std::accumulate(config.axes_dim.begin(), config.axes_dim.end(), int64_t{0});
  if (axes_sum != config.head_dim()) {
    throw Error(ErrorCode::kBadInput, "DiT config: axes_dim must sum to hidden_size / num_heads",
                {{"axes_dim", config.axes_dim}, {"head_dim", config.head_dim()}});
  }
  return config;
}

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period,
                              double time_factor) {
  const at::Tensor scaled = t * time_factor;
  const int64_t half = dim / 2;
  const at::Tensor freqs =
      at::exp(at::arange(0, half, at::TensorOptions(at::kFloat)) * -std::log(max_period) / half)
          .to(t.device());
  const at::Tensor args = scaled.unsqueeze(1).to(at::kFloat) * freqs.unsqueeze(0);
  at::Tensor embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2 != 0) {
    embedding = at::cat({embedding, at::zeros_like(embedding.slice(1, 0, 1))}, -1);
  }
  if (at::isFloatingType(t.scalar_type())) embedding = embedding.to(t.scalar_type());
  return embedding;
}

MLPEmbedder::MLPEmbedder(const Weights& w, int64_t in_dim, int64_t hidden_dim)
    : in_layer(w, "in_layer", in_dim, hidden_dim),
      out_layer(w, "out_layer", hidden_dim, hidden_dim) {}

at::Tensor MLPEmbedder::forward(const at::Tensor& x) const {
  return out_layer(at::silu(in_layer(x)));
}

Modulation::Modulation(const Weights& w, int64_t dim, bool is_double)
    : multiplier(is_double ? 6 : 3), lin(w, "lin", dim, multiplier * dim) {}

std::vector<ModulationOut> Modulation::forward(const at::Tensor& vec) const {
  const std::vector<at::Tensor> parts = lin(at::silu(vec)).unsqueeze(1).chunk(multiplier, -1);
  std::vector<ModulationOut> out;
  for (size_t i = 0; i < parts.size(); i += 3)
    out.push_back({parts[i], parts[i + 1], parts[i + 2]});
  return out;
}

SelfAttention::SelfAttention(const Weights& w, int64_t dim, int64_t num_heads, bool qkv_bias)
    : num_heads(num_heads),
      qkv(w, "qkv", dim, 3 * dim, qkv_bias),
      query_norm(w, "norm.query_norm.scale", dim / num_heads, kNormEps),
      key_norm(w, "norm.key_norm.scale", dim / num_heads, kNormEps),
      proj(w, "proj", dim, dim) {}

std::vector<at::Tensor> SelfAttention::normalized_qkv(const at::Tensor& x) const {
  std::vector<at::Tensor> qkv_heads = split_qkv(qkv(x), num_heads);
  const at::Tensor& v = qkv_heads[2];
  qkv_heads[0] = query_norm(qkv_heads[0]).to(v.scalar_type());
  qkv_heads[1] = key_norm(qkv_heads[1]).to(v.scalar_type());
  return qkv_heads;
}

DoubleStreamBlock::DoubleStreamBlock(const Weights& w, const DitConfig& c)
    : img_mod(w.scope("img_mod"), c.hidden_size, true),
      img_norm1(w, "img_norm1", c.hidden_size, kNormEps, false),
      img_attn(w.scope("img_attn"), c.hidden_size, c.num_heads, c.qkv_bias),
      img_norm2(w, "img_norm2", c.hidden_size, kNormEps, false),
      img_mlp_in(w, "img_mlp.0", c.hidden_size, c.mlp_hidden_dim()),
      img_mlp_out(w, "img_mlp.2", c.mlp_hidden_dim(), c.hidden_size),
      txt_mod(w.scope("txt_mod"), c.hidden_size, true),
      txt_norm1(w, "txt_norm1", c.hidden_size, kNormEps, false),
      txt_attn(w.scope("txt_attn"), c.hidden_size, c.num_heads, c.qkv_bias),
      txt_norm2(w, "txt_norm2", c.hidden_size, kNormEps, false),
      txt_mlp_in(w, "txt_mlp.0", c.hidden_size, c.mlp_hidden_dim()),
      txt_mlp_out(w, "txt_mlp.2", c.mlp_hidden_dim(), c.hidden_size) {}

std::pair<at::Tensor, at::Tensor> DoubleStreamBlock::forward(const at::Tensor& img,
                                                             const at::Tensor& txt,
                                                             const at::Tensor& vec) const {
  const std::vector<ModulationOut> img_mods = img_mod.forward(vec);
  const std::vector<ModulationOut> txt_mods = txt_mod.forward(vec);

  const std::vector<at::Tensor> img_qkv =
      img_attn.normalized_qkv(modulate(img_norm1(img), img_mods[0]));
  const std::vector<at::Tensor> txt_qkv =
      txt_attn.normalized_qkv(modulate(txt_norm1(txt), txt_mods[0]));

  // One attention over the joint sequence [txt; img].
  const at::Tensor q = at::cat({txt_qkv[0], img_qkv[0]}, 2);
  const at::Tensor k = at::cat({txt_qkv[1], img_qkv[1]}, 2);
  const at::Tensor v = at::cat({txt_qkv[2], img_qkv[2]}, 2);
  const at::Tensor joint = merge_heads(attention(q, k, v));
  const int64_t txt_len = txt.size(1);
  const at::Tensor txt_attended = joint.slice(1, 0, txt_len);
  const at::Tensor img_attended = joint.slice(1, txt_len);

  at::Tensor img_out = img + img_mods[0].gate * img_attn.proj(img_attended);
  img_out = img_out + img_mods[1].gate *
                          img_mlp_out(gelu(img_mlp_in(modulate(img_norm2(img_out), img_mods[1])),
                                           GeluApproximation::kTanh));

  at::Tensor txt_out = txt + txt_mods[0].gate * txt_attn.proj(txt_attended);
  txt_out = txt_out + txt_mods[1].gate *
                          txt_mlp_out(gelu(txt_mlp_in(modulate(txt_norm2(txt_out), txt_mods[1])),
                                           GeluApproximation::kTanh));
  return {img_out, txt_out};
}

SingleStreamBlock::SingleStreamBlock(const Weights& w, const DitConfig& c)
    : hidden_size(c.hidden_size),
      num_heads(c.num_heads),
      mlp_hidden_dim(c.mlp_hidden_dim()),
      linear1(w, "linear1", c.hidden_size, 3 * c.hidden_size + c.mlp_hidden_dim()),
      linear2(w, "linear2", c.hidden_size + c.mlp_hidden_dim(), c.hidden_size),
      query_norm(w, "norm.query_norm.scale", c.head_dim(), kNormEps),
      key_norm(w, "norm.key_norm.scale", c.head_dim(), kNormEps),
      pre_norm(w, "pre_norm", c.hidden_size, kNormEps, false),
      modulation(w.scope("modulation"), c.hidden_size, false) {}

at::Tensor SingleStreamBlock::forward(const at::Tensor& x, const at::Tensor& vec) const {
  const ModulationOut mod = modulation.forward(vec)[0];
  const std::vector<at::Tensor> qkv_and_mlp = at::split_with_sizes(
      linear1(modulate(pre_norm(x), mod)), {3 * hidden_size, mlp_hidden_dim}, -1);
  const std::vector<at::Tensor> qkv = split_qkv(qkv_and_mlp[0], num_heads);
  const at::Tensor& v = qkv[2];
  const at::Tensor q = query_norm(qkv[0]).to(v.scalar_type());
  const at::Tensor k = key_norm(qkv[1]).to(v.scalar_type());
  const at::Tensor attended = merge_heads(attention(q, k, v));
  const at::Tensor output =
      linear2(at::cat({attended, gelu(qkv_and_mlp[1], GeluApproximation::kTanh)}, 2));
  return x + mod.gate * output;
}

LastLayer::LastLayer(const Weights& w, int64_t hidden_size, int64_t out_channels)
    : norm_final(w, "norm_final", hidden_size, kNormEps, false),
      linear(w, "linear", hidden_size, out_channels),
      adaLN_modulation(w, "adaLN_modulation.1", hidden_size, 2 * hidden_size) {}

at::Tensor LastLayer::forward(const at::Tensor& x, const at::Tensor& vec) const {
  const std::vector<at::Tensor> shift_scale = adaLN_modulation(at::silu(vec)).chunk(2, 1);
  const at::Tensor shift = shift_scale[0].unsqueeze(1);
  const at::Tensor scale = shift_scale[1].unsqueeze(1);
  return linear((scale + 1) * norm_final(x) + shift);
}

namespace {

std::optional<MLPEmbedder> guidance_embedder(const Weights& w, const DitConfig& c) {
  if (!c.guidance_embed) return std::nullopt;
  return MLPEmbedder(w.scope("guidance_in"), kEmbeddingDim, c.hidden_size);
}

template <typename Block>
std::vector<Block> blocks(const Weights& w, const std::string& name, int64_t count,
                          const DitConfig& c) {
  std::vector<Block> out;
  out.reserve(count);
  for (int64_t i = 0; i < count; ++i) out.emplace_back(w.scope(name + "." + std::to_string(i)), c);
  return out;
}

}  // namespace

Dit::Dit(const Weights& w, const DitConfig& c)
    : config(c),
      latent_in(w, "latent_in", c.in_channels, c.hidden_size),
      time_in(w.scope("time_in"), kEmbeddingDim, c.hidden_size),
      cond_in(w, "cond_in", c.context_in_dim, c.hidden_size),
      guidance_in(guidance_embedder(w, c)),
      double_blocks(blocks<DoubleStreamBlock>(w, "double_blocks", c.depth, c)),
      single_blocks(blocks<SingleStreamBlock>(w, "single_blocks", c.depth_single_blocks, c)),
      final_layer(w.scope("final_layer"), c.hidden_size, c.in_channels) {}

at::Tensor Dit::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond,
                        const at::Tensor& guidance) const {
  expect_shape(x.dim() == 3 && x.size(2) == config.in_channels, "x", x);
  const int64_t rows = x.size(0);
  expect_shape(t.dim() == 1 && t.size(0) == rows, "t", t);
  expect_shape(cond.dim() == 3 && cond.size(0) == rows && cond.size(2) == config.context_in_dim,
               "cond", cond);

  at::Tensor latent = latent_in(x);
  at::Tensor vec = time_in.forward(
      timestep_embedding(t, kEmbeddingDim, config.time_factor).to(latent.scalar_type()));
  if (guidance_in) {
    if (!guidance.defined()) {
      throw Error(ErrorCode::kBadInput,
                  "this DiT is guidance-distilled: it needs a guidance input");
    }
    expect_shape(guidance.dim() == 1 && guidance.size(0) == rows, "guidance", guidance);
    vec =
        vec + guidance_in->forward(timestep_embedding(guidance, kEmbeddingDim, config.time_factor));
  }
  at::Tensor context = cond_in(cond);

  for (const DoubleStreamBlock& block : double_blocks) {
    std::tie(latent, context) = block.forward(latent, context, vec);
  }
  const int64_t context_len = context.size(1);
  at::Tensor joint = at::cat({context, latent}, 1);
  for (const SingleStreamBlock& block : single_blocks) joint = block.forward(joint, vec);
  return final_layer.forward(joint.slice(1, context_len), vec);
}

}  // namespace orfeas::neural
