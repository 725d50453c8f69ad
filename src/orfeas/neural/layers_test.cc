#include "orfeas/neural/layers.h"

#include <gtest/gtest.h>

#include <cmath>

namespace orfeas::neural {
namespace {

at::Tensor values(std::initializer_list<float> v) { return at::tensor(std::vector<float>(v)); }

void expect_near(const at::Tensor& actual, const at::Tensor& expected, double tolerance = 1e-5) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_TRUE(at::allclose(actual, expected, 0, tolerance)) << actual << "\nexpected\n" << expected;
}

TEST(LayersTest, LinearComputesXWTransposedPlusB) {
  const Weights w(
      {{"fc.weight", values({1, 2, 3, 4, 5, 6}).reshape({3, 2})}, {"fc.bias", values({1, 0, -1})}});
  const Linear fc(w, "fc", 2, 3);
  expect_near(fc(values({1, 1}).reshape({1, 2})), values({4, 7, 10}).reshape({1, 3}));
  w.expect_all_taken();

  const Weights no_bias({{"weight", values({1, 2, 3, 4, 5, 6}).reshape({3, 2})}});
  const Linear plain(no_bias, "", 2, 3, /*bias=*/false);
  EXPECT_FALSE(plain.bias.defined());
  expect_near(plain(values({1, -1})), values({-1, -1, -1}));
}

TEST(LayersTest, LayerNormNormalisesTheLastDimension) {
  const Weights none({});
  const LayerNorm plain(none, "norm", 4, 1e-6, /*affine=*/false);
  const float s = 1 / std::sqrt(1.25f + 1e-6f);  // mean 2.5, variance 1.25
  expect_near(plain(values({1, 2, 3, 4})), values({-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s}));

  const Weights affine({{"norm.weight", at::full({4}, 2.0f)}, {"norm.bias", at::ones({4})}});
  const LayerNorm scaled(affine, "norm", 4, 1e-6);
  expect_near(scaled(values({1, 2, 3, 4})), values({1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s}));
  affine.expect_all_taken();
}

TEST(LayersTest, RmsNormDividesByTheRootMeanSquareThenScales) {
  const Weights w({{"q.scale", values({1, 2})}});
  const RMSNorm norm(w, "q.scale", 2);
  const float rms = std::sqrt(12.5f + 1e-6f);  // mean of 3^2 and 4^2
  expect_near(norm(values({3, 4})), values({3 / rms, 8 / rms}));
  // Half precision: computed in float32, rounded to half once before the scale.
  const Weights half_weights({{"q.scale", values({1, 2})}}, at::TensorOptions().dtype(at::kHalf));
  const at::Tensor half = RMSNorm(half_weights, "q.scale", 2)(values({3, 4}).to(at::kHalf));
  EXPECT_EQ(half.scalar_type(), at::kHalf);
  expect_near(half.to(at::kFloat), values({3 / rms, 8 / rms}), 2e-3);
}

TEST(LayersTest, AttentionIsSoftmaxOfScaledDotProductsTimesValues) {
  // One batch, one head, one query, two keys, d = 4 (scale 1/2): scores 1 and 0.
  const at::Tensor q = values({1, 0, 0, 0}).reshape({1, 1, 1, 4});
  const at::Tensor k = values({2, 0, 0, 0, 0, 0, 0, 0}).reshape({1, 1, 2, 4});
  const at::Tensor v = values({10, 0, 0, 0, 0, 10, 0, 0}).reshape({1, 1, 2, 4});
  const float p = std::exp(1.0f) / (std::exp(1.0f) + 1);
  expect_near(attention(q, k, v), values({10 * p, 10 * (1 - p), 0, 0}).reshape({1, 1, 1, 4}));
}

TEST(LayersTest, GeluExactAndTanhApproximation) {
  expect_near(gelu(values({1, -1, 0}), GeluApproximation::kNone),
              values({0.8413447f, -0.1586553f, 0}));
  const float t = 0.5f * (1 + std::tanh(std::sqrt(2 / M_PI) * (1 + 0.044715f)));
  expect_near(gelu(values({1}), GeluApproximation::kTanh), values({t}));
  EXPECT_NE(gelu(values({1}), GeluApproximation::kTanh).item<float>(),
            gelu(values({1}), GeluApproximation::kNone).item<float>());
}

}  // namespace
}  // namespace orfeas::neural
