#include "orfeas/neural/flow_matching.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/progress.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/neural/dit_test_weights.h"

namespace orfeas::neural {
namespace {

using test::code_of;
using testing::random_dit_tensors;
using testing::small_dit_config;

constexpr char kPlain[] = "hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler";
constexpr char kConsistency[] =
    "hy3dgen.shapegen.schedulers.ConsistencyFlowMatchEulerDiscreteScheduler";

Dit make_dit(bool guidance_embed = false) {
  const DitConfig config = small_dit_config(guidance_embed);
  return Dit(Weights(random_dit_tensors(config, 11)), config);
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, generator, at::TensorOptions(at::kFloat));
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::vector<double> values(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

TEST(FlowSchedulerConfig, PicksTheKindFromTheClassAndReadsItsParams) {
  const FlowSchedulerConfig plain = FlowSchedulerConfig::from_json(kPlain, {{"shift", 3.0}});
  EXPECT_EQ(plain.kind, FlowSchedulerKind::kFlowMatchEulerDiscrete);
  EXPECT_EQ(plain.num_train_timesteps, 1000);
  EXPECT_EQ(plain.shift, 3.0);
  const FlowSchedulerConfig consistency = FlowSchedulerConfig::from_json(
      kConsistency, {{"num_train_timesteps", 1000}, {"pcm_timesteps", 100}});
  EXPECT_EQ(consistency.kind, FlowSchedulerKind::kConsistencyFlowMatchEulerDiscrete);
  EXPECT_EQ(consistency.pcm_timesteps, 100);
  EXPECT_EQ(FlowSchedulerConfig::from_json(kConsistency, nullptr).pcm_timesteps, 50);
}

TEST(FlowSchedulerConfig, RejectsWhatTheOfficialPipelineCannotRun) {
  EXPECT_EQ(code_of([] { FlowSchedulerConfig::from_json("diffusers.DDIMScheduler", {}); }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] {
              FlowSchedulerConfig::from_json(kPlain, {{"use_dynamic_shifting", true}});
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] {
              FlowSchedulerConfig::from_json(kPlain, {{"shift", "big"}});
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] {
              FlowSchedulerConfig::from_json(kConsistency, {{"pcm_timesteps", 0}});
            }),
            ErrorCode::kBadInput);
}

TEST(FlowSchedule, PlainRunsFromNoiseToDataAndEndsOnAZeroLengthStep) {
  const FlowSchedule schedule(FlowSchedulerConfig{}, 5);
  EXPECT_EQ(schedule.steps(), 5);
  EXPECT_EQ(schedule.sigmas.scalar_type(), at::kFloat);
  EXPECT_EQ(values(schedule.sigmas), (std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0, 1.0}));
  EXPECT_EQ(values(schedule.timesteps), (std::vector<double>{0.0, 250.0, 500.0, 750.0, 1000.0}));
  for (int64_t i = 0; i < 4; ++i) EXPECT_FALSE(schedule.is_zero_length(i)) << i;
  EXPECT_TRUE(schedule.is_zero_length(4));
}

TEST(FlowSchedule, PlainShiftBendsSigmasTowardsNoise) {
  FlowSchedulerConfig config;
  config.shift = 3.0;
  const std::vector<double> sigmas = values(FlowSchedule(config, 3).sigmas);
  EXPECT_EQ(sigmas[0], 0.0);
  EXPECT_EQ(sigmas[1], static_cast<double>(static_cast<float>(1.5 / 2.0)));  // 3s / (1 + 2s)
  EXPECT_EQ(sigmas[2], 1.0);
}

TEST(FlowSchedule, ConsistencyTakesEvenlySpacedEntriesOfItsDistilledGrid) {
  FlowSchedulerConfig config;
  config.kind = FlowSchedulerKind::kConsistencyFlowMatchEulerDiscrete;
  const FlowSchedule schedule(config, 5);  // pcm_timesteps 50: grid entries 0, 10, 20, 30, 40
  EXPECT_EQ(schedule.sigmas.scalar_type(), at::kDouble);
  const std::vector<double> sigmas = values(schedule.sigmas);
  const std::vector<double> indices = {0, 199, 399, 599, 799};  // of linspace(0, 1, 1000)
  ASSERT_EQ(sigmas.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(sigmas[i], indices[i] / 999.0, 1e-15) << i;
  EXPECT_EQ(sigmas[5], 1.0);
  for (int64_t i = 0; i < 5; ++i) EXPECT_FALSE(schedule.is_zero_length(i)) << i;
}

TEST(FlowSchedule, RejectsStepCountsTheOfficialSchedulerFailsOn) {
  FlowSchedulerConfig config;
  EXPECT_EQ(code_of([&] { FlowSchedule(config, 0); }), ErrorCode::kBadInput);
  config.kind = FlowSchedulerKind::kConsistencyFlowMatchEulerDiscrete;
  EXPECT_NO_THROW(FlowSchedule(config, 50));
  EXPECT_EQ(code_of([&] { FlowSchedule(config, 51); }), ErrorCode::kBadInput);
}

TEST(FlowSchedule, ModelTimestepIsTheTimestepOverTrainingStepsPerRow) {
  const FlowSchedule schedule(FlowSchedulerConfig{}, 5);
  const at::Tensor t = schedule.model_timestep(3, at::zeros({4, 2, 2}, at::kDouble));
  EXPECT_EQ(t.scalar_type(), at::kDouble);
  EXPECT_EQ(values(t), (std::vector<double>(4, 0.75)));
}

TEST(FlowSchedule, StepMovesBySigmaDifferenceTimesVelocity) {
  const FlowSchedule schedule(FlowSchedulerConfig{}, 5);
  const at::Tensor sample = randn({2, 3, 4}, 1);
  const at::Tensor velocity = randn({2, 3, 4}, 2);
  EXPECT_TRUE(at::equal(schedule.step(1, sample, velocity), sample + 0.25 * velocity));
  EXPECT_TRUE(at::equal(schedule.step(4, sample, velocity), sample));
}

TEST(SeededNoise, EachRowDependsOnItsSeedAlone) {
  const std::vector<uint64_t> alone = {42};
  const std::vector<uint64_t> batch = {7, 42, 9};
  const at::Tensor one = seeded_noise(alone, {5, 4}, at::TensorOptions(at::kFloat));
  const at::Tensor three = seeded_noise(batch, {5, 4}, at::TensorOptions(at::kFloat));
  ASSERT_EQ(three.sizes(), (at::IntArrayRef{3, 5, 4}));
  EXPECT_TRUE(at::equal(one[0], three[1]));
  EXPECT_FALSE(at::equal(three[0], three[2]));
  // The draw is torch.randn from a generator seeded with the job's seed.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(42);
  EXPECT_TRUE(at::equal(one, at::randn({1, 5, 4}, generator, at::TensorOptions(at::kFloat))));
}

struct Sampling {
  Dit dit = make_dit();
  FlowSchedule schedule{FlowSchedulerConfig{}, 4};
  at::Tensor cond = randn({3, 3, 24}, 21);
  at::Tensor uncond = at::zeros({3, 3, 24});
};

// The noise is bitwise the same; the latents agree to float rounding only, because matrix
// products pick their blocking (and so their summation order) by the number of rows.
TEST(SampleFlow, AJobGivesTheSameLatentsAloneAndInABatchOfThree) {
  const Sampling s;
  const std::vector<uint64_t> seeds = {5, 6, 7};
  const FlowSamplingSettings settings{.guidance_scale = 5.0};
  const at::Tensor batched =
      sample_flow(s.dit, s.schedule, seeded_noise(seeds, {8, 16}, {}), s.cond, s.uncond, settings);
  for (int64_t row = 0; row < 3; ++row) {
    const std::vector<uint64_t> seed = {seeds[row]};
    const at::Tensor alone =
        sample_flow(s.dit, s.schedule, seeded_noise(seed, {8, 16}, {}),
                    s.cond.slice(0, row, row + 1), s.uncond.slice(0, row, row + 1), settings);
    const double scale = std::max(1.0, alone.abs().max().item<double>());
    EXPECT_LT(max_abs_diff(alone, batched.slice(0, row, row + 1)), 1e-4 * scale) << row;
  }
}

TEST(SampleFlow, GuidesWithOneForwardOverCondAndUncondRows) {
  const Sampling s;
  const FlowSchedule one_step(FlowSchedulerConfig{}, 1);  // sigma 0 -> 1 in a single step
  const at::Tensor noise = randn({3, 8, 16}, 22);
  const double scale = 3.5;
  const at::Tensor sampled =
      sample_flow(s.dit, one_step, noise, s.cond, s.uncond, {.guidance_scale = scale});
  const at::Tensor velocity =
      s.dit.forward(at::cat({noise, noise}), at::zeros({6}), at::cat({s.cond, s.uncond}));
  const at::Tensor v_cond = velocity.slice(0, 0, 3);
  const at::Tensor v_uncond = velocity.slice(0, 3);
  EXPECT_TRUE(at::equal(sampled, noise + (v_uncond + (v_cond - v_uncond) * scale)));
}

TEST(SampleFlow, NegativeGuidanceScaleRunsTheCondRowsAlone) {
  const Sampling s;
  const FlowSchedule one_step(FlowSchedulerConfig{}, 1);
  const at::Tensor noise = randn({3, 8, 16}, 23);
  const at::Tensor sampled =
      sample_flow(s.dit, one_step, noise, s.cond, at::Tensor(), {.guidance_scale = -1.0});
  EXPECT_TRUE(at::equal(sampled, noise + s.dit.forward(noise, at::zeros({3}), s.cond)));
}

TEST(SampleFlow, GuidanceDistilledModelGetsTheScaleAsInputAndNoUncond) {
  const Dit dit = make_dit(true);
  const Sampling s;
  const FlowSchedule one_step(FlowSchedulerConfig{}, 1);
  const at::Tensor noise = randn({3, 8, 16}, 24);
  const at::Tensor sampled =
      sample_flow(dit, one_step, noise, s.cond, at::Tensor(), {.guidance_scale = 6.0});
  const at::Tensor velocity = dit.forward(noise, at::zeros({3}), s.cond, at::full({3}, 6.0f));
  EXPECT_TRUE(at::equal(sampled, noise + velocity));
}

TEST(SampleFlow, SkippingTheZeroLengthStepChangesNothing) {
  const Sampling s;
  const at::Tensor noise = randn({3, 8, 16}, 25);
  const at::Tensor official = sample_flow(s.dit, s.schedule, noise, s.cond, s.uncond, {});
  const at::Tensor skipped =
      sample_flow(s.dit, s.schedule, noise, s.cond, s.uncond, {.skip_zero_length_steps = true});
  EXPECT_TRUE(at::equal(official, skipped));
}

TEST(SampleFlow, ReportsEachStepAndStopsWhenTheCallbackThrows) {
  const Sampling s;
  const at::Tensor noise = randn({3, 8, 16}, 26);
  std::vector<std::pair<int64_t, int64_t>> calls;
  sample_flow(s.dit, s.schedule, noise, s.cond, s.uncond, {},
              [&](int64_t done, int64_t total) { calls.emplace_back(done, total); });
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{1, 4}, {2, 4}, {3, 4}, {4, 4}}));

  CancelToken cancel;
  int64_t steps_run = 0;
  EXPECT_EQ(code_of([&] {
              sample_flow(s.dit, s.schedule, noise, s.cond, s.uncond, {}, [&](int64_t, int64_t) {
                if (++steps_run == 2) cancel.cancel();
                cancel.throw_if_cancelled();
              });
            }),
            ErrorCode::kCancelled);
  EXPECT_EQ(steps_run, 2);
}

TEST(SampleFlow, RejectsMissingOrMisshapenConditions) {
  const Sampling s;
  const at::Tensor noise = randn({3, 8, 16}, 27);
  EXPECT_EQ(code_of([&] { sample_flow(s.dit, s.schedule, noise, s.cond, at::Tensor(), {}); }),
            ErrorCode::kBadInput);
  EXPECT_EQ(
      code_of([&] { sample_flow(s.dit, s.schedule, noise, s.cond.slice(0, 0, 2), s.uncond, {}); }),
      ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas::neural
