#include "orfeas/neural/dino_encoder.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

// The conditioner kwargs of the released Hunyuan3D-2 DiT (DINOv2 giant).
const nlohmann::json kGiantKwargs = {{"config",
                                      {{"attention_probs_dropout_prob", 0.0},
                                       {"drop_path_rate", 0.0},
                                       {"hidden_act", "gelu"},
                                       {"hidden_dropout_prob", 0.0},
                                       {"hidden_size", 1536},
                                       {"image_size", 518},
                                       {"initializer_range", 0.02},
                                       {"layer_norm_eps", 1e-6},
                                       {"layerscale_value", 1.0},
                                       {"mlp_ratio", 4},
                                       {"model_type", "dinov2"},
                                       {"num_attention_heads", 24},
                                       {"num_channels", 3},
                                       {"num_hidden_layers", 40},
                                       {"patch_size", 14},
                                       {"qkv_bias", true},
                                       {"torch_dtype", "float32"},
                                       {"use_swiglu_ffn", true}}},
                                     {"image_size", 518}};

DinoConfig tiny_config(bool swiglu) {
  return DinoConfig::from_json({{"config",
                                 {{"hidden_size", 32},
                                  {"num_hidden_layers", 2},
                                  {"num_attention_heads", 4},
                                  {"image_size", 28},
                                  {"use_swiglu_ffn", swiglu}}},
                                {"image_size", 42}});
}

// Random tensors under every official name the encoder takes, scaled so activations stay O(1).
std::map<std::string, at::Tensor> random_tensors(const DinoConfig& config) {
  const int64_t d = config.hidden_size, p = config.patch_size;
  std::map<std::string, at::Tensor> t;
  const auto put = [&](const std::string& name, at::IntArrayRef shape) {
    t["model." + name] = at::randn(shape) * 0.2;
  };
  put("embeddings.cls_token", {1, 1, d});
  put("embeddings.mask_token", {1, d});
  put("embeddings.position_embeddings", {1, 1 + config.stored_patches(), d});
  put("embeddings.patch_embeddings.projection.weight", {d, config.num_channels, p, p});
  put("embeddings.patch_embeddings.projection.bias", {d});
  const int64_t mlp = config.mlp_hidden_dim();
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string layer = "encoder.layer." + std::to_string(i) + ".";
    for (const char* norm : {"norm1", "norm2"}) {
      put(layer + norm + ".weight", {d});
      put(layer + norm + ".bias", {d});
    }
    for (const char* linear : {"attention.attention.query", "attention.attention.key",
                               "attention.attention.value", "attention.output.dense"}) {
      put(layer + linear + ".weight", {d, d});
      put(layer + linear + ".bias", {d});
    }
    put(layer + "layer_scale1.lambda1", {d});
    put(layer + "layer_scale2.lambda1", {d});
    const std::string in = config.use_swiglu_ffn ? "mlp.weights_in" : "mlp.fc1";
    const std::string out = config.use_swiglu_ffn ? "mlp.weights_out" : "mlp.fc2";
    const int64_t in_width = config.use_swiglu_ffn ? 2 * mlp : mlp;
    put(layer + in + ".weight", {in_width, d});
    put(layer + in + ".bias", {in_width});
    put(layer + out + ".weight", {d, mlp});
    put(layer + out + ".bias", {d});
  }
  put("layernorm.weight", {d});
  put("layernorm.bias", {d});
  return t;
}

TEST(DinoConfig, ReadsTheReleasedGiantEncoder) {
  const DinoConfig config = DinoConfig::from_json(kGiantKwargs);
  EXPECT_EQ(config.hidden_size, 1536);
  EXPECT_EQ(config.num_hidden_layers, 40);
  EXPECT_EQ(config.head_dim(), 64);
  EXPECT_TRUE(config.use_swiglu_ffn);
  EXPECT_EQ(config.mlp_hidden_dim(), 4096);  // weights_in is [8192, 1536]
  EXPECT_EQ(config.stored_patches(), 37 * 37);
  EXPECT_EQ(config.output_tokens(), 1370);
  EXPECT_TRUE(config.use_cls_token);
}

