// Separates the photographed object from its background.
#pragma once

#include <opencv2/core.hpp>

namespace orfeas {

// Returns a CV_8UC1 mask the size of `image` (CV_8UC3 BGR or CV_8UC4 BGRA): 255 on the object,
// 0 elsewhere.
//
// A meaningful alpha channel is the mask. An alpha channel that is opaque almost everywhere is
// not one; the image is then treated as having no alpha: the background colour is estimated from
// the image border and the object refined with GrabCut on a downscaled copy.
//
// The result is one object: the main connected component, with its holes filled. It is never
// empty: a photo with no separable object yields the central region of the image.
cv::Mat foreground_mask(const cv::Mat& image);

}  // namespace orfeas
