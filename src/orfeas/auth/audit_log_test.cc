#include "orfeas/auth/audit_log.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/sqlite.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const Timestamp kTime = Timestamp(std::chrono::sys_days(std::chrono::year(2024) / 5 / 1)) + 12h;

AuditRecord record(std::string request_id, std::string outcome = "allowed",
                   std::string nonce = "") {
  AuditRecord r;
  r.time = kTime;
  r.request_id = std::move(request_id);
  r.agent_id = "agent-1";
  r.api_key = "key_1";
  r.client_address = "127.0.0.1";
  r.method = "POST";
  r.path = "/v1/jobs";
  r.operation = "authenticate";
  r.outcome = std::move(outcome);
  r.status = 200;
  r.nonce = std::move(nonce);
  return r;
}

class AuditLogTest : public testing::Test {
 protected:
  fs::path database() const { return dir_.path() / "orfeas.db"; }
  fs::path jsonl() const { return dir_.path() / "audit.jsonl"; }

  // Appends `count` records through a fresh AuditLog, waiting for each, so that each is a batch
  // (a row) of its own.
  void write_records(int count) {
    AuditLog log(database(), jsonl());
    for (int i = 0; i < count; ++i) {
      std::string id = "r";
      id += std::to_string(i);
      log.wait_durable(log.append(record(id)));
    }
  }

  std::vector<std::string> file_lines() const {
    std::ifstream in(jsonl());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void write_file(const std::vector<std::string>& lines) const {
    std::ofstream out(jsonl(), std::ios::trunc);
    for (const std::string& line : lines) out << line << '\n';
  }
  AuditVerification verify() const { return verify_audit_trail(database(), jsonl()); }

  void expect_broken(std::int64_t line, const std::string& reason) const {
    const AuditVerification result = verify();
    EXPECT_FALSE(result.intact);
    EXPECT_EQ(result.first_bad_line, line);
    EXPECT_EQ(result.reason, reason);
  }

  TestDirectory dir_;
};

TEST(AuditLineTest, KeysInFixedOrderWithChainHash) {
  AuditRecord r = record("req", "denied");
  r.reason = "bad\nsignature";
  r.job_id = "job";
  const std::string line = audit_line(r, 3, "ab");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (const auto& [key, value] : parsed.items()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"seq", "time", "request_id", "agent_id", "api_key",
                                      "client_address", "method", "path", "operation", "outcome",
                                      "reason", "status", "job_id", "nonce", "prev"}));
  EXPECT_EQ(parsed["seq"], 3);
  EXPECT_EQ(parsed["time"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(parsed["reason"], "bad\nsignature");
  EXPECT_EQ(parsed["prev"], "ab");
}

TEST(AuditLineTest, InvalidUtf8IsReplacedNotThrown) {
  AuditRecord r = record("req");
  r.path = "/v1/\xff\xfe";
  const std::string line = audit_line(r, 1, "");
  EXPECT_EQ(nlohmann::json::parse(line)["path"], "/v1/\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(AuditLogTest, FirstLineChainsFromZerosAndEachNextFromTheHashOfThePrevious) {
  write_records(3);
  const std::vector<std::string> lines = file_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["prev"], std::string(64, '0'));
  EXPECT_EQ(nlohmann::json::parse(lines[0])["seq"], 1);
  EXPECT_NE(nlohmann::json::parse(lines[1])["prev"], std::string(64, '0'));
  EXPECT_TRUE(verify().intact);
  EXPECT_EQ(verify().records, 3);
}

TEST_F(AuditLogTest, WaitDurableMakesLinesVisibleInTheFileAndTheDatabase) {
  AuditLog log(database(), jsonl());
  const std::int64_t seq = log.append(record("a"));
  log.wait_durable(seq);
  ASSERT_EQ(file_lines().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(file_lines()[0])["request_id"], "a");
  EXPECT_EQ(audit_tail(database(), 5), file_lines());
}

TEST_F(AuditLogTest, ChainContinuesAcrossReopen) {
  write_records(2);
  write_records(3);
  const std::vector<std::string> lines = file_lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["seq"], 3);
  const AuditVerification result = verify();
  EXPECT_TRUE(result.intact) << result.reason;
  EXPECT_EQ(result.records, 5);
}

