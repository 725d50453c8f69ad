#include "orfeas/neural/image_condition.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

// A transparent H x W image with an opaque rectangle [top, bottom) x [left, right) of `colour`.
at::Tensor rectangle(int64_t h, int64_t w, int64_t top, int64_t bottom, int64_t left, int64_t right,
                     std::array<uint8_t, 4> colour) {
  at::Tensor image = at::zeros({h, w, 4}, at::kByte);
  image.slice(0, top, bottom)
      .slice(1, left, right)
      .copy_(at::tensor(at::ArrayRef<uint8_t>(colour.data(), 4)));
  return image;
}

// The [first, last] rows and columns where `mask` [S, S] is non-zero.
std::array<int64_t, 4> box_of(const at::Tensor& mask) {
  const at::Tensor rows = (mask != 0).any(1).nonzero(), columns = (mask != 0).any(0).nonzero();
  return {rows.min().item<int64_t>(), rows.max().item<int64_t>(), columns.min().item<int64_t>(),
          columns.max().item<int64_t>()};
}

TEST(Recentre, CentresTheObjectInASquareWithABorderOnWhite) {
  // The object box is rows 20..59, columns 10..49; the official box drops its last row and
  // column (39 x 39), which is scaled to int(39 * 85 / 39) = 84 in a 100 x 100 square.
  const RecentredImage result =
      recentre(rectangle(100, 80, 20, 60, 10, 50, {255, 0, 0, 255}), 0.15);
  ASSERT_EQ(result.rgb.sizes(), (at::IntArrayRef{100, 100, 3}));
  ASSERT_EQ(result.mask.sizes(), (at::IntArrayRef{100, 100}));
  EXPECT_EQ(box_of(result.mask), (std::array<int64_t, 4>{8, 91, 8, 91}));
  EXPECT_TRUE(at::all(result.mask.slice(0, 8, 92).slice(1, 8, 92) == 255).item<bool>());

  const at::Tensor object = result.mask == 255;
  const at::Tensor red = at::tensor(at::ArrayRef<uint8_t>({255, 0, 0}));
  EXPECT_TRUE(at::all(result.rgb.index({object}) == red).item<bool>());
  EXPECT_TRUE(at::all(result.rgb.index({~object}) == 255).item<bool>());
}

TEST(Recentre, BlendsTranslucentPixelsOverWhiteTruncating) {
  const RecentredImage result = recentre(rectangle(10, 10, 2, 8, 2, 8, {0, 0, 0, 128}), 0.15);
  // 255 * (1 - 128 / 255) is 126.99... in float32: truncated to 126.
  EXPECT_TRUE(at::all((result.rgb == 126) | (result.rgb == 255)).item<bool>());
  EXPECT_TRUE(at::any(result.rgb == 126).item<bool>());
  EXPECT_TRUE(at::all((result.mask == 128) | (result.mask == 0)).item<bool>());
}

TEST(Recentre, TakesAnRgbImageAsOpaque) {
  const RecentredImage result = recentre(at::full({30, 40, 3}, 50, at::kByte), 0.15);
  ASSERT_EQ(result.rgb.sizes(), (at::IntArrayRef{40, 40, 3}));
  // Box 29 x 39 scaled by 34 / 39 to 25 x 34, centred.
  EXPECT_EQ(box_of(result.mask), (std::array<int64_t, 4>{7, 31, 3, 36}));
  EXPECT_TRUE(at::all(result.rgb.index({result.mask == 255}) == 50).item<bool>());
}

TEST(Recentre, RejectsImagesWithoutAnObject) {
  EXPECT_EQ(orfeas::test::code_of([] {
              recentre(at::zeros({8, 8, 4}, at::kByte), 0.15);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              recentre(rectangle(8, 8, 3, 4, 1, 7, {9, 9, 9, 255}), 0.15);  // one row
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              recentre(rectangle(400, 400, 10, 12, 0, 400, {9, 9, 9, 255}), 0.15);  // too thin
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              recentre(at::zeros({8, 8, 2}, at::kByte), 0.15);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              recentre(at::zeros({8, 8, 4}, at::kFloat), 0.15);
            }),
            ErrorCode::kBadInput);
}

