// Test helper: scheduler options for tests that run real jobs.
#pragma once

#include <chrono>

#include "orfeas/jobs/scheduler.h"

namespace orfeas::test {

// No waiting for a batch to fill, and a 10 ms poll, so that jobs start at once.
inline SchedulerOptions fast_scheduler_options() {
  SchedulerOptions options;
  options.max_queue_delay = std::chrono::milliseconds(0);
  options.poll_interval = std::chrono::milliseconds(10);
  return options;
}

}  // namespace orfeas::test
