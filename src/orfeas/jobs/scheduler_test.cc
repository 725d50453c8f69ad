// The scheduler against a real SQLite store and a fake runner. Timing bounds are generous: they
// tell apart "waited" from "did not wait", never how fast anything is.
#include "orfeas/jobs/scheduler.h"

#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/jobs/sqlite_job_store.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kPatience = seconds(5);  // the longest any test waits for anything

Timestamp wall_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

// Waits until `done` holds, up to kPatience.
bool eventually(const std::function<bool()>& done) {
  SteadyClock::time_point give_up = SteadyClock::now() + kPatience;
  while (!done()) {
    if (SteadyClock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

std::vector<JobOutcome> succeed(std::span<const Job> batch) {
  std::vector<JobOutcome> outcomes;
  for (const Job& job : batch) {
    outcomes.push_back(JobResult{"results/" + job.id + ".ply", {{"watertight", true}}});
  }
  return outcomes;
}

// Runs `behaviour` (by default: every job succeeds) and remembers the batches it was given.
class FakeRunner : public BatchRunner {
 public:
  using Behaviour = std::function<std::vector<JobOutcome>(
      std::span<const Job>, const BatchProgressFn&, std::span<const CancelToken* const>)>;

  std::vector<JobOutcome> run(std::span<const Job> batch, const BatchProgressFn& progress,
                              std::span<const CancelToken* const> cancel) override {
    Behaviour behave;
    {
      std::lock_guard lock(mutex_);
      batches_.emplace_back(batch.begin(), batch.end());
      behave = behaviour_;
    }
    if (!behave) return succeed(batch);
    return behave(batch, progress, cancel);
  }

  void discard(const JobResult& result) override {
    std::lock_guard lock(mutex_);
    discarded_.push_back(result.result_path);
  }
  std::vector<std::string> discarded() const {
    std::lock_guard lock(mutex_);
    return discarded_;
  }

  void set(Behaviour behaviour) {
    std::lock_guard lock(mutex_);
    behaviour_ = std::move(behaviour);
  }
  std::vector<std::vector<Job>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  Behaviour behaviour_;
  std::vector<std::vector<Job>> batches_;
  std::vector<std::string> discarded_;
};

// Blocks until the job's token fires (or kPatience passes), then reports it cancelled.
std::vector<JobOutcome> wait_for_cancel(std::span<const Job> batch,
                                        std::span<const CancelToken* const> cancel) {
  std::vector<JobOutcome> outcomes;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!eventually([&] { return cancel[i]->cancelled(); })) ADD_FAILURE() << "never cancelled";
    outcomes.push_back(Error(ErrorCode::kCancelled, "stopped"));
  }
  return outcomes;
}

// Forwards to a real store, but peek_batch, heartbeat and complete throw Error{kUnavailable} as
// many times as their counters say.
class FlakyStore : public JobStore {
 public:
  explicit FlakyStore(JobStore& real) : real_(real) {}

  std::vector<EnqueueResult> enqueue_batch(std::span<const NewJob> jobs, Timestamp now) override {
    return real_.enqueue_batch(jobs, now);
  }
  std::vector<Claim> claim_batch(std::size_t max_jobs, milliseconds lease, Timestamp now) override {
    return real_.claim_batch(max_jobs, lease, now);
  }
  std::vector<Job> peek_batch(std::size_t max_jobs) override {
    fail_if(peek_failures);
    return real_.peek_batch(max_jobs);
  }
  bool heartbeat(const Lease& lease, std::string_view stage, double progress,
                 Timestamp now) override {
    fail_if(heartbeat_failures);
    return real_.heartbeat(lease, stage, progress, now);
  }
  bool complete(const Lease& lease, std::string_view result_path, const nlohmann::json& report,
                Timestamp now) override {
    fail_if(complete_failures);
    return real_.complete(lease, result_path, report, now);
  }
  bool fail(const Lease& lease, const Error& error, Timestamp now) override {
    return real_.fail(lease, error, now);
  }
  Job cancel(std::string_view job_id, Timestamp now) override { return real_.cancel(job_id, now); }
  Job get(std::string_view job_id) override { return real_.get(job_id); }
  std::vector<Job> list(const JobFilter& filter) override { return real_.list(filter); }
  std::optional<std::size_t> queue_position(std::string_view job_id) override {
    return real_.queue_position(job_id);
  }
  std::map<JobStatus, std::size_t> count_by_status() override { return real_.count_by_status(); }
  std::size_t requeue_expired(Timestamp now) override { return real_.requeue_expired(now); }
  std::vector<Job> remove_finished_before(Timestamp cutoff) override {
    return real_.remove_finished_before(cutoff);
  }

  std::atomic<int> peek_failures = 0;
  std::atomic<int> heartbeat_failures = 0;
  std::atomic<int> complete_failures = 0;

 private:
  static void fail_if(std::atomic<int>& failures) {
    if (failures.fetch_sub(1) > 0) throw Error(ErrorCode::kUnavailable, "the store is busy");
  }
  JobStore& real_;
};

SchedulerOptions fast_options() {
  SchedulerOptions options;
  options.max_batch = 4;
  options.max_queue_delay = milliseconds(0);
  options.lease = seconds(10);
  options.heartbeat_interval = milliseconds(20);
  options.poll_interval = milliseconds(20);
  options.worker_name = "test-worker";
  return options;
}

class SchedulerTest : public testing::Test {
 protected:
  NewJob request(std::string batch_key = "inflate/32", int priority = 0) {
    NewJob job;
    job.submitter = "agent";
    job.method = "inflate";
    job.batch_key = std::move(batch_key);
    job.input_path = "inputs/photo.png";
    job.priority = priority;
    return job;
  }
  std::string enqueue(const NewJob& job) { return store_.enqueue(job, wall_now()).job.id; }
  std::string enqueue(std::string batch_key = "inflate/32", int priority = 0) {
    return enqueue(request(std::move(batch_key), priority));
  }
  bool reaches(const std::string& id, JobStatus status) {
    return eventually([&] { return store_.get(id).status == status; });
  }

  TestDirectory directory_;
  SqliteJobStore store_{directory_.path() / "jobs.db"};
  FakeRunner runner_;
};

TEST_F(SchedulerTest, RunsAJobAndRecordsItsResult) {
  std::string id = enqueue();
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kSucceeded));
  Job job = store_.get(id);
  EXPECT_EQ(job.result_path, "results/" + id + ".ply");
  EXPECT_EQ(job.report, (nlohmann::json{{"watertight", true}}));
  EXPECT_EQ(job.attempts, 0);
}

