#include "orfeas/neural/image_resize.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

// OpenCV's fixed-point interpolation weights: 11 fractional bits.
constexpr int kWeightOne = 1 << 11;

// A read-only view of a contiguous [H, W, C] uint8 image.
struct Pixels {
  const uint8_t* data;
  int64_t height, width, channels;

  const uint8_t* row(int64_t y) const { return data + y * width * channels; }
};

// The contiguous source and a zeroed destination of the same channel count.
struct ResizeJob {
  at::Tensor source;  // keeps `in` alive
  Pixels in;
  at::Tensor result;
  uint8_t* out;
};

ResizeJob start_resize(const at::Tensor& image, int64_t height, int64_t width, const char* what) {
  if (image.scalar_type() != at::kByte || !image.device().is_cpu() || image.dim() != 3 ||
      image.numel() == 0) {
    throw Error(ErrorCode::kBadInput,
                std::string(what) + " needs a non-empty CPU uint8 image [H, W, C], got " +
                    image.toString() + " of shape " + c10::str(image.sizes()));
  }
  if (height < 1 || width < 1) {
    throw Error(ErrorCode::kBadInput, std::string(what) + ": target size " +
                                          std::to_string(height) + "x" + std::to_string(width) +
                                          " is empty");
  }
  ResizeJob job;
  job.source = image.contiguous();
  job.in = {job.source.data_ptr<uint8_t>(), image.size(0), image.size(1), image.size(2)};
  job.result = at::zeros({height, width, image.size(2)}, image.options());
  job.out = job.result.data_ptr<uint8_t>();
  return job;
}

// OpenCV's saturate_cast<uchar>(float): round half to even, then clamp.
uint8_t round_to_level(float value) {
  return static_cast<uint8_t>(std::clamp<long>(std::lrint(value), 0, 255));
}

int16_t saturate_int16(int32_t value) {
  return static_cast<int16_t>(std::clamp<int32_t>(value, INT16_MIN, INT16_MAX));
}

// OpenCV's saturate_cast<short>(float) of a weight scaled to fixed point.
int32_t fixed_weight(float weight) {
  return saturate_int16(static_cast<int32_t>(std::lrint(weight * static_cast<float>(kWeightOne))));
}

// ---- INTER_AREA, shrinking by whole factors: block means ----

void area_shrink_whole(const ResizeJob& job, int64_t factor_y, int64_t factor_x) {
  const Pixels& in = job.in;
  const int64_t height = job.result.size(0), width = job.result.size(1), cn = in.channels;
  const int64_t area = factor_y * factor_x;
  // OpenCV's vector code for 2x2 blocks rounds half up; its scalar code, used for every other
  // factor, multiplies by the float reciprocal of the area and rounds half to even.
  const bool half_up = factor_y == 2 && factor_x == 2 && (cn == 1 || cn == 3 || cn == 4);
  const float reciprocal = 1.f / static_cast<float>(area);
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      for (int64_t c = 0; c < cn; ++c) {
        int32_t sum = 0;
        for (int64_t dy = 0; dy < factor_y; ++dy) {
          const uint8_t* row = in.row(y * factor_y + dy);
          for (int64_t dx = 0; dx < factor_x; ++dx) sum += row[(x * factor_x + dx) * cn + c];
        }
        job.out[(y * width + x) * cn + c] =
            half_up ? static_cast<uint8_t>((sum + 2) >> 2)
                    : round_to_level(static_cast<float>(sum) * reciprocal);
      }
    }
  }
}

// ---- INTER_AREA, shrinking by other factors: fractional coverage ----

// Source pixel `source` contributes `weight` of itself to destination pixel `target`.
struct AreaTap {
  int64_t target, source;
  float weight;
};

// The taps of one axis, in OpenCV's order: for each destination pixel, the partly covered pixel
// on its left, the fully covered ones, the partly covered one on its right (slivers under 1e-3
// dropped). Weights are coverage / cell width, where the last cell may be cut by the border.
std::vector<AreaTap> area_taps(int64_t source_size, int64_t target_size, double scale) {
  std::vector<AreaTap> taps;
  for (int64_t d = 0; d < target_size; ++d) {
    const double start = static_cast<double>(d) * scale;
    const double end = start + scale;
    const double cell = std::min(scale, static_cast<double>(source_size) - start);
    int64_t first_full = static_cast<int64_t>(std::ceil(start));
    const int64_t last_full_end = std::min(static_cast<int64_t>(std::floor(end)), source_size - 1);
    first_full = std::min(first_full, last_full_end);
    if (static_cast<double>(first_full) - start > 1e-3) {
      taps.push_back({d, first_full - 1,
                      static_cast<float>((static_cast<double>(first_full) - start) / cell)});
    }
    for (int64_t s = first_full; s < last_full_end; ++s) {
      taps.push_back({d, s, static_cast<float>(1.0 / cell)});
    }
    const double tail = end - static_cast<double>(last_full_end);
    if (tail > 1e-3) {
      taps.push_back(
          {d, last_full_end, static_cast<float>(std::min(std::min(tail, 1.0), cell) / cell)});
    }
  }
  return taps;
}

