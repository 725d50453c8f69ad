#include "orfeas/neural/shape_pipeline.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/config.h"
#include "orfeas/neural/hunyuan3d_test_model.h"

namespace orfeas::neural {
namespace {

// The tiny model in float32 on the CPU, its checkpoint passed through float16 as a released one.
Hunyuan3dModel tiny_model() {
  const Hunyuan3dConfig config =
      Hunyuan3dConfig::from_json(parse_yaml_config(testing::kTinyConfigYaml, "tiny"));
  std::map<std::string, at::Tensor> tensors;
  for (auto& [name, tensor] : testing::tiny_checkpoint()) {
    tensors[name] = tensor.to(at::kHalf).to(at::kFloat);
  }
  return Hunyuan3dModel(config, Weights(tensors));
}

ShapeSettings few_steps() {
  ShapeSettings settings;
  settings.steps = 3;
  settings.octree_resolution = 12;
  return settings;
}

// Processed images [n, 3, 32, 32] in [-1, 1].
at::Tensor images(int64_t n) {
  at::manual_seed(5);
  return at::rand({n, 3, 32, 32}) * 2 - 1;
}

TEST(ShapePipeline, RunsEveryStageWithTheOfficialShapes) {
  const Hunyuan3dModel model = tiny_model();
  const ShapePipeline pipeline(model);
  const std::vector<uint64_t> seeds = {1, 2};
  const at::Tensor cond = pipeline.condition(images(2));
  EXPECT_EQ(cond.sizes(), (at::IntArrayRef{2, 5, 32}));
  const at::Tensor noise = pipeline.noise(seeds);
  EXPECT_EQ(noise.sizes(), (at::IntArrayRef{2, 16, 8}));
  int64_t steps_seen = 0;
  const at::Tensor latents =
      pipeline.sample(noise, cond, few_steps(), [&](int64_t done, int64_t total) {
        EXPECT_EQ(done, ++steps_seen);
        EXPECT_EQ(total, 3);
      });
  EXPECT_EQ(steps_seen, 3);
  const at::Tensor grids = pipeline.decode(latents, few_steps());
  EXPECT_EQ(grids.sizes(), (at::IntArrayRef{2, 13, 13, 13}));
  EXPECT_EQ(grids.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(grids, pipeline.generate(images(2), seeds, few_steps())));
}

TEST(ShapePipeline, ABatchEqualsItsJobsRunOneByOne) {
  const Hunyuan3dModel model = tiny_model();
  const ShapePipeline pipeline(model);
  const at::Tensor batch_images = images(3);
  const std::vector<uint64_t> seeds = {11, 12, 13};
  const at::Tensor batched = pipeline.generate(batch_images, seeds, few_steps());
  for (int64_t i = 0; i < 3; ++i) {
    const at::Tensor alone = pipeline.generate(batch_images.slice(0, i, i + 1),
                                               std::span(seeds).subspan(i, 1), few_steps());
    EXPECT_TRUE(at::allclose(batched.slice(0, i, i + 1), alone, 1e-4, 1e-5)) << "job " << i;
  }
  // The seed, not the batch position, decides: different seeds give different grids.
  EXPECT_FALSE(at::allclose(batched[0], batched[1]));
}

TEST(ShapePipeline, DecodesHierarchicallyOnFlashVdmResolutions) {
  const Hunyuan3dModel model = tiny_model();
  const ShapePipeline pipeline(model);
  ShapeSettings settings = few_steps();
  settings.hierarchical = true;
  settings.octree_resolution = 32;
  settings.min_resolution = 8;
  const at::Tensor latents = pipeline.noise(std::vector<uint64_t>{3});
  const at::Tensor grid = pipeline.decode(latents, settings);
  // 32, 8, 4 → 7, 14, 28: the last resolution's grid.
  EXPECT_EQ(grid.sizes(), (at::IntArrayRef{1, 29, 29, 29}));
}

TEST(ShapePipeline, AStepCallbackThatThrowsStopsTheRun) {
  const Hunyuan3dModel model = tiny_model();
  const ShapePipeline pipeline(model);
  int64_t steps_seen = 0;
  const ErrorCode code = orfeas::test::code_of([&] {
    pipeline.generate(images(1), std::vector<uint64_t>{1}, few_steps(), [&](int64_t, int64_t) {
      ++steps_seen;
      throw Error(ErrorCode::kCancelled, "stop");
    });
  });
  EXPECT_EQ(code, ErrorCode::kCancelled);
  EXPECT_EQ(steps_seen, 1);
  EXPECT_EQ(orfeas::test::code_of(
                [&] { pipeline.generate(images(2), std::vector<uint64_t>{1}, few_steps()); }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
