// Separates the photographed object from its background.
#pragma once

#include <opencv2/core.hpp>

namespace orfeas {

// Returns a CV_8UC1 mask the size of `image` (CV_8UC3 BGR or CV_8UC4 BGRA): 255 on the object,
// 0 elsewhere.
//
// A meaningful alpha channel is the mask: one transparent on at least 1% of the pixels and on a
// quarter of the border. Any other alpha channel (opaque almost everywhere, or only inside) is
// ignored: the background colour is then estimated from the image border and the object refined
// with GrabCut on a copy at most 192 pixels long, whose mask is scaled back smoothly.
//
// The result is one object: the main connected component (the largest, favouring the centre), with
// its holes filled. It is never empty: a photo with no separable object yields an ellipse in the
// middle of the image. The same image always gives the same mask.
// Throws Error{kInternal} for any other pixel type.
cv::Mat foreground_mask(const cv::Mat& image);

}  // namespace orfeas
