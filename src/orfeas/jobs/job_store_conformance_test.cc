// The behaviour every JobStore must have. The tests see only the interface; each implementation
// joins by adding its factory to kStores at the bottom.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/jobs/postgres_job_store.h"
#include "orfeas/jobs/sqlite_job_store.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/jobs/test_postgres.h"

namespace orfeas {
namespace {

using test::code_of;

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct JobStoreFactory {
  std::string name;
  // A store over the data kept for `dir`: stores made for the same directory share their jobs,
  // as processes sharing one database do; a new directory starts empty.
  std::function<std::unique_ptr<JobStore>(const fs::path& dir)> make;
};

void PrintTo(const JobStoreFactory& factory, std::ostream* out) { *out << factory.name; }

constexpr Timestamp kT0{milliseconds(1714566600000)};
constexpr milliseconds kLease = seconds(30);

Timestamp at(int second) { return kT0 + seconds(second); }

NewJob request(std::string submitter, std::string batch_key = "inflate/192", int priority = 0) {
  NewJob job;
  job.submitter = std::move(submitter);
  job.method = "inflate";
  job.options = {{"resolution", 192}};
  job.batch_key = std::move(batch_key);
  job.input_path = "/var/orfeas/inputs/photo.png";
  job.priority = priority;
  return job;
}

std::vector<std::string> ids_of(const std::vector<Claim>& claims) {
  std::vector<std::string> ids;
  for (const Claim& claim : claims) ids.push_back(claim.job.id);
  return ids;
}

class JobStoreConformanceTest : public testing::TestWithParam<JobStoreFactory> {
 protected:
  std::string enqueue(const NewJob& job, Timestamp now = kT0) {
    return store_->enqueue(job, now).job.id;
  }
  Claim claim_one(Timestamp now = kT0) {
    std::vector<Claim> claims = store_->claim_batch(1, kLease, now);
    if (claims.size() != 1) {
      ADD_FAILURE() << "nothing to claim";
      return {};
    }
    return claims.front();
  }
  std::string claim_next_id(Timestamp now = kT0) { return claim_one(now).job.id; }
  JobStatus status_of(const std::string& id) { return store_->get(id).status; }

