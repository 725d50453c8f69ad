// Progress and ETA for running jobs, learned from the jobs that finished before them.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orfeas {

// One stage of a job and the time it spent in it.
struct StageTime {
  std::string stage;
  std::chrono::milliseconds duration{0};
};

// For each method, an exponentially weighted moving average of each stage's duration, and the
// order of the stages as the latest finished job of that method went through them. Thread-safe.
class StageClock {
 public:
  // `weight`, in (0, 1]: how much the newest finished job counts in each average (else
  // Error{kBadInput}).
  explicit StageClock(double weight = 0.3);

  // A job of `method` finished after going through `stages`, in order.
  void record(std::string_view method, std::span<const StageTime> stages);

  // The expected time left for a job of `method` that has done `progress` (clamped to [0, 1]) of
  // `stage`: the rest of that stage plus the expected times of the stages after it. An empty
  // stage is a job that has not reported one yet: all of its stages are left. Nothing until a
  // job of `method` has finished, nor for a stage no finished job went through.
  std::optional<std::chrono::milliseconds> remaining(std::string_view method,
                                                     std::string_view stage, double progress) const;

 private:
  struct Method {
    std::vector<std::string> order;
    std::map<std::string, double, std::less<>> average_ms;
  };
  double weight_;
  mutable std::mutex mutex_;
  std::map<std::string, Method, std::less<>> methods_;
};

// The stages one job goes through and how long it spends in each, from the stages it reports.
// Not thread-safe: one per job, guarded by its owner.
class StageTrace {
 public:
  using Clock = std::chrono::steady_clock;

  explicit StageTrace(Clock::time_point start) : entered_(start) {}

  // The job reports `stage` at `now`. Another stage than the current one ends the current one;
  // a stage seen before adds to its earlier time. Time before the first stage counts for none.
  void enter(std::string_view stage, Clock::time_point now);
  // The stages so far in the order first seen, the current one ending at `now`.
  std::vector<StageTime> finish(Clock::time_point now) const;

 private:
  std::vector<StageTime> stages_;
  std::optional<std::size_t> current_;  // index into stages_
  Clock::time_point entered_;           // when the current stage (or the trace) began
};

}  // namespace orfeas
