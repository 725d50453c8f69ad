// From a picture of the object to the tensor the DINOv2 conditioner takes, as the official
// Hunyuan3D-2 pipeline does it: hy3dgen's ImageProcessorV2 (recentre the object with a border,
// composite it on white, resize to 512) and then DinoImageEncoder's own transform (resize to
// the encoder's image_size, centre-crop, ImageNet normalisation).
//
// The 8-bit steps reproduce the official numpy/cv2 arithmetic: the crop box, the integer
// truncations, float32 compositing and cv2's INTER_AREA / INTER_CUBIC / INTER_NEAREST resizes
// (image_resize.h). Measured against the official code with OpenCV 5.0 on synthetic pictures: the
// recentred image and both masks are equal, the 512 image differs by one level on 1 to 9 pixels in
// a million (near-ties rounded the other way inside cv2's bicubic resize). The float steps use the
// same ATen operators as torch/torchvision, and give the same bits.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "orfeas/neural/dino_encoder.h"

namespace orfeas::neural {

// Hyper-parameters of ImageProcessorV2: config.yaml's image_processor.params.
struct ImageProcessorConfig {
  int64_t size = 512;          // side of the square the recentred image is resized to
  double border_ratio = 0.15;  // empty margin: the object spans (1 - border_ratio) of the square

  // Reads `params`; a null border_ratio keeps the default, as the official call does. Throws
  // Error(bad_input) for a wrong type, a size below 1 or a border_ratio outside [0, 1).
  static ImageProcessorConfig from_json(const nlohmann::json& params);
};

// The recentred object on white.
struct RecentredImage {
  at::Tensor rgb;   // uint8 [S, S, 3], S = max(H, W) of the input
  at::Tensor mask;  // uint8 [S, S]: the resized alpha (0 outside the object)
};

// ImageProcessorV2.recenter: crops `image` (CPU uint8 [H, W, 4] RGBA, or [H, W, 3] RGB taken as
// fully opaque) to the box of its non-zero alpha, scales the crop (area resampling) so that its
// longer side is int(S * (1 - border_ratio)), centres it in an S x S square and composites it on
// white. As in the official code the box excludes its last row and column. Throws
// Error(bad_input) for another dtype, device or shape, for an image with no visible pixel, and for
// an object one pixel thin or too thin to keep a pixel after scaling.
RecentredImage recentre(const at::Tensor& image, double border_ratio);

// The official processor's output for one picture.
struct ProcessedImage {
  at::Tensor image;  // float32 [1, 3, size, size] in [-1, 1]: the recentred RGB resized bicubically
  at::Tensor mask;   // float32 [1, 1, size, size] in [-1, 1]: the mask resized nearest-neighbour
};

// ImageProcessorV2(image): recentre, resize to config.size, map levels to [-1, 1]. Takes `image`
// as recentre does.
ProcessedImage process_image(const at::Tensor& image, const ImageProcessorConfig& config);

// DinoImageEncoder's input transform of processed images [B, 3, H, W] in [-1, 1]: mapped to
// [0, 1] in their own dtype and device, moved to `target` (the encoder's device and dtype; an
// unset field keeps the images'), resized (bilinear, antialiased) so that the shorter side is
// config.image_size, centre-cropped to a square and normalised with kDinoMean / kDinoStd. Half
// types are resized in float32, as torchvision does. Throws Error(bad_input) for a shape other
// than [B, 3, H, W] or integer images.
at::Tensor conditioner_input(const at::Tensor& images, const DinoConfig& config,
                             const at::TensorOptions& target = {});

}  // namespace orfeas::neural
