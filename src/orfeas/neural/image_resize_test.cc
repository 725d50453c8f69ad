#include "orfeas/neural/image_resize.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas::neural {
namespace {

// A deterministic pattern with no smooth structure: [h, w, c] uint8.
at::Tensor pattern(int64_t h, int64_t w, int64_t c) {
  at::Tensor image = at::empty({h, w, c}, at::kByte);
  auto pixels = image.accessor<uint8_t, 3>();
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t k = 0; k < c; ++k) {
        pixels[y][x][k] = static_cast<uint8_t>((x * 37 + y * 91 + k * 53 + (x * y) % 7 * 11) % 256);
      }
    }
  }
  return image;
}

std::vector<int> levels(const at::Tensor& image) {
  const at::Tensor flat = image.contiguous().view({-1}).to(at::kInt);
  return {flat.data_ptr<int>(), flat.data_ptr<int>() + flat.numel()};
}

at::Tensor row(std::vector<uint8_t> values) {
  return at::tensor(at::ArrayRef<uint8_t>(values))
      .view({1, static_cast<int64_t>(values.size()), 1});
}

// Expected values below are what cv2.resize (OpenCV 5.0) returns for the same pattern.

TEST(ResizeArea, EnlargesLikeOpenCv) {
  EXPECT_EQ(
      levels(resize_area(pattern(3, 4, 2), 5, 7)),
      (std::vector<int>{0,   53,  9,   62,  37,  90,  56,  109, 74,  127, 102, 155, 111, 164,
                        30,  83,  40,  93,  71,  124, 91,  144, 112, 165, 142, 131, 152, 120,
                        91,  144, 103, 156, 139, 192, 163, 216, 187, 240, 223, 84,  235, 32,
                        152, 205, 165, 176, 207, 89,  149, 117, 92,  145, 133, 122, 147, 114,
                        182, 235, 197, 186, 241, 38,  143, 68,  44,  97,  88,  141, 103, 156}));
}

TEST(ResizeArea, ShrinksByFractionalFactorsLikeOpenCv) {
  EXPECT_EQ(levels(resize_area(pattern(3, 4, 2), 2, 3)),
            (std::vector<int>{41, 94, 91, 144, 142, 131, 166, 176, 149, 117, 133, 122}));
  EXPECT_EQ(levels(resize_area(pattern(7, 5, 1), 4, 3)),
            (std::vector<int>{56, 122, 123, 146, 122, 123, 112, 137, 84, 100, 115, 168}));
}

TEST(ResizeArea, WeighsPartlyCoveredPixelsByCoverage) {
  // 3 -> 2: each output pixel covers one and a half source pixels.
  EXPECT_EQ(levels(resize_area(row({30, 60, 90}), 1, 2)), (std::vector<int>{40, 80}));
}

TEST(ResizeArea, HalvingRoundsBlockMeansHalfUp) {
  at::Tensor image = at::tensor(at::ArrayRef<uint8_t>({1, 2, 0, 0, 3, 4, 0, 2})).view({2, 4, 1});
  // Block sums 10 and 2: means 2.5 and 0.5 round up.
  EXPECT_EQ(levels(resize_area(image, 1, 2)), (std::vector<int>{3, 1}));
}

TEST(ResizeArea, ThirdsRoundBlockMeansToNearest) {
  at::Tensor image = at::full({3, 6, 1}, 10, at::kByte);
  image.index_put_({0, 0, 0}, 14);  // first block sums to 94: mean 10.44
  image.index_put_({0, 3, 0}, 15);  // second block sums to 95: mean 10.56
  EXPECT_EQ(levels(resize_area(image, 1, 2)), (std::vector<int>{10, 11}));
}

TEST(ResizeArea, EnlargingByWholeFactorsRepeatsPixels) {
  EXPECT_EQ(levels(resize_area(row({0, 100}), 1, 4)), (std::vector<int>{0, 0, 100, 100}));
  EXPECT_EQ(levels(resize_area(row({0, 90, 180}), 1, 4)), (std::vector<int>{0, 60, 120, 180}));
}

