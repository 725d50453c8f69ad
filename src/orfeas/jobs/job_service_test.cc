// JobService over a real SQLite store, scheduler and mesh runner.
#include "orfeas/jobs/job_service.h"

#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/export/decode_ply.h"
#include "orfeas/jobs/mesh_job_runner.h"
#include "orfeas/jobs/sqlite_job_store.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/jobs/test_scheduler_options.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::error_of;

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::size_t files_in(const fs::path& directory) {
  if (!fs::exists(directory)) return 0;
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(directory), fs::directory_iterator()));
}

Timestamp wall_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

class JobServiceTest : public testing::Test {
 protected:
  JobServiceTest() {
    options_.data_dir = directory_.path();
    options_.max_queue = 3;
    options_.retention = seconds(1);
  }

  JobRequest request(nlohmann::json options = {{"resolution", 24}}) const {
    return {photo_, std::move(options), "tester", std::nullopt};
  }
  JobService& service() {
    if (!service_) service_ = std::make_unique<JobService>(store_, scheduler_, options_);
    return *service_;
  }
  std::string submit(JobRequest job) { return service().submit(std::span(&job, 1)).front().job.id; }
  bool finishes(const std::string& id) {
    for (int i = 0; i < 2000; ++i) {
      if (is_finished(store_.get(id).status)) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }
  TestDirectory directory_;
  std::string photo_ = read_text(fs::path(ORFEAS_TEST_DATA) / "images/rgba_object.png");
  JobServiceOptions options_;
  SqliteJobStore store_{directory_.path() / "jobs.db"};
  MeshJobRunner runner_{directory_.path()};
  Scheduler scheduler_{store_, runner_, test::fast_scheduler_options()};
  std::unique_ptr<JobService> service_;
};

TEST_F(JobServiceTest, ASubmittedPhotoBecomesAMeshInEveryFormat) {
  std::string id = submit(request({{"resolution", 24}, {"format", "obj"}}));
  JobView queued = service().view(id);
  EXPECT_EQ(queued.job.status, JobStatus::kQueued);
  EXPECT_EQ(queued.queue_position, 0u);
  EXPECT_TRUE(fs::exists(directory_.path() / queued.job.input_path));
  EXPECT_EQ(error_of([&] { service().result(id, std::nullopt); }).code(), ErrorCode::kConflict);

  scheduler_.start();
  ASSERT_TRUE(finishes(id));
  JobView done = service().view(id);
  ASSERT_EQ(done.job.status, JobStatus::kSucceeded);
  EXPECT_FALSE(done.queue_position);
  EXPECT_EQ(done.eta, milliseconds(0));

  MeshFile obj = service().result(id, std::nullopt);
  EXPECT_EQ(obj.format, MeshFormat::kObj);
  EXPECT_NE(obj.bytes.find("\nf "), std::string::npos);
  MeshFile ply = service().result(id, MeshFormat::kPly);
  EXPECT_EQ(decode_ply(ply.bytes).triangles.size(),
            done.job.report["triangles"].get<std::size_t>());
  MeshFile glb = service().result(id, MeshFormat::kGlb);
  EXPECT_EQ(glb.bytes.substr(0, 4), "glTF");
  EXPECT_EQ(read_text(directory_.path() / ("results/" + id + ".glb")), glb.bytes);  // cached
  EXPECT_EQ(service().result(id, MeshFormat::kGlb).bytes, glb.bytes);
}

TEST_F(JobServiceTest, RefusesBadRequestsAndStoresNothingOfThem) {
  JobRequest not_a_photo = request();
  not_a_photo.image = "hello";
  EXPECT_EQ(error_of([&] { service().submit(std::span(&not_a_photo, 1)); }).code(),
            ErrorCode::kBadInput);
  EXPECT_EQ(error_of([&] { service().submit({}); }).code(), ErrorCode::kBadInput);
  std::vector<JobRequest> batch = {request(), request({{"resolution", 2}})};
  Error error = error_of([&] { service().submit(batch); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_EQ(error.details()["image"], 1);
  EXPECT_NE(std::string(error.what()).find("image 1: "), std::string::npos);
  EXPECT_TRUE(store_.list({}).empty());
  EXPECT_EQ(files_in(directory_.path() / "uploads"), 0u);
}

TEST_F(JobServiceTest, ABatchSharesAnIdAndAFullQueueRefusesWithRetryAfter) {
  std::vector<JobRequest> batch = {request(), request()};
  std::vector<EnqueueResult> results = service().submit(batch);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].job.batch_id);
  EXPECT_EQ(results[0].job.batch_id, results[1].job.batch_id);
  EXPECT_EQ(service().view(results[1].job.id).queue_position, 1u);
  Error full = error_of([&] { service().submit(batch); });  // 2 + 2 > max_queue 3
  EXPECT_EQ(full.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(full.details()["retry_after_seconds"], 5);
  EXPECT_EQ(files_in(directory_.path() / "uploads"), 2u);
}

TEST_F(JobServiceTest, TheSameIdempotencyKeyIsTheSameJob) {
  JobRequest job = request();
  job.idempotency_key = "key-1";
  std::string first = submit(job);
  std::vector<EnqueueResult> again = service().submit(std::span(&job, 1));
  EXPECT_EQ(again[0].job.id, first);
  EXPECT_FALSE(again[0].created);
  EXPECT_EQ(files_in(directory_.path() / "uploads"), 1u);
}

TEST_F(JobServiceTest, CancelsAndListsAndForgetsExpiredJobsWithTheirFiles) {
  std::string cancelled = submit(request());
  std::string kept = submit(request());
  EXPECT_EQ(service().cancel(cancelled).status, JobStatus::kCancelled);
  EXPECT_EQ(service().list({.status = JobStatus::kCancelled}).size(), 1u);
  EXPECT_EQ(service().count_by_status()[JobStatus::kQueued], 1u);
  EXPECT_EQ(error_of([&] { service().view("nope"); }).code(), ErrorCode::kNotFound);

  EXPECT_EQ(service().remove_expired(wall_now()), 0u);  // finished just now
  EXPECT_EQ(service().remove_expired(wall_now() + seconds(2)), 1u);
  EXPECT_EQ(error_of([&] { service().view(cancelled); }).code(), ErrorCode::kNotFound);
  EXPECT_EQ(service().view(kept).job.status, JobStatus::kQueued);
  EXPECT_EQ(files_in(directory_.path() / "uploads"), 1u);

  options_.retention = seconds(0);
  JobService keeps_all(store_, scheduler_, options_);
  EXPECT_EQ(keeps_all.remove_expired(wall_now() + std::chrono::hours(1000)), 0u);
}

}  // namespace
}  // namespace orfeas
