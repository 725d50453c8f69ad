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

// Crops `image` (CV_8UC3 or CV_8UC4) to the bounding box of `mask`, grown by `border` times the
// box's longest side on every side, onto a square canvas with the object centred. Pixels outside
// the mask become white.
Cutout cut_out(const cv::Mat& image, const cv::Mat& mask, double border = 0.05);

// decode_image + foreground_mask + cut_out: the imaging stage of the flow.
Cutout prepare_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits = {});

}  // namespace orfeas
