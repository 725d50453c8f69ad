// The job service's use cases, free of HTTP: submit photos, look at jobs, cancel them, fetch
// their meshes in any format, and forget old ones. The web API (http/jobs_api.h) is a thin layer
// over it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/export/mesh_format.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/jobs/scheduler.h"

namespace orfeas {

struct JobServiceOptions {
  std::filesystem::path data_dir;  // holds uploads/ and results/, as the runner sees them
  std::size_t max_queue = 1000;    // queued jobs past which submissions are refused
  std::chrono::seconds retry_after{5};  // what a refused submitter is told to wait
  int max_attempts = 3;
  // Finished jobs older than this are removed with their files by remove_expired; 0 keeps all.
  std::chrono::seconds retention{0};
};

// One photo to turn into a mesh.
struct JobRequest {
  std::string image;        // the encoded photo
  nlohmann::json options;   // as MeshJobOptions::parse takes them
  std::string submitter;    // the queue is fair between submitters
  std::optional<std::string> idempotency_key;
};

// A job with what only the running service knows about it.
struct JobView {
  Job job;  // stage and progress are live when it runs in this process
  std::optional<std::size_t> queue_position;           // queued jobs only
  std::optional<std::chrono::milliseconds> eta;        // nothing until one of its method finished
};

// A result mesh file.
struct MeshFile {
  std::string bytes;
  MeshFormat format;
};

class JobService {
 public:
  // The store and scheduler must outlive the service.
  JobService(JobStore& store, Scheduler& scheduler, JobServiceOptions options);

  // Checks every request (options, and that the image is a supported format whose header reads),
  // stores the photos and enqueues the jobs, all or none, then wakes the scheduler. Several
  // requests share a batch id. Throws Error{kBadInput} naming what is wrong (and which image, for
  // several), and Error{kUnavailable} with details {"retry_after_seconds": N} when the queue
  // would grow past max_queue. A repeated idempotency key returns the earlier job.
  std::vector<EnqueueResult> submit(std::span<const JobRequest> requests);

  // Throws Error{kNotFound} for an unknown id.
  JobView view(std::string_view job_id) const;
  std::vector<Job> list(const JobFilter& filter) const;
  // Cancels in the store and stops the job at its next checkpoint if it runs here. Throws as
  // JobStore::cancel.
  Job cancel(std::string_view job_id);

  // The job's mesh in `format` (default: the format the job asked for); conversions are cached
  // beside the stored PLY. Throws Error{kNotFound} for an unknown id and Error{kConflict} for a
  // job that has not succeeded.
  MeshFile result(std::string_view job_id, std::optional<MeshFormat> format) const;

  // Removes the jobs finished more than `retention` before `now`, with their photos and meshes.
  // Returns how many; none when retention is 0.
  std::size_t remove_expired(Timestamp now);

  std::map<JobStatus, std::size_t> count_by_status() const;

 private:
  JobStore& store_;
  Scheduler& scheduler_;
  JobServiceOptions options_;
};

}  // namespace orfeas
