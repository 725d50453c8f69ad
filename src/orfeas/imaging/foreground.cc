#include "orfeas/imaging/foreground.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr int kOpaque = 128;                    // alpha at or above this is the object
constexpr double kMinTransparent = 0.01;        // share of pixels a mask alpha leaves out, at least
constexpr double kMinTransparentBorder = 0.25;  // share of the border it leaves out, at least
constexpr int kWorkingSide = 192;               // GrabCut runs on a copy this long at most
constexpr int kMinSide = 16;  // working copies narrower than this are not searched for an object
constexpr int kGrabCutIterations = 3;
constexpr double kBorderBand = 0.02;     // the band taken as background, in longest sides
constexpr double kBorderQuantile = 0.9;  // the share of the border within the background spread
constexpr double kMinContrast = 30.0;    // colour distance (0 to 441) an object pixel has at least
constexpr float kShadowWeight = 0.25f;   // how much brightness lost counts, against gained
constexpr float kDeepShadowWeight = 0.1f;  // the same, for objects that stand out by colour
constexpr double kColourfulShare = 0.5;    // share of what stands out that must do so by colour
constexpr double kMinSeedShare = 0.005;    // share of pixels that must stand out to seed an object
constexpr int kMinSeeds = 50;  // and their least number: GrabCut's colour models need some
constexpr double kCentralRegion = 0.35;  // the fallback ellipse's semi-axes, in image sides

// While alive, OpenCV's random numbers on this thread follow a fixed seed, so that the same image
// always gives the same mask; the previous state comes back after.
class SeededRandom {
 public:
  SeededRandom() : saved_(cv::theRNG().state) { cv::theRNG().state = 0x0F0E0A5; }
  ~SeededRandom() { cv::theRNG().state = saved_; }
  SeededRandom(const SeededRandom&) = delete;
  SeededRandom& operator=(const SeededRandom&) = delete;

 private:
  std::uint64_t saved_;
};

// The share of the outermost rows and columns of `binary` that are set.
double border_share(const cv::Mat& binary) {
  const int set = cv::countNonZero(binary.row(0)) + cv::countNonZero(binary.row(binary.rows - 1)) +
                  cv::countNonZero(binary.col(0)) + cv::countNonZero(binary.col(binary.cols - 1));
  return set / (2.0 * (binary.rows + binary.cols));
}

// An alpha channel is a mask when it leaves something out, and what it leaves out includes a good
// part of the border, where a cut-out object's surroundings are.
bool alpha_is_mask(const cv::Mat& alpha) {
  const cv::Mat transparent = alpha < kOpaque;
  return cv::countNonZero(transparent) >= kMinTransparent * static_cast<double>(alpha.total()) &&
         border_share(transparent) >= kMinTransparentBorder;
}

// The per-channel median of the pixels of `bgr` where `where` is set.
cv::Vec3f median_colour(const cv::Mat& bgr, const cv::Mat& where) {
  std::array<std::vector<float>, 3> channels;
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      if (!where.at<uchar>(y, x)) continue;
      const cv::Vec3b pixel = bgr.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) channels[c].push_back(pixel[c]);
    }
  }
  cv::Vec3f median;
  for (int c = 0; c < 3; ++c) {
    auto middle = channels[c].begin() + channels[c].size() / 2;
    std::nth_element(channels[c].begin(), middle, channels[c].end());
    median[c] = *middle;
  }
  return median;
}

// How each pixel of `bgr` differs from the background colour, in RGB units, split in two.
struct Difference {
  cv::Mat colour;     // CV_32F: the change of hue, and any brightening
  cv::Mat darkening;  // CV_32F: the brightness lost, all that a shadow on the background changes
};

Difference difference_from(const cv::Mat& bgr, const cv::Vec3f& background) {
  Difference difference{cv::Mat(bgr.size(), CV_32F), cv::Mat(bgr.size(), CV_32F)};
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3f change = cv::Vec3f(bgr.at<cv::Vec3b>(y, x)) - background;
      const float brightness = (change[0] + change[1] + change[2]) / 3.0f;
      const cv::Vec3f hue = change - cv::Vec3f::all(brightness);  // orthogonal to the grey axis
      // A change of b in all three channels is sqrt(3) b long.
      const float gain = std::sqrt(3.0f) * std::max(brightness, 0.0f);
      difference.colour.at<float>(y, x) = std::sqrt(hue.dot(hue) + gain * gain);
      difference.darkening.at<float>(y, x) = std::sqrt(3.0f) * std::max(-brightness, 0.0f);
    }
  }
  return difference;
}

// The pixels that stand out from the background when darkening counts `shadow_weight`: further
// from it than kMinContrast, and than most (kBorderQuantile) of the border is.
cv::Mat standing_out(const Difference& difference, float shadow_weight, const cv::Mat& border) {
  cv::Mat distance;
  cv::magnitude(difference.colour, difference.darkening * shadow_weight, distance);
  std::vector<float> on_border;
  for (int y = 0; y < distance.rows; ++y) {
    for (int x = 0; x < distance.cols; ++x) {
      if (border.at<uchar>(y, x)) on_border.push_back(distance.at<float>(y, x));
    }
  }
  auto quantile =
      on_border.begin() + static_cast<std::ptrdiff_t>(kBorderQuantile * (on_border.size() - 1));
  std::nth_element(on_border.begin(), quantile, on_border.end());
  return distance > std::max(kMinContrast, static_cast<double>(*quantile));
}

