// What the PostgreSQL store adds to the conformance tests: connection errors, the schema it
// records, and processes racing on one server.
#include "orfeas/jobs/postgres_job_store.h"

#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/postgres.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/jobs/test_postgres.h"

namespace orfeas {
namespace {

using test::error_of;

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Timestamp kT0{milliseconds(1714566600000)};

NewJob request(std::string submitter) {
  NewJob job;
  job.submitter = std::move(submitter);
  job.method = "inflate";
  job.batch_key = "inflate/192";
  job.input_path = "/in.png";
  return job;
}

class PostgresJobStoreTest : public testing::Test {
 protected:
  TestDirectory directory_;
  std::string conninfo_ = test_postgres_schema(directory_.path());
};

TEST(PostgresJobStoreOpenTest, AnUnreachableServerIsUnavailableAndNamedWithoutThePassword) {
  Error error = error_of([] {
    PostgresJobStore(
        "host=127.0.0.1 port=1 dbname=queue user=worker password=hunter2 "
        "connect_timeout=5");
  });
  EXPECT_EQ(error.code(), ErrorCode::kUnavailable);
  EXPECT_NE(error.message().find("127.0.0.1:1/queue"), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find("hunter2"), std::string::npos) << error.message();

  error = error_of([] { PostgresJobStore("service=no-such-service"); });
  EXPECT_EQ(error.code(), ErrorCode::kUnavailable);
  EXPECT_NE(error.message().find("no-such-service"), std::string::npos) << error.message();
}

TEST(PostgresJobStoreOpenTest, AMalformedConnectionStringIsBadInput) {
  for (const char* conninfo : {"host=127.0.0.1 port", "no_such_option=1", "postgresql://[::1"}) {
    EXPECT_EQ(error_of([&] { PostgresJobStore{conninfo}; }).code(), ErrorCode::kBadInput)
        << conninfo;
  }
}

TEST_F(PostgresJobStoreTest, RecordsTheSchemaVersionOnce) {
  PostgresJobStore first(conninfo_);
  PostgresJobStore second(conninfo_);
  PostgresResult versions =
      PostgresConnection(conninfo_).query("SELECT version FROM schema_version");
  ASSERT_EQ(versions.rows(), 1);
  EXPECT_EQ(versions.integer(0, 0), 1);
}

TEST_F(PostgresJobStoreTest, StoresOpeningTogetherCreateTheSchemaOnce) {
  std::vector<std::thread> openers;
  for (int i = 0; i < 4; ++i) {
    openers.emplace_back([this] { EXPECT_NO_THROW(PostgresJobStore store(conninfo_)); });
  }
  for (std::thread& opener : openers) opener.join();
  EXPECT_EQ(PostgresConnection(conninfo_).query("SELECT version FROM schema_version").rows(), 1);
}

TEST_F(PostgresJobStoreTest, ASchemaNewerThanThisBuildIsBadInput) {
  { PostgresJobStore store(conninfo_); }
  PostgresConnection(conninfo_).execute("INSERT INTO schema_version (version) VALUES (99)");
  Error error = error_of([&] { PostgresJobStore store(conninfo_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("99"), std::string::npos) << error.message();
}

TEST_F(PostgresJobStoreTest, TwoConnectionsClaimingConcurrentlyNeverShareAJob) {
  constexpr int kJobs = 200;
  PostgresJobStore first(conninfo_);
  PostgresJobStore second(conninfo_);
  std::vector<NewJob> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(request(std::to_string(i % 5)));
  first.enqueue_batch(jobs, kT0);

  std::vector<std::string> claimed[2];
  auto work = [](JobStore& store, std::vector<std::string>& ids) {
    for (;;) {
      std::vector<Claim> claims = store.claim_batch(1, seconds(30), kT0);
      if (claims.empty()) return;
      ids.push_back(claims.front().job.id);
    }
  };
  std::thread a(work, std::ref(first), std::ref(claimed[0]));
  std::thread b(work, std::ref(second), std::ref(claimed[1]));
  a.join();
  b.join();

  EXPECT_FALSE(claimed[0].empty());
  EXPECT_FALSE(claimed[1].empty());
  std::set<std::string> ids(claimed[0].begin(), claimed[0].end());
  ids.insert(claimed[1].begin(), claimed[1].end());
  EXPECT_EQ(ids.size(), claimed[0].size() + claimed[1].size());
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kJobs));
}

TEST_F(PostgresJobStoreTest, ConcurrentRepeatsOfAnIdempotentRequestMakeOneJob) {
  PostgresJobStore first(conninfo_);
  PostgresJobStore second(conninfo_);
  NewJob job = request("a");
  job.idempotency_key = "upload-1";
  std::vector<std::string> ids[2];
  auto submit = [&job](JobStore& store, std::vector<std::string>& out) {
    for (int i = 0; i < 20; ++i) out.push_back(store.enqueue(job, kT0).job.id);
  };
  std::thread a(submit, std::ref(first), std::ref(ids[0]));
  std::thread b(submit, std::ref(second), std::ref(ids[1]));
  a.join();
  b.join();
  std::set<std::string> distinct(ids[0].begin(), ids[0].end());
  distinct.insert(ids[1].begin(), ids[1].end());
  EXPECT_EQ(distinct.size(), 1u);
  EXPECT_EQ(first.count_by_status()[JobStatus::kQueued], 1u);
}

TEST_F(PostgresJobStoreTest, AClaimWaitingTooLongForTheQueueIsUnavailable) {
  PostgresJobStore store(conninfo_, milliseconds(100));
  store.enqueue(request("a"), kT0);
  PostgresConnection other(conninfo_);
  PostgresTransaction holding(other);
  other.query(
      "SELECT pg_advisory_xact_lock(hashtext('orfeas.jobs.queue'), hashtext(current_schema()))");
  EXPECT_EQ(error_of([&] { store.claim_batch(1, seconds(30), kT0); }).code(),
            ErrorCode::kUnavailable);
  EXPECT_EQ(store.count_by_status()[JobStatus::kQueued], 1u);  // the failed claim left no trace
}

TEST_F(PostgresJobStoreTest, ALostConnectionIsUnavailableThenReconnects) {
  PostgresJobStore store(conninfo_ + " application_name=lost");
  std::string id = store.enqueue(request("a"), kT0).job.id;
  PostgresConnection(conninfo_).query(
      "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1",
      std::string_view("lost"));
  EXPECT_EQ(error_of([&] { store.get(id); }).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store.claim_batch(1, seconds(30), kT0).size(),
            1u);  // in a transaction, connected again
  EXPECT_EQ(store.get(id).status, JobStatus::kRunning);
}

}  // namespace
}  // namespace orfeas
