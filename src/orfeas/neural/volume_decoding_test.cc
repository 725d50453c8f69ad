#include "orfeas/neural/volume_decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/shape_vae_test_weights.h"

namespace orfeas::neural {
namespace {

using ::orfeas::test::code_of;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A tiny random VAE whose logits are large (|logit| mostly above the 0.95 that always refines),
// and its latent tokens for a batch of `batch`.
struct TinyModel {
  explicit TinyModel(int64_t batch) : config(test::tiny_vae_config()) {
    auto tensors = test::random_vae_tensors(config, 11);
    tensors["geo_decoder.output_proj.weight"] *= 40;
    vae.emplace(Weights(tensors), config);
    tokens = vae->forward(at::randn({batch, config.num_latents, config.embed_dim}));
  }
  const GeometryDecoder& decoder() const { return vae->geo_decoder(); }

  VaeConfig config;
  std::optional<ShapeVae> vae;
  at::Tensor tokens;
};

TEST(DenseGridPointsTest, FollowsLinspaceInIjOrder) {
  const at::Tensor points = dense_grid_points(4, 1.01);
  ASSERT_EQ(points.sizes(), (std::vector<int64_t>{125, 3}));
  const auto at = [&](int64_t i, int64_t j, int64_t k, int64_t axis) {
    return points[(i * 5 + j) * 5 + k][axis].item<float>();
  };
  EXPECT_FLOAT_EQ(at(0, 0, 0, 0), -1.01f);
  EXPECT_EQ(at(4, 4, 4, 2), 1.01f);  // the end exactly, as np.linspace
  EXPECT_FLOAT_EQ(at(1, 2, 3, 0), -0.505f);
  EXPECT_FLOAT_EQ(at(1, 2, 3, 1), 0.0f);
  EXPECT_FLOAT_EQ(at(1, 2, 3, 2), 0.505f);
}

TEST(ResolutionsTest, FollowTheOfficialSchedules) {
  EXPECT_EQ(hierarchical_resolutions(384, 63), (std::vector<int64_t>{96, 192, 384}));
  EXPECT_EQ(hierarchical_resolutions(256, 63), (std::vector<int64_t>{64, 128, 256}));
  EXPECT_EQ(hierarchical_resolutions(32, 63), (std::vector<int64_t>{32}));
  EXPECT_EQ(hierarchical_resolutions(100, 63), (std::vector<int64_t>{100}));
  EXPECT_EQ(flashvdm_resolutions(384, 63, 4), (std::vector<int64_t>{95, 190, 380}));
  // round(10 / 4) = round(2.5) = 2 in Python: halves go to even.
  EXPECT_EQ(flashvdm_resolutions(40, 10, 4), (std::vector<int64_t>{7, 14, 28}));
  EXPECT_EQ(code_of([] { hierarchical_resolutions(64, 0); }), ErrorCode::kBadInput);
}

TEST(DenseVolumeTest, EqualsTheDecoderAtTheGridPoints) {
  const TinyModel model(2);
  const at::Tensor grid = decode_dense_volume(model.decoder(), model.tokens, 6, {1.01, 50, 0.0});
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{2, 7, 7, 7}));
  EXPECT_EQ(grid.scalar_type(), at::kFloat);
  const at::Tensor direct =
      model.decoder().forward(dense_grid_points(6, 1.01).expand({2, -1, 3}), model.tokens);
  EXPECT_TRUE(at::allclose(grid, direct.view({2, 7, 7, 7}), 1e-5, 1e-4));
}