  TestDirectory directory_;
  std::unique_ptr<JobStore> store_ = GetParam().make(directory_.path());
};

TEST_P(JobStoreConformanceTest, EnqueueStoresAQueuedJobWithEverythingGiven) {
  NewJob job = request("agent-7", "relief/256", 4);
  job.idempotency_key = "upload-1";
  job.method = "relief";
  job.options = {{"resolution", 256}, {"size_mm", 80}};
  job.max_attempts = 5;
  EnqueueResult result = store_->enqueue(job, kT0);
  EXPECT_TRUE(result.created);
  const Job& stored = result.job;
  EXPECT_FALSE(stored.id.empty());
  EXPECT_EQ(stored.status, JobStatus::kQueued);
  EXPECT_EQ(stored.stage, "");
  EXPECT_EQ(stored.progress, 0);
  EXPECT_EQ(stored.priority, 4);
  EXPECT_EQ(stored.submitter, "agent-7");
  EXPECT_EQ(stored.idempotency_key, "upload-1");
  EXPECT_EQ(stored.method, "relief");
  EXPECT_EQ(stored.options, job.options);
  EXPECT_EQ(stored.batch_key, "relief/256");
  EXPECT_EQ(stored.batch_id, std::nullopt);
  EXPECT_EQ(stored.input_path, job.input_path);
  EXPECT_EQ(stored.result_path, "");
  EXPECT_TRUE(stored.report.is_null());
  EXPECT_EQ(stored.error, std::nullopt);
  EXPECT_EQ(stored.attempts, 0);
  EXPECT_EQ(stored.max_attempts, 5);
  EXPECT_EQ(stored.created_at, kT0);
  EXPECT_EQ(stored.started_at, std::nullopt);
  EXPECT_EQ(stored.finished_at, std::nullopt);
  EXPECT_EQ(store_->get(stored.id), stored);
}

TEST_P(JobStoreConformanceTest, IdempotencyKeyReturnsTheSameJobForTheSameSubmitter) {
  NewJob job = request("a");
  job.idempotency_key = "k";
  EnqueueResult first = store_->enqueue(job, at(0));
  EnqueueResult repeat = store_->enqueue(job, at(5));
  EXPECT_FALSE(repeat.created);
  EXPECT_EQ(repeat.job, first.job);

  job.submitter = "b";
  EnqueueResult other_submitter = store_->enqueue(job, at(6));
  EXPECT_TRUE(other_submitter.created);
  EXPECT_NE(other_submitter.job.id, first.job.id);

  std::string without_key_1 = enqueue(request("a"));
  std::string without_key_2 = enqueue(request("a"));
  EXPECT_NE(without_key_1, without_key_2);
  EXPECT_EQ(store_->count_by_status()[JobStatus::kQueued], 4u);
}

TEST_P(JobStoreConformanceTest, JobsSubmittedTogetherShareABatchId) {
  std::vector<NewJob> jobs = {request("a"), request("a"), request("a")};
  jobs[0].idempotency_key = "first";
  std::vector<EnqueueResult> results = store_->enqueue_batch(jobs, kT0);
  ASSERT_EQ(results.size(), 3u);
  std::set<std::string> ids;
  for (const EnqueueResult& result : results) {
    EXPECT_TRUE(result.created);
    ASSERT_TRUE(result.job.batch_id.has_value());
    EXPECT_EQ(result.job.batch_id, results[0].job.batch_id);
    EXPECT_EQ(store_->get(result.job.id).batch_id, results[0].job.batch_id);
    ids.insert(result.job.id);
  }
  EXPECT_EQ(ids.size(), 3u);

  // A replayed job keeps its batch; the new one gets a new batch.
  std::vector<EnqueueResult> replay =
      store_->enqueue_batch(std::vector{jobs[0], request("a")}, at(1));
  EXPECT_FALSE(replay[0].created);
  EXPECT_EQ(replay[0].job.id, results[0].job.id);
  EXPECT_EQ(replay[0].job.batch_id, results[0].job.batch_id);
  EXPECT_TRUE(replay[1].created);
  EXPECT_NE(replay[1].job.batch_id, results[0].job.batch_id);

  EXPECT_TRUE(store_->enqueue_batch({}, kT0).empty());
}

TEST_P(JobStoreConformanceTest, EnqueueIsAllOrNothing) {
  std::vector<NewJob> jobs = {request("a"), request("a")};
  jobs[1].max_attempts = 0;
  EXPECT_EQ(code_of([&] { store_->enqueue_batch(jobs, kT0); }), ErrorCode::kBadInput);
  EXPECT_TRUE(store_->list({}).empty());
}

TEST_P(JobStoreConformanceTest, UnknownJobIsNotFound) {
  EXPECT_EQ(code_of([&] { store_->get("nope"); }), ErrorCode::kNotFound);
  EXPECT_EQ(code_of([&] { store_->cancel("nope", kT0); }), ErrorCode::kNotFound);
  EXPECT_EQ(code_of([&] { store_->queue_position("nope"); }), ErrorCode::kNotFound);
  Lease unknown{"nope", 1, kLease};
  EXPECT_FALSE(store_->heartbeat(unknown, "field", 0.5, kT0));
  EXPECT_FALSE(store_->complete(unknown, "/r.stl", nullptr, kT0));
  EXPECT_FALSE(store_->fail(unknown, Error(ErrorCode::kInternal, "x"), kT0));
}

TEST_P(JobStoreConformanceTest, ClaimMarksTheJobRunningUnderALease) {
  std::string id = enqueue(request("a"));
  EXPECT_EQ(store_->claim_batch(4, kLease, at(0)).size(), 1u);
  EXPECT_TRUE(store_->claim_batch(4, kLease, at(1)).empty());

  std::string other = enqueue(request("a"), at(2));
  Claim claim = claim_one(at(3));
  EXPECT_EQ(claim.job.id, other);
  EXPECT_EQ(claim.job.status, JobStatus::kRunning);
  EXPECT_EQ(claim.job.started_at, at(3));
  EXPECT_EQ(claim.lease.job_id, other);
  EXPECT_EQ(claim.lease.duration, kLease);
  EXPECT_EQ(store_->get(other), claim.job);
  EXPECT_EQ(status_of(id), JobStatus::kRunning);
}

TEST_P(JobStoreConformanceTest, HigherPriorityIsClaimedFirstThenOlder) {
  std::string low = enqueue(request("a", "k", 0), at(0));
  std::string high = enqueue(request("a", "k", 5), at(1));
  std::string mid = enqueue(request("a", "k", 2), at(2));
  std::string low_later = enqueue(request("a", "k", 0), at(3));
  EXPECT_EQ(claim_next_id(), high);
  EXPECT_EQ(claim_next_id(), mid);
  EXPECT_EQ(claim_next_id(), low);
  EXPECT_EQ(claim_next_id(), low_later);
}

TEST_P(JobStoreConformanceTest, SubmittersAreServedInTurn) {
  std::string a1 = enqueue(request("a"), at(0));
  std::string a2 = enqueue(request("a"), at(1));
  std::string a3 = enqueue(request("a"), at(2));
  std::string b1 = enqueue(request("b"), at(3));
  std::string b2 = enqueue(request("b"), at(4));
  std::string c1 = enqueue(request("c"), at(5));
  std::vector<std::string> expected = {a1, b1, c1, a2, b2, a3};

  std::vector<std::string> one_by_one;
  for (int i = 0; i < 6; ++i) one_by_one.push_back(claim_next_id());
  EXPECT_EQ(one_by_one, expected);
}

TEST_P(JobStoreConformanceTest, ABatchIsFilledInTurnsToo) {
  std::string a1 = enqueue(request("a"), at(0));
  std::string a2 = enqueue(request("a"), at(1));
  std::string b1 = enqueue(request("b"), at(2));
  std::string c1 = enqueue(request("c"), at(3));
  EXPECT_EQ(ids_of(store_->claim_batch(3, kLease, kT0)), (std::vector{a1, b1, c1}));
  EXPECT_EQ(ids_of(store_->claim_batch(3, kLease, kT0)), (std::vector{a2}));
}

TEST_P(JobStoreConformanceTest, TheLeastRecentlyServedSubmitterGoesFirst) {
  enqueue(request("a"), at(0));
  enqueue(request("b"), at(1));
  claim_next_id();  // a's
  claim_next_id();  // b's
  // Both were served; a longer ago, so a's new job goes before b's older one.
  std::string b2 = enqueue(request("b"), at(2));
  std::string a2 = enqueue(request("a"), at(3));
  EXPECT_EQ(claim_next_id(), a2);
  EXPECT_EQ(claim_next_id(), b2);
}

TEST_P(JobStoreConformanceTest, ABatchTakesOnlyTheBatchKeyOfTheBestJob) {
  std::string x1 = enqueue(request("a", "x", 0), at(0));
  std::string y1 = enqueue(request("a", "y", 1), at(1));
  std::string x2 = enqueue(request("a", "x", 0), at(2));
  std::string y2 = enqueue(request("a", "y", 0), at(3));
  std::string y3 = enqueue(request("a", "y", 2), at(4));
  std::string y4 = enqueue(request("a", "y", 0), at(5));

  std::vector<Claim> first = store_->claim_batch(3, kLease, kT0);
  EXPECT_EQ(ids_of(first), (std::vector{y3, y1, y2}));
  EXPECT_EQ(ids_of(store_->claim_batch(3, kLease, kT0)), (std::vector{x1, x2}));
  EXPECT_EQ(ids_of(store_->claim_batch(3, kLease, kT0)), (std::vector{y4}));
  EXPECT_TRUE(store_->claim_batch(0, kLease, kT0).empty());
}

TEST_P(JobStoreConformanceTest, PeekShowsTheNextBatchWithoutClaimingIt) {
  EXPECT_TRUE(store_->peek_batch(3).empty());
  std::string x1 = enqueue(request("a", "x", 0), at(0));
  std::string y1 = enqueue(request("a", "y", 1), at(1));
  std::string y2 = enqueue(request("b", "y", 1), at(2));
  std::string y3 = enqueue(request("a", "y", 1), at(3));

  std::vector<Job> peeked = store_->peek_batch(3);
  std::vector<std::string> peeked_ids;
  for (const Job& job : peeked) peeked_ids.push_back(job.id);
  EXPECT_EQ(peeked_ids, (std::vector{y1, y2, y3}));
  EXPECT_EQ(peeked.front().status, JobStatus::kQueued);
  EXPECT_EQ(peeked.front().created_at, at(1));
  EXPECT_EQ(store_->peek_batch(3), peeked);  // nothing was claimed
  EXPECT_EQ(ids_of(store_->claim_batch(2, kLease, kT0)), (std::vector{y1, y2}));
  EXPECT_EQ(store_->peek_batch(3).size(), 1u);
  EXPECT_EQ(store_->peek_batch(3).front().id, y3);
  EXPECT_TRUE(store_->peek_batch(0).empty());
  EXPECT_EQ(ids_of(store_->claim_batch(3, kLease, kT0)), (std::vector{y3}));
  EXPECT_EQ(store_->peek_batch(3).front().id, x1);
}

TEST_P(JobStoreConformanceTest, QueuePositionFollowsTheClaimOrder) {
  std::string a1 = enqueue(request("a"), at(0));
  std::string a2 = enqueue(request("a"), at(1));
  std::string urgent = enqueue(request("a", "inflate/192", 9), at(2));
  EXPECT_EQ(store_->queue_position(urgent), 0u);
  EXPECT_EQ(store_->queue_position(a1), 1u);
  EXPECT_EQ(store_->queue_position(a2), 2u);

  EXPECT_EQ(claim_next_id(), urgent);
  EXPECT_EQ(store_->queue_position(urgent), std::nullopt);
  std::string b1 = enqueue(request("b"), at(3));  // b has not been served; a has
  std::vector<std::string> by_position(3);
  for (const std::string& id : {a1, a2, b1}) by_position.at(*store_->queue_position(id)) = id;
  EXPECT_EQ(by_position, (std::vector{b1, a1, a2}));
  for (const std::string& id : by_position) EXPECT_EQ(claim_next_id(), id);
}

TEST_P(JobStoreConformanceTest, HeartbeatRecordsProgressAndRenewsTheLease) {
  enqueue(request("a"));
  Claim claim = claim_one(at(0));
  EXPECT_TRUE(store_->heartbeat(claim.lease, "field", 0.5, at(20)));
  Job job = store_->get(claim.job.id);
  EXPECT_EQ(job.stage, "field");
  EXPECT_EQ(job.progress, 0.5);

  EXPECT_EQ(store_->requeue_expired(at(40)), 0u);  // the heartbeat renewed it until at(50)
  EXPECT_EQ(store_->requeue_expired(at(50)), 0u);
  EXPECT_EQ(store_->requeue_expired(at(50) + milliseconds(1)), 1u);
}

TEST_P(JobStoreConformanceTest, ProgressOutsideZeroToOneIsRejected) {
  enqueue(request("a"));
  Claim claim = claim_one();
  for (double progress : {-0.1, 1.5, std::nan("")}) {
    EXPECT_EQ(code_of([&] { store_->heartbeat(claim.lease, "field", progress, kT0); }),
              ErrorCode::kBadInput);
  }
  EXPECT_TRUE(store_->heartbeat(claim.lease, "field", 1.0, kT0));
}

TEST_P(JobStoreConformanceTest, CompleteRecordsTheResultOnce) {
  enqueue(request("a"));
  Claim claim = claim_one(at(0));
  ASSERT_TRUE(store_->heartbeat(claim.lease, "export", 0.9, at(1)));
  nlohmann::json report = {{"closed", true}, {"triangles", 1200}};
  EXPECT_TRUE(store_->complete(claim.lease, "/var/orfeas/results/x.stl", report, at(2)));
  Job job = store_->get(claim.job.id);
  EXPECT_EQ(job.status, JobStatus::kSucceeded);
  EXPECT_EQ(job.progress, 1);
  EXPECT_EQ(job.result_path, "/var/orfeas/results/x.stl");
  EXPECT_EQ(job.report, report);
  EXPECT_EQ(job.finished_at, at(2));
  EXPECT_EQ(job.error, std::nullopt);

  EXPECT_FALSE(store_->complete(claim.lease, "/other.stl", nullptr, at(3)));
  EXPECT_FALSE(store_->heartbeat(claim.lease, "export", 1, at(3)));
  EXPECT_FALSE(store_->fail(claim.lease, Error(ErrorCode::kInternal, "late"), at(3)));
  EXPECT_EQ(store_->get(claim.job.id), job);
}

TEST_P(JobStoreConformanceTest, FailuresNotTheJobsFaultAreRetriedUntilAttemptsRunOut) {
  NewJob request_with_two = request("a");
  request_with_two.max_attempts = 2;
  std::string id = enqueue(request_with_two);
  Claim first = claim_one(at(0));
  ASSERT_TRUE(store_->heartbeat(first.lease, "field", 0.3, at(1)));
  EXPECT_TRUE(store_->fail(first.lease, Error(ErrorCode::kInternal, "out of memory"), at(2)));
  Job job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kQueued);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.error, (JobError{"internal", "out of memory"}));
  EXPECT_EQ(job.stage, "");
  EXPECT_EQ(job.progress, 0);
  EXPECT_EQ(job.started_at, std::nullopt);
  EXPECT_EQ(job.finished_at, std::nullopt);

