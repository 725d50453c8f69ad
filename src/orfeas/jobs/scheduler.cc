#include "orfeas/jobs/scheduler.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace orfeas {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

Timestamp wall_now() {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

// A claimed batch while it runs: what the runner, the heartbeat thread and stop() share.
struct Scheduler::RunningBatch {
  struct JobState {
    std::string stage;
    double fraction = 0;
    bool lost = false;  // a heartbeat was refused: the job was cancelled or requeued
    StageTrace trace;
  };

  explicit RunningBatch(std::vector<Claim> claimed) : claims(std::move(claimed)) {
    for (const Claim& claim : claims) {
      jobs.push_back(claim.job);
      tokens.push_back(std::make_unique<CancelToken>());
      token_views.push_back(tokens.back().get());
      states.push_back(JobState{"", 0, false, StageTrace(SteadyClock::now())});
    }
  }

  void cancel_all() {
    for (auto& token : tokens) token->cancel();
  }

  std::vector<Claim> claims;
  std::vector<Job> jobs;
  std::vector<std::unique_ptr<CancelToken>> tokens;  // a CancelToken cannot move
  std::vector<const CancelToken*> token_views;
  std::mutex mutex;  // guards states and done
  std::condition_variable done_changed;
  std::vector<JobState> states;
  bool done = false;
};

Scheduler::Scheduler(JobStore& store, BatchRunner& runner, SchedulerOptions options)
    : store_(store), runner_(runner), options_(std::move(options)) {
  if (options_.max_batch == 0 || options_.workers == 0) {
    throw Error(ErrorCode::kBadInput, "a scheduler needs max_batch and workers of at least 1");
  }
  if (options_.heartbeat_interval >= options_.lease) {
    throw Error(ErrorCode::kBadInput, "the heartbeat interval must be shorter than the lease");
  }
}

Scheduler::~Scheduler() { stop(SteadyClock::now()); }

void Scheduler::start() {
  store_.requeue_expired(wall_now());
  std::lock_guard lock(mutex_);
  if (started_) throw Error(ErrorCode::kConflict, "the scheduler has already been started");
  started_ = true;
  active_workers_ = options_.workers;
  for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
}

void Scheduler::stop(SteadyClock::time_point deadline) {
  std::vector<std::thread> workers;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
    if (!wake_.wait_until(lock, deadline, [&] { return active_workers_ == 0; })) {
      cancelling_ = true;
      for (RunningBatch* batch : running_) batch->cancel_all();
    }
    workers.swap(workers_);
  }
  for (std::thread& worker : workers) worker.join();
}

void Scheduler::notify_enqueued() {
  {
    std::lock_guard lock(mutex_);
    ++enqueued_;
  }
  wake_.notify_one();
}

void Scheduler::cancel_running(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  for (RunningBatch* batch : running_) {
    for (std::size_t i = 0; i < batch->jobs.size(); ++i) {
      if (batch->jobs[i].id == job_id) batch->tokens[i]->cancel();
    }
  }
}

std::optional<LiveProgress> Scheduler::progress(std::string_view job_id) const {
  std::lock_guard lock(mutex_);
  for (RunningBatch* batch : running_) {
    for (std::size_t i = 0; i < batch->jobs.size(); ++i) {
      if (batch->jobs[i].id != job_id) continue;
      std::lock_guard batch_lock(batch->mutex);
      return LiveProgress{batch->states[i].stage, batch->states[i].fraction};
    }
  }
  return std::nullopt;
}

std::optional<milliseconds> Scheduler::eta(const Job& job) const {
  if (is_finished(job.status)) return milliseconds(0);
  if (job.status == JobStatus::kQueued) return clock_.remaining(job.method, "", 0);
  return clock_.remaining(job.method, job.stage, job.progress);
}

void Scheduler::work() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    try {
      std::vector<Claim> claims;
      {
        std::lock_guard taking(taking_);
        claims = take_batch();
      }
      if (!claims.empty()) run_batch(std::move(claims));
    } catch (const std::exception&) {
      // The store failed (busy, unreachable); claimed jobs whose end was not recorded go back
      // to the queue when their leases run out. Try again after a pause.
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
    }
  }
  std::lock_guard lock(mutex_);
  --active_workers_;
  wake_.notify_all();
}

