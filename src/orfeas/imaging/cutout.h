// The object cut out of its photo, ready for a generator.
#pragma once

#include <cstdint>
#include <span>

#include <opencv2/core.hpp>

#include "orfeas/imaging/decode.h"

namespace orfeas {

struct Cutout {
  cv::Mat bgr;   // CV_8UC3, the object composited on white
  cv::Mat mask;  // CV_8UC1, 255 on the object; same size as bgr
};

// Crops `image` (CV_8UC3 or CV_8UC4) to the bounding box of `mask` (CV_8UC1, the object where
// non-zero) onto a white square canvas whose side is the box's longest side grown by `border` times
// it on each end, with the box centred. Pixels outside the mask stay white; an alpha channel is
// blended over white. No scaling: one image pixel is one canvas pixel.
// Throws Error{kBadInput} if the mask is empty, Error{kInternal} if the types or sizes are wrong.
Cutout cut_out(const cv::Mat& image, const cv::Mat& mask, double border = 0.05);

// decode_image + foreground_mask + cut_out: the imaging stage of the flow.
Cutout prepare_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});

}  // namespace orfeas