  Claim second = claim_one(at(3));
  EXPECT_NE(second.lease.token, first.lease.token);
  EXPECT_FALSE(store_->fail(first.lease, Error(ErrorCode::kInternal, "stale"), at(4)));
  EXPECT_TRUE(store_->fail(second.lease, Error(ErrorCode::kUnavailable, "no GPU"), at(5)));
  job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(job.error, (JobError{"unavailable", "no GPU"}));
  EXPECT_EQ(job.finished_at, at(5));
  EXPECT_TRUE(store_->claim_batch(1, kLease, at(6)).empty());
}

TEST_P(JobStoreConformanceTest, ACallerErrorFailsTheJobAtOnce) {
  std::string id = enqueue(request("a"));
  Claim claim = claim_one();
  ASSERT_TRUE(store_->heartbeat(claim.lease, "decode", 0.5, at(1)));
  EXPECT_TRUE(store_->fail(claim.lease, Error(ErrorCode::kBadInput, "not an image"), at(2)));
  Job job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.error, (JobError{"bad_input", "not an image"}));
  EXPECT_EQ(job.stage, "decode");  // where it failed
}

TEST_P(JobStoreConformanceTest, SuccessAfterARetryClearsTheError) {
  std::string id = enqueue(request("a"));
  ASSERT_TRUE(store_->fail(claim_one().lease, Error(ErrorCode::kCancelled, "shutting down"), kT0));
  Claim retry = claim_one();
  EXPECT_EQ(retry.job.error, (JobError{"cancelled", "shutting down"}));
  ASSERT_TRUE(store_->complete(retry.lease, "/r.stl", nullptr, at(1)));
  Job job = store_->get(id);
  EXPECT_EQ(job.error, std::nullopt);
  EXPECT_EQ(job.attempts, 1);
}

