#include "orfeas/neural/dit.h"

#include <cmath>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/dit_test_weights.h"

namespace orfeas::neural {
namespace {

using test::code_of;
using test::error_of;
using testing::random_dit_tensors;
using testing::small_dit_config;

Dit make_dit(const DitConfig& config, uint64_t seed = 1) {
  Weights weights(random_dit_tensors(config, seed));
  Dit dit(weights, config);
  weights.expect_all_taken();
  return dit;
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, generator, at::TensorOptions(at::kFloat));
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(DitConfig, EmptyParamsGiveTheOfficialDefaults) {
  const DitConfig config = DitConfig::from_json(nlohmann::json::object());
  EXPECT_EQ(config.in_channels, 64);
  EXPECT_EQ(config.context_in_dim, 1536);
  EXPECT_EQ(config.hidden_size, 1024);
  EXPECT_EQ(config.mlp_ratio, 4.0);
  EXPECT_EQ(config.num_heads, 16);
  EXPECT_EQ(config.depth, 16);
  EXPECT_EQ(config.depth_single_blocks, 32);
  EXPECT_EQ(config.axes_dim, std::vector<int64_t>{64});
  EXPECT_TRUE(config.qkv_bias);
  EXPECT_EQ(config.time_factor, 1000.0);
  EXPECT_FALSE(config.guidance_embed);
  EXPECT_EQ(config.head_dim(), 64);
  EXPECT_EQ(config.mlp_hidden_dim(), 4096);
}

TEST(DitConfig, ReadsOfficialNamesAndIgnoresUnusedOnes) {
  const DitConfig config = DitConfig::from_json({{"in_channels", 8},
                                                 {"context_in_dim", 12},
                                                 {"hidden_size", 32},
                                                 {"mlp_ratio", 2.5},
                                                 {"num_heads", 4},
                                                 {"depth", 2},
                                                 {"depth_single_blocks", 3},
                                                 {"axes_dim", {4, 4}},
                                                 {"theta", 10000},
                                                 {"qkv_bias", false},
                                                 {"time_factor", 500},
                                                 {"guidance_embed", true},
                                                 {"ckpt_path", nullptr}});
  EXPECT_EQ(config.in_channels, 8);
  EXPECT_EQ(config.context_in_dim, 12);
  EXPECT_EQ(config.hidden_size, 32);
  EXPECT_EQ(config.mlp_hidden_dim(), 80);
  EXPECT_EQ(config.num_heads, 4);
  EXPECT_EQ(config.depth, 2);
  EXPECT_EQ(config.depth_single_blocks, 3);
  EXPECT_EQ(config.axes_dim, (std::vector<int64_t>{4, 4}));
  EXPECT_FALSE(config.qkv_bias);
  EXPECT_EQ(config.time_factor, 500.0);
  EXPECT_TRUE(config.guidance_embed);
}

TEST(DitConfig, RejectsInconsistentOrMistypedParams) {
  EXPECT_EQ(code_of([] {
              DitConfig::from_json({{"hidden_size", 30}, {"num_heads", 4}});
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { DitConfig::from_json({{"axes_dim", {32}}}); }), ErrorCode::kBadInput);
  const Error mistyped = error_of([] { DitConfig::from_json({{"guidance_embed", "yes"}}); });
  EXPECT_EQ(mistyped.code(), ErrorCode::kBadInput);
  EXPECT_EQ(mistyped.details().at("param"), "guidance_embed");
}

TEST(TimestepEmbedding, IsCosinesThenSinesOfScaledTimeTimesFrequencies) {
  const at::Tensor t = at::tensor({0.0f, 0.25f, 0.7f});
  const at::Tensor embedding = timestep_embedding(t, 8, 1000.0);
  ASSERT_EQ(embedding.sizes(), (at::IntArrayRef{3, 8}));
  EXPECT_EQ(embedding.scalar_type(), at::kFloat);
  for (int64_t row = 0; row < 3; ++row) {
    const double time = t[row].item<double>();
    for (int64_t i = 0; i < 4; ++i) {
      const double arg = 1000.0 * time * std::exp(-std::log(1000.0) * i / 4.0);
      EXPECT_NEAR(embedding[row][i].item<double>(), std::cos(arg), 2e-3) << row << " " << i;
      EXPECT_NEAR(embedding[row][4 + i].item<double>(), std::sin(arg), 2e-3) << row << " " << i;
    }
  }
}

TEST(TimestepEmbedding, PadsAnOddWidthWithZerosAndKeepsFloatingDtypes) {
  const at::Tensor embedding = timestep_embedding(at::tensor({0.5, 0.9}, at::kDouble), 7);
  ASSERT_EQ(embedding.sizes(), (at::IntArrayRef{2, 7}));
  EXPECT_EQ(embedding.scalar_type(), at::kDouble);
  EXPECT_EQ(embedding.select(1, 6).abs().sum().item<double>(), 0.0);
  // Integer timesteps give a float32 embedding.
  EXPECT_EQ(timestep_embedding(at::tensor({3}, at::kLong), 4).scalar_type(), at::kFloat);
}

TEST(Dit, TakesEveryTensorOfTheOfficialStateDict) {
  for (const bool guidance_embed : {false, true}) {
    const DitConfig config = small_dit_config(guidance_embed);
    Weights weights(random_dit_tensors(config, 3));
    const Dit dit(weights, config);
    EXPECT_NO_THROW(weights.expect_all_taken());
    EXPECT_EQ(dit.guidance_in.has_value(), guidance_embed);
    EXPECT_EQ(dit.double_blocks.size(), 1u);
    EXPECT_EQ(dit.single_blocks.size(), 1u);
  }
}

TEST(Dit, NamesAMissingTensor) {
  const DitConfig config = small_dit_config();
  std::map<std::string, at::Tensor> tensors = random_dit_tensors(config, 3);
  tensors.erase("single_blocks.0.norm.key_norm.scale");
  const Error error = error_of([&] { Dit(Weights(tensors), config); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("single_blocks.0.norm.key_norm.scale"), std::string::npos)
      << error.message();
}

TEST(Dit, ForwardGivesOneVelocityPerLatentToken) {
  const DitConfig config = small_dit_config();
  const Dit dit = make_dit(config);
  const at::Tensor velocity =
      dit.forward(randn({2, 5, 16}, 1), at::tensor({0.1f, 0.9f}), randn({2, 3, 24}, 2));
  EXPECT_EQ(velocity.sizes(), (at::IntArrayRef{2, 5, 16}));
  EXPECT_TRUE(velocity.isfinite().all().item<bool>());
}

TEST(Dit, RowsOfABatchAreIndependent) {
  const Dit dit = make_dit(small_dit_config());
  const at::Tensor x = randn({3, 6, 16}, 4);
  const at::Tensor t = at::tensor({0.0f, 0.5f, 0.98f});
  const at::Tensor cond = randn({3, 4, 24}, 5);
  const at::Tensor batched = dit.forward(x, t, cond);
  for (int64_t row = 0; row < 3; ++row) {
    const at::Tensor alone = dit.forward(x.slice(0, row, row + 1), t.slice(0, row, row + 1),
                                         cond.slice(0, row, row + 1));
    EXPECT_LT(max_abs_diff(alone, batched.slice(0, row, row + 1)), 1e-5) << row;
  }
  // Each row's own timestep matters.
  EXPECT_GT(max_abs_diff(batched[0], dit.forward(x, t.flip(0), cond)[0]), 1e-4);
}

// No positional embedding: permuting the latent tokens permutes the velocities, and the order of
// the condition tokens does not matter.
TEST(Dit, IsEquivariantToTokenOrder) {
  const Dit dit = make_dit(small_dit_config());
  const at::Tensor x = randn({1, 7, 16}, 6);
  const at::Tensor t = at::tensor({0.3f});
  const at::Tensor cond = randn({1, 5, 24}, 7);
  const at::Tensor order = at::tensor({6, 2, 0, 5, 1, 4, 3}, at::kLong);
  const at::Tensor velocity = dit.forward(x, t, cond);
  const at::Tensor permuted = dit.forward(x.index_select(1, order), t, cond.flip(1));
  EXPECT_LT(max_abs_diff(permuted, velocity.index_select(1, order)), 1e-5);
}

TEST(Dit, GuidanceDistilledModelNeedsAndUsesGuidance) {
  const Dit dit = make_dit(small_dit_config(true));
  const at::Tensor x = randn({2, 4, 16}, 8);
  const at::Tensor t = at::tensor({0.2f, 0.6f});
  const at::Tensor cond = randn({2, 3, 24}, 9);
  EXPECT_EQ(code_of([&] { dit.forward(x, t, cond); }), ErrorCode::kBadInput);
  const at::Tensor weak = dit.forward(x, t, cond, at::tensor({1.0f, 1.0f}));
  const at::Tensor strong = dit.forward(x, t, cond, at::tensor({1.0f, 7.5f}));
  EXPECT_LT(max_abs_diff(weak[0], strong[0]), 1e-6);
  EXPECT_GT(max_abs_diff(weak[1], strong[1]), 1e-4);
}

TEST(Dit, RejectsInputsThatDoNotFitTheConfig) {
  const Dit dit = make_dit(small_dit_config());
  const at::Tensor t = at::tensor({0.5f});
  EXPECT_EQ(code_of([&] {
              dit.forward(randn({1, 4, 15}, 1), t, randn({1, 3, 24}, 2));
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              dit.forward(randn({1, 4, 16}, 1), t, randn({1, 3, 20}, 2));
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              dit.forward(randn({2, 4, 16}, 1), t, randn({2, 3, 24}, 2));
            }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