TEST_F(SchedulerTest, GroupsEqualBatchKeysUpToMaxBatchAndNeverMixesKeys) {
  std::vector<std::string> x, y;
  for (int i = 0; i < 5; ++i) x.push_back(enqueue("x"));
  for (int i = 0; i < 2; ++i) y.push_back(enqueue("y"));
  SchedulerOptions options = fast_options();
  options.max_batch = 3;
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(reaches(y.back(), JobStatus::kSucceeded));
  std::vector<std::vector<Job>> batches = runner_.batches();
  ASSERT_EQ(batches.size(), 3u);
  std::vector<std::size_t> sizes;
  for (const std::vector<Job>& batch : batches) {
    sizes.push_back(batch.size());
    for (const Job& job : batch) EXPECT_EQ(job.batch_key, batch.front().batch_key);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 2, 2}));
  EXPECT_EQ(batches[0][0].id, x[0]);
  EXPECT_EQ(batches[2][0].id, y[0]);
}

TEST_F(SchedulerTest, ALoneJobRunsAfterTheQueueDelayAndNotBefore) {
  SchedulerOptions options = fast_options();
  options.max_queue_delay = milliseconds(300);
  options.poll_interval = milliseconds(50);
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  Timestamp enqueued = wall_now();
  std::string id = enqueue();
  scheduler.notify_enqueued();
  ASSERT_TRUE(reaches(id, JobStatus::kSucceeded));
  Job job = store_.get(id);
  ASSERT_TRUE(job.started_at.has_value());
  EXPECT_GE(*job.started_at - enqueued, milliseconds(299));
}