TEST_P(JobStoreConformanceTest, AJobWhoseLeaseExpiredGoesBackToTheQueue) {
  std::string id = enqueue(request("a"));
  Claim lost = claim_one(at(0));
  EXPECT_EQ(store_->requeue_expired(at(30)), 0u);
  EXPECT_EQ(store_->requeue_expired(at(31)), 1u);
  Job job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kQueued);
  EXPECT_EQ(job.attempts, 1);
  ASSERT_TRUE(job.error.has_value());
  EXPECT_EQ(job.error->code, "internal");
  EXPECT_EQ(store_->requeue_expired(at(32)), 0u);

  // The lost worker can no longer touch the job, neither now nor in its next run.
  EXPECT_FALSE(store_->heartbeat(lost.lease, "field", 0.5, at(32)));
  Claim next = claim_one(at(33));
  EXPECT_EQ(next.job.id, id);
  EXPECT_FALSE(store_->heartbeat(lost.lease, "field", 0.5, at(34)));
  EXPECT_FALSE(store_->complete(lost.lease, "/stale.stl", nullptr, at(34)));
  EXPECT_FALSE(store_->fail(lost.lease, Error(ErrorCode::kBadInput, "stale"), at(34)));
  EXPECT_EQ(store_->get(id).status, JobStatus::kRunning);
  EXPECT_TRUE(store_->complete(next.lease, "/r.stl", nullptr, at(35)));
  EXPECT_EQ(store_->get(id).result_path, "/r.stl");
}

