// The Scheduler: worker threads that take queued jobs from a JobStore in batches, run them through
// a BatchRunner, keep their leases alive while they run, and record how each ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "orfeas/jobs/batch_runner.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/jobs/stage_clock.h"

namespace orfeas {

struct SchedulerOptions {
  // Dynamic batching: a batch is taken when max_batch jobs with the batch key of the next job in
  // the queue order wait (JobStore::peek_batch), or once the oldest of them has waited
  // max_queue_delay (0: at once). Only that key is looked at, so while its batch fills, jobs of
  // other keys wait too, for at most max_queue_delay.
  std::size_t max_batch = 8;
  std::chrono::milliseconds max_queue_delay{100};
  std::size_t workers = 1;  // batches run at once, one thread each
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(5)};  // well below lease
  // How often an idle worker looks at the store, for jobs other processes enqueued.
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(500)};
  std::string worker_name = "worker";  // names this process in the errors it records
  // Called on the worker's thread after each batch, with the number of jobs it held and, for each
  // job that succeeded, its stages and their durations (for metrics). Must not throw.
  std::function<void(std::size_t batch_size, std::span<const std::vector<StageTime>> succeeded)>
      on_batch_finished;
  // Called on the runner's thread each time a running job enters a stage, after progress() shows
  // it, so that observers see even stages shorter than their polling. Must not throw.
  std::function<void(const std::string& job_id, std::string_view stage)> on_stage_entered;
};

// The stage a job running in this process is in, and the fraction of it done.
struct LiveProgress {
  std::string stage;
  double fraction = 0;
};

class Scheduler {
 public:
  // The store and the runner must outlive the scheduler. Throws Error{kBadInput} for max_batch or
  // workers of 0, or a heartbeat interval not shorter than the lease.
  Scheduler(JobStore& store, BatchRunner& runner, SchedulerOptions options);
  // Stops as stop() with a deadline of now.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Puts back the jobs of workers that died (requeue_expired), then starts the workers. Each
  // claims a batch, runs it, heartbeats every heartbeat_interval while it runs (renewing the
  // leases and recording each job's stage and progress; a job whose heartbeat is refused was
  // cancelled, and its CancelToken fires), then completes or fails each job with its outcome.
  // Errors of the store are retried after poll_interval; a runner that throws fails its batch.
  // While looking for work, a worker also calls requeue_expired once per lease duration.
  // Throws what requeue_expired throws, and Error{kConflict} when already started.
  void start();

  // Stops claiming and waits for the running batches until `deadline`; then fires their
  // CancelTokens and waits for the runner to return. A job the runner ends with kCancelled then
  // fails with Error{kCancelled, "<worker_name> stopped ..."}, which puts it back in the queue for
  // another worker; other outcomes are recorded as usual. Returns when every worker has ended; a
  // second call does nothing.
  void stop(std::chrono::steady_clock::time_point deadline);

  // Wakes an idle worker: a job was just enqueued.
  void notify_enqueued();

  // When `job_id` runs in this scheduler: fires its CancelToken now rather than at the next
  // heartbeat (the caller has already cancelled it in the store). Otherwise does nothing.
  void cancel_running(std::string_view job_id);

  // The live progress of `job_id` when it runs in this scheduler (the store sees it only at each
  // heartbeat); nothing otherwise.
  std::optional<LiveProgress> progress(std::string_view job_id) const;

  // Expected time left for `job` from the durations of finished jobs of its method; nothing
  // until one has finished. For a queued job, its whole expected run time.
  std::optional<std::chrono::milliseconds> eta(const Job& job) const;

 private:
  struct RunningBatch;

  void work();
  std::vector<Claim> take_batch();
  void run_batch(std::vector<Claim> claims);
  void heartbeat(RunningBatch& batch);
  void finish(RunningBatch& batch, std::vector<JobOutcome> outcomes);

  JobStore& store_;
  BatchRunner& runner_;
  const SchedulerOptions options_;
  StageClock clock_;

  std::mutex taking_;  // one worker at a time looks for a batch; guards next_requeue_
  std::chrono::steady_clock::time_point next_requeue_;
  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable wake_;
  bool started_ = false;
  bool stopping_ = false;
  bool cancelling_ = false;     // the stop deadline passed: running batches are cancelled
  std::uint64_t enqueued_ = 0;  // notify_enqueued calls, to wake idle workers
  std::size_t active_workers_ = 0;
  std::list<RunningBatch*> running_;
  std::vector<std::thread> workers_;
};

}  // namespace orfeas
