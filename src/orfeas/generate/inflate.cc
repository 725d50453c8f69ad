#include "orfeas/generate/inflate.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr OptionSpec kSpecs[] = {
    kResolutionOption,
    kSizeOption,
    {"depth", 0.1, 2, 0.8, false, "thickness relative to a round profile (1: a disc becomes a sphere)"},
    {"min_thickness_mm", 0, 50, 2, false, "no part of the solid is thinner than this"},
    {"detail_mm", 0, 10, 0.6, false, "height of the shading detail on the front (0: smooth)"},
};

constexpr int kMargin = 3;     // grid cells of empty space around the solid
constexpr int kSupersample = 4;  // the silhouette's distance map is computed this much finer

// The silhouette sampled on the image-plane grid: rows top to bottom, in grid cells.
struct Silhouette {
  cv::Mat signed_distance;  // CV_32F, positive inside, in cells
  cv::Mat luminance;        // CV_32F in [0, 1]
};

// Crops `image` to `rect` (which may reach outside it; outside reads as `outside`) and resizes the
// crop to `size` by area averaging.
cv::Mat crop_resized(const cv::Mat& image, cv::Rect rect, cv::Size size, const cv::Scalar& outside) {
  const cv::Rect inside = rect & cv::Rect(0, 0, image.cols, image.rows);
  cv::Mat crop;
  cv::copyMakeBorder(image(inside), crop, inside.y - rect.y, rect.br().y - inside.br().y,
                     inside.x - rect.x, rect.br().x - inside.br().x, cv::BORDER_CONSTANT, outside);
  cv::Mat resized;
  cv::resize(crop, resized, size, 0, 0, cv::INTER_AREA);
  return resized;
}

Silhouette sample_silhouette(const Cutout& cutout, int resolution) {
  const cv::Rect box = cv::boundingRect(cutout.mask);
  if (box.empty()) throw Error(ErrorCode::kInternal, "inflate: the object mask is empty");
  const double cell_px = std::max(box.width, box.height) / double(resolution);
  const int cols = int(std::ceil(box.width / cell_px)) + 2 * kMargin;
  const int rows = int(std::ceil(box.height / cell_px)) + 2 * kMargin;
  const cv::Rect region(int(std::floor(box.x - kMargin * cell_px)),
                        int(std::floor(box.y - kMargin * cell_px)),
                        std::max(1, int(std::lround(cols * cell_px))),
                        std::max(1, int(std::lround(rows * cell_px))));

  cv::Mat fine = crop_resized(cutout.mask, region, {cols * kSupersample, rows * kSupersample}, 0);
  cv::Mat inside = fine > 127;
  cv::Mat outside = ~inside;
  cv::Mat distance_in, distance_out;
  cv::distanceTransform(inside, distance_in, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::distanceTransform(outside, distance_out, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  // Pixel centres sit half a pixel from the outline between them.
  cv::Mat fine_sd = (distance_in - distance_out) / kSupersample;
  fine_sd.setTo(0, fine_sd == 0);
  cv::Mat in_offset, out_offset;
  inside.convertTo(in_offset, CV_32F, -0.5 / 255 / kSupersample);
  outside.convertTo(out_offset, CV_32F, 0.5 / 255 / kSupersample);
  fine_sd += in_offset + out_offset;

  Silhouette s;
  cv::resize(fine_sd, s.signed_distance, {cols, rows}, 0, 0, cv::INTER_AREA);
  // Softens the outline's pixel steps, which would otherwise show as ridges on the side walls.
  cv::GaussianBlur(s.signed_distance, s.signed_distance, {0, 0}, 0.6);
  cv::Mat gray;
  cv::cvtColor(cutout.bgr, gray, cv::COLOR_BGR2GRAY);
  crop_resized(gray, region, {cols, rows}, 255).convertTo(s.luminance, CV_32F, 1.0 / 255);
  return s;
}

// The intersection of two solids given by distances (positive inside), with the edge where their
// surfaces meet rounded to `radius`: the rim along the outline becomes a bead, not a sharp wall.
float rounded_intersection(float a, float b, float radius) {
  const float da = std::max(radius - a, 0.0f), db = std::max(radius - b, 0.0f);
  return std::max(radius, std::min(a, b)) - std::sqrt(da * da + db * db);
}

// Red-black successive over-relaxation sweeps of the membrane equation (see solve_membrane).
void relax(const cv::Mat& inside, cv::Mat& u, int sweeps) {
  constexpr float kOmega = 1.8f;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    for (int colour = 0; colour < 2; ++colour) {
      for (int r = 1; r + 1 < u.rows; ++r) {
        const std::uint8_t* in = inside.ptr<std::uint8_t>(r);
        float* row = u.ptr<float>(r);
        const float* up = u.ptr<float>(r - 1);
        const float* down = u.ptr<float>(r + 1);
        for (int c = 1 + (r + colour) % 2; c + 1 < u.cols; c += 2) {
          if (!in[c]) continue;
          const float target = 0.25f * (up[c] + down[c] + row[c - 1] + row[c + 1] + 4.0f);
          row[c] += kOmega * (target - row[c]);
        }
      }
    }
  }
}

// Solves the membrane equation laplacian(u) = -4 inside the mask (CV_8U, nonzero inside) with
// u = 0 outside, in grid cells, coarse to fine: a coarser solution, scaled by 4 for the halved
// cell size, starts the relaxation at each finer level.
cv::Mat solve_membrane(const cv::Mat& inside) {
  cv::Mat u = cv::Mat::zeros(inside.size(), CV_32F);
  if (std::min(inside.rows, inside.cols) > 24) {
    cv::Mat coarse_inside;
    cv::resize(inside, coarse_inside, {(inside.cols + 1) / 2, (inside.rows + 1) / 2}, 0, 0,
               cv::INTER_NEAREST);
    cv::resize(solve_membrane(coarse_inside) * 4.0f, u, inside.size(), 0, 0, cv::INTER_LINEAR);
    u.setTo(0, inside == 0);
    relax(inside, u, 40);
  } else {
    relax(inside, u, 400);
  }
  return u;
}

}  // namespace