// A destination at least 64 bytes wide, where OpenCV's vector code (float) applies.
TEST(ResizeBicubic, ResizesLikeOpenCv) {
  EXPECT_EQ(
      levels(resize_bicubic(pattern(9, 30, 3), 5, 22)),
      (std::vector<int>{
          34,  90,  161, 101, 176, 150, 170, 107, 151, 98,  169, 176, 182, 130, 117, 32,  85,  156,
          95,  169, 172, 172, 123, 159, 99,  159, 46,  175, 154, 119, 55,  82,  155, 87,  160, 190,
          169, 143, 149, 106, 150, 57,  164, 177, 127, 87,  81,  157, 78,  150, 203, 162, 165, 138,
          121, 140, 78,  152, 194, 120, 122, 83,  170, 72,  143, 100, 173, 184, 40,  126, 51,  119,
          96,  177, 178, 132, 133, 192, 178, 34,  113, 163, 216, 33,  168, 40,  118, 83,  172, 175,
          126, 125, 181, 180, 79,  152, 163, 196, 29,  205, 37,  115, 68,  162, 170, 121, 129, 191,
          180, 126, 0,   168, 153, 41,  230, 48,  107, 56,  149, 164, 121, 143, 207, 178, 165, 0,
          176, 100, 49,  223, 83,  120, 121, 174, 186, 216, 255, 18,  31,  84,  118, 43,  96,  149,
          110, 163, 216, 111, 164, 217, 213, 255, 19,  65,  118, 106, 31,  84,  137, 116, 169, 222,
          106, 159, 235, 207, 255, 28,  102, 155, 94,  22,  75,  130, 119, 172, 225, 107, 160, 241,
          198, 251, 48,  141, 194, 80,  14,  67,  131, 117, 170, 223, 111, 164, 239, 188, 241, 79,
          65,  118, 137, 128, 178, 142, 158, 249, 57,  248, 28,  49,  109, 80,  82,  59,  112, 114,
          129, 180, 193, 154, 254, 49,  236, 38,  50,  156, 84,  81,  49,  59,  101, 127, 189, 234,
          153, 255, 39,  227, 64,  52,  203, 81,  81,  38,  67,  98,  122, 175, 255, 153, 250, 31,
          219, 102, 57,  243, 78,  80,  29,  79,  101, 116, 160, 240, 168, 89,  123, 80,  158, 81,
          160, 96,  169, 86,  179, 50,  174, 131, 130, 190, 87,  140, 72,  150, 71,  160, 110, 172,
          87,  155, 53,  166, 56,  125, 206, 87,  151, 71,  120, 66,  156, 67,  168, 95,  165, 65,
          157, 50,  120, 214, 92,  158, 79,  132, 67,  148, 62,  159, 110, 164, 87,  134, 51,  112,
          115, 98,  161, 103, 128, 82}));
}

TEST(ResizeNearest, TakesTheCoveringSourcePixel) {
  EXPECT_EQ(levels(resize_nearest(row({10, 20, 30}), 1, 5)),
            (std::vector<int>{10, 10, 20, 20, 30}));
  EXPECT_EQ(levels(resize_nearest(pattern(3, 4, 2), 5, 7)),
            levels(pattern(3, 4, 2)
                       .index_select(0, at::tensor({0, 0, 1, 1, 2}, at::kLong))
                       .index_select(1, at::tensor({0, 0, 1, 1, 2, 2, 3}, at::kLong))));
}

TEST(Resize, KeepsConstantImagesConstant) {
  const at::Tensor gray = at::full({13, 9, 3}, 77, at::kByte);
  for (const auto& [height, width] :
       std::vector<std::pair<int64_t, int64_t>>{{5, 4}, {26, 18}, {20, 7}, {6, 30}, {13, 9}}) {
    const at::Tensor expected = at::full({height, width, 3}, 77, at::kByte);
    EXPECT_TRUE(resize_area(gray, height, width).equal(expected)) << height << "x" << width;
    EXPECT_TRUE(resize_bicubic(gray, height, width).equal(expected)) << height << "x" << width;
    EXPECT_TRUE(resize_nearest(gray, height, width).equal(expected)) << height << "x" << width;
  }
}

TEST(Resize, SameSizeCopies) {
  const at::Tensor image = pattern(6, 5, 4);
  EXPECT_TRUE(resize_area(image, 6, 5).equal(image));
  EXPECT_TRUE(resize_bicubic(image, 6, 5).equal(image));
  EXPECT_TRUE(resize_nearest(image, 6, 5).equal(image));
}

TEST(Resize, RejectsWhatIsNotAnImage) {
  EXPECT_EQ(orfeas::test::code_of([] {
              resize_area(at::zeros({4, 4, 3}, at::kFloat), 2, 2);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              resize_bicubic(at::zeros({4, 4}, at::kByte), 2, 2);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              resize_nearest(at::zeros({0, 4, 3}, at::kByte), 2, 2);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(orfeas::test::code_of([] {
              resize_area(at::zeros({4, 4, 3}, at::kByte), 0, 2);
            }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