TEST(DinoConfig, ReadsTheLargeEncoderAndTheConditionerParams) {
  nlohmann::json kwargs = kGiantKwargs;
  kwargs["config"]["hidden_size"] = 1024;
  kwargs["config"]["num_attention_heads"] = 16;
  kwargs["config"]["num_hidden_layers"] = 24;
  kwargs["config"]["use_swiglu_ffn"] = false;
  kwargs["use_cls_token"] = false;
  const DinoConfig config = DinoConfig::from_conditioner_params(
      {{"main_image_encoder", {{"type", "DinoImageEncoder"}, {"kwargs", kwargs}}}});
  EXPECT_EQ(config.mlp_hidden_dim(), 4096);  // fc1 is [4096, 1024]
  EXPECT_EQ(config.output_tokens(), 1369);
}

TEST(DinoConfig, RejectsWhatItCannotRun) {
  EXPECT_EQ(orfeas::test::code_of([] {
              DinoConfig::from_json({{"version", "facebook/dinov2-giant"}});
            }),
            ErrorCode::kBadInput);
  nlohmann::json kwargs = kGiantKwargs;
  kwargs["config"]["use_swiglu_ffn"] = false;
  kwargs["config"]["hidden_act"] = "relu";
  EXPECT_EQ(orfeas::test::code_of([&] { DinoConfig::from_json(kwargs); }), ErrorCode::kBadInput);
  kwargs = kGiantKwargs;
  kwargs["config"]["num_attention_heads"] = 25;
  EXPECT_EQ(orfeas::test::code_of([&] { DinoConfig::from_json(kwargs); }), ErrorCode::kBadInput);
  kwargs = kGiantKwargs;
  kwargs["image_size"] = "large";
  EXPECT_EQ(orfeas::test::code_of([&] { DinoConfig::from_json(kwargs); }), ErrorCode::kBadInput);
  EXPECT_EQ(
      orfeas::test::code_of([] {
        DinoConfig::from_conditioner_params(
            {{"main_image_encoder", {{"type", "CLIPImageEncoder"}, {"kwargs", kGiantKwargs}}}});
      }),
      ErrorCode::kBadInput);
}

TEST(DinoEncoder, TakesEveryTensorOfBothVariants) {
  for (bool swiglu : {false, true}) {
    at::manual_seed(0);
    const DinoConfig config = tiny_config(swiglu);
    const Weights weights(random_tensors(config));
    const DinoEncoder encoder(weights, config);
    weights.expect_all_taken();
    const at::Tensor condition = encoder.forward(at::randn({2, 3, 42, 42}));
    EXPECT_EQ(condition.sizes(), (at::IntArrayRef{2, config.output_tokens(), 32}));
    EXPECT_TRUE(at::isfinite(condition).all().item<bool>());
    // Each image is encoded on its own.
    const at::Tensor images = at::randn({2, 3, 42, 42});
    EXPECT_TRUE(at::allclose(encoder.forward(images)[1], encoder.forward(images.slice(0, 1))[0],
                             1e-5, 1e-5));
  }
}

