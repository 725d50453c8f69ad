#include "orfeas/jobs/job_service.h"

#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "orfeas/export/atomic_file.h"
#include "orfeas/export/decode_ply.h"
#include "orfeas/export/mesh_writer.h"
#include "orfeas/imaging/decode.h"
#include "orfeas/jobs/mesh_job_options.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;

Timestamp wall_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (!file) throw Error(ErrorCode::kInternal, "cannot read the stored result " + path.string());
  return bytes;
}

// Prefixes the message of an error about one of several images with which one it is.
Error about_image(const Error& error, std::size_t index, std::size_t count) {
  if (count == 1) return error;
  nlohmann::json details = error.details();
  details["image"] = index;
  return Error(error.code(), "image " + std::to_string(index) + ": " + error.what(), details);
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

JobService::JobService(JobStore& store, Scheduler& scheduler, JobServiceOptions options)
    : store_(store), scheduler_(scheduler), options_(std::move(options)) {}

std::vector<EnqueueResult> JobService::submit(std::span<const JobRequest> requests) {
  if (requests.empty()) throw Error(ErrorCode::kBadInput, "no image was given");
  std::vector<NewJob> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const JobRequest& request = requests[i];
    try {
      MeshJobOptions options = MeshJobOptions::parse(request.options);
      ImageHeader header = check_image(bytes_of(request.image));
      NewJob job;
      job.submitter = request.submitter;
      job.idempotency_key = request.idempotency_key;
      job.method = options.method;
      job.options = options.stored();
      job.batch_key = options.batch_key();
      job.priority = options.priority;
      job.max_attempts = options_.max_attempts;
      job.input_path = "uploads/" + new_job_id() + "." + std::string(image_format_name(header.format));
      jobs.push_back(std::move(job));
    } catch (const Error& e) {
      throw about_image(e, i, requests.size());
    }
  }

  std::size_t queued = store_.count_by_status()[JobStatus::kQueued];
  if (queued + jobs.size() > options_.max_queue) {
    throw Error(ErrorCode::kUnavailable,
                "the queue is full (" + std::to_string(queued) + " jobs wait); try again later",
                {{"retry_after_seconds", options_.retry_after.count()}});
  }

  fs::create_directories(options_.data_dir / "uploads");
  std::vector<EnqueueResult> results;
  try {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      write_file_atomically(options_.data_dir / jobs[i].input_path, requests[i].image);
    }
    results = store_.enqueue_batch(jobs, wall_now());
  } catch (...) {
    for (const NewJob& job : jobs) remove_quietly(options_.data_dir / job.input_path);
    throw;
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!results[i].created) remove_quietly(options_.data_dir / jobs[i].input_path);
  }
  scheduler_.notify_enqueued();
  return results;
}

JobView JobService::view(std::string_view job_id) const {
  JobView view{store_.get(job_id), std::nullopt, std::nullopt};
  if (view.job.status == JobStatus::kRunning) {
    if (std::optional<LiveProgress> live = scheduler_.progress(job_id)) {
      view.job.stage = live->stage;
      view.job.progress = live->fraction;
    }
  }
  if (view.job.status == JobStatus::kQueued) view.queue_position = store_.queue_position(job_id);
  view.eta = scheduler_.eta(view.job);
  return view;
}

std::vector<Job> JobService::list(const JobFilter& filter) const { return store_.list(filter); }

Job JobService::cancel(std::string_view job_id) {
  Job job = store_.cancel(job_id, wall_now());
  scheduler_.cancel_running(job_id);
  return job;
}

MeshFile JobService::result(std::string_view job_id, std::optional<MeshFormat> format) const {
  Job job = store_.get(job_id);
  if (job.status != JobStatus::kSucceeded) {
    throw Error(ErrorCode::kConflict,
                "job " + job.id + " is " + std::string(job_status_name(job.status)) +
                    "; its result exists once it has succeeded",
                {{"status", job_status_name(job.status)}});
  }
  MeshFormat wanted = format.value_or(
      MeshJobOptions::from_stored(job.method, job.options, job.priority).format);
  fs::path stored = options_.data_dir / job.result_path;
  if (wanted == MeshFormat::kPly) return {read_whole_file(stored), wanted};
  fs::path converted = stored;
  converted.replace_extension(mesh_format_name(wanted));
  if (fs::exists(converted)) return {read_whole_file(converted), wanted};
  std::string bytes = encode_mesh(decode_ply(read_whole_file(stored)), wanted);
  write_file_atomically(converted, bytes);
  return {std::move(bytes), wanted};
}

std::size_t JobService::remove_expired(Timestamp now) {
  if (options_.retention.count() == 0) return 0;
  std::vector<Job> removed = store_.remove_finished_before(now - options_.retention);
  for (const Job& job : removed) {
    remove_quietly(options_.data_dir / job.input_path);
    if (job.result_path.empty()) continue;
    fs::path result = options_.data_dir / job.result_path;
    for (MeshFormat format : {MeshFormat::kStl, MeshFormat::kObj, MeshFormat::kPly,
                              MeshFormat::kGlb, MeshFormat::k3mf}) {
      remove_quietly(fs::path(result).replace_extension(mesh_format_name(format)));
    }
  }
  return removed.size();
}

std::map<JobStatus, std::size_t> JobService::count_by_status() const {
  return store_.count_by_status();
}

}  // namespace orfeas
