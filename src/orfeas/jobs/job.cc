#include "orfeas/jobs/job.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <random>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr std::array<std::string_view, 5> kStatusNames = {"queued", "running", "succeeded",
                                                          "failed", "cancelled"};

nlohmann::json timestamp_or_null(const std::optional<Timestamp>& time) {
  return time ? nlohmann::json(format_timestamp(*time)) : nlohmann::json(nullptr);
}

}  // namespace

std::string_view job_status_name(JobStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

JobStatus parse_job_status(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<JobStatus>(i);
  }
  throw Error(ErrorCode::kBadInput, "unknown job status \"" + std::string(name) +
                                        "\"; expected queued, running, succeeded, failed or "
                                        "cancelled");
}

bool is_finished(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed ||
         status == JobStatus::kCancelled;
}

std::string format_timestamp(Timestamp time) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  auto millis = (time - seconds).count();
  std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::array<char, 96> text{};  // room for any int fields, to satisfy -Wformat-truncation
  std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text.data();
}

nlohmann::json to_json(const Job& job) {
  nlohmann::json error = nullptr;
  if (job.error) error = {{"code", job.error->code}, {"message", job.error->message}};
  return {{"job_id", job.id},
          {"status", job_status_name(job.status)},
          {"stage", job.stage},
          {"progress", job.progress},
          {"priority", job.priority},
          {"method", job.method},
          {"options", job.options},
          {"batch_id", job.batch_id ? nlohmann::json(*job.batch_id) : nlohmann::json(nullptr)},
          {"attempts", job.attempts},
          {"max_attempts", job.max_attempts},
          {"error", error},
          {"report", job.report},
          {"created_at", format_timestamp(job.created_at)},
          {"started_at", timestamp_or_null(job.started_at)},
          {"finished_at", timestamp_or_null(job.finished_at)}};
}

std::string new_job_id() {
  std::random_device random;
  std::array<char, 33> text{};
  std::snprintf(text.data(), text.size(), "%08x%08x%08x%08x", random(), random(), random(),
                random());
  return text.data();
}

void check_new_jobs(std::span<const NewJob> requests) {
  for (const NewJob& request : requests) {
    if (request.max_attempts < 1) {
      throw Error(ErrorCode::kBadInput,
                  "max_attempts must be at least 1, got " + std::to_string(request.max_attempts));
    }
  }
}

Job queued_job(const NewJob& request, const std::optional<std::string>& batch_id, Timestamp now) {
  Job job;
  job.id = new_job_id();
  job.priority = request.priority;
  job.submitter = request.submitter;
  job.idempotency_key = request.idempotency_key;
  job.method = request.method;
  job.options = request.options;
  job.batch_key = request.batch_key;
  job.batch_id = batch_id;
  job.input_path = request.input_path;
  job.max_attempts = request.max_attempts;
  job.created_at = now;
  return job;
}

bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kInternal || code == ErrorCode::kUnavailable ||
         code == ErrorCode::kCancelled;
}

Error job_not_found(std::string_view job_id) {
  return Error(ErrorCode::kNotFound, "no job with id " + std::string(job_id));
}

}  // namespace orfeas
