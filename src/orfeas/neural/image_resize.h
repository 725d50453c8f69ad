// Resizing of 8-bit images the way OpenCV's cv::resize does it. The official Hunyuan3D-2 image
// processor resizes with cv2, and the conditioner should see the pixels it would see, but the
// neural engine may not depend on OpenCV: these reproduce its arithmetic (coefficient tables,
// fixed-point steps, rounding) in plain C++.
//
// Images are CPU uint8 tensors [H, W, C] (any C >= 1, channels resized independently); results are
// contiguous [height, width, C] uint8. A target size equal to the source size copies the image.
// Each function throws Error(bad_input) for another dtype, device or rank, an empty image, or a
// target side below 1.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace orfeas::neural {

// cv::INTER_AREA. Shrinking averages the source pixels each output pixel covers, weighted by the
// covered fraction (for whole-number factors: plain block means, 2x2 rounded half up). Enlarging
// either side interpolates linearly with OpenCV's "area" weights in 11-bit fixed point. Equal to
// OpenCV 5.0 on every pixel we have compared.
at::Tensor resize_area(const at::Tensor& image, int64_t height, int64_t width);

// cv::INTER_CUBIC as OpenCV 5.0's vector code computes it: separable cubic convolution (a = -0.75)
// over the 4x4 neighbourhood, pixel centres aligned, edges replicated, float32 weights and sums
// rounded to the nearest level. OpenCV rounds some of its float sums differently: the two differ
// by one level where the exact value lies within 1e-4 of a half level (1 to 35 pixels in a million
// in our measurements). OpenCV computes in 11-bit fixed point instead, which this does not
// reproduce, for 2-channel images and for destination rows narrower than one vector register
// (32 bytes with AVX2, 64 with AVX-512; the processor's 512-pixel rows are 1536).
at::Tensor resize_bicubic(const at::Tensor& image, int64_t height, int64_t width);

// cv::INTER_NEAREST: output pixel (y, x) takes source pixel (floor(y * H / height),
// floor(x * W / width)), with OpenCV's double-precision scale. Exact.
at::Tensor resize_nearest(const at::Tensor& image, int64_t height, int64_t width);

}  // namespace orfeas::neural