TEST_F(AuditLogTest, ConcurrentAppendsKeepTheChainIntactWithoutGaps) {
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  {
    AuditLog log(database(), jsonl());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kEach; ++i) {
          log.wait_durable(log.append(record(std::to_string(t) + "-" + std::to_string(i))));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  const std::vector<std::string> lines = file_lines();
  ASSERT_EQ(lines.size(), std::size_t{kThreads * kEach});
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(lines[i])["seq"], i + 1);
  }
  const AuditVerification result = verify();
  EXPECT_TRUE(result.intact) << result.reason;
  EXPECT_EQ(result.records, kThreads * kEach);
}

TEST_F(AuditLogTest, DestructorWritesWhatIsPending) {
  {
    AuditLog log(database(), jsonl());
    for (int i = 0; i < 20; ++i) log.append(record("r"));
  }
  EXPECT_EQ(file_lines().size(), 20u);
  EXPECT_TRUE(verify().intact);
}

TEST_F(AuditLogTest, VerifyDetectsAnEditedField) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  auto edited = nlohmann::ordered_json::parse(lines[2]);
  edited["outcome"] = "denied";
  lines[2] = edited.dump();
  write_file(lines);
  expect_broken(3, "line 3 differs from the database's record 3");
}

TEST_F(AuditLogTest, VerifyDetectsAnEditWhoseDatabaseCopyWasEditedToo) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  auto edited = nlohmann::ordered_json::parse(lines[2]);
  edited["outcome"] = "denied";
  lines[2] = edited.dump();
  write_file(lines);
  SqliteDatabase db(database(), 1s);
  SqliteStatement(db, "UPDATE audit_batches SET lines = ?1 WHERE first_seq = 3")
      .execute(lines[2] + "\n");
  expect_broken(4, "line 4: prev does not match the hash of line 3");
}

TEST_F(AuditLogTest, VerifyDetectsADeletedMiddleLine) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  lines.erase(lines.begin() + 2);
  write_file(lines);
  expect_broken(3, "line 3: seq 4 follows 2");
}

TEST_F(AuditLogTest, VerifyDetectsADeletedLastLine) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  lines.pop_back();
  write_file(lines);
  expect_broken(5, "the file ends at line 4 but the database holds records up to 5");
}

TEST_F(AuditLogTest, VerifyDetectsSwappedLines) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  std::swap(lines[1], lines[2]);
  write_file(lines);
  expect_broken(2, "line 2: seq 3 follows 1");
}

TEST_F(AuditLogTest, VerifyDetectsANonJsonLine) {
  write_records(3);
  std::vector<std::string> lines = file_lines();
  lines[1] = "not json";
  write_file(lines);
  expect_broken(2, "line 2 is not JSON");
}

TEST_F(AuditLogTest, VerifyDetectsAMissingDatabaseRow) {
  write_records(4);
  SqliteDatabase db(database(), 1s);
  db.execute("DELETE FROM audit_batches WHERE first_seq = 2");
  expect_broken(2, "line 2: the database lacks record 2");
}

TEST_F(AuditLogTest, VerifyRejectsMissingFiles) {
  EXPECT_EQ(test::code_of([&] { verify(); }), ErrorCode::kBadInput);
}

TEST_F(AuditLogTest, ReopenAppendsLinesTheFileLacks) {
  write_records(5);
  std::vector<std::string> lines = file_lines();
  write_file({lines.begin(), lines.begin() + 3});
  EXPECT_FALSE(verify().intact);
  write_records(1);
  const std::vector<std::string> repaired = file_lines();
  ASSERT_EQ(repaired.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(repaired.begin(), repaired.begin() + 5), lines);
  EXPECT_TRUE(verify().intact);
}