TEST(HierarchicalVolumeTest, DecodesNearTheSurfaceExactlyAndLeavesTheRestNaN) {
  const TinyModel model(2);
  const VolumeDecodingOptions options{1.01, 300, 0.0};
  const at::Tensor dense = decode_dense_volume(model.decoder(), model.tokens, 16, options);
  // Put the surface at the median logit so that it crosses the grid; the official near-surface
  // test looks at the sign of logit + mc_level.
  VolumeDecodingOptions around_median = options;
  around_median.mc_level = -dense.median().item<double>();
  const at::Tensor grid =
      decode_hierarchical_volume(model.decoder(), model.tokens, {4, 8, 16}, around_median);
  ASSERT_EQ(grid.sizes(), dense.sizes());

  const at::Tensor decoded = ~grid.isnan();
  const int64_t count = decoded.sum().item<int64_t>();
  EXPECT_GT(count, 0);
  EXPECT_LT(count, decoded.numel());
  EXPECT_TRUE(at::allclose(grid.masked_select(decoded), dense.masked_select(decoded), 1e-5, 1e-4));

  for (int64_t b = 0; b < 2; ++b) {
    const at::Tensor alone = decode_hierarchical_volume(
        model.decoder(), model.tokens.slice(0, b, b + 1), {4, 8, 16}, around_median);
    EXPECT_TRUE(at::allclose(grid[b], alone[0], 1e-5, 1e-4, /*equal_nan=*/true));
  }
}

TEST(HierarchicalVolumeTest, RejectsResolutionsThatDoNotDouble) {
  const TinyModel model(1);
  EXPECT_EQ(code_of([&] {
              decode_hierarchical_volume(model.decoder(), model.tokens, {4, 7}, {});
            }),
            ErrorCode::kBadInput);
}

TEST(VolumeToFieldTest, MovesToOurAxesAndSubtractsTheLevel) {
  // grid[x][y][z] = 100x + 10y + z in hy3dgen's frame (y up, +z front).
  const at::Tensor grid = (at::arange(3).view({3, 1, 1}) * 100 +
                           at::arange(3).view({1, 3, 1}) * 10 + at::arange(3).view({1, 1, 3}))
                              .to(at::kFloat);
  const Field field = volume_to_field(grid, 1.0, 0.5);
  ASSERT_EQ(field.nx, 3);
  EXPECT_FLOAT_EQ(field.spacing, 1.0f);
  EXPECT_FLOAT_EQ(field.origin.x, -1.0f);
  EXPECT_FLOAT_EQ(field.iso, 0.0f);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) {
        // Ours (x, y, z) is theirs (x, -z, y): up is their y, away from the viewer their -z.
        const Vec3 p = field.position(i, j, k);
        const int x = static_cast<int>(std::lround(p.x + 1));
        const int y = static_cast<int>(std::lround(p.z + 1));
        const int z = static_cast<int>(std::lround(-p.y + 1));
        EXPECT_FLOAT_EQ(field.at(i, j, k), 100.0f * x + 10.0f * y + z - 0.5f);
      }
    }
  }
}

TEST(VolumeToFieldTest, UndecodedSamplesTakeTheNearestDecodedValue) {
  // Only two samples decoded, both on our x line j = k = 2: ours (0,2,2) and (4,2,2).
  at::Tensor grid = at::full({5, 5, 5}, kNaN);
  grid[0][2][2] = 3.0f;  // theirs (x, y, z) = ours (x, z, 4 - y)
  grid[4][2][2] = -1.0f;
  const Field field = volume_to_field(grid, 1.0, 0.0);
  for (int k = 0; k < 5; ++k) {
    for (int j = 0; j < 5; ++j) {
      for (int i = 0; i < 5; ++i) {
        // Along x the middle sample ties and takes the lower one; the rest copies that line.
        EXPECT_FLOAT_EQ(field.at(i, j, k), i < 3 ? 3.0f : -1.0f) << i << " " << j << " " << k;
      }
    }
  }
  const Field empty = volume_to_field(at::full({3, 3, 3}, kNaN), 1.0, 0.0);
  for (float v : empty.values) EXPECT_LT(v, empty.iso);
}

TEST(VolumeToFieldTest, RejectsNonCubicGrids) {
  EXPECT_EQ(code_of([] { volume_to_field(at::zeros({3, 3, 4}), 1.0, 0.0); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] {
              volume_to_field(at::zeros({1, 3, 3, 3}), 1.0, 0.0);
            }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