TEST_P(JobStoreConformanceTest, AnExpiredLeaseOnTheLastAttemptFailsTheJob) {
  NewJob once = request("a");
  once.max_attempts = 1;
  std::string id = enqueue(once);
  claim_one(at(0));
  EXPECT_EQ(store_->requeue_expired(at(60)), 1u);
  Job job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.finished_at, at(60));
  ASSERT_TRUE(job.error.has_value());
  EXPECT_EQ(job.error->code, "internal");
  EXPECT_NE(job.error->message.find("lease"), std::string::npos) << job.error->message;
}

TEST_P(JobStoreConformanceTest, CancellingAQueuedJobTakesItOutOfTheQueue) {
  std::string id = enqueue(request("a"));
  Job cancelled = store_->cancel(id, at(1));
  EXPECT_EQ(cancelled.status, JobStatus::kCancelled);
  EXPECT_EQ(cancelled.finished_at, at(1));
  EXPECT_EQ(store_->get(id), cancelled);
  EXPECT_EQ(store_->queue_position(id), std::nullopt);
  EXPECT_TRUE(store_->claim_batch(1, kLease, at(2)).empty());
  EXPECT_EQ(store_->cancel(id, at(3)), cancelled);  // again: unchanged
}

TEST_P(JobStoreConformanceTest, CancellingARunningJobTakesAwayItsLease) {
  std::string id = enqueue(request("a"));
  Claim claim = claim_one(at(0));
  EXPECT_EQ(store_->cancel(id, at(1)).status, JobStatus::kCancelled);
  EXPECT_FALSE(store_->heartbeat(claim.lease, "field", 0.5, at(2)));
  EXPECT_FALSE(store_->complete(claim.lease, "/r.stl", nullptr, at(2)));
  EXPECT_FALSE(store_->fail(claim.lease, Error(ErrorCode::kCancelled, "stopped"), at(2)));
  EXPECT_EQ(store_->requeue_expired(at(100)), 0u);
  Job job = store_->get(id);
  EXPECT_EQ(job.status, JobStatus::kCancelled);
  EXPECT_EQ(job.finished_at, at(1));
}

