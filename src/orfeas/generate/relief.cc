#include "orfeas/generate/relief.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace orfeas {
namespace {

constexpr OptionSpec kSpecs[] = {
    kResolutionOption,
    kSizeOption,
    {"base_mm", 0.2, 20, 1.0, false, "thickness where the picture is white"},
    {"relief_mm", 0, 20, 2.0, false, "extra thickness where the picture is black"},
};

constexpr int kMargin = 2;  // grid cells of empty space around the plaque

}  // namespace

std::span<const OptionSpec> ReliefGenerator::option_specs() const { return kSpecs; }

Field ReliefGenerator::generate_one(const Cutout& cutout, const nlohmann::json& options) const {
  const int resolution = options["resolution"].get<int>();
  const double cells_per_mm = resolution / options["size_mm"].get<double>();
  const float base = float(options["base_mm"].get<double>() * cells_per_mm);
  const float relief = float(options["relief_mm"].get<double>() * cells_per_mm);

  // The plaque spans the whole (square) cutout, `resolution` cells a side.
  const double aspect = double(cutout.bgr.cols) / cutout.bgr.rows;
  const int cols = aspect >= 1 ? resolution : std::max(1, int(std::lround(resolution * aspect)));
  const int rows = aspect >= 1 ? std::max(1, int(std::lround(resolution / aspect))) : resolution;
  cv::Mat gray, luminance;
  cv::cvtColor(cutout.bgr, gray, cv::COLOR_BGR2GRAY);
  cv::resize(gray, gray, {cols, rows}, 0, 0, cv::INTER_AREA);
  gray.convertTo(luminance, CV_32F, 1.0 / 255);

  const int layers = int(std::ceil(base + relief));
  Field field = Field::filled(cols + 2 * kMargin, rows + 2 * kMargin, layers + 2 * kMargin + 1, -1.0f);
  // Plaque cell (c, r) spans [c, c + 1) x [r, r + 1) around sample (c + margin, r + margin), so the
  // slab's sides lie half a cell outside the outermost samples.
  auto side_distance = [](int index, int count) {
    const float from_low = float(index - kMargin) + 0.5f;
    const float from_high = float(kMargin + count - 1 - index) + 0.5f;
    return std::min(from_low, from_high);
  };
  for (int k = 0; k < field.nz; ++k) {
    const float z = float(k - kMargin) + 0.5f;  // the base lies half a cell below sample k = margin
    for (int j = 0; j < field.ny; ++j) {
      const float side_y = side_distance(j, rows);
      const int row = std::clamp(rows - 1 - (j - kMargin), 0, rows - 1);  // picture top at +y
      const float* lum = luminance.ptr<float>(row);
      for (int i = 0; i < field.nx; ++i) {
        const int col = std::clamp(i - kMargin, 0, cols - 1);
        const float top = base + relief * (1.0f - lum[col]);
        field.at(i, j, k) = std::min({side_distance(i, cols), side_y, top - z, z});
      }
    }
  }
  return field;
}

}  // namespace orfeas
