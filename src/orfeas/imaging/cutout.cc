#include "orfeas/imaging/cutout.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"
#include "orfeas/imaging/foreground.h"

namespace orfeas {
namespace {

// `image` (BGR or BGRA) as BGR, its alpha (if any) blended over white.
cv::Mat on_white(const cv::Mat& image) {
  if (image.channels() == 3) return image;
  cv::Mat bgr(image.size(), CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    const cv::Vec4b* in = image.ptr<cv::Vec4b>(y);
    cv::Vec3b* out = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      const int alpha = in[x][3];
      for (int c = 0; c < 3; ++c) out[x][c] = (in[x][c] * alpha + 255 * (255 - alpha) + 127) / 255;
    }
  }
  return bgr;
}

}  // namespace

Cutout cut_out(const cv::Mat& image, const cv::Mat& mask, double border) {
  if (image.empty() || (image.type() != CV_8UC3 && image.type() != CV_8UC4) ||
      mask.type() != CV_8UC1 || mask.size() != image.size()) {
    throw Error(ErrorCode::kInternal,
                "cut_out needs an 8-bit BGR or BGRA image and an 8-bit mask of the same size");
  }
  const cv::Rect box = cv::boundingRect(mask);
  if (box.empty()) throw Error(ErrorCode::kBadInput, "nothing to cut out: the mask is empty");

  const int longest = std::max(box.width, box.height);
  const int side = longest + 2 * static_cast<int>(std::lround(std::max(0.0, border) * longest));
  Cutout cutout{cv::Mat(side, side, CV_8UC3, cv::Scalar::all(255)),
                cv::Mat(side, side, CV_8UC1, cv::Scalar(0))};
  const cv::Rect place((side - box.width) / 2, (side - box.height) / 2, box.width, box.height);
  const cv::Mat object = mask(box) != 0;
  object.copyTo(cutout.mask(place));
  on_white(image(box)).copyTo(cutout.bgr(place), object);
  return cutout;
}

Cutout prepare_image(std::span<const std::uint8_t> bytes, const ImageLimits& limits) {
  const cv::Mat image = decode_image(bytes, limits);
  return cut_out(image, foreground_mask(image));
}

}  // namespace orfeas
