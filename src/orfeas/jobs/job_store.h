// The durable job queue. Every job is written before the service acknowledges it; workers claim
// jobs under a lease that they renew with heartbeats; a job whose lease ran out (its worker died)
// goes back to the queue. SQLite and PostgreSQL implement this interface and pass the same
// conformance tests (job_store_conformance_test.cc).
//
// Time is passed in (`now`), never read from a clock, so that callers decide and tests can move
// it. Every call is atomic, and safe from several threads and from several processes sharing the
// store. Calls throw Error{kUnavailable} when the store stays busy or unreachable, and
// Error{kInternal} when it fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/jobs/job.h"

namespace orfeas {

struct EnqueueResult {
  Job job;
  bool created = false;  // false: an earlier job with the same submitter and idempotency key
};

// A worker's hold on a running job. It lasts `duration` past the claim or the latest heartbeat,
// and is lost when the job is cancelled or, once expired, put back by requeue_expired. `token`
// counts the job's claims, so a worker that lost its lease cannot touch the job's next run.
struct Lease {
  std::string job_id;
  std::int64_t token = 0;
  std::chrono::milliseconds duration{0};
};

struct Claim {
  Job job;  // as it is now: running, started at the claim
  Lease lease;
};

struct JobFilter {
  std::optional<JobStatus> status = std::nullopt;  // initialised, for designated initialisers
  std::optional<std::string> submitter = std::nullopt;
  std::size_t limit = 100;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Stores the jobs as queued, all or none. When more than one job is given, the new ones share a
  // fresh batch_id. A job whose submitter already has a job with the same idempotency key is not
  // stored again: its result is that earlier job (as long as it has not been removed). Throws
  // Error{kBadInput} for max_attempts below 1.
  virtual std::vector<EnqueueResult> enqueue_batch(std::span<const NewJob> jobs, Timestamp now) = 0;
  EnqueueResult enqueue(const NewJob& job, Timestamp now) {
    return enqueue_batch(std::span(&job, 1), now).front();
  }

  // Claims up to `max_jobs` queued jobs that share one batch_key, for `lease`. The queue order is:
  // higher priority first; then round-robin between submitters (each submitter's first job, then
  // each one's second, ...; among those, the submitter served least recently first); then oldest.
  // The batch key is that of the first job in this order, and the batch is filled in the same
  // order. Returns nothing when no job is queued. A job is never claimed by two callers at once.
  virtual std::vector<Claim> claim_batch(std::size_t max_jobs, std::chrono::milliseconds lease,
                                         Timestamp now) = 0;
  // The jobs claim_batch(max_jobs, ...) would claim now, in the same order, left queued: a
  // scheduler looks before it claims, to wait for a fuller batch.
  virtual std::vector<Job> peek_batch(std::size_t max_jobs) = 0;

  // The calls that take a Lease return false, and change nothing, when the lease is no longer
  // held: the job was cancelled (the worker should stop at its next checkpoint), requeued after
  // its lease expired, or removed. A worker whose complete() returns false discards its result.

  // Records the stage and its progress (in [0, 1], else Error{kBadInput}) and renews the lease.
  virtual bool heartbeat(const Lease& lease, std::string_view stage, double progress,
                         Timestamp now) = 0;
  // The job succeeded; its result, already written in full, is at `result_path`.
  virtual bool complete(const Lease& lease, std::string_view result_path,
                        const nlohmann::json& report, Timestamp now) = 0;
  // The attempt failed with `error`. Failures that are not the job's own fault (kInternal,
  // kUnavailable, kCancelled) go back to the queue while attempts remain; any other failure, or
  // the last attempt, leaves the job failed. Either way attempts grows by one and the job keeps
  // the error.
  virtual bool fail(const Lease& lease, const Error& error, Timestamp now) = 0;

  // Cancels a queued or running job and returns it; cancelling a cancelled job returns it as it
  // is. Throws Error{kNotFound} for an unknown id, Error{kConflict} for a succeeded or failed job.
  virtual Job cancel(std::string_view job_id, Timestamp now) = 0;

  // Throws Error{kNotFound} for an unknown id.
  virtual Job get(std::string_view job_id) = 0;
  // Matching jobs, newest first, at most filter.limit.
  virtual std::vector<Job> list(const JobFilter& filter) = 0;
  // For a queued job, how many queued jobs come before it in the queue order (0: next); nothing
  // for a job in any other status. Throws Error{kNotFound} for an unknown id.
  virtual std::optional<std::size_t> queue_position(std::string_view job_id) = 0;
  // The number of jobs in each status, every status present.
  virtual std::map<JobStatus, std::size_t> count_by_status() = 0;

  // Running jobs whose lease expired before `now` lose it: each counts a failed attempt with an
  // kInternal error and goes back to the queue, or fails when it has no attempts left. Returns how
  // many jobs it changed. Call it at start and then periodically.
  virtual std::size_t requeue_expired(Timestamp now) = 0;
  // Removes the finished jobs that finished before `cutoff` and returns them, so that the caller
  // can delete their files.
  virtual std::vector<Job> remove_finished_before(Timestamp cutoff) = 0;
};

}  // namespace orfeas
