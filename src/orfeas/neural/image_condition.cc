#include "orfeas/neural/image_condition.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/neural/image_resize.h"

namespace orfeas::neural {
namespace {

// `image` as contiguous RGBA: RGB gets an opaque alpha channel.
at::Tensor as_rgba(const at::Tensor& image) {
  if (image.scalar_type() != at::kByte || !image.device().is_cpu() || image.dim() != 3 ||
      (image.size(2) != 3 && image.size(2) != 4) || image.size(0) < 1 || image.size(1) < 1) {
    throw Error(ErrorCode::kBadInput,
                "the image processor needs a CPU uint8 image [H, W, 3 or 4], got " +
                    image.toString() + " of shape " + c10::str(image.sizes()));
  }
  if (image.size(2) == 4) return image.contiguous();
  return at::cat({image, at::full({image.size(0), image.size(1), 1}, 255, image.options())}, 2);
}

// [first, last] of the indices where `present` (1-D bool) is set; nothing if none is.
struct Span {
  int64_t first, last;
};
std::optional<Span> set_span(const at::Tensor& present) {
  const at::Tensor indices = present.nonzero();
  if (indices.numel() == 0) return std::nullopt;
  return Span{indices.min().item<int64_t>(), indices.max().item<int64_t>()};
}

// Composites `canvas` (RGBA [S, S, 4]) on white in float32, truncating to levels as numpy's
// astype(uint8) does: rgb = c * a + 255 * (1 - a) and mask = a * 255, with a = alpha / 255.
RecentredImage composite_on_white(const at::Tensor& canvas) {
  const int64_t pixels = canvas.size(0) * canvas.size(1);
  RecentredImage result{at::empty({canvas.size(0), canvas.size(1), 3}, canvas.options()),
                        at::empty({canvas.size(0), canvas.size(1)}, canvas.options())};
  const uint8_t* in = canvas.data_ptr<uint8_t>();
  uint8_t* rgb = result.rgb.data_ptr<uint8_t>();
  uint8_t* mask = result.mask.data_ptr<uint8_t>();
  for (int64_t i = 0; i < pixels; ++i) {
    const float alpha = static_cast<float>(in[i * 4 + 3]) / 255.f;
    const float background = 255.f * (1.f - alpha);
    for (int64_t c = 0; c < 3; ++c) {
      const float value = static_cast<float>(in[i * 4 + c]) * alpha + background;
      rgb[i * 3 + c] = static_cast<uint8_t>(std::clamp(value, 0.f, 255.f));
    }
    mask[i] = static_cast<uint8_t>(std::clamp(alpha * 255.f, 0.f, 255.f));
  }
  return result;
}

// uint8 [H, W, C] -> float32 [1, C, H, W] in [-1, 1], with torch's operators and their order.
at::Tensor levels_to_unit_range(const at::Tensor& hwc) {
  return hwc.to(at::kFloat).div(255).mul(2).sub(1).permute({2, 0, 1}).unsqueeze(0).contiguous();
}

}  // namespace

ImageProcessorConfig ImageProcessorConfig::from_json(const nlohmann::json& params) {
  ImageProcessorConfig config;
  if (params.is_null()) return config;
  try {
    if (!params.is_object()) throw Error(ErrorCode::kBadInput, "must be a map");
    if (params.contains("size")) config.size = params.at("size").get<int64_t>();
    if (params.contains("border_ratio") && !params.at("border_ratio").is_null()) {
      config.border_ratio = params.at("border_ratio").get<double>();
    }
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kBadInput, "image processor config: bad params", {{"reason", e.what()}});
  }
  if (config.size < 1 || !(config.border_ratio >= 0 && config.border_ratio < 1)) {
    throw Error(ErrorCode::kBadInput,
                "image processor config: size must be positive and border_ratio in [0, 1)",
                {{"size", config.size}, {"border_ratio", config.border_ratio}});
  }
  return config;
}

