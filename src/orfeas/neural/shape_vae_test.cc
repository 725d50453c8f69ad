#include "orfeas/neural/shape_vae.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/shape_vae_test_weights.h"

namespace orfeas::neural {
namespace {

using ::orfeas::test::code_of;
using ::orfeas::test::error_of;

TEST(VaeConfigTest, ReadsTheOfficialHunyuan3D2Params) {
  const VaeConfig c = VaeConfig::from_json(nlohmann::json::parse(R"({
    "num_latents": 3072, "embed_dim": 64, "num_freqs": 8, "include_pi": false, "heads": 16,
    "width": 1024, "num_decoder_layers": 16, "qkv_bias": false, "qk_norm": true,
    "scale_factor": 0.9990943042622529})"));
  EXPECT_EQ(c.num_latents, 3072);
  EXPECT_EQ(c.embed_dim, 64);
  EXPECT_EQ(c.num_freqs, 8);
  EXPECT_FALSE(c.include_pi);
  EXPECT_EQ(c.heads, 16);
  EXPECT_EQ(c.width, 1024);
  EXPECT_EQ(c.num_decoder_layers, 16);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_DOUBLE_EQ(c.scale_factor, 0.9990943042622529);
  EXPECT_EQ(c.geo_decoder_downsample_ratio, 1);
  EXPECT_EQ(c.geo_decoder_mlp_expand_ratio, 4);
  EXPECT_TRUE(c.geo_decoder_ln_post);
}

TEST(VaeConfigTest, RejectsMissingUnknownAndMistypedParams) {
  const auto base = nlohmann::json::parse(
      R"({"num_latents": 8, "embed_dim": 4, "width": 16, "heads": 2, "num_decoder_layers": 1})");
  EXPECT_NO_THROW(VaeConfig::from_json(base));
  nlohmann::json missing = base;
  missing.erase("width");
  EXPECT_NE(error_of([&] { VaeConfig::from_json(missing); }).message().find("width"),
            std::string::npos);
  nlohmann::json unknown = base;
  unknown["num_encoder_layers"] = 8;
  EXPECT_NE(error_of([&] { VaeConfig::from_json(unknown); }).message().find("num_encoder_layers"),
            std::string::npos);
  nlohmann::json mistyped = base;
  mistyped["qk_norm"] = "yes";
  EXPECT_EQ(code_of([&] { VaeConfig::from_json(mistyped); }), ErrorCode::kBadInput);
  nlohmann::json indivisible = base;
  indivisible["heads"] = 3;
  EXPECT_EQ(code_of([&] { VaeConfig::from_json(indivisible); }), ErrorCode::kBadInput);
}

TEST(FourierEmbedderTest, ConcatenatesInputSinesAndCosinesPerDimension) {
  const FourierEmbedder embed(2, /*include_pi=*/true, at::TensorOptions(at::kFloat));
  const at::Tensor x = at::tensor({0.25f, 0.5f, -1.0f}).view({1, 3});
  const at::Tensor y = embed(x);
  ASSERT_EQ(y.size(-1), FourierEmbedder::out_dim(2));
  ASSERT_EQ(y.size(-1), 15);
  const float pi = 3.14159265358979f;
  // [x0 x1 x2 | sin(x0 π) sin(x0 2π) sin(x1 π) ... | cos(...)]
  EXPECT_FLOAT_EQ(y[0][1].item<float>(), 0.5f);
  EXPECT_NEAR(y[0][3].item<float>(), std::sin(0.25f * pi), 1e-6);
  EXPECT_NEAR(y[0][4].item<float>(), std::sin(0.5f * pi), 1e-6);
  EXPECT_NEAR(y[0][5].item<float>(), std::sin(0.5f * pi), 1e-6);
  EXPECT_NEAR(y[0][9].item<float>(), std::cos(0.25f * pi), 1e-6);
  EXPECT_NEAR(y[0][13].item<float>(), std::cos(-1.0f * pi), 1e-6);
  EXPECT_NEAR(y[0][14].item<float>(), std::cos(-2.0f * pi), 1e-6);
}

TEST(ShapeVaeTest, TakesEveryOfficialTensorAndRejectsExtraOnes) {
  const VaeConfig config = test::tiny_vae_config();
  std::map<std::string, at::Tensor> tensors = test::random_vae_tensors(config, 1);
  EXPECT_NO_THROW(ShapeVae(Weights(tensors), config));

  std::map<std::string, at::Tensor> extra = tensors;
  extra["encoder.query"] = at::zeros({4});
  EXPECT_NE(error_of([&] { ShapeVae(Weights(extra), config); }).message().find("encoder.query"),
            std::string::npos);

  std::map<std::string, at::Tensor> missing = tensors;
  missing.erase("geo_decoder.ln_post.bias");
  EXPECT_NE(error_of([&] { ShapeVae(Weights(missing), config); })
                .message()
                .find("geo_decoder.ln_post.bias"),
            std::string::npos);
}

TEST(ShapeVaeTest, DecodeScalesLatentsByTheInverseScaleFactor) {
  VaeConfig config = test::tiny_vae_config();
  config.scale_factor = 0.5;
  const ShapeVae vae(Weights(test::random_vae_tensors(config, 2)), config);
  const at::Tensor latents = at::randn({2, config.num_latents, config.embed_dim});
  EXPECT_TRUE(at::allclose(vae.decode(latents), vae.forward(latents * 2.0)));
}

TEST(ShapeVaeTest, BatchRowsAreIndependent) {
  const VaeConfig config = test::tiny_vae_config();
  const ShapeVae vae(Weights(test::random_vae_tensors(config, 3)), config);
  const at::Tensor latents = at::randn({3, config.num_latents, config.embed_dim});
  const at::Tensor together = vae.forward(latents);
  ASSERT_EQ(together.sizes(), (std::vector<int64_t>{3, config.num_latents, config.width}));
  for (int64_t b = 0; b < 3; ++b) {
    EXPECT_TRUE(at::allclose(together[b], vae.forward(latents.slice(0, b, b + 1))[0], 1e-5, 1e-5));
  }
}

TEST(GeometryDecoderTest, SharedKeysValuesGiveThePerCallResultForAnyChunking) {
  const VaeConfig config = test::tiny_vae_config();
  const ShapeVae vae(Weights(test::random_vae_tensors(config, 4)), config);
  const GeometryDecoder& decoder = vae.geo_decoder();
  const at::Tensor tokens = vae.forward(at::randn({2, config.num_latents, config.embed_dim}));
  const at::Tensor queries = at::rand({2, 50, 3}) * 2 - 1;

  const at::Tensor whole = decoder.forward(queries, tokens);
  ASSERT_EQ(whole.sizes(), (std::vector<int64_t>{2, 50, 1}));
  const LatentKeysValues kv = decoder.keys_values(tokens);
  const at::Tensor chunked = at::cat(
      {decoder.forward(queries.slice(1, 0, 7), kv), decoder.forward(queries.slice(1, 7, 50), kv)},
      1);
  EXPECT_TRUE(at::allclose(whole, chunked, 1e-5, 1e-5));
}

TEST(GeometryDecoderTest, DownsampledDecoderProjectsTheLatents) {
  VaeConfig config = test::tiny_vae_config();
  config.geo_decoder_downsample_ratio = 2;
  config.geo_decoder_ln_post = false;  // also drops the decoder's qk-norm
  const std::map<std::string, at::Tensor> tensors = test::random_vae_tensors(config, 5);
  ASSERT_TRUE(tensors.contains("geo_decoder.latents_proj.weight"));
  ASSERT_FALSE(tensors.contains("geo_decoder.cross_attn_decoder.attn.attention.q_norm.weight"));
  const ShapeVae vae(Weights(tensors), config);
  const at::Tensor tokens = vae.forward(at::randn({1, config.num_latents, config.embed_dim}));
  const at::Tensor logits = vae.geo_decoder().forward(at::rand({1, 9, 3}), tokens);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{1, 9, 1}));
  EXPECT_TRUE(logits.isfinite().all().item<bool>());
}

}  // namespace
}  // namespace orfeas::neural
