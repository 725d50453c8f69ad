// Throughput of the Hunyuan3D-2 shape pipeline: images to occupancy grids, shapes per second at
// several batch sizes, on a model directory in the released layout.
//
//   orfeas_neural_throughput --model DIR --images FILE --out DIR [--device cuda] [--dtype float16]
//       [--batches 1,4,8] [--steps 50] [--guidance 5] [--octree 384] [--hierarchical]
//       [--grid-stride 4]
//
// FILE is a safetensors file of uint8 RGBA pictures image0, image1, ... (as many as the largest
// batch); job i gets image i and seed i. For each batch size the first B jobs run once as one batch
// (after one warm-up run of two steps at batch 1), timed from the pictures to the grids on the
// device. The warm-up decodes a grid of resolution 64 at most. Writes <out>/ours_b<B>.safetensors
// holding "latents" [B, N, C] and "grid" (the grids sampled every --grid-stride samples), and
// prints one JSON line per batch size:
//   {"batch": B, "seconds": s, "shapes_per_second": B / s, "peak_bytes": ...}
// bench/official_throughput.py runs it and compares with the official pipeline.
#include <ATen/ATen.h>
#include <ATen/DeviceAccelerator.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
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
  ShapeSettings settings;
  int64_t grid_stride = 4;
};

[[noreturn]] void usage(const std::string& problem) {
  throw Error(ErrorCode::kBadInput,
              problem +
                  "\nusage: orfeas_neural_throughput --model DIR --images FILE --out DIR "
                  "[--device cuda] [--dtype float16] [--batches 1,4,8] [--steps 50] "
                  "[--guidance 5] [--octree 384] [--hierarchical] [--grid-stride 4]");
}

Arguments parse(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--hierarchical") {
      args.settings.hierarchical = true;
      continue;
    }
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
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');)
        args.batches.push_back(std::stoll(item));
    } else if (flag == "--steps") {
      args.settings.steps = std::stoll(value);
    } else if (flag == "--guidance") {
      args.settings.guidance_scale = std::stod(value);
    } else if (flag == "--octree") {
      args.settings.octree_resolution = std::stoll(value);
    } else if (flag == "--grid-stride") {
      args.grid_stride = std::stoll(value);
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
};

// The first `batch` jobs, from pictures to grids, as one batch.
Run run_batch(const ShapePipeline& pipeline, const std::vector<at::Tensor>& pictures, int64_t batch,
              const ShapeSettings& settings) {
  std::vector<at::Tensor> processed;
  std::vector<uint64_t> seeds;
  for (int64_t i = 0; i < batch; ++i) {
    processed.push_back(pipeline.process(pictures[i]));
    seeds.push_back(static_cast<uint64_t>(i));
  }
  const at::Tensor cond = pipeline.condition(at::cat(processed, 0));
  const at::Tensor latents = pipeline.sample(pipeline.noise(seeds), cond, settings);
  return {latents, pipeline.decode(latents, settings)};
}

int run(const Arguments& args) {
  const c10::InferenceMode inference;
  const at::TensorOptions target = select_device(args.device, args.dtype);
  const at::Device device = target.device();
  auto started = Clock::now();
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
  run_batch(pipeline, pictures, 1, warm_up);
  synchronize(device);

  fs::create_directories(args.out);
  for (int64_t batch : args.batches) {
    reset_peak(device);
    started = Clock::now();
    const Run result = run_batch(pipeline, pictures, batch, args.settings);
    synchronize(device);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const int64_t stride = args.grid_stride;
    const at::Tensor grid =
        result.grid.slice(1, 0, {}, stride).slice(2, 0, {}, stride).slice(3, 0, {}, stride);
    write_safetensors(args.out / ("ours_b" + std::to_string(batch) + ".safetensors"),
                      {{"latents", result.latents.to(at::kCPU, at::kFloat)},
                       {"grid", grid.to(at::kCPU, at::kFloat).contiguous()}});
    std::printf(
        "{\"batch\": %lld, \"seconds\": %.3f, \"shapes_per_second\": %.4f, "
        "\"peak_bytes\": %lld}\n",
        static_cast<long long>(batch), seconds, static_cast<double>(batch) / seconds,
        static_cast<long long>(peak_bytes(device)));
    std::fflush(stdout);
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