RecentredImage recentre(const at::Tensor& image, double border_ratio) {
  const at::Tensor rgba = as_rgba(image);
  const at::Tensor visible = rgba.select(2, 3) != 0;
  const std::optional<Span> rows = set_span(visible.any(1));
  if (!rows) throw Error(ErrorCode::kBadInput, "the image has no visible pixel: alpha is 0");
  const std::optional<Span> columns = set_span(visible.any(0));
  // The official box runs from the first visible row/column up to, not including, the last.
  const int64_t height = rows->last - rows->first, width = columns->last - columns->first;
  if (height == 0 || width == 0) {
    throw Error(ErrorCode::kBadInput, "the object in the image is a single pixel row or column");
  }

  const int64_t side = std::max(rgba.size(0), rgba.size(1));
  const auto target = static_cast<int64_t>(static_cast<double>(side) * (1.0 - border_ratio));
  const double scale = static_cast<double>(target) / static_cast<double>(std::max(height, width));
  const auto scaled_height = static_cast<int64_t>(static_cast<double>(height) * scale);
  const auto scaled_width = static_cast<int64_t>(static_cast<double>(width) * scale);
  if (scaled_height < 1 || scaled_width < 1) {
    throw Error(ErrorCode::kBadInput, "the object in the image is too thin to scale",
                {{"box", {height, width}}, {"scaled", {scaled_height, scaled_width}}});
  }

  const at::Tensor crop =
      rgba.slice(0, rows->first, rows->last).slice(1, columns->first, columns->last);
  at::Tensor canvas = at::zeros({side, side, 4}, rgba.options());
  const int64_t top = (side - scaled_height) / 2, left = (side - scaled_width) / 2;
  canvas.slice(0, top, top + scaled_height)
      .slice(1, left, left + scaled_width)
      .copy_(resize_area(crop, scaled_height, scaled_width));
  return composite_on_white(canvas);
}

ProcessedImage process_image(const at::Tensor& image, const ImageProcessorConfig& config) {
  const RecentredImage recentred = recentre(image, config.border_ratio);
  return {
      levels_to_unit_range(resize_bicubic(recentred.rgb, config.size, config.size)),
      levels_to_unit_range(resize_nearest(recentred.mask.unsqueeze(2), config.size, config.size))};
}

at::Tensor conditioner_input(const at::Tensor& images, const DinoConfig& config,
                             const at::TensorOptions& target) {
  if (images.dim() != 4 || images.size(1) != 3 || !images.is_floating_point()) {
    throw Error(ErrorCode::kBadInput, "the conditioner needs float images [B, 3, H, W]",
                {{"shape", images.sizes().vec()}});
  }
  // From [-1, 1] to [0, 1]: (x - low) / (high - low).
  at::Tensor x = images.sub(-1).div(2);
  x = x.to(target.has_device() ? target.device() : x.device(),
           target.has_dtype() ? target.dtype().toScalarType() : x.scalar_type());

  // Resize so that the shorter side is image_size; the longer keeps the aspect, truncated.
  const int64_t height = x.size(2), width = x.size(3);
  const int64_t shorter = std::min(height, width), longer = std::max(height, width);
  const int64_t size = config.image_size;
  const auto resized_longer =
      static_cast<int64_t>(static_cast<double>(size * longer) / static_cast<double>(shorter));
  const int64_t new_height = height <= width ? size : resized_longer;
  const int64_t new_width = height <= width ? resized_longer : size;
  if (new_height != height || new_width != width) {
    const bool half = x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble;
    const at::ScalarType dtype = x.scalar_type();
    x = at::_upsample_bilinear2d_aa(half ? x.to(at::kFloat) : x, {new_height, new_width},
                                    /*align_corners=*/false, std::nullopt, std::nullopt);
    if (half) x = x.to(dtype);
  }

  // Centre crop; an odd margin's half rounds to even, as Python's round() does.
  const auto top = static_cast<int64_t>(std::nearbyint((new_height - size) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint((new_width - size) / 2.0));
  x = x.slice(2, top, top + size).slice(3, left, left + size);

  // The statistics go straight from double to the working dtype, as torch.as_tensor does.
  const at::Tensor mean = at::tensor(at::ArrayRef<double>(kDinoMean, 3)).to(x.options());
  const at::Tensor std = at::tensor(at::ArrayRef<double>(kDinoStd, 3)).to(x.options());
  return x.sub(mean.view({3, 1, 1})).div(std.view({3, 1, 1}));
}

}  // namespace orfeas::neural
