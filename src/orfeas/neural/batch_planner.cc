#include "orfeas/neural/batch_planner.h"

#include <ATen/DeviceAccelerator.h>
#include <c10/util/Exception.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

// One transformer layer's live activations for `tokens` tokens: the input, q/k/v, the attention
// output and the MLP's hidden layer (its input and activation), plus the attention scores of
// `heads` heads.
int64_t transformer_bytes(int64_t tokens, int64_t width, int64_t mlp_width, int64_t heads,
                          int64_t element) {
  return (tokens * (6 * width + 3 * mlp_width) + heads * tokens * tokens) * element;
}

}  // namespace

int64_t estimate_job_bytes(const Hunyuan3dConfig& config, const ShapeSettings& settings,
                           at::ScalarType dtype) {
  const int64_t element = static_cast<int64_t>(c10::elementSize(dtype));
  const DinoConfig& dino = config.conditioner;
  const int64_t image_tokens = dino.output_tokens() + 1;
  const int64_t conditioner = transformer_bytes(
      image_tokens, dino.hidden_size, 2 * dino.mlp_hidden_dim(), dino.num_attention_heads, element);

  const DitConfig& dit = config.dit;
  const int64_t rows = dit.guidance_embed ? 1 : 2;
  const int64_t dit_tokens = config.vae.num_latents + dino.output_tokens();
  const int64_t denoiser = rows * transformer_bytes(dit_tokens, dit.hidden_size,
                                                    dit.mlp_hidden_dim(), dit.num_heads, element);

  const VaeConfig& vae = config.vae;
  const int64_t vae_transformer =
      transformer_bytes(vae.num_latents, vae.width, 4 * vae.width, vae.heads, element);
  const int64_t decoder_width = vae.width / vae.geo_decoder_downsample_ratio;
  const int64_t decoder_heads = vae.heads / vae.geo_decoder_downsample_ratio;
  const int64_t chunk = settings.decoding.num_chunks *
                        (6 * decoder_width + vae.geo_decoder_mlp_expand_ratio * decoder_width +
                         decoder_heads * vae.num_latents) *
                        element;
  const int64_t side = settings.octree_resolution + 1;
  // The float32 grid, and the decoder-dtype logits it is gathered from (chunks and their concat).
  const int64_t grid = side * side * side * (4 + 2 * element);
  return std::max({conditioner, denoiser, vae_transformer, chunk}) + grid;
}

int64_t free_device_bytes(at::Device device) {
  if (device.is_cpu()) {
    return static_cast<int64_t>(sysconf(_SC_AVPHYS_PAGES)) *
           static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  }
  const c10::DeviceIndex index =
      device.has_index() ? device.index() : at::accelerator::getDeviceIndex();
  const auto [free, total] = at::accelerator::getMemoryInfo(index);
  const auto stats = at::accelerator::getDeviceStats(index);
  const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  const int64_t cached_unused =
      stats.reserved_bytes[aggregate].current - stats.allocated_bytes[aggregate].current;
  return static_cast<int64_t>(free) + std::max<int64_t>(cached_unused, 0);
}

BatchPlanner::BatchPlanner(std::function<int64_t()> free_bytes)
    : free_bytes_(std::move(free_bytes)) {}

int64_t BatchPlanner::plan(int64_t remaining, int64_t job_bytes) const {
  int64_t size = std::min(remaining, free_bytes_() / std::max<int64_t>(job_bytes, 1));
  if (ran_out_) size = std::min(size, largest_worked_);
  return std::max<int64_t>(size, 1);
}

void BatchPlanner::run(int64_t count, int64_t job_bytes,
                       const std::function<void(int64_t begin, int64_t end)>& run_batch) {
  for (int64_t begin = 0; begin < count;) {
    const int64_t end = begin + plan(count - begin, job_bytes);
    run_range(begin, end, run_batch);
    begin = end;
  }
}

void BatchPlanner::run_range(int64_t begin, int64_t end,
                             const std::function<void(int64_t begin, int64_t end)>& run_batch) {
  const int64_t size = end - begin;
  bool out_of_memory = false;
  std::string reason;
  try {
    run_batch(begin, end);
  } catch (const c10::OutOfMemoryError& e) {
    out_of_memory = true;
    reason = e.what_without_backtrace();
  }
  if (!out_of_memory) {
    largest_worked_ = std::max(largest_worked_, size);
    return;
  }
  ran_out_ = true;
  if (size == 1) {
    throw Error(ErrorCode::kUnavailable, "out of device memory for a single job",
                {{"reason", reason}});
  }
  const int64_t middle = begin + size / 2;
  run_range(begin, middle, run_batch);
  run_range(middle, end, run_batch);
}

}  // namespace orfeas::neural
