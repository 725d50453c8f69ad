#include "orfeas/jobs/job.h"

#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;

// 2024-05-01T12:30:00.250Z
constexpr Timestamp kMayDay{milliseconds(1714566600250)};

TEST(JobStatusTest, NamesRoundTrip) {
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kSucceeded,
                           JobStatus::kFailed, JobStatus::kCancelled}) {
    EXPECT_EQ(parse_job_status(job_status_name(status)), status);
  }
  EXPECT_EQ(job_status_name(JobStatus::kCancelled), "cancelled");
}

TEST(JobStatusTest, UnknownNameIsACallerErrorListingTheValidOnes) {
  try {
    parse_job_status("done");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(e.message().find("\"done\""), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("succeeded"), std::string::npos) << e.message();
  }
}

TEST(JobStatusTest, OnlySucceededFailedAndCancelledAreFinished) {
  EXPECT_FALSE(is_finished(JobStatus::kQueued));
  EXPECT_FALSE(is_finished(JobStatus::kRunning));
  EXPECT_TRUE(is_finished(JobStatus::kSucceeded));
  EXPECT_TRUE(is_finished(JobStatus::kFailed));
  EXPECT_TRUE(is_finished(JobStatus::kCancelled));
}

TEST(FormatTimestampTest, IsIso8601UtcWithMilliseconds) {
  EXPECT_EQ(format_timestamp(kMayDay), "2024-05-01T12:30:00.250Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00.000Z");
  using namespace std::chrono;
  EXPECT_EQ(format_timestamp(sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms),
            "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(sys_days{1999y / December / 31} + 1ms), "1999-12-31T00:00:00.001Z");
  EXPECT_EQ(format_timestamp(sys_days{9999y / December / 31}), "9999-12-31T00:00:00.000Z");
}

TEST(JobToJsonTest, QueuedJobHasNullsForWhatHasNotHappened) {
  Job job;
  job.id = "abc";
  job.method = "inflate";
  job.options = {{"resolution", 128}};
  job.priority = 2;
  job.created_at = kMayDay;
  job.input_path = "/srv/in.png";
  job.submitter = "agent-7";
  job.idempotency_key = "k";
  nlohmann::json json = to_json(job);
  EXPECT_EQ(json, nlohmann::json::parse(R"({
    "job_id": "abc", "status": "queued", "stage": "", "progress": 0.0, "priority": 2,
    "method": "inflate", "options": {"resolution": 128}, "batch_id": null, "attempts": 0,
    "max_attempts": 3, "error": null, "report": null, "created_at": "2024-05-01T12:30:00.250Z",
    "started_at": null, "finished_at": null})"));
}

TEST(JobToJsonTest, FinishedJobShowsItsErrorBatchAndTimes) {
  Job job;
  job.id = "abc";
  job.status = JobStatus::kFailed;
  job.stage = "mesh";
  job.progress = 0.5;
  job.batch_id = "b1";
  job.error = JobError{"internal", "out of memory"};
  job.attempts = 3;
  job.created_at = kMayDay;
  job.started_at = kMayDay + milliseconds(1000);
  job.finished_at = kMayDay + milliseconds(2500);
  nlohmann::json json = to_json(job);
  EXPECT_EQ(json["status"], "failed");
  EXPECT_EQ(json["stage"], "mesh");
  EXPECT_EQ(json["progress"], 0.5);
  EXPECT_EQ(json["batch_id"], "b1");
  EXPECT_EQ(json["error"],
            nlohmann::json::parse(R"({"code":"internal","message":"out of memory"})"));
  EXPECT_EQ(json["started_at"], "2024-05-01T12:30:01.250Z");
  EXPECT_EQ(json["finished_at"], "2024-05-01T12:30:02.750Z");
}

TEST(QueuedJobTest, CopiesTheRequestWithAFreshId) {
  NewJob request;
  request.submitter = "web:127.0.0.1";
  request.method = "inflate";
  request.priority = 3;
  const Job a = queued_job(request, std::string("batch"), Timestamp(std::chrono::milliseconds(5)));
  const Job b = queued_job(request, std::nullopt, Timestamp(std::chrono::milliseconds(5)));
  EXPECT_EQ(a.id.size(), 32u);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.status, JobStatus::kQueued);
  EXPECT_EQ(a.priority, 3);
  EXPECT_EQ(a.batch_id, "batch");
  EXPECT_EQ(a.submitter, "web:127.0.0.1");
}

TEST(IsRetryableTest, OnlyFailuresThatDoNotBlameTheInput) {
  EXPECT_TRUE(is_retryable(ErrorCode::kInternal));
  EXPECT_TRUE(is_retryable(ErrorCode::kUnavailable));
  EXPECT_TRUE(is_retryable(ErrorCode::kCancelled));
  EXPECT_FALSE(is_retryable(ErrorCode::kBadInput));
  EXPECT_FALSE(is_retryable(ErrorCode::kTooLarge));
  EXPECT_EQ(job_not_found("abc").code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orfeas
