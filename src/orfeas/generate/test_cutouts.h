// Synthetic cutouts for the generator tests.
#pragma once

#include <opencv2/imgproc.hpp>

#include "orfeas/imaging/cutout.h"

namespace orfeas::testing {

// A white-on-white disc of `radius` pixels centred on a square canvas of `side` pixels.
inline Cutout disc_cutout(int side, int radius) {
  Cutout c;
  c.mask = cv::Mat::zeros(side, side, CV_8UC1);
  cv::circle(c.mask, {side / 2, side / 2}, radius, 255, cv::FILLED, cv::LINE_8);
  c.bgr = cv::Mat(side, side, CV_8UC3, cv::Scalar(200, 200, 200));
  return c;
}

// Counts samples of a field above its iso-level.
inline std::size_t inside_samples(const Field& field) {
  std::size_t n = 0;
  for (float v : field.values) n += v > field.iso;
  return n;
}

}  // namespace orfeas::testing
