// Throughput of the Hunyuan3D-2 shape pipeline: images to occupancy grids, shapes per second at
// several batch sizes and with either volume decoder, on a model directory in the released layout.
//
//   orfeas_neural_throughput --model DIR --images FILE --out DIR [--device cuda] [--dtype float16]
//       [--batches 1,4,8] [--decoders dense,hierarchical] [--steps 50] [--guidance 5]
//       [--octree 384] [--min-resolution 63] [--grid-stride 4]
//
// FILE is a safetensors file of uint8 RGBA pictures image0, image1, ... (as many as the largest
// batch); job i gets image i and seed i. For each decoder (default: dense) and batch size the first
// B jobs run once as one batch (after one warm-up run of two steps at batch 1), timed from the
// pictures to the grids on the device, stage by stage (the device is synchronised between
// stages): the condition (preprocessing and DINOv2), the sampling loop (the DiT) and the decoding
// (VAE and volume decoder). The warm-up decodes a grid of resolution 64 at most. Writes
// <out>/ours_<decoder>_b<B>.safetensors holding "latents" [B, N, C] and "grid" (the grids sampled
// every --grid-stride samples; NaN where hierarchical decoding left a sample undecoded), and
// prints one JSON line per run:
//   {"decoder": "dense", "batch": B, "seconds": s, "shapes_per_second": B / s,
//    "condition_seconds": ..., "sample_seconds": ..., "decode_seconds": ...,
//    "decoded_fraction": share of the full grids' samples decoded, "peak_bytes": ...}
// bench/official_throughput.py runs it and compares with the official pipeline.
#include <ATen/ATen.h>
#include <ATen/DeviceAccelerator.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/neural/device.h"
#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/safetensors.h"
#include "orfeas/neural/shape_pipeline.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Arguments {
  fs::path model, images, out;
  std::string device = "cuda", dtype = "float16";
  std::vector<int64_t> batches = {1, 4, 8};
  std::vector<std::string> decoders = {"dense"};
  ShapeSettings settings;
  int64_t grid_stride = 4;
};

[[noreturn]] void usage(const std::string& problem) {
  throw Error(ErrorCode::kBadInput,
              problem +
                  "\nusage: orfeas_neural_throughput --model DIR --images FILE --out DIR "
                  "[--device cuda] [--dtype float16] [--batches 1,4,8] "
                  "[--decoders dense,hierarchical] [--steps 50] [--guidance 5] [--octree 384] "
                  "[--min-resolution 63] [--grid-stride 4]");
}

// `text`, all of it, as a Number (std::from_chars); otherwise usage() naming the flag.
template <typename Number>
Number number(const std::string& flag, const std::string& text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    usage(flag + " takes a number, not '" + text + "'");
  }
  return value;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) items.push_back(item);
  return items;
}

Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--model") {
      args.model = value;
    } else if (flag == "--images") {
      args.images = value;
    } else if (flag == "--out") {
      args.out = value;
    } else if (flag == "--device") {
      args.device = value;
    } else if (flag == "--dtype") {
      args.dtype = value;
    } else if (flag == "--batches") {
      args.batches.clear();
      for (const std::string& item : split_list(value))
        args.batches.push_back(number<int64_t>(flag, item));
    } else if (flag == "--decoders") {
      args.decoders = split_list(value);
      for (const std::string& decoder : args.decoders) {
        if (decoder != "dense" && decoder != "hierarchical") {
          usage("--decoders takes dense and hierarchical, not " + decoder);
        }
      }
    } else if (flag == "--steps") {
      args.settings.steps = number<int64_t>(flag, value);
    } else if (flag == "--guidance") {
      args.settings.guidance_scale = number<double>(flag, value);
    } else if (flag == "--octree") {
      args.settings.octree_resolution = number<int64_t>(flag, value);
    } else if (flag == "--min-resolution") {
      args.settings.min_resolution = number<int64_t>(flag, value);
    } else if (flag == "--grid-stride") {
      args.grid_stride = number<int64_t>(flag, value);
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (args.model.empty() || args.images.empty() || args.out.empty()) {
    usage("--model, --images and --out are required");
  }
  return args;
}

c10::DeviceIndex index_of(const at::Device& device) {
  return device.has_index() ? device.index() : at::accelerator::getDeviceIndex();
}

void synchronize(const at::Device& device) {
  if (device.is_cuda()) at::accelerator::synchronizeDevice(index_of(device));
}

int64_t peak_bytes(const at::Device& device) {
  if (!device.is_cuda()) return 0;
  const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  return at::accelerator::getDeviceStats(index_of(device)).allocated_bytes[aggregate].peak;
}