TEST_F(SchedulerTest, AFullBatchRunsWithoutWaitingForTheDelay) {
  SchedulerOptions options = fast_options();
  options.max_batch = 2;
  options.max_queue_delay = seconds(60);
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  std::string first = enqueue();
  std::string second = enqueue();
  scheduler.notify_enqueued();
  EXPECT_TRUE(reaches(second, JobStatus::kSucceeded));
  EXPECT_EQ(store_.get(first).status, JobStatus::kSucceeded);
}

TEST_F(SchedulerTest, NotifyEnqueuedWakesAnIdleWorker) {
  SchedulerOptions options = fast_options();
  options.poll_interval = seconds(60);
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  std::this_thread::sleep_for(milliseconds(50));  // let the worker go idle
  std::string id = enqueue();
  scheduler.notify_enqueued();
  EXPECT_TRUE(reaches(id, JobStatus::kSucceeded));
}

TEST_F(SchedulerTest, HigherPriorityRunsFirst) {
  std::string low = enqueue("inflate/32", 0);
  std::string high = enqueue("inflate/32", 5);
  SchedulerOptions options = fast_options();
  options.max_batch = 1;
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(reaches(low, JobStatus::kSucceeded));
  std::vector<std::vector<Job>> batches = runner_.batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0][0].id, high);
  EXPECT_EQ(batches[1][0].id, low);
}

TEST_F(SchedulerTest, CancellingARunningJobFiresItsTokenAndLeavesItCancelled) {
  std::atomic<bool> saw_cancel = false;
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn& progress,
                  std::span<const CancelToken* const> cancel) {
    progress(0, "field", 0.5);
    std::vector<JobOutcome> outcomes = wait_for_cancel(batch, cancel);
    saw_cancel = cancel[0]->cancelled();
    return outcomes;
  });
  std::string id = enqueue();
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kRunning));
  store_.cancel(id, wall_now());
  ASSERT_TRUE(eventually([&] { return saw_cancel.load(); }));
  scheduler.stop(SteadyClock::now() + kPatience);
  Job job = store_.get(id);
  EXPECT_EQ(job.status, JobStatus::kCancelled);
  EXPECT_EQ(job.attempts, 0);
}

TEST_F(SchedulerTest, CancelRunningStopsTheJobAtOnceAndProgressIsLive) {
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn& progress,
                  std::span<const CancelToken* const> cancel) {
    progress(0, "field", 0.25);
    return wait_for_cancel(batch, cancel);
  });
  std::string id = enqueue();
  SchedulerOptions options = fast_options();
  options.heartbeat_interval = seconds(60);  // only cancel_running can stop it in time
  options.lease = seconds(120);
  Scheduler scheduler(store_, runner_, options);
  EXPECT_FALSE(scheduler.progress(id));
  scheduler.start();
  ASSERT_TRUE(eventually([&] {
    std::optional<LiveProgress> live = scheduler.progress(id);
    return live && live->stage == "field" && live->fraction == 0.25;
  }));
  scheduler.cancel_running("some-other-job");
  store_.cancel(id, wall_now());
  scheduler.cancel_running(id);
  ASSERT_TRUE(eventually([&] { return !scheduler.progress(id); }));
  scheduler.stop(SteadyClock::now() + kPatience);
  EXPECT_EQ(store_.get(id).status, JobStatus::kCancelled);
}