TEST_P(JobStoreConformanceTest, SucceededOrFailedJobsCannotBeCancelled) {
  std::string succeeded = enqueue(request("a"));
  ASSERT_TRUE(store_->complete(claim_one().lease, "/r.stl", nullptr, kT0));
  std::string failed = enqueue(request("a"));
  ASSERT_TRUE(store_->fail(claim_one().lease, Error(ErrorCode::kBadInput, "x"), kT0));
  EXPECT_EQ(code_of([&] { store_->cancel(succeeded, at(1)); }), ErrorCode::kConflict);
  EXPECT_EQ(code_of([&] { store_->cancel(failed, at(1)); }), ErrorCode::kConflict);
  EXPECT_EQ(status_of(succeeded), JobStatus::kSucceeded);
  EXPECT_EQ(status_of(failed), JobStatus::kFailed);
}

TEST_P(JobStoreConformanceTest, CountsEveryStatus) {
  std::map<JobStatus, std::size_t> empty = store_->count_by_status();
  EXPECT_EQ(empty.size(), 5u);
  for (const auto& [status, count] : empty) EXPECT_EQ(count, 0u) << job_status_name(status);

  for (int i = 0; i < 6; ++i) enqueue(request("a"));
  ASSERT_TRUE(store_->complete(claim_one().lease, "/r.stl", nullptr, kT0));
  ASSERT_TRUE(store_->fail(claim_one().lease, Error(ErrorCode::kBadInput, "x"), kT0));
  store_->cancel(claim_next_id(), kT0);
  claim_one();
  std::map<JobStatus, std::size_t> counts = store_->count_by_status();
  EXPECT_EQ(counts[JobStatus::kQueued], 2u);
  EXPECT_EQ(counts[JobStatus::kRunning], 1u);
  EXPECT_EQ(counts[JobStatus::kSucceeded], 1u);
  EXPECT_EQ(counts[JobStatus::kFailed], 1u);
  EXPECT_EQ(counts[JobStatus::kCancelled], 1u);
}

TEST_P(JobStoreConformanceTest, ListsNewestFirstWithFilters) {
  std::string a1 = enqueue(request("a"), at(0));
  std::string b1 = enqueue(request("b"), at(1));
  std::string a2 = enqueue(request("a"), at(2));
  std::string a3 = enqueue(request("a"), at(3));
  store_->cancel(a2, at(4));

  auto ids = [](const std::vector<Job>& jobs) {
    std::vector<std::string> ids;
    for (const Job& job : jobs) ids.push_back(job.id);
    return ids;
  };
  EXPECT_EQ(ids(store_->list({})), (std::vector{a3, a2, b1, a1}));
  EXPECT_EQ(ids(store_->list({.limit = 2})), (std::vector{a3, a2}));
  EXPECT_EQ(ids(store_->list({.status = JobStatus::kQueued})), (std::vector{a3, b1, a1}));
  EXPECT_EQ(ids(store_->list({.submitter = "a"})), (std::vector{a3, a2, a1}));
  EXPECT_EQ(ids(store_->list({.status = JobStatus::kQueued, .submitter = "a", .limit = 1})),
            (std::vector{a3}));
  EXPECT_TRUE(store_->list({.status = JobStatus::kFailed}).empty());
  EXPECT_EQ(store_->list({.limit = 1}).front(), store_->get(a3));
}

