// A Job: one photo-to-mesh request as the service stores it, from submission to its result.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"

namespace orfeas {

// Wall-clock time at millisecond precision, the precision stores keep.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// queued → running → succeeded | failed | cancelled. A running job may also go back to queued
// (its worker failed in a way worth retrying, or was lost).
enum class JobStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

// "queued", "running", "succeeded", "failed", "cancelled".
std::string_view job_status_name(JobStatus status);
// The inverse of job_status_name; throws Error{kBadInput} naming the valid names.
JobStatus parse_job_status(std::string_view name);
// Succeeded, failed or cancelled: the job will not change again.
bool is_finished(JobStatus status);

// Why the last attempt of a job failed. `code` is an ErrorCode's wire name ("internal", ...).
struct JobError {
  std::string code;
  std::string message;
  bool operator==(const JobError&) const = default;
};

// What a submitter asks for.
struct NewJob {
  std::string submitter;                       // who asked; the queue is fair between submitters
  std::optional<std::string> idempotency_key;  // a repeat from the same submitter is the same job
  std::string method;                          // the generator's name
  nlohmann::json options = nlohmann::json::object();  // the generator's resolved options
  std::string batch_key;   // jobs with equal keys may run in one generator batch
  std::string input_path;  // the stored input image
  int priority = 0;        // higher runs first
  int max_attempts = 3;    // at least 1
};

struct Job {
  std::string id;
  JobStatus status = JobStatus::kQueued;
  std::string stage;    // the stage the running (or last) attempt reported; empty while queued
  double progress = 0;  // of that stage, in [0, 1]
  int priority = 0;
  std::string submitter;
  std::optional<std::string> idempotency_key;
  std::string method;
  nlohmann::json options = nlohmann::json::object();
  std::string batch_key;
  std::optional<std::string> batch_id;  // shared by the jobs submitted together with this one
  std::string input_path;
  std::string result_path;        // set when the job succeeds
  nlohmann::json report;          // set when the job succeeds; null before
  std::optional<JobError> error;  // of the last failed attempt; cleared on success
  int attempts = 0;               // attempts that ended without success
  int max_attempts = 3;
  Timestamp created_at;
  std::optional<Timestamp> started_at;   // of the current or last attempt
  std::optional<Timestamp> finished_at;  // when it succeeded, failed or was cancelled

  bool operator==(const Job&) const = default;
};

// The job as the API shows it: job_id, status, stage, progress, priority, method, options,
// batch_id, attempts, max_attempts, error ({code, message} or null), report, created_at,
// started_at, finished_at (ISO 8601 UTC with milliseconds, or null). Server paths, the submitter
// and the idempotency key are left out.
nlohmann::json to_json(const Job& job);

// "2024-05-01T12:30:00.250Z" (UTC; years 0 to 9999).
std::string format_timestamp(Timestamp time);

// Helpers every JobStore shares.

// 128 random bits in hex: unique across processes without coordination.
std::string new_job_id();

// Throws Error{kBadInput} unless every request is well-formed (max_attempts at least 1).
void check_new_jobs(std::span<const NewJob> requests);

// The queued job a request becomes, with a fresh id.
Job queued_job(const NewJob& request, const std::optional<std::string>& batch_id, Timestamp now);

// Whether a failed attempt may be retried: internal and unavailable errors, and a worker that was
// cancelled by its own shutdown. Errors that blame the input fail the job at once.
bool is_retryable(ErrorCode code);

// Error{kNotFound} naming the job.
Error job_not_found(std::string_view job_id);

}  // namespace orfeas
