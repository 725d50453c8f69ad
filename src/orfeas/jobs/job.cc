#include "orfeas/jobs/job.h"

#include <array>
#include <cstdio>
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
  using namespace std::chrono;
  const sys_days day = floor<days>(time);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> clock(time - day);
  std::string text = "0000-00-00T00:00:00.000Z";
  // Writes `value` as `width` decimal digits ending just before `end`.
  auto put = [&text](std::size_t end, int width, long long value) {
    for (std::size_t i = end; width-- > 0; value /= 10)
      text[--i] = static_cast<char>('0' + value % 10);
  };
  put(4, 4, static_cast<int>(date.year()));
  put(7, 2, static_cast<unsigned>(date.month()));
  put(10, 2, static_cast<unsigned>(date.day()));
  put(13, 2, clock.hours().count());
  put(16, 2, clock.minutes().count());
  put(19, 2, clock.seconds().count());
  put(23, 3, clock.subseconds().count());
  return text;
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