TEST_F(SchedulerTest, AResultFinishedAfterItsJobWasCancelledIsDiscarded) {
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn&,
                  std::span<const CancelToken* const> cancel) {
    wait_for_cancel(batch, cancel);
    return succeed(batch);  // past its last checkpoint when the cancel came
  });
  std::string id = enqueue();
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kRunning));
  store_.cancel(id, wall_now());
  scheduler.cancel_running(id);
  ASSERT_TRUE(eventually([&] { return !runner_.discarded().empty(); }));
  scheduler.stop(SteadyClock::now() + kPatience);
  EXPECT_EQ(runner_.discarded(), std::vector<std::string>{"results/" + id + ".ply"});
  EXPECT_EQ(store_.get(id).status, JobStatus::kCancelled);
}

TEST_F(SchedulerTest, ReportsEachBatchWithTheStagesOfItsSucceededJobs) {
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn& progress,
                  std::span<const CancelToken* const>) {
    progress(0, "prepare", 0);
    progress(0, "field", 0);
    std::vector<JobOutcome> outcomes = succeed(batch);
    outcomes[1] = Error(ErrorCode::kBadInput, "not a photo");
    return outcomes;
  });
  std::mutex mutex;
  std::vector<std::pair<std::size_t, std::vector<std::vector<StageTime>>>> reports;
  std::vector<std::string> entered;
  SchedulerOptions options = fast_options();
  options.on_stage_entered = [&](const std::string&, std::string_view stage) {
    std::lock_guard lock(mutex);
    entered.emplace_back(stage);
  };
  options.max_batch = 2;
  options.max_queue_delay = seconds(5);
  options.on_batch_finished = [&](std::size_t size, std::span<const std::vector<StageTime>> done) {
    std::lock_guard lock(mutex);
    reports.emplace_back(size, std::vector<std::vector<StageTime>>(done.begin(), done.end()));
  };
  enqueue();
  enqueue();
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return !reports.empty();
  }));
  scheduler.stop(SteadyClock::now() + kPatience);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].first, 2u);
  ASSERT_EQ(reports[0].second.size(), 1u);
  ASSERT_EQ(reports[0].second[0].size(), 2u);
  EXPECT_EQ(reports[0].second[0][0].stage, "prepare");
  EXPECT_EQ(reports[0].second[0][1].stage, "field");
  EXPECT_EQ(entered, (std::vector<std::string>{"prepare", "field"}));
}

TEST_F(SchedulerTest, AnInputErrorFailsTheJobAndAnInternalOneRetriesIt) {
  runner_.set(
      [](std::span<const Job> batch, const BatchProgressFn&, std::span<const CancelToken* const>) {
        std::vector<JobOutcome> outcomes;
        for (const Job& job : batch) {
          if (job.batch_key == "bad") {
            outcomes.push_back(Error(ErrorCode::kBadInput, "not an image"));
          } else if (job.attempts == 0) {
            outcomes.push_back(Error(ErrorCode::kInternal, "out of disk"));
          } else {
            outcomes.push_back(JobResult{"results/ok.ply", nullptr});
          }
        }
        return outcomes;
      });
  std::string bad = enqueue("bad");
  std::string flaky = enqueue("good");
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(bad, JobStatus::kFailed));
  EXPECT_EQ(store_.get(bad).error, (JobError{"bad_input", "not an image"}));
  EXPECT_EQ(store_.get(bad).attempts, 1);
  ASSERT_TRUE(reaches(flaky, JobStatus::kSucceeded));
  EXPECT_EQ(store_.get(flaky).attempts, 1);
}

