#include "orfeas/jobs/stage_clock.h"

#include <thread>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;

std::vector<StageTime> stages(int prepare_ms, int field_ms, int mesh_ms) {
  return {{"prepare", milliseconds(prepare_ms)},
          {"field", milliseconds(field_ms)},
          {"mesh", milliseconds(mesh_ms)}};
}

TEST(StageClockTest, UnknownUntilAJobOfTheMethodFinished) {
  StageClock clock;
  EXPECT_EQ(clock.remaining("inflate", "", 0), std::nullopt);
  clock.record("relief", stages(10, 20, 30));
  EXPECT_EQ(clock.remaining("inflate", "field", 0.5), std::nullopt);
}

TEST(StageClockTest, RemainingIsTheRestOfTheStagePlusTheStagesAfterIt) {
  StageClock clock;
  clock.record("inflate", stages(100, 1000, 400));
  EXPECT_EQ(clock.remaining("inflate", "", 0), milliseconds(1500));
  EXPECT_EQ(clock.remaining("inflate", "prepare", 0), milliseconds(1500));
  EXPECT_EQ(clock.remaining("inflate", "field", 0.25), milliseconds(750 + 400));
  EXPECT_EQ(clock.remaining("inflate", "mesh", 1), milliseconds(0));
  EXPECT_EQ(clock.remaining("inflate", "mesh", 7), milliseconds(0));  // clamped
  EXPECT_EQ(clock.remaining("inflate", "mesh", -1), milliseconds(400));
  EXPECT_EQ(clock.remaining("inflate", "upload", 0), std::nullopt);
}

TEST(StageClockTest, AveragesAreExponentiallyWeighted) {
  StageClock clock(0.5);
  clock.record("inflate", stages(100, 1000, 400));
  clock.record("inflate", stages(300, 2000, 400));
  // prepare: 0.5 * 300 + 0.5 * 100 = 200; field: 1500; mesh: 400.
  EXPECT_EQ(clock.remaining("inflate", "", 0), milliseconds(2100));
  clock.record("inflate", stages(200, 500, 400));
  EXPECT_EQ(clock.remaining("inflate", "field", 0), milliseconds(1000 + 400));
}

TEST(StageClockTest, TheLatestJobGivesTheOrderOfTheStages) {
  StageClock clock(1);
  clock.record("inflate", stages(100, 1000, 400));
  clock.record("inflate", {{{"field", milliseconds(800)}, {"mesh", milliseconds(200)}}});
  EXPECT_EQ(clock.remaining("inflate", "", 0), milliseconds(1000));
  EXPECT_EQ(clock.remaining("inflate", "prepare", 0), std::nullopt);
}

TEST(StageClockTest, WeightMustBeAFraction) {
  EXPECT_THROW(StageClock(0), Error);
  EXPECT_THROW(StageClock(1.5), Error);
}

TEST(StageClockTest, SafeFromSeveralThreads) {
  StageClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        clock.record("inflate", stages(10, 10, 10));
        clock.remaining("inflate", "field", 0.5);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.remaining("inflate", "", 0), milliseconds(30));
}

TEST(StageTraceTest, MeasuresEachStageFromTheReportsOfOneJob) {
  StageTrace::Clock::time_point t0{};
  StageTrace trace(t0);
  EXPECT_TRUE(trace.finish(t0 + milliseconds(5)).empty());
  trace.enter("prepare", t0 + milliseconds(5));  // the time before the first stage is not counted
  trace.enter("prepare", t0 + milliseconds(8));
  trace.enter("field", t0 + milliseconds(15));
  trace.enter("mesh", t0 + milliseconds(40));
  trace.enter("field", t0 + milliseconds(50));
  std::vector<StageTime> times = trace.finish(t0 + milliseconds(55));
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(times[0].stage, "prepare");
  EXPECT_EQ(times[0].duration, milliseconds(10));
  EXPECT_EQ(times[1].stage, "field");
  EXPECT_EQ(times[1].duration, milliseconds(25 + 5));
  EXPECT_EQ(times[2].stage, "mesh");
  EXPECT_EQ(times[2].duration, milliseconds(10));
}

}  // namespace
}  // namespace orfeas
