#include "orfeas/jobs/sqlite.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using test::code_of;

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class SqliteTest : public testing::Test {
 protected:
  TestDirectory directory_;
  const fs::path& dir_ = directory_.path();
};

TEST_F(SqliteTest, BindsAndReadsEveryType) {
  SqliteDatabase db(dir_ / "t.db", milliseconds(100));
  db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)");
  SqliteStatement insert(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  EXPECT_EQ(insert.execute(std::int64_t{1} << 40, 0.25, std::string("text"), nullptr), 1);
  EXPECT_EQ(insert.execute(7, 0.5, std::optional<std::string>(), std::optional<int>(3)), 1);

  SqliteStatement select(db, "SELECT i, r, s, n FROM t ORDER BY i DESC");
  SqliteRows rows = select.query();
  ASSERT_TRUE(rows.next());
  EXPECT_EQ(rows.integer(0), std::int64_t{1} << 40);
  EXPECT_EQ(rows.real(1), 0.25);
  EXPECT_EQ(rows.text(2), "text");
  EXPECT_EQ(rows.optional_text(2), "text");
  EXPECT_TRUE(rows.is_null(3));
  EXPECT_EQ(rows.optional_text(3), std::nullopt);
  EXPECT_EQ(rows.optional_integer(3), std::nullopt);
  EXPECT_EQ(rows.text(3), "");
  ASSERT_TRUE(rows.next());
  EXPECT_EQ(rows.optional_integer(0), 7);
  EXPECT_EQ(rows.text(3), "3");
  EXPECT_FALSE(rows.next());
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  SqliteDatabase db(dir_ / "t.db", milliseconds(100));
  db.execute("CREATE TABLE t (i INTEGER)");
  SqliteStatement insert(db, "INSERT INTO t VALUES (?1)");
  SqliteStatement count(db, "SELECT COUNT(*) FROM t");
  {
    SqliteTransaction transaction(db);
    insert.execute(1);
  }
  {
    SqliteTransaction transaction(db);
    insert.execute(2);
    transaction.commit();
  }
  SqliteRows rows = count.query();
  ASSERT_TRUE(rows.next());
  EXPECT_EQ(rows.integer(0), 1);
}

TEST_F(SqliteTest, BadSqlIsAnInternalErrorNamingTheFileAndStatement) {
  SqliteDatabase db(dir_ / "t.db", milliseconds(100));
  try {
    SqliteStatement statement(db, "SELEC 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    EXPECT_NE(e.message().find((dir_ / "t.db").string()), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("SELEC 1"), std::string::npos) << e.message();
  }
  EXPECT_EQ(code_of([&] { db.execute("DROP TABLE missing"); }), ErrorCode::kInternal);
}

TEST_F(SqliteTest, ConstraintFailureWhileSteppingIsAnInternalError) {
  SqliteDatabase db(dir_ / "t.db", milliseconds(100));
  db.execute("CREATE TABLE t (i INTEGER NOT NULL)");
  SqliteStatement insert(db, "INSERT INTO t VALUES (?1)");
  EXPECT_EQ(code_of([&] { insert.execute(nullptr); }), ErrorCode::kInternal);
}

TEST_F(SqliteTest, LockHeldPastTheBusyTimeoutIsUnavailable) {
  SqliteDatabase holder(dir_ / "t.db", milliseconds(100));
  holder.execute("PRAGMA journal_mode = WAL; CREATE TABLE t (i INTEGER)");
  SqliteDatabase waiter(dir_ / "t.db", milliseconds(50));
  SqliteTransaction held(holder);
  EXPECT_EQ(code_of([&] { SqliteTransaction blocked(waiter); }), ErrorCode::kUnavailable);
}

TEST_F(SqliteTest, UnopenablePathIsABadInput) {
  std::ofstream(dir_ / "file") << "x";
  EXPECT_EQ(code_of([&] { SqliteDatabase db(dir_ / "file" / "t.db", milliseconds(10)); }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { SqliteDatabase db(dir_ / "missing" / "t.db", milliseconds(10)); }),
            ErrorCode::kBadInput);
}

TEST_F(SqliteTest, FileThatIsNotADatabaseIsABadInput) {
  std::ofstream(dir_ / "t.db") << std::string(4096, 'x');
  SqliteDatabase db(dir_ / "t.db", milliseconds(10));
  EXPECT_EQ(code_of([&] { db.execute("SELECT * FROM sqlite_master"); }), ErrorCode::kBadInput);
}

}  // namespace
}  // namespace orfeas