TEST_F(SchedulerTest, ARunnerThatThrowsFailsItsBatchButNotTheWorker) {
  std::atomic<int> calls = 0;
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn&,
                  std::span<const CancelToken* const>) -> std::vector<JobOutcome> {
    switch (calls++) {
      case 0:
        throw std::runtime_error("segfault averted");
      case 1:
        throw Error(ErrorCode::kTooLarge, "too many triangles");
      case 2:
        return {};  // the wrong number of outcomes
      default:
        return succeed(batch);
    }
  });
  NewJob once = request();
  once.max_attempts = 1;
  std::string thrown = enqueue(once);
  std::string too_large = enqueue(once);
  std::string miscounted = enqueue(once);
  std::string fine = enqueue(once);
  SchedulerOptions options = fast_options();
  options.max_batch = 1;
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(reaches(fine, JobStatus::kSucceeded));
  EXPECT_EQ(store_.get(thrown).status, JobStatus::kFailed);
  EXPECT_EQ(store_.get(thrown).error->code, "internal");
  EXPECT_EQ(store_.get(thrown).error->message, "the batch failed on test-worker: segfault averted");
  EXPECT_EQ(store_.get(too_large).error->code, "too_large");
  EXPECT_EQ(store_.get(miscounted).error->code, "internal");
}

TEST_F(SchedulerTest, StopWaitsForRunningBatchesUntilTheDeadline) {
  runner_.set(
      [](std::span<const Job> batch, const BatchProgressFn&, std::span<const CancelToken* const>) {
        std::this_thread::sleep_for(milliseconds(100));
        return succeed(batch);
      });
  std::string id = enqueue();
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kRunning));
  scheduler.stop(SteadyClock::now() + kPatience);
  EXPECT_EQ(store_.get(id).status, JobStatus::kSucceeded);
  scheduler.stop(SteadyClock::now());  // a second stop does nothing
}

TEST_F(SchedulerTest, StopAfterTheDeadlineHandsRunningJobsBackToTheQueue) {
  runner_.set(
      [](std::span<const Job> batch, const BatchProgressFn&,
         std::span<const CancelToken* const> cancel) { return wait_for_cancel(batch, cancel); });
  std::string id = enqueue();
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kRunning));
  scheduler.stop(SteadyClock::now() + milliseconds(50));
  Job job = store_.get(id);
  EXPECT_EQ(job.status, JobStatus::kQueued);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.error->code, "cancelled");
  EXPECT_EQ(job.error->message, "test-worker stopped before the job finished");
  EXPECT_EQ(runner_.batches().size(), 1u);
}

TEST_F(SchedulerTest, AfterACrashTheLostJobRunsExactlyOnceMore) {
  std::string id = enqueue();
  // A worker claimed it an hour ago, for a minute, and died.
  ASSERT_EQ(store_.claim_batch(1, seconds(60), wall_now() - std::chrono::hours(1)).size(), 1u);
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kSucceeded));
  std::this_thread::sleep_for(milliseconds(100));  // room for a wrong second run
  EXPECT_EQ(runner_.batches().size(), 1u);
  EXPECT_EQ(store_.get(id).attempts, 1);  // the crashed attempt
}

TEST_F(SchedulerTest, HeartbeatsRecordProgressAndKeepALongJobsLeaseAlive) {
  std::atomic<bool> release = false;
  runner_.set([&](std::span<const Job> batch, const BatchProgressFn& progress,
                  std::span<const CancelToken* const>) {
    progress(0, "field", 0.5);
    progress(0, "field", 7);  // clamped into [0, 1]
    progress(0, "field", 0.5);
    progress(99, "field", 0.5);  // not a job of the batch: ignored
    eventually([&] { return release.load(); });
    return succeed(batch);
  });
  std::string id = enqueue();
  SchedulerOptions options = fast_options();
  options.lease = milliseconds(400);
  options.heartbeat_interval = milliseconds(20);
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(eventually([&] { return store_.get(id).stage == "field"; }));
  EXPECT_EQ(store_.get(id).progress, 0.5);
  SqliteJobStore other_process(directory_.path() / "jobs.db");
  for (int i = 0; i < 6; ++i) {  // three leases long
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(other_process.requeue_expired(wall_now()), 0u);
  }
  release = true;
  ASSERT_TRUE(reaches(id, JobStatus::kSucceeded));
  EXPECT_EQ(store_.get(id).attempts, 0);
}