TEST_F(AuditLogTest, ReopenRecreatesAnEmptiedFileFromTheDatabase) {
  write_records(2);
  const std::vector<std::string> lines = file_lines();
  write_file({});
  { AuditLog log(database(), jsonl()); }
  EXPECT_EQ(file_lines(), lines);
}

TEST_F(AuditLogTest, ReopenDropsALineCutShortAndRewritesIt) {
  write_records(3);
  const std::vector<std::string> lines = file_lines();
  write_file({lines[0]});
  std::ofstream(jsonl(), std::ios::app) << lines[1].substr(0, 10);
  EXPECT_EQ(verify().reason, "line 2 is incomplete (no newline)");
  { AuditLog log(database(), jsonl()); }
  EXPECT_EQ(file_lines(), lines);
  EXPECT_TRUE(verify().intact);
}

TEST_F(AuditLogTest, ReopenRefusesATrailBrokenAtItsEnd) {
  write_records(3);
  std::vector<std::string> lines = file_lines();
  auto edited = nlohmann::ordered_json::parse(lines[2]);
  edited["status"] = 500;
  lines[2] = edited.dump();
  write_file(lines);
  const Error error = test::error_of([&] { AuditLog log(database(), jsonl()); });
  EXPECT_EQ(error.code(), ErrorCode::kInternal);
  EXPECT_NE(error.message().find("orfeas audit verify"), std::string::npos) << error.message();
}

TEST_F(AuditLogTest, ReopenRefusesAFileAheadOfTheDatabase) {
  write_records(3);
  SqliteDatabase db(database(), 1s);
  db.execute("DELETE FROM audit_batches WHERE first_seq = 3");
  EXPECT_EQ(test::code_of([&] { AuditLog log(database(), jsonl()); }), ErrorCode::kInternal);
}

TEST_F(AuditLogTest, WriterFailureMakesWaitDurableThrow) {
  AuditLog log(database(), jsonl());
  log.wait_durable(log.append(record("a")));
  {
    SqliteDatabase db(database(), 1s);
    db.execute("DROP TABLE audit_batches");
  }
  const std::int64_t seq = log.append(record("b"));
  EXPECT_EQ(test::code_of([&] { log.wait_durable(seq); }), ErrorCode::kInternal);
  EXPECT_EQ(test::code_of([&] { log.wait_durable(log.append(record("c"))); }),
            ErrorCode::kInternal);
  EXPECT_EQ(file_lines().size(), 1u);
}

TEST_F(AuditLogTest, NoncesSinceListsAuthenticatedNoncesFromThatTimeOn) {
  AuditLog log(database(), jsonl());
  AuditRecord old = record("1", "allowed", "nonce-old");
  old.time = kTime - 1h;
  log.append(old);
  log.append(record("2", "allowed", "nonce-a"));
  log.append(record("3", "denied", "nonce-denied"));
  log.append(record("4", "allowed", ""));
  log.append(record("4b", "succeeded", "nonce-read"));  // a read: one record, with its nonce
  AuditRecord later = record("5", "allowed", "nonce-b");
  later.agent_id = "agent-2";
  later.time = kTime + 1500ms;
  log.wait_durable(log.append(later));
  using Nonce = std::tuple<std::string, std::string, Timestamp>;
  EXPECT_EQ(log.nonces_since(kTime), (std::vector<Nonce>{{"agent-1", "nonce-a", kTime},
                                                         {"agent-1", "nonce-read", kTime},
                                                         {"agent-2", "nonce-b", kTime + 1500ms}}));
}

TEST_F(AuditLogTest, TailReturnsTheLastLinesOldestFirst) {
  write_records(5);
  const std::vector<std::string> lines = file_lines();
  EXPECT_EQ(audit_tail(database(), 2), std::vector<std::string>(lines.begin() + 3, lines.end()));
  EXPECT_EQ(audit_tail(database(), 50), lines);
}

}  // namespace
}  // namespace orfeas