// GrabCut's starting labels for `bgr`: a band along the border is background for sure; inside it,
// pixels that stand out from the border's colour are probably the object, the rest probably
// background. Empty when too few pixels stand out to seed an object.
cv::Mat initial_labels(const cv::Mat& bgr) {
  const int band =
      std::max(1, static_cast<int>(std::lround(kBorderBand * std::max(bgr.cols, bgr.rows))));
  cv::Mat border(bgr.size(), CV_8U, cv::Scalar(255));
  border(cv::Rect(band, band, bgr.cols - 2 * band, bgr.rows - 2 * band)).setTo(0);

  cv::Mat smooth;
  cv::GaussianBlur(bgr, smooth, cv::Size(3, 3), 0);
  const Difference difference = difference_from(smooth, median_colour(smooth, border));
  // When most of what stands out does so by its colour, what stands out only by being darker is
  // taken for a shadow: photos on white often have deep ones.
  cv::Mat seeds = standing_out(difference, kShadowWeight, border);
  const cv::Mat by_colour = standing_out(difference, kDeepShadowWeight, border);
  if (cv::countNonZero(by_colour) >= kColourfulShare * cv::countNonZero(seeds)) seeds = by_colour;
  if (cv::countNonZero(seeds) <
      std::max(kMinSeedShare * static_cast<double>(seeds.total()), double{kMinSeeds})) {
    return {};
  }
  cv::Mat labels(bgr.size(), CV_8U, cv::Scalar(cv::GC_PR_BGD));
  labels.setTo(cv::GC_PR_FGD, seeds);
  labels.setTo(cv::GC_BGD, border);
  return labels;
}

// The object GrabCut finds in `bgr`, as a 0/255 mask the size of `bgr`; empty if none stands out.
cv::Mat grabcut_object(const cv::Mat& bgr) {
  const double scale = std::min(1.0, double{kWorkingSide} / std::max(bgr.cols, bgr.rows));
  cv::Mat small;
  cv::resize(bgr, small, cv::Size(), scale, scale, cv::INTER_AREA);
  if (std::min(small.cols, small.rows) < kMinSide) return {};
  cv::Mat labels = initial_labels(small);
  if (labels.empty()) return {};
  cv::Mat background_model, foreground_model;
  const SeededRandom seeded;  // GrabCut draws its first colour models at random
  cv::grabCut(small, labels, cv::Rect(), background_model, foreground_model, kGrabCutIterations,
              cv::GC_INIT_WITH_MASK);
  cv::Mat object = (labels == cv::GC_FGD) | (labels == cv::GC_PR_FGD);
  // Back to full size without staircase edges: blur a little, interpolate, cut at half way.
  cv::GaussianBlur(object, object, cv::Size(3, 3), 0);
  cv::resize(object, object, bgr.size(), 0, 0, cv::INTER_LINEAR);
  return object >= 128;
}

// Sets the pixels of `object` that its outside cannot reach without crossing it: its holes.
void fill_holes(cv::Mat& object) {
  cv::Mat outside;
  cv::copyMakeBorder(object, outside, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::floodFill(outside, cv::Point(0, 0), cv::Scalar(255));  // 4-connected: no leak on diagonals
  object.setTo(255, outside(cv::Rect(1, 1, object.cols, object.rows)) == 0);
}

// The one object of a 0/255 mask: of its (8-connected) components, the one with the largest area
// weighed by closeness to the centre, holes filled. Empty when the mask is.
cv::Mat main_object(const cv::Mat& mask) {
  cv::Mat components, stats, centroids;
  const int count = cv::connectedComponentsWithStats(mask, components, stats, centroids, 8, CV_32S);
  const cv::Point2d centre(mask.cols / 2.0, mask.rows / 2.0);
  const double half_diagonal = std::hypot(mask.cols, mask.rows) / 2.0;
  int best = 0;
  double best_score = 0.0;
  for (int i = 1; i < count; ++i) {  // 0 is the background
    const cv::Point2d centroid(centroids.at<double>(i, 0), centroids.at<double>(i, 1));
    const double off_centre = cv::norm(centroid - centre) / half_diagonal;  // 0 to 1
    const double score = stats.at<int>(i, cv::CC_STAT_AREA) * (1.0 - 0.5 * off_centre);
    if (score > best_score) {
      best = i;
      best_score = score;
    }
  }
  if (best == 0) return {};
  cv::Mat object = components == best;
  fill_holes(object);
  return object;
}

// An ellipse in the middle of an image of `size`: the object when none could be told apart.
cv::Mat central_region(cv::Size size) {
  cv::Mat region(size, CV_8U, cv::Scalar(0));
  const cv::Size axes(std::max(1, static_cast<int>(kCentralRegion * size.width)),
                      std::max(1, static_cast<int>(kCentralRegion * size.height)));
  cv::ellipse(region, cv::Point(size.width / 2, size.height / 2), axes, 0, 0, 360, cv::Scalar(255),
              cv::FILLED);
  return region;
}

}  // namespace

cv::Mat foreground_mask(const cv::Mat& image) {
  if (image.empty() || (image.type() != CV_8UC3 && image.type() != CV_8UC4)) {
    throw Error(ErrorCode::kInternal, "foreground_mask needs a non-empty 8-bit BGR or BGRA image");
  }
  cv::Mat candidate;
  if (image.channels() == 4) {
    cv::Mat alpha;
    cv::extractChannel(image, alpha, 3);
    if (alpha_is_mask(alpha)) {
      candidate = alpha >= kOpaque;
    } else {
      cv::Mat bgr;
      cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
      candidate = grabcut_object(bgr);
    }
  } else {
    candidate = grabcut_object(image);
  }
  cv::Mat object = candidate.empty() ? cv::Mat() : main_object(candidate);
  return object.empty() ? central_region(image.size()) : object;
}

}  // namespace orfeas
