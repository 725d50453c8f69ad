// Sizing batches of shape jobs to the device's memory, and splitting a batch that runs out of
// memory anyway.
//
// The planner starts from an estimate: the device's free memory divided by what one job needs
// at the peak of the pipeline (job_bytes, from the model's shapes). The estimate can be wrong
// (fragmentation, other processes, kernels' workspaces), so a batch that runs out of device
// memory is retried as two halves, down to single jobs, and the largest batch size that worked
// after such a failure caps the later batches.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

#include "orfeas/neural/hunyuan3d_model.h"
#include "orfeas/neural/shape_pipeline.h"

namespace orfeas::neural {

// Bytes one job of `settings` needs on the device beyond the weights, at the peak of the
// pipeline: the largest of the conditioner's, the DiT's (two rows with classifier-free guidance)
// and the volume decoder's working sets, each counting the attention scores as if materialised,
// plus the job's grid. Deliberately generous: the halving on out-of-memory is the backstop, not
// the plan.
int64_t estimate_job_bytes(const Hunyuan3dConfig& config, const ShapeSettings& settings,
                           at::ScalarType dtype);

// Bytes the next allocations on `device` can take: on CUDA the driver's free memory plus what
// the caching allocator holds unused; on the CPU the available physical memory.
int64_t free_device_bytes(at::Device device);

class BatchPlanner {
 public:
  // `free_bytes` answers how much memory is free now (free_device_bytes, or a stand-in in tests).
  explicit BatchPlanner(std::function<int64_t()> free_bytes);

  // The batch size to try next for `remaining` jobs of `job_bytes` each: at most `remaining`,
  // what free memory holds, and, after an out-of-memory failure, the largest size that worked;
  // at least 1.
  int64_t plan(int64_t remaining, int64_t job_bytes) const;

  // Runs jobs [0, count) as consecutive batches [begin, end) through `run_batch`, sized by
  // plan(). When `run_batch` throws c10::OutOfMemoryError the same jobs are run again as two
  // halves, recursively; a single job that runs out throws Error(kUnavailable). Any other
  // exception propagates at once. Not thread-safe.
  void run(int64_t count, int64_t job_bytes,
           const std::function<void(int64_t begin, int64_t end)>& run_batch);

  // The largest batch size that ran to the end (0 before any did).
  int64_t largest_worked() const { return largest_worked_; }
  // Whether some batch has run out of memory.
  bool ran_out() const { return ran_out_; }

 private:
  void run_range(int64_t begin, int64_t end,
                 const std::function<void(int64_t begin, int64_t end)>& run_batch);

  std::function<int64_t()> free_bytes_;
  int64_t largest_worked_ = 0;
  bool ran_out_ = false;
};

}  // namespace orfeas::neural
