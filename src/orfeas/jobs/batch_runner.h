// BatchRunner: what the scheduler hands a batch of claimed jobs to. The scheduler owns the queue,
// leases and heartbeats; a runner only does the work and reports how it went.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/core/progress.h"
#include "orfeas/jobs/job.h"

namespace orfeas {

// A job's result, already written in full at `result_path`.
struct JobResult {
  std::string result_path;
  nlohmann::json report;
};

// How one job of a batch ended: its result, or the Error it failed with.
using JobOutcome = std::variant<JobResult, Error>;

// Progress of the job at `index` in the batch: its stage and the fraction of that stage done.
using BatchProgressFn =
    std::function<void(std::size_t index, std::string_view stage, double fraction)>;

class BatchRunner {
 public:
  virtual ~BatchRunner() = default;

  // Runs the jobs, which share one batch key, and returns one outcome per job, in order. A job
  // whose token in `cancel` (one per job, same order) fires should stop at its next checkpoint
  // and end with Error{kCancelled}; the others carry on. `progress` may be called from any thread
  // the runner uses. A runner that throws fails every job of the batch with what it threw.
  virtual std::vector<JobOutcome> run(std::span<const Job> batch, const BatchProgressFn& progress,
                                      std::span<const CancelToken* const> cancel) = 0;

  // A result of run() that the store refused because its job was cancelled meanwhile: remove what
  // it wrote, so that a cancelled job leaves nothing behind. (A result refused for a lost lease is
  // kept: the job's next attempt writes the same place.) Must not throw.
  virtual void discard(const JobResult& result) { (void)result; }
};

}  // namespace orfeas