void reset_peak(const at::Device& device) {
  if (device.is_cuda()) at::accelerator::resetPeakStats(index_of(device));
}

struct Run {
  at::Tensor latents, grid;
  double condition_seconds = 0, sample_seconds = 0, decode_seconds = 0;
};

// The first `batch` jobs, from pictures to grids, as one batch, timed stage by stage.
Run run_batch(const ShapePipeline& pipeline, const std::vector<at::Tensor>& pictures, int64_t batch,
              const ShapeSettings& settings, const at::Device& device) {
  Run run;
  auto started = Clock::now();
  auto lap = [&] {
    synchronize(device);
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - started).count();
    started = now;
    return seconds;
  };
  std::vector<at::Tensor> processed;
  std::vector<uint64_t> seeds;
  for (int64_t i = 0; i < batch; ++i) {
    processed.push_back(pipeline.process(pictures[i]));
    seeds.push_back(static_cast<uint64_t>(i));
  }
  const at::Tensor cond = pipeline.condition(at::cat(processed, 0));
  run.condition_seconds = lap();
  run.latents = pipeline.sample(pipeline.noise(seeds), cond, settings);
  run.sample_seconds = lap();
  run.grid = pipeline.decode(run.latents, settings);
  run.decode_seconds = lap();
  return run;
}

int run(const Arguments& args) {
  const c10::InferenceMode inference;
  const at::TensorOptions target = select_device(args.device, args.dtype);
  const at::Device device = target.device();
  const auto started = Clock::now();
  const Hunyuan3dModel model = Hunyuan3dModel::load(args.model, target);
  synchronize(device);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("{\"load_seconds\": %.3f}\n", load_seconds);
  const ShapePipeline pipeline(model);

  std::map<std::string, at::Tensor> inputs;
  for (auto& [name, tensor] : read_safetensors(args.images)) inputs.emplace(name, tensor);
  std::vector<at::Tensor> pictures;
  for (int64_t i = 0; inputs.count("image" + std::to_string(i)) != 0; ++i) {
    pictures.push_back(inputs.at("image" + std::to_string(i)));
  }
  int64_t largest = 0;
  for (int64_t batch : args.batches) largest = std::max(largest, batch);
  if (static_cast<int64_t>(pictures.size()) < largest) usage("too few pictures for the batches");

  ShapeSettings warm_up = args.settings;
  warm_up.steps = 2;
  warm_up.octree_resolution = std::min<int64_t>(64, args.settings.octree_resolution);
  run_batch(pipeline, pictures, 1, warm_up, device);

  fs::create_directories(args.out);
  for (const std::string& decoder : args.decoders) {
    ShapeSettings settings = args.settings;
    settings.hierarchical = decoder == "hierarchical";
    for (int64_t batch : args.batches) {
      reset_peak(device);
      const Run result = run_batch(pipeline, pictures, batch, settings, device);
      const int64_t peak = peak_bytes(device);  // before the measuring below allocates
      const double seconds =
          result.condition_seconds + result.sample_seconds + result.decode_seconds;
      const auto undecoded = at::count_nonzero(result.grid.isnan()).item<int64_t>();
      const double decoded_fraction =
          1.0 - static_cast<double>(undecoded) / static_cast<double>(result.grid.numel());
      const int64_t stride = args.grid_stride;
      const at::Tensor grid =
          result.grid.slice(1, 0, {}, stride).slice(2, 0, {}, stride).slice(3, 0, {}, stride);
      write_safetensors(
          args.out / ("ours_" + decoder + "_b" + std::to_string(batch) + ".safetensors"),
          {{"latents", result.latents.to(at::kCPU, at::kFloat)},
           {"grid", grid.to(at::kCPU, at::kFloat).contiguous()}});
      std::printf(
          "{\"decoder\": \"%s\", \"batch\": %lld, \"seconds\": %.3f, "
          "\"shapes_per_second\": %.4f, \"condition_seconds\": %.3f, \"sample_seconds\": %.3f, "
          "\"decode_seconds\": %.3f, \"decoded_fraction\": %.4f, \"peak_bytes\": %lld}\n",
          decoder.c_str(), static_cast<long long>(batch), seconds,
          static_cast<double>(batch) / seconds, result.condition_seconds, result.sample_seconds,
          result.decode_seconds, decoded_fraction, static_cast<long long>(peak));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace orfeas::neural

int main(int argc, char** argv) {
  try {
    return orfeas::neural::run(orfeas::neural::parse(argc, argv));
  } catch (const orfeas::Error& e) {
    std::fprintf(stderr, "orfeas_neural_throughput: %s\n", e.message().c_str());
    return orfeas::exit_code(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orfeas_neural_throughput: %s\n", e.what());
    return 1;
  }
}