std::span<const OptionSpec> InflateGenerator::option_specs() const { return kSpecs; }

Field InflateGenerator::generate_one(const Cutout& cutout, const nlohmann::json& options) const {
  const int resolution = options["resolution"].get<int>();
  const double cells_per_mm = resolution / options["size_mm"].get<double>();
  const float depth = options["depth"].get<float>();
  const float min_half = float(options["min_thickness_mm"].get<double>() * cells_per_mm / 2);
  const float detail = float(options["detail_mm"].get<double>() * cells_per_mm);

  const Silhouette s = sample_silhouette(cutout, resolution);
  const cv::Mat& sd = s.signed_distance;
  const cv::Mat d = cv::max(sd, 0.0f);

  // Half-thickness: sqrt of the membrane solution. On a disc of radius R it is sqrt(R^2 - r^2), a
  // sphere; on a bar it is round with the bar's own width, so thin parts stay slender.
  cv::Mat back;
  cv::sqrt(solve_membrane(sd > 0), back);
  back *= depth;

  // Shading detail: high-passed luminance, faded out over the four cells next to the outline.
  cv::Mat front = back.clone();
  if (detail > 0) {
    cv::Mat low;
    cv::GaussianBlur(s.luminance, low, {0, 0}, std::max(2.0, resolution / 24.0));
    cv::Mat high = cv::min(cv::max((s.luminance - low) * 4.0f, -1.0f), 1.0f);
    cv::Mat fade = cv::min(d / 4.0f, 1.0f);
    front += high.mul(fade) * detail;
  }
  // A floor under the thickness that blends in rather than leaving a crease where it takes over.
  cv::sqrt(front.mul(cv::max(front, 0.0f)) + min_half * min_half, front);
  cv::sqrt(back.mul(back) + min_half * min_half, back);

  double max_front = 0, max_back = 0;
  cv::minMaxLoc(front, nullptr, &max_front);
  cv::minMaxLoc(back, nullptr, &max_back);
  const int half = int(std::ceil(std::max(max_front, max_back))) + kMargin;

  Field field = Field::filled(sd.cols, 2 * half + 1, sd.rows, -1.0f);
  for (int k = 0; k < field.nz; ++k) {
    const int row = sd.rows - 1 - k;  // image rows run down, z runs up
    const float* sd_row = sd.ptr<float>(row);
    const float* front_row = front.ptr<float>(row);
    const float* back_row = back.ptr<float>(row);
    for (int j = 0; j < field.ny; ++j) {
      const float dy = float(j - half);  // negative towards the viewer
      for (int i = 0; i < field.nx; ++i) {
        const float thickness = dy < 0 ? front_row[i] + dy : back_row[i] - dy;
        field.at(i, j, k) = rounded_intersection(sd_row[i], thickness, min_half);
      }
    }
  }
  return field;
}

}  // namespace orfeas