void area_shrink_fractional(const ResizeJob& job, double scale_y, double scale_x) {
  const Pixels& in = job.in;
  const int64_t width = job.result.size(1), cn = in.channels;
  const std::vector<AreaTap> x_taps = area_taps(in.width, width, scale_x);
  const std::vector<AreaTap> y_taps = area_taps(in.height, job.result.size(0), scale_y);

  // Each source row is first reduced horizontally into `row_sum`; the rows of one destination
  // row are then accumulated, weighted, in `sum`, all in float as OpenCV does.
  std::vector<float> row_sum(width * cn), sum(width * cn, 0.f);
  int64_t current = y_taps.front().target;
  const auto flush = [&](int64_t y) {
    for (int64_t i = 0; i < width * cn; ++i) job.out[y * width * cn + i] = round_to_level(sum[i]);
  };
  for (const AreaTap& y_tap : y_taps) {
    std::fill(row_sum.begin(), row_sum.end(), 0.f);
    const uint8_t* row = in.row(y_tap.source);
    for (const AreaTap& x_tap : x_taps) {
      for (int64_t c = 0; c < cn; ++c) {
        row_sum[x_tap.target * cn + c] +=
            static_cast<float>(row[x_tap.source * cn + c]) * x_tap.weight;
      }
    }
    if (y_tap.target != current) {
      flush(current);
      for (int64_t i = 0; i < width * cn; ++i) sum[i] = y_tap.weight * row_sum[i];
      current = y_tap.target;
    } else {
      for (int64_t i = 0; i < width * cn; ++i) sum[i] += y_tap.weight * row_sum[i];
    }
  }
  flush(current);
}

// ---- INTER_AREA, enlarging: linear interpolation with "area" weights ----

// Destination pixel d mixes source pixels `first` and first + 1 with fixed-point weights.
struct LinearTap {
  int64_t first;
  int32_t weight_first, weight_next;
  bool edge;  // past the last source pixel: `first` alone, at full weight
};

// OpenCV's area-mode weights: the fraction of the destination pixel that lies past the source
// pixel boundary it straddles, zero when it straddles none.
LinearTap area_linear_tap(int64_t d, double scale, double inverse_scale, int64_t source_size,
                          bool clamp_edge) {
  int64_t first = static_cast<int64_t>(std::floor(static_cast<double>(d) * scale));
  float fraction = static_cast<float>(static_cast<double>(d + 1) -
                                      static_cast<double>(first + 1) * inverse_scale);
  fraction = fraction <= 0 ? 0.f : fraction - std::floor(fraction);
  const bool edge = clamp_edge && first >= source_size - 1;
  if (edge) {
    fraction = 0.f;
    first = source_size - 1;
  }
  return {first, fixed_weight(1.f - fraction), fixed_weight(fraction), edge};
}

void area_enlarge(const ResizeJob& job, double scale_y, double scale_x) {
  const Pixels& in = job.in;
  const int64_t height = job.result.size(0), width = job.result.size(1), cn = in.channels;
  std::vector<LinearTap> x_taps;
  for (int64_t x = 0; x < width; ++x) {
    x_taps.push_back(area_linear_tap(x, scale_x, 1.0 / scale_x, in.width, /*clamp_edge=*/true));
  }
  // A source row interpolated horizontally, in fixed point (weights sum to kWeightOne).
  const auto horizontal = [&](int64_t source_y) {
    std::vector<int32_t> row(width * cn);
    const uint8_t* s = in.row(std::clamp<int64_t>(source_y, 0, in.height - 1));
    for (int64_t x = 0; x < width; ++x) {
      const LinearTap& tap = x_taps[x];
      for (int64_t c = 0; c < cn; ++c) {
        row[x * cn + c] = tap.edge ? s[tap.first * cn + c] * kWeightOne
                                   : s[tap.first * cn + c] * tap.weight_first +
                                         s[(tap.first + 1) * cn + c] * tap.weight_next;
      }
    }
    return row;
  };
  for (int64_t y = 0; y < height; ++y) {
    const LinearTap tap = area_linear_tap(y, scale_y, 1.0 / scale_y, in.height, false);
    const std::vector<int32_t> top = horizontal(tap.first), bottom = horizontal(tap.first + 1);
    for (int64_t i = 0; i < width * cn; ++i) {
      // OpenCV's vector code: drop 4 bits to fit int16, keep the high half of each product,
      // then round off the last 2 bits (22 fractional bits in all).
      const int32_t high_top = (saturate_int16(top[i] >> 4) * tap.weight_first) >> 16;
      const int32_t high_bottom = (saturate_int16(bottom[i] >> 4) * tap.weight_next) >> 16;
      const int32_t value = (saturate_int16(high_top + high_bottom) + 2) >> 2;
      job.out[y * width * cn + i] = static_cast<uint8_t>(std::clamp(value, 0, 255));
    }
  }
}