TEST(DinoEncoder, NamesAMissingTensor) {
  const DinoConfig config = tiny_config(false);
  std::map<std::string, at::Tensor> tensors = random_tensors(config);
  tensors.erase("model.encoder.layer.1.mlp.fc2.weight");
  const Error error = orfeas::test::error_of([&] { DinoEncoder(Weights(tensors), config); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("model.encoder.layer.1.mlp.fc2.weight"), std::string::npos)
      << error.message();
}

TEST(DinoEncoder, WithZeroLayerScalesIsTheNormalisedEmbedding) {
  const DinoConfig config = tiny_config(true);
  std::map<std::string, at::Tensor> tensors = random_tensors(config);
  for (auto& [name, tensor] : tensors) {
    if (name.find("layer_scale") != std::string::npos) tensor.zero_();
  }
  const DinoEncoder encoder(Weights(tensors), config);
  const at::Tensor images = at::randn({1, 3, 28, 28});  // the stored grid: no interpolation

  const at::Tensor patches =
      at::conv2d(images, tensors["model.embeddings.patch_embeddings.projection.weight"],
                 tensors["model.embeddings.patch_embeddings.projection.bias"], {14, 14})
          .flatten(2)
          .transpose(1, 2);
  const at::Tensor embedded = at::cat({tensors["model.embeddings.cls_token"], patches}, 1) +
                              tensors["model.embeddings.position_embeddings"];
  const at::Tensor expected = at::layer_norm(embedded, {32}, tensors["model.layernorm.weight"],
                                             tensors["model.layernorm.bias"], 1e-6);
  EXPECT_TRUE(at::allclose(encoder.forward(images), expected, 1e-5, 1e-5));
}

TEST(DinoEncoder, DropsTheClassTokenWhenAsked) {
  DinoConfig config = tiny_config(false);
  const std::map<std::string, at::Tensor> tensors = random_tensors(config);
  const at::Tensor images = at::randn({1, 3, 42, 42});
  const at::Tensor with_cls = DinoEncoder(Weights(tensors), config).forward(images);
  config.use_cls_token = false;
  const at::Tensor without = DinoEncoder(Weights(tensors), config).forward(images);
  ASSERT_EQ(without.size(1), with_cls.size(1) - 1);
  EXPECT_TRUE(at::allclose(without, with_cls.slice(1, 1)));
}

TEST(DinoEncoder, InterpolatesPositionEmbeddingsToOtherGrids) {
  const DinoConfig config = tiny_config(false);
  std::map<std::string, at::Tensor> tensors = random_tensors(config);
  const DinoEncoder encoder(Weights(tensors), config);
  EXPECT_TRUE(encoder.position_embeddings_for(28, 28).is_same(encoder.position_embeddings));

  const at::Tensor resized = encoder.position_embeddings_for(42, 56);
  ASSERT_EQ(resized.sizes(), (at::IntArrayRef{1, 1 + 3 * 4, 32}));
  EXPECT_TRUE(resized.slice(1, 0, 1).equal(encoder.position_embeddings.slice(1, 0, 1)));

  // A constant grid stays constant under bicubic resampling.
  tensors["model.embeddings.position_embeddings"].slice(1, 1).fill_(0.5);
  const DinoEncoder flat(Weights(tensors), config);
  EXPECT_TRUE(
      at::allclose(flat.position_embeddings_for(42, 56).slice(1, 1), at::full({1, 12, 32}, 0.5)));
}

TEST(DinoEncoder, UnconditionalEmbeddingIsZerosShapedLikeTheCondition) {
  const DinoConfig config = tiny_config(true);
  const DinoEncoder encoder(Weights(random_tensors(config)), config);
  const at::Tensor zeros = encoder.unconditional_embedding(3);
  EXPECT_EQ(zeros.sizes(), (at::IntArrayRef{3, 10, 32}));
  EXPECT_EQ(zeros.sizes().slice(1), encoder.forward(at::randn({1, 3, 42, 42})).sizes().slice(1));
  EXPECT_EQ(zeros.count_nonzero().item<int64_t>(), 0);
}

TEST(DinoEncoder, RejectsImagesItCannotPatch) {
  const DinoConfig config = tiny_config(false);
  const DinoEncoder encoder(Weights(random_tensors(config)), config);
  EXPECT_EQ(orfeas::test::code_of([&] {
              encoder.forward(at::randn({1, 4, 28, 28}));
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([&] {
              encoder.forward(at::randn({1, 3, 10, 28}));
            }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