std::vector<Claim> Scheduler::take_batch() {
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return {};
      seen = enqueued_;
    }
    if (SteadyClock::now() >= next_requeue_) {
      store_.requeue_expired(wall_now());
      next_requeue_ = SteadyClock::now() + options_.lease;
    }
    std::vector<Job> next = store_.peek_batch(options_.max_batch);
    milliseconds wait = options_.poll_interval;
    if (!next.empty()) {
      Timestamp oldest = std::min_element(next.begin(), next.end(), [](const Job& a, const Job& b) {
                           return a.created_at < b.created_at;
                         })->created_at;
      milliseconds waited = wall_now() - oldest;
      if (next.size() >= options_.max_batch || waited >= options_.max_queue_delay) {
        std::vector<Claim> claims =
            store_.claim_batch(options_.max_batch, options_.lease, wall_now());
        if (!claims.empty()) return claims;
        continue;  // another process took them
      }
      wait = std::min(wait, options_.max_queue_delay - waited);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [&] { return stopping_ || enqueued_ != seen; });
  }
}

void Scheduler::run_batch(std::vector<Claim> claims) {
  RunningBatch batch(std::move(claims));
  std::list<RunningBatch*>::iterator registered;
  {
    std::lock_guard lock(mutex_);
    registered = running_.insert(running_.end(), &batch);
    if (cancelling_) batch.cancel_all();
  }
  std::thread beat([&] { heartbeat(batch); });

  BatchProgressFn progress = [&](std::size_t index, std::string_view stage, double fraction) {
    bool entered = false;
    {
      std::lock_guard lock(batch.mutex);
      if (index >= batch.states.size()) return;
      RunningBatch::JobState& state = batch.states[index];
      entered = state.stage != stage;
      state.stage = stage;
      state.fraction = fraction >= 0 && fraction <= 1 ? fraction : (fraction > 1 ? 1 : 0);
      state.trace.enter(stage, SteadyClock::now());
    }
    if (entered && options_.on_stage_entered) {
      options_.on_stage_entered(batch.jobs[index].id, stage);
    }
  };
  std::size_t size = batch.jobs.size();
  std::vector<JobOutcome> outcomes;
  try {
    outcomes = runner_.run(batch.jobs, progress, batch.token_views);
    if (outcomes.size() != size) {
      throw Error(ErrorCode::kInternal, "the batch runner returned " +
                                            std::to_string(outcomes.size()) + " outcomes for " +
                                            std::to_string(size) + " jobs");
    }
  } catch (const Error& e) {
    outcomes.assign(size, e);
  } catch (const std::exception& e) {
    outcomes.assign(size, Error(ErrorCode::kInternal,
                                "the batch failed on " + options_.worker_name + ": " + e.what()));
  }

  {
    std::lock_guard lock(batch.mutex);
    batch.done = true;
  }
  batch.done_changed.notify_all();
  beat.join();
  finish(batch, std::move(outcomes));
  std::lock_guard lock(mutex_);
  running_.erase(registered);
}

void Scheduler::heartbeat(RunningBatch& batch) {
  std::unique_lock lock(batch.mutex);
  while (
      !batch.done_changed.wait_for(lock, options_.heartbeat_interval, [&] { return batch.done; })) {
    std::vector<RunningBatch::JobState> states = batch.states;
    lock.unlock();
    std::vector<bool> refused(states.size(), false);
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (states[i].lost) continue;
      try {
        refused[i] = !store_.heartbeat(batch.claims[i].lease, states[i].stage, states[i].fraction,
                                       wall_now());
      } catch (const std::exception&) {
        // The store is busy or unreachable: try again at the next beat, within the lease.
      }
      if (refused[i]) batch.tokens[i]->cancel();
    }
    lock.lock();
    for (std::size_t i = 0; i < refused.size(); ++i) {
      if (refused[i]) batch.states[i].lost = true;
    }
  }
}

void Scheduler::finish(RunningBatch& batch, std::vector<JobOutcome> outcomes) {
  SteadyClock::time_point ended = SteadyClock::now();
  bool stopped = false;  // cancelled by stop(), not by a user
  {
    std::lock_guard lock(mutex_);
    stopped = cancelling_;
  }
  std::vector<std::vector<StageTime>> succeeded;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const Lease& lease = batch.claims[i].lease;
    try {
      if (const auto* result = std::get_if<JobResult>(&outcomes[i])) {
        if (store_.complete(lease, result->result_path, result->report, wall_now())) {
          std::lock_guard lock(batch.mutex);
          succeeded.push_back(batch.states[i].trace.finish(ended));
          clock_.record(batch.jobs[i].method, succeeded.back());
        } else if (store_.get(lease.job_id).status == JobStatus::kCancelled) {
          runner_.discard(*result);
        }
      } else {
        Error error = std::get<Error>(outcomes[i]);
        if (stopped && error.code() == ErrorCode::kCancelled) {
          error = Error(ErrorCode::kCancelled,
                        options_.worker_name + " stopped before the job finished");
        }
        store_.fail(lease, error, wall_now());
      }
    } catch (const std::exception&) {
      // Not recorded: the lease runs out and requeue_expired puts the job back.
    }
  }
  if (options_.on_batch_finished) options_.on_batch_finished(outcomes.size(), succeeded);
}

}  // namespace orfeas
