// What is particular to the SQLite store: the file itself, its settings and schema, failures of
// the file, and crashes of the processes that share it. The JobStore behaviour is tested in
// job_store_conformance_test.cc.
#include "orfeas/jobs/sqlite_job_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/sqlite.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using test::error_of;

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Timestamp kT0{milliseconds(1714566600000)};
constexpr milliseconds kLease = seconds(30);

NewJob request() {
  NewJob job;
  job.submitter = "agent";
  job.method = "inflate";
  job.batch_key = "inflate/192";
  job.input_path = "/in.png";
  return job;
}

std::string query_text(SqliteDatabase& db, std::string_view sql) {
  SqliteStatement statement(db, sql);
  SqliteRows rows = statement.query();
  EXPECT_TRUE(rows.next()) << sql;
  return rows.text(0);
}

// Runs `child` in a forked process that then dies by SIGKILL, as a crash would, with no cleanup.
void run_and_crash(const std::function<void()>& child) {
  pid_t pid = fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    child();
    raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

class SqliteJobStoreTest : public testing::Test {
 protected:
  TestDirectory directory_;
  fs::path path_ = directory_.path() / "jobs.db";
};

TEST_F(SqliteJobStoreTest, JobsSurviveClosingAndReopeningTheFile) {
  std::string queued;
  std::string running;
  {
    SqliteJobStore store(path_);
    queued = store.enqueue(request(), kT0).job.id;
    running = store.enqueue(request(), kT0).job.id;
    store.claim_batch(1, kLease, kT0);
  }
  ASSERT_TRUE(fs::exists(path_));
  SqliteJobStore reopened(path_);
  EXPECT_EQ(reopened.get(queued).status, JobStatus::kRunning);
  EXPECT_EQ(reopened.get(running).status, JobStatus::kQueued);
  EXPECT_EQ(reopened.list({}).size(), 2u);
}

TEST_F(SqliteJobStoreTest, UsesWalAndRecordsTheSchemaVersionOnce) {
  SqliteJobStore(path_).enqueue(request(), kT0);
  SqliteJobStore again(path_);
  SqliteDatabase db(path_, milliseconds(1000));
  EXPECT_EQ(query_text(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(db, "SELECT group_concat(version) FROM schema_version"), "1");
}

TEST_F(SqliteJobStoreTest, ASchemaNewerThanThisBuildIsRefused) {
  { SqliteJobStore create(path_); }
  SqliteDatabase(path_, milliseconds(1000)).execute("INSERT INTO schema_version VALUES (2)");
  Error error = error_of([&] { SqliteJobStore store(path_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("schema version 2"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(path_.string()), std::string::npos) << error.message();
}

TEST_F(SqliteJobStoreTest, AFileThatIsNotADatabaseIsRefused) {
  std::ofstream(path_) << std::string(8192, 'x');
  Error error = error_of([&] { SqliteJobStore store(path_); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find(path_.string()), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("not a database"), std::string::npos) << error.message();
}

TEST_F(SqliteJobStoreTest, APlaceWhereNoFileCanBeMadeIsRefused) {
  std::ofstream(directory_.path() / "plain") << "x";
  EXPECT_EQ(error_of([&] { SqliteJobStore store(directory_.path() / "plain" / "jobs.db"); }).code(),
            ErrorCode::kBadInput);
  EXPECT_EQ(error_of([&] { SqliteJobStore store(directory_.path()); }).code(),
            ErrorCode::kBadInput);
}

TEST_F(SqliteJobStoreTest, AReadOnlyDirectoryIsRefused) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes through permissions";
  fs::permissions(directory_.path(), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_EQ(error_of([&] { SqliteJobStore store(path_); }).code(), ErrorCode::kBadInput);
}

TEST_F(SqliteJobStoreTest, ABusyDatabaseIsUnavailableAndChangesNothing) {
  SqliteJobStore store(path_, milliseconds(50));
  std::string id = store.enqueue(request(), kT0).job.id;
  {
    SqliteDatabase other(path_, milliseconds(1000));
    SqliteTransaction held(other);
    EXPECT_EQ(error_of([&] { store.claim_batch(1, kLease, kT0); }).code(), ErrorCode::kUnavailable);
    EXPECT_EQ(error_of([&] { store.enqueue(request(), kT0); }).code(), ErrorCode::kUnavailable);
    EXPECT_EQ(store.get(id).status, JobStatus::kQueued);  // readers are not blocked
  }
  EXPECT_EQ(store.list({}).size(), 1u);
  EXPECT_EQ(store.claim_batch(1, kLease, kT0).size(), 1u);
}

TEST_F(SqliteJobStoreTest, AJobOfACrashedWorkerIsRequeuedWhenItsLeaseExpires) {
  std::string id = SqliteJobStore(path_).enqueue(request(), kT0).job.id;
  run_and_crash([&] {
    SqliteJobStore worker(path_);
    std::vector<Claim> claims = worker.claim_batch(1, kLease, kT0);
    worker.heartbeat(claims.at(0).lease, "field", 0.5, kT0);
  });

  SqliteJobStore survivor(path_);
  EXPECT_EQ(survivor.get(id).status, JobStatus::kRunning);
  EXPECT_EQ(survivor.requeue_expired(kT0 + kLease), 0u);
  EXPECT_EQ(survivor.requeue_expired(kT0 + kLease + milliseconds(1)), 1u);
  Job job = survivor.get(id);
  EXPECT_EQ(job.status, JobStatus::kQueued);
  EXPECT_EQ(job.attempts, 1);
  std::vector<Claim> claims = survivor.claim_batch(1, kLease, kT0 + seconds(40));
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_TRUE(survivor.complete(claims[0].lease, "/r.stl", nullptr, kT0 + seconds(41)));
}

TEST_F(SqliteJobStoreTest, AProcessThatDiesInsideATransactionLeavesNoTraceAndNoLock) {
  std::string id = SqliteJobStore(path_).enqueue(request(), kT0).job.id;
  run_and_crash([&] {
    SqliteDatabase db(path_, milliseconds(1000));
    SqliteTransaction transaction(db);
    db.execute("UPDATE jobs SET status = 'succeeded'; DELETE FROM submitters");
  });

  SqliteJobStore survivor(path_, milliseconds(1000));
  EXPECT_EQ(survivor.get(id).status, JobStatus::kQueued);
  EXPECT_EQ(survivor.claim_batch(1, kLease, kT0).size(), 1u);
}

}  // namespace
}  // namespace orfeas