TEST(ProcessImage, GivesUnitRangeImageAndMaskOfTheConfiguredSize) {
  const ProcessedImage processed =
      process_image(rectangle(60, 90, 10, 50, 20, 70, {0, 0, 0, 255}), ImageProcessorConfig{});
  ASSERT_EQ(processed.image.sizes(), (at::IntArrayRef{1, 3, 512, 512}));
  ASSERT_EQ(processed.mask.sizes(), (at::IntArrayRef{1, 1, 512, 512}));
  EXPECT_EQ(processed.image.scalar_type(), at::kFloat);
  EXPECT_EQ(processed.image.min().item<float>(), -1.f);  // the black object
  EXPECT_EQ(processed.image.max().item<float>(), 1.f);   // the white background
  EXPECT_EQ(processed.image[0][0][0][0].item<float>(), 1.f);
  EXPECT_EQ(processed.mask[0][0][0][0].item<float>(), -1.f);
  EXPECT_EQ(processed.mask[0][0][256][256].item<float>(), 1.f);
}

TEST(ImageProcessorConfig, ReadsTheOfficialParams) {
  const ImageProcessorConfig defaults = ImageProcessorConfig::from_json(nullptr);
  EXPECT_EQ(defaults.size, 512);
  EXPECT_DOUBLE_EQ(defaults.border_ratio, 0.15);
  const ImageProcessorConfig config =
      ImageProcessorConfig::from_json({{"size", 256}, {"border_ratio", nullptr}});
  EXPECT_EQ(config.size, 256);
  EXPECT_DOUBLE_EQ(config.border_ratio, 0.15);
  EXPECT_DOUBLE_EQ(ImageProcessorConfig::from_json({{"border_ratio", 0.2}}).border_ratio, 0.2);
  EXPECT_EQ(orfeas::test::code_of([] {
              ImageProcessorConfig::from_json({{"size", "big"}});
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              ImageProcessorConfig::from_json({{"border_ratio", 1.0}});
            }),
            ErrorCode::kBadInput);
}

TEST(ConditionerInput, NormalisesWithImageNetStatistics) {
  DinoConfig config;
  config.image_size = 28;
  // White ([-1, 1] value 1) becomes (1 - mean) / std per channel; no resize at 28 x 28.
  const at::Tensor input = conditioner_input(at::ones({2, 3, 28, 28}), config);
  ASSERT_EQ(input.sizes(), (at::IntArrayRef{2, 3, 28, 28}));
  for (int64_t c = 0; c < 3; ++c) {
    const float expected =
        (1.f - static_cast<float>(kDinoMean[c])) / static_cast<float>(kDinoStd[c]);
    EXPECT_NEAR(input[1][c].min().item<float>(), expected, 1e-6);
    EXPECT_NEAR(input[1][c].max().item<float>(), expected, 1e-6);
  }
}

TEST(ConditionerInput, ResizesTheShorterSideAndCropsTheCentre) {
  DinoConfig config;
  config.image_size = 28;
  // 40 x 60 -> 28 x 42 -> centre 28 x 28. Columns hold their index: the crop keeps the middle.
  const at::Tensor columns =
      at::linspace(-1, 1, 60).view({1, 1, 1, 60}).expand({1, 3, 40, 60}).contiguous();
  const at::Tensor input = conditioner_input(columns, config);
  ASSERT_EQ(input.sizes(), (at::IntArrayRef{1, 3, 28, 28}));
  const at::Tensor middle_row = input[0][0][14];
  EXPECT_TRUE(at::all(middle_row.slice(0, 1) > middle_row.slice(0, 0, -1)).item<bool>());
  // Symmetric about the centre: [0, 1] values mirror around 0.5.
  const float mean = static_cast<float>(kDinoMean[0]), std = static_cast<float>(kDinoStd[0]);
  EXPECT_NEAR(middle_row[0].item<float>() * std + mean + middle_row[27].item<float>() * std + mean,
              1.f, 1e-5);
}

TEST(ConditionerInput, RejectsOtherShapes) {
  EXPECT_EQ(orfeas::test::code_of([] {
              conditioner_input(at::zeros({3, 28, 28}), DinoConfig{});
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              conditioner_input(at::zeros({1, 4, 28, 28}), DinoConfig{});
            }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
