// write_tiny_hunyuan3d_model DIR: writes the neural engine's tiny random-weight test model (see
// src/orfeas/neural/hunyuan3d_test_model.h) as a released model directory, so that the end-to-end
// tests can run `orfeas generate --method hunyuan3d` without a checkpoint.
//
// As drawn, the tiny model's field lies wholly on one side of its iso-level: no surface. So the
// model is run once, on a grey disc with seed 0 (2 steps, a 17³ grid), and the bias of the volume
// decoder's output layer is moved by the median of that grid: the field then crosses zero about
// halfway through, for that picture and, near enough, for others. Exit status 0, 1 on failure, 2
// for a bad argument.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cstdint>
#include <cstdio>
#include <exception>

#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/hunyuan3d_test_model.h"
#include "orfeas/neural/shape_pipeline.h"

namespace orfeas::neural {
namespace {

// The median of the model's grid for a grey disc.
double median_of_grid(const std::filesystem::path& directory) {
  c10::InferenceMode inference;
  const Hunyuan3dModel model =
      Hunyuan3dModel::load(directory, at::TensorOptions().dtype(at::kFloat));
  const ShapePipeline pipeline(model);
  at::Tensor picture = at::zeros({64, 64, 4}, at::kByte);
  const at::Tensor y = at::arange(64).view({64, 1}), x = at::arange(64).view({1, 64});
  const at::Tensor disc = ((y - 32) * (y - 32) + (x - 32) * (x - 32)) < 400;
  picture.index_put_({disc}, at::tensor({128, 128, 128, 255}, at::kByte));
  ShapeSettings settings;
  settings.steps = 2;
  settings.octree_resolution = 16;
  const std::uint64_t seed = 0;
  const at::Tensor grid =
      pipeline.generate(pipeline.process(picture), std::span(&seed, 1), settings);
  return grid.flatten().median().item<double>();
}

void write_tiny_model(const std::filesystem::path& directory) {
  std::map<std::string, at::Tensor> tensors = testing::tiny_checkpoint();
  testing::write_model_directory(directory, tensors);
  at::Tensor& bias = tensors.at("vae.geo_decoder.output_proj.bias");
  bias = bias - median_of_grid(directory);
  testing::write_model_directory(directory, tensors);
}

}  // namespace
}  // namespace orfeas::neural

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_tiny_hunyuan3d_model DIR\n");
    return 2;
  }
  try {
    orfeas::neural::write_tiny_model(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_tiny_hunyuan3d_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
