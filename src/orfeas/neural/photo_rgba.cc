#include "orfeas/neural/photo_rgba.h"

#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"
#include "orfeas/imaging/foreground.h"

namespace orfeas::neural {
namespace {

// `bgr` (CV_8UC3) with `alpha` (CV_8UC1) as an RGBA tensor that owns its pixels.
at::Tensor rgba_tensor(const cv::Mat& bgr, const cv::Mat& alpha) {
  cv::Mat rgba;
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2RGBA);
  cv::insertChannel(alpha, rgba, 3);
  return at::from_blob(rgba.data, {rgba.rows, rgba.cols, 4}, at::kByte).clone();
}

}  // namespace

at::Tensor photo_to_rgba(const cv::Mat& photo) {
  if (photo.empty() || (photo.type() != CV_8UC3 && photo.type() != CV_8UC4)) {
    throw Error(ErrorCode::kInternal, "photo_to_rgba needs an 8-bit BGR or BGRA image");
  }
  const cv::Mat object = foreground_mask(photo);
  if (photo.channels() == 3) return rgba_tensor(photo, object);
  cv::Mat bgr, alpha;
  cv::cvtColor(photo, bgr, cv::COLOR_BGRA2BGR);
  cv::extractChannel(photo, alpha, 3);
  return rgba_tensor(bgr, cv::min(alpha, object));
}

at::Tensor cutout_to_rgba(const Cutout& cutout) {
  if (cutout.bgr.type() != CV_8UC3 || cutout.mask.type() != CV_8UC1 ||
      cutout.bgr.size() != cutout.mask.size() || cutout.bgr.empty()) {
    throw Error(ErrorCode::kInternal, "cutout_to_rgba needs a BGR cutout and a mask of its size");
  }
  return rgba_tensor(cutout.bgr, cutout.mask);
}

}  // namespace orfeas::neural
