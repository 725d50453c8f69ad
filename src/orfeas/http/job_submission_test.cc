// Parsing is exercised route by route in jobs_api_test.cc; this covers what the routes share.
#include "orfeas/http/job_submission.h"

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

Request json_request(std::string body, HeaderList extra = {}) {
  Request request;
  request.headers = {{"Content-Type", "application/json"}};
  for (auto& header : extra) request.headers.push_back(std::move(header));
  request.body = std::move(body);
  return request;
}

TEST(JobSubmissionTest, EveryImageBecomesARequestOfTheSubmitterWithItsOwnKey) {
  Request request = json_request(R"({"images": ["aGk=", "aGk="], "resolution": 40})",
                                 {{"Idempotency-Key", "k1"}});
  Submission submission = parse_submission(request);
  ASSERT_EQ(submission.images.size(), 2u);
  EXPECT_EQ(submission.images[0], "hi");
  EXPECT_EQ(submission.options, (nlohmann::json{{"resolution", 40}}));
  std::vector<JobRequest> jobs = job_requests(request, submission, "agent:agt_1");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].submitter, "agent:agt_1");
  EXPECT_EQ(jobs[0].idempotency_key, "k1#0");
  EXPECT_EQ(jobs[1].idempotency_key, "k1#1");
  EXPECT_EQ(jobs[1].options["resolution"], 40);
}

TEST(JobSubmissionTest, OneImageKeepsTheKeyAsSentAndNoKeyMeansNone) {
  Request keyed = json_request(R"({"image": "aGk="})", {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(job_requests(keyed, parse_submission(keyed), "s")[0].idempotency_key, "k1");
  Request plain = json_request(R"({"image": "aGk="})");
  EXPECT_FALSE(job_requests(plain, parse_submission(plain), "s")[0].idempotency_key);
}

TEST(JobSubmissionTest, ARequestWithoutImagesOrWithABadKeyIsRefused) {
  EXPECT_EQ(test::code_of([] { parse_submission(json_request(R"({"resolution": 4})")); }),
            ErrorCode::kBadInput);
  Request bad_key =
      json_request(R"({"image": "aGk="})", {{"Idempotency-Key", std::string(201, 'k')}});
  EXPECT_EQ(test::code_of([&] { job_requests(bad_key, parse_submission(bad_key), "s"); }),
            ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas
