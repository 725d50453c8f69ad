#include "orfeas/neural/batch_planner.h"

#include <c10/util/Exception.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/neural/config.h"

namespace orfeas::neural {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

// A stand-in for the device: an allocator with `capacity` bytes that fails as the CUDA caching
// allocator does (c10::OutOfMemoryError) when a batch's jobs need more.
struct FakeDevice {
  FakeDevice(int64_t capacity, int64_t job_bytes) : capacity(capacity), job_bytes(job_bytes) {}

  int64_t capacity;
  int64_t job_bytes;
  std::vector<std::pair<int64_t, int64_t>> attempts;  // every batch tried
  std::vector<int64_t> done;                          // jobs completed, in order

  void run_batch(int64_t begin, int64_t end) {
    attempts.emplace_back(begin, end);
    allocate((end - begin) * job_bytes);
    for (int64_t job = begin; job < end; ++job) done.push_back(job);
  }
  void allocate(int64_t bytes) const {
    TORCH_CHECK_WITH(OutOfMemoryError, bytes <= capacity, "CUDA out of memory. Tried to allocate ",
                     bytes, " bytes");
  }
};

TEST(BatchPlanner, SizesBatchesFromFreeMemory) {
  const BatchPlanner planner([] { return 10 * kGiB; });
  EXPECT_EQ(planner.plan(100, kGiB), 10);
  EXPECT_EQ(planner.plan(3, kGiB), 3);
  EXPECT_EQ(planner.plan(100, 20 * kGiB), 1);  // never below one job
}

TEST(BatchPlanner, SplitsABatchThatRunsOutInHalvesAndRemembersWhatWorked) {
  // The estimate says 8 jobs fit; the device holds 3.
  FakeDevice device(3 * kGiB, kGiB);
  BatchPlanner planner([] { return 8 * kGiB; });
  planner.run(8, kGiB, [&](int64_t begin, int64_t end) { device.run_batch(begin, end); });

  const std::vector<std::pair<int64_t, int64_t>> expected = {{0, 8}, {0, 4}, {0, 2}, {2, 4},
                                                             {4, 8}, {4, 6}, {6, 8}};
  EXPECT_EQ(device.attempts, expected);
  EXPECT_EQ(device.done, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(planner.ran_out());
  EXPECT_EQ(planner.largest_worked(), 2);

  // Later batches start from the largest size that worked, not from the estimate.
  EXPECT_EQ(planner.plan(8, kGiB), 2);
  device.attempts.clear();
  planner.run(5, kGiB, [&](int64_t begin, int64_t end) { device.run_batch(begin, end); });
  EXPECT_EQ(device.attempts, (std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2, 4}, {4, 5}}));
}

TEST(BatchPlanner, ASingleJobThatRunsOutIsUnavailable) {
  FakeDevice device(kGiB / 2, kGiB);
  BatchPlanner planner([] { return 4 * kGiB; });
  const Error error = orfeas::test::error_of([&] {
    planner.run(2, kGiB, [&](int64_t begin, int64_t end) { device.run_batch(begin, end); });
  });
  EXPECT_EQ(error.code(), ErrorCode::kUnavailable);
  EXPECT_NE(error.details().at("reason").get<std::string>().find("out of memory"),
            std::string::npos);
  EXPECT_EQ(device.attempts, (std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {0, 1}}));
}

TEST(BatchPlanner, OtherFailuresAreNotRetried) {
  BatchPlanner planner([] { return 4 * kGiB; });
  int calls = 0;
  EXPECT_THROW(planner.run(4, kGiB,
                           [&](int64_t, int64_t) {
                             ++calls;
                             throw std::runtime_error("a bug");
                           }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(planner.ran_out());
}

TEST(BatchPlanner, EstimatesTheReleasedModelsJobs) {
  const Hunyuan3dConfig config = Hunyuan3dConfig::from_json(
      read_yaml_config(std::filesystem::path(ORFEAS_TEST_DATA) / "neural/hunyuan3d-dit-v2-0.yaml"));
  const ShapeSettings official;  // 384, 8000 points a chunk
  const int64_t half = estimate_job_bytes(config, official, at::kHalf);
  // The DiT's two rows of 4442 tokens dominate: about 1.6 GB, plus the 385^3 grid.
  EXPECT_GT(half, kGiB);
  EXPECT_LT(half, 4 * kGiB);
  EXPECT_GT(estimate_job_bytes(config, official, at::kFloat), half);
  ShapeSettings finer = official;
  finer.octree_resolution = 512;
  EXPECT_GT(estimate_job_bytes(config, finer, at::kHalf), half);
}

TEST(BatchPlanner, ReadsTheCpusFreeMemory) {
  EXPECT_GT(free_device_bytes(at::Device(at::kCPU)), 0);
}

}  // namespace
}  // namespace orfeas::neural