TEST_F(SchedulerTest, StoreFailuresAreRetriedAndAnUnrecordedResultIsRunAgain) {
  runner_.set(
      [](std::span<const Job> batch, const BatchProgressFn&, std::span<const CancelToken* const>) {
        std::this_thread::sleep_for(milliseconds(100));  // through a few heartbeats
        return succeed(batch);
      });
  FlakyStore flaky(store_);
  flaky.peek_failures = 2;
  flaky.heartbeat_failures = 2;
  flaky.complete_failures = 1;
  std::string id = enqueue();
  SchedulerOptions options = fast_options();
  options.lease = milliseconds(300);
  Scheduler scheduler(flaky, runner_, options);
  scheduler.start();
  ASSERT_TRUE(reaches(id, JobStatus::kSucceeded));
  EXPECT_EQ(runner_.batches().size(), 2u);  // the first result was lost with its lease
  EXPECT_EQ(store_.get(id).attempts, 1);
}

TEST_F(SchedulerTest, EtaComesFromTheStagesOfFinishedJobs) {
  runner_.set([](std::span<const Job> batch, const BatchProgressFn& progress,
                 std::span<const CancelToken* const>) {
    progress(0, "field", 0);
    std::this_thread::sleep_for(milliseconds(60));
    progress(0, "mesh", 0);
    std::this_thread::sleep_for(milliseconds(30));
    return succeed(batch);
  });
  Scheduler scheduler(store_, runner_, fast_options());
  Job queued = store_.get(enqueue());
  EXPECT_EQ(scheduler.eta(queued), std::nullopt);
  scheduler.start();
  ASSERT_TRUE(reaches(queued.id, JobStatus::kSucceeded));
  ASSERT_TRUE(eventually([&] { return scheduler.eta(queued).has_value(); }));
  milliseconds whole = *scheduler.eta(queued);
  EXPECT_GE(whole, milliseconds(85));
  EXPECT_LT(whole, kPatience);
  Job running = queued;
  running.status = JobStatus::kRunning;
  running.stage = "mesh";
  running.progress = 0;
  EXPECT_GE(*scheduler.eta(running), milliseconds(28));
  EXPECT_LT(*scheduler.eta(running), whole);
  EXPECT_EQ(scheduler.eta(store_.get(queued.id)), milliseconds(0));
  running.method = "relief";
  EXPECT_EQ(scheduler.eta(running), std::nullopt);
}

TEST_F(SchedulerTest, WorkersRunBatchesAtTheSameTime) {
  std::atomic<int> running = 0;
  std::atomic<int> most = 0;
  runner_.set(
      [&](std::span<const Job> batch, const BatchProgressFn&, std::span<const CancelToken* const>) {
        most = std::max(most.load(), ++running);
        eventually([&] { return most.load() >= 2; });
        --running;
        return succeed(batch);
      });
  std::string first = enqueue();
  std::string second = enqueue();
  SchedulerOptions options = fast_options();
  options.max_batch = 1;
  options.workers = 2;
  Scheduler scheduler(store_, runner_, options);
  scheduler.start();
  ASSERT_TRUE(reaches(first, JobStatus::kSucceeded));
  ASSERT_TRUE(reaches(second, JobStatus::kSucceeded));
  EXPECT_EQ(most.load(), 2);
}

TEST_F(SchedulerTest, RejectsOptionsThatCannotWorkAndASecondStart) {
  SchedulerOptions options = fast_options();
  options.max_batch = 0;
  EXPECT_THROW(Scheduler(store_, runner_, options), Error);
  options = fast_options();
  options.workers = 0;
  EXPECT_THROW(Scheduler(store_, runner_, options), Error);
  options = fast_options();
  options.heartbeat_interval = options.lease;
  EXPECT_THROW(Scheduler(store_, runner_, options), Error);
  Scheduler scheduler(store_, runner_, fast_options());
  scheduler.start();
  try {
    scheduler.start();
    ADD_FAILURE() << "started twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
}

}  // namespace
}  // namespace orfeas