TEST_P(JobStoreConformanceTest, RetentionRemovesOnlyJobsFinishedBeforeTheCutoff) {
  NewJob keyed = request("a");
  keyed.idempotency_key = "k";
  std::string succeeded = enqueue(keyed);
  std::string failed = enqueue(request("b"));
  std::string cancelled = enqueue(request("a"));
  std::string running = enqueue(request("a"));
  std::string queued = enqueue(request("a"));
  ASSERT_TRUE(store_->complete(claim_one().lease, "/r.stl", nullptr, at(10)));
  ASSERT_TRUE(store_->fail(claim_one().lease, Error(ErrorCode::kBadInput, "x"), at(20)));
  store_->cancel(cancelled, at(30));
  EXPECT_EQ(claim_next_id(), running);

  std::vector<Job> removed = store_->remove_finished_before(at(25));
  std::set<std::string> removed_ids;
  for (const Job& job : removed) removed_ids.insert(job.id);
  EXPECT_EQ(removed_ids, (std::set{succeeded, failed}));
  auto removed_succeeded = std::find_if(removed.begin(), removed.end(),
                                        [&](const Job& job) { return job.id == succeeded; });
  ASSERT_NE(removed_succeeded, removed.end());
  EXPECT_EQ(removed_succeeded->result_path, "/r.stl");  // so that the caller can delete it
  EXPECT_EQ(code_of([&] { store_->get(succeeded); }), ErrorCode::kNotFound);
  EXPECT_EQ(code_of([&] { store_->get(failed); }), ErrorCode::kNotFound);
  EXPECT_EQ(status_of(cancelled), JobStatus::kCancelled);
  EXPECT_EQ(status_of(running), JobStatus::kRunning);
  EXPECT_EQ(status_of(queued), JobStatus::kQueued);
  EXPECT_TRUE(store_->remove_finished_before(at(25)).empty());

  // The key is free again, and a submitter whose jobs are all gone is still served in turn.
  EXPECT_TRUE(store_->enqueue(keyed, at(40)).created);
  std::string b2 = enqueue(request("b"), at(41));
  EXPECT_EQ(claim_next_id(), b2);  // b was served less recently than a
}

TEST_P(JobStoreConformanceTest, ConcurrentClaimsNeverHandOutAJobTwice) {
  constexpr int kJobs = 90;
  std::vector<NewJob> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(request("submitter-" + std::to_string(i % 4), "key-" + std::to_string(i % 3)));
  }
  store_->enqueue_batch(jobs, kT0);

  // Two stores on the same data stand for two processes; each is shared by two threads.
  std::unique_ptr<JobStore> other = GetParam().make(directory_.path());
  std::vector<std::vector<Claim>> claimed(4);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    JobStore* store = w % 2 ? other.get() : store_.get();
    workers.emplace_back([store, &claims = claimed[w]] {
      for (;;) {
        std::vector<Claim> batch = store->claim_batch(4, kLease, kT0);
        if (batch.empty()) return;
        for (const Claim& claim : batch) {
          EXPECT_EQ(claim.job.batch_key, batch.front().job.batch_key);
          EXPECT_TRUE(store->complete(claim.lease, "/r/" + claim.job.id, nullptr, kT0));
        }
        claims.insert(claims.end(), batch.begin(), batch.end());
      }
    });
  }
  for (std::thread& worker : workers) worker.join();

  std::multiset<std::string> ids;
  for (const std::vector<Claim>& claims : claimed) {
    for (const Claim& claim : claims) ids.insert(claim.job.id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(store_->count_by_status()[JobStatus::kSucceeded], static_cast<std::size_t>(kJobs));
}

const JobStoreFactory kStores[] = {
    {"Sqlite",
     [](const fs::path& dir) { return std::make_unique<SqliteJobStore>(dir / "jobs.db"); }},
    {"Postgres",
     [](const fs::path& dir) {
       return std::make_unique<PostgresJobStore>(test_postgres_schema(dir));
     }},
};

INSTANTIATE_TEST_SUITE_P(AllStores, JobStoreConformanceTest, testing::ValuesIn(kStores),
                         [](const testing::TestParamInfo<JobStoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace orfeas
