// The picture the neural generator conditions on, made from what the imaging stage gives: an RGBA
// tensor for process_image() (image_condition.h), whose alpha tells the official image processor
// where the object is. Uses OpenCV and imaging/, so it lives in orfeas_neural_generator, outside
// the LibTorch-only engine.
#pragma once

#include <ATen/ATen.h>

#include <opencv2/core.hpp>

#include "orfeas/imaging/cutout.h"

namespace orfeas::neural {

// A decoded photo (CV_8UC3 BGR or CV_8UC4 BGRA, as decode_image gives it) as a uint8 RGBA tensor
// [H, W, 4] whose alpha is the object found by foreground_mask: a photo without transparency (or
// with an alpha channel that is no mask) gets our own foreground segmentation, where the official
// pipeline would take the whole photo as the object. A photo whose alpha is a real mask keeps its
// alpha values, soft edges included, inside that object (alpha below 128 at its rim, and anything
// outside its main part, becomes transparent). Throws Error(internal) for other pixel types.
at::Tensor photo_to_rgba(const cv::Mat& photo);

// A cutout (the object on white with its mask, CV_8UC3 + CV_8UC1 of one size) as a uint8 RGBA
// tensor [S, S, 4] whose alpha is the mask. Throws Error(internal) for other types or sizes.
at::Tensor cutout_to_rgba(const Cutout& cutout);

}  // namespace orfeas::neural