// ---- INTER_CUBIC ----

struct CubicTap {
  int64_t first;  // the leftmost of the four source pixels (may lie outside: edges replicate)
  std::array<float, 4> weight;
};

// Keys' cubic convolution weights (a = -0.75) at fractional offset t, in OpenCV's float order.
std::array<float, 4> cubic_weights(float t) {
  constexpr float a = -0.75f;
  std::array<float, 4> w;
  w[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
  w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  w[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
  w[3] = 1.f - w[0] - w[1] - w[2];
  return w;
}

std::vector<CubicTap> cubic_taps(int64_t source_size, int64_t target_size) {
  const double scale = 1.0 / (static_cast<double>(target_size) / static_cast<double>(source_size));
  std::vector<CubicTap> taps;
  for (int64_t d = 0; d < target_size; ++d) {
    float position = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
    const int64_t floor = static_cast<int64_t>(std::floor(position));
    position -= static_cast<float>(floor);
    taps.push_back({floor - 1, cubic_weights(position)});
  }
  return taps;
}

}  // namespace

at::Tensor resize_area(const at::Tensor& image, int64_t height, int64_t width) {
  ResizeJob job = start_resize(image, height, width, "resize_area");
  if (height == job.in.height && width == job.in.width) return job.source.clone();
  // OpenCV's scales: source pixels per destination pixel, through the inverse ratio.
  const double scale_y = 1.0 / (static_cast<double>(height) / static_cast<double>(job.in.height));
  const double scale_x = 1.0 / (static_cast<double>(width) / static_cast<double>(job.in.width));
  if (scale_x >= 1 && scale_y >= 1) {
    const double whole_y = std::nearbyint(scale_y), whole_x = std::nearbyint(scale_x);
    if (std::abs(scale_y - whole_y) < DBL_EPSILON && std::abs(scale_x - whole_x) < DBL_EPSILON) {
      area_shrink_whole(job, static_cast<int64_t>(whole_y), static_cast<int64_t>(whole_x));
    } else {
      area_shrink_fractional(job, scale_y, scale_x);
    }
  } else {
    area_enlarge(job, scale_y, scale_x);
  }
  return job.result;
}

at::Tensor resize_bicubic(const at::Tensor& image, int64_t height, int64_t width) {
  ResizeJob job = start_resize(image, height, width, "resize_bicubic");
  const Pixels& in = job.in;
  if (height == in.height && width == in.width) return job.source.clone();
  const int64_t cn = in.channels;
  const std::vector<CubicTap> x_taps = cubic_taps(in.width, width);
  const std::vector<CubicTap> y_taps = cubic_taps(in.height, height);

  // Horizontal pass over every source row, then vertical over the rows each output row needs.
  std::vector<float> rows(in.height * width * cn);
  for (int64_t y = 0; y < in.height; ++y) {
    const uint8_t* s = in.row(y);
    float* r = rows.data() + y * width * cn;
    for (int64_t x = 0; x < width; ++x) {
      const CubicTap& tap = x_taps[x];
      for (int64_t c = 0; c < cn; ++c) {
        float sum = 0.f;
        for (int64_t k = 0; k < 4; ++k) {
          const int64_t sx = std::clamp<int64_t>(tap.first + k, 0, in.width - 1);
          sum += static_cast<float>(s[sx * cn + c]) * tap.weight[k];
        }
        r[x * cn + c] = sum;
      }
    }
  }
  for (int64_t y = 0; y < height; ++y) {
    const CubicTap& tap = y_taps[y];
    for (int64_t i = 0; i < width * cn; ++i) {
      float sum = 0.f;
      for (int64_t k = 0; k < 4; ++k) {
        const int64_t sy = std::clamp<int64_t>(tap.first + k, 0, in.height - 1);
        sum += rows[sy * width * cn + i] * tap.weight[k];
      }
      job.out[y * width * cn + i] = round_to_level(sum);
    }
  }
  return job.result;
}

at::Tensor resize_nearest(const at::Tensor& image, int64_t height, int64_t width) {
  ResizeJob job = start_resize(image, height, width, "resize_nearest");
  const Pixels& in = job.in;
  if (height == in.height && width == in.width) return job.source.clone();
  const int64_t cn = in.channels;
  const double scale_y = 1.0 / (static_cast<double>(height) / static_cast<double>(in.height));
  const double scale_x = 1.0 / (static_cast<double>(width) / static_cast<double>(in.width));
  for (int64_t y = 0; y < height; ++y) {
    const int64_t sy =
        std::min(static_cast<int64_t>(std::floor(static_cast<double>(y) * scale_y)), in.height - 1);
    const uint8_t* s = in.row(sy);
    for (int64_t x = 0; x < width; ++x) {
      const int64_t sx = std::min(
          static_cast<int64_t>(std::floor(static_cast<double>(x) * scale_x)), in.width - 1);
      std::copy_n(s + sx * cn, cn, job.out + (y * width + x) * cn);
    }
  }
  return job.result;
}

}  // namespace orfeas::neural
